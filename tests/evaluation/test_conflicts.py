"""Conflicts of interest: one definition (evaluation.conflicts) for assignment, the top-up after
a recusal and saving a score. A reviewer's organisations are the affiliation and every
organisation the reviewer's account belongs to; consortium members count once accepted."""

import pytest

from competitions.lifecycle import TransitionRefused
from evaluation import reviewing
from evaluation.assigning import assign_reviewers
from evaluation.conflicts import conflicts_for, is_conflicted
from evaluation.models import Assignment, Review, Score
from projects.models import ApplicationState, ConsortiumMember, Membership
from tests.factories import OrganisationFactory, cleared_to_score

from .conftest import eligible_applications, make_reviewers
from .test_reviewing import full_marks

pytestmark = pytest.mark.django_db


def test_a_member_of_an_applying_organisation_is_never_assigned_in_its_call(call, staff):
    applications = eligible_applications(call, 4)
    reviewers = make_reviewers(call, 8)
    # Reviewer 0 is affiliated with a university, but their account belongs to a lead.
    Membership.objects.create(user=reviewers[0].user, organisation=applications[0].lead)
    assign_reviewers(call, by=staff, seed=5)
    assert Assignment.objects.filter(application__call=call).count() == 4 * 5
    assert not Assignment.objects.filter(reviewer=reviewers[0]).exists()


def test_a_member_of_an_accepted_consortium_member_is_conflicted_a_pending_one_is_not(call):
    applications = eligible_applications(call, 2)
    reviewer, other = make_reviewers(call, 2)
    partner = OrganisationFactory(name="Busan Data Institute")
    Membership.objects.create(user=reviewer.user, organisation=partner)
    member = ConsortiumMember.objects.create(
        application=applications[0], organisation=partner, budget_share_percent=10
    )
    # Proposed, not accepted: the applicant alone cannot make the reviewer conflicted.
    assert conflicts_for(call, applications, [reviewer, other]) == {a.pk: set() for a in applications}
    member.accept(by=reviewer.user, description="joined")
    member.save()
    # Accepted: the reviewer's organisation takes part in the call, so every application is barred.
    assert conflicts_for(call, applications, [reviewer, other]) == {a.pk: {reviewer.pk} for a in applications}


def test_a_conflicted_reviewer_cannot_save_or_submit_a_score(call, assigned):
    assignment = Assignment.objects.select_related("reviewer__user", "application").first()
    application = assignment.application
    # Found after the assignment: the reviewer's account belongs to the lead organisation.
    Membership.objects.create(user=assignment.reviewer.user, organisation=application.lead)
    assert is_conflicted(assignment.reviewer, application)
    for submit in (False, True):
        with pytest.raises(TransitionRefused) as refused:
            reviewing.save_review(
                cleared_to_score(assignment), full_marks(call), by=assignment.reviewer.user, submit=submit
            )
        assert refused.value.reasons == [
            "You have a conflict of interest with this application and cannot score it; recuse yourself."
        ]
    assert not Review.objects.filter(assignment=assignment).exists()
    assert not Score.objects.filter(review__assignment=assignment).exists()
    assert application.__class__.objects.get(pk=application.pk).state == ApplicationState.UNDER_REVIEW


def test_the_top_up_after_a_recusal_never_brings_in_a_member_of_the_applying_organisation(call, staff):
    applications = eligible_applications(call, 1)
    reviewers = make_reviewers(call, 7)
    assign_reviewers(call, by=staff, seed=2)
    assigned = set(Assignment.objects.values_list("reviewer_id", flat=True))
    free = [r for r in reviewers if r.pk not in assigned]
    assert len(free) == 2
    # Both free reviewers belong to the lead organisation: neither may come in.
    for reviewer in free:
        Membership.objects.create(user=reviewer.user, organisation=applications[0].lead)
    leaving = Assignment.objects.filter(application=applications[0]).first()
    assert reviewing.recuse(leaving, by=leaving.reviewer.user, reason="former colleague") is None
    assert not Assignment.objects.filter(reviewer__in=free).exists()


def test_reviewers_conflicted_with_organisations_is_the_one_rule(call):
    """Affiliation, membership or a declared conflict; nothing else (another reviewer's
    declaration, an organisation not asked about)."""
    from evaluation.conflicts import reviewers_conflicted_with
    from evaluation.models import DeclaredConflict

    applicant, elsewhere = OrganisationFactory(name="Applicant Co"), OrganisationFactory(name="Elsewhere")
    affiliated, member, declared, clear = make_reviewers(call, 4, prefix="org")
    affiliated.affiliation = applicant
    affiliated.save()
    Membership.objects.create(user=member.user, organisation=applicant)
    DeclaredConflict.objects.create(reviewer=declared, organisation=applicant, reason="former employer")
    DeclaredConflict.objects.create(reviewer=clear, organisation=elsewhere)
    reviewers = [affiliated, member, declared, clear]
    assert reviewers_conflicted_with(reviewers, [applicant.pk]) == {
        affiliated.pk: {applicant.pk},
        member.pk: {applicant.pk},
        declared.pk: {applicant.pk},
    }
    assert reviewers_conflicted_with(reviewers, [applicant.pk, elsewhere.pk])[clear.pk] == {elsewhere.pk}
    assert reviewers_conflicted_with(reviewers, []) == {}
