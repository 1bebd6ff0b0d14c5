"""Assigning reviewers to a call's eligible applications: counts, conflicts, balance, refusal."""

from collections import Counter

import pytest
from django_fsm_log.models import StateLog

from evaluation.assigning import assign_reviewers
from evaluation.assignment import AssignmentImpossible
from evaluation.models import Assignment, DeclaredConflict
from projects.models import Application, ApplicationState, ConsortiumMember

from .conftest import eligible_applications, make_reviewers

pytestmark = pytest.mark.django_db


def test_each_eligible_application_gets_five_balanced_reviewers(call, staff):
    applications = eligible_applications(call, 12)
    make_reviewers(call, 9)
    created = assign_reviewers(call, by=staff, seed=1)
    assert created == 12 * 5
    per_application = Counter(Assignment.objects.values_list("application_id", flat=True))
    assert set(per_application.values()) == {5}
    loads = Counter(Assignment.objects.values_list("reviewer_id", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 1
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in applications]).values_list("state", flat=True)
    ) == {ApplicationState.UNDER_REVIEW}
    log = StateLog.objects.for_(applications[0]).get()
    assert (log.transition, log.by) == ("open_review", staff)


def test_conflicted_reviewers_are_never_assigned(call, staff):
    applications = eligible_applications(call, 6)
    reviewers = make_reviewers(call, 10)
    # Reviewer 0 works for an organisation applying to this call (as a consortium member).
    ConsortiumMember.objects.create(
        application=applications[0],
        organisation=reviewers[0].affiliation,
        budget_share_percent=10,
        state="accepted",
    )
    # Reviewer 1 declared a conflict with the lead of application 2.
    DeclaredConflict.objects.create(
        reviewer=reviewers[1], organisation=applications[2].lead, reason="former employer"
    )
    assign_reviewers(call, by=staff, seed=3)
    assert not Assignment.objects.filter(reviewer=reviewers[0]).exists()
    assert not Assignment.objects.filter(reviewer=reviewers[1], application=applications[2]).exists()


def test_not_enough_unconflicted_reviewers_is_refused_and_writes_nothing(call, staff):
    applications = eligible_applications(call, 3)
    reviewers = make_reviewers(call, 5)
    DeclaredConflict.objects.create(reviewer=reviewers[4], organisation=applications[1].lead)
    with pytest.raises(AssignmentImpossible) as refused:
        assign_reviewers(call, by=staff)
    assert applications[1].reference in str(refused.value)
    assert not Assignment.objects.exists()
    assert Application.objects.get(pk=applications[0].pk).state == ApplicationState.ELIGIBLE


def test_assignment_is_deterministic_for_a_seed(call, staff):
    eligible_applications(call, 10)
    make_reviewers(call, 8)
    assign_reviewers(call, by=staff, seed=7)
    first = sorted(Assignment.objects.values_list("application__reference", "reviewer__code"))
    Assignment.objects.all().delete()
    Application.objects.update(state=ApplicationState.ELIGIBLE)
    assign_reviewers(call, by=staff, seed=7)
    assert sorted(Assignment.objects.values_list("application__reference", "reviewer__code")) == first


def test_staff_adjust_assignments_by_hand_but_not_to_a_conflicted_reviewer(client, call, staff, role_groups):
    from django.urls import reverse

    from tests.factories import StaffFactory

    applications = eligible_applications(call, 1)
    reviewers = make_reviewers(call, 6)
    DeclaredConflict.objects.create(reviewer=reviewers[0], organisation=applications[0].lead)
    client.force_login(StaffFactory(is_superuser=True))
    url = reverse("admin:evaluation_assignment_add")
    data = {"application": applications[0].pk, "state": "active", "recusal_reason": ""}
    response = client.post(url, {**data, "reviewer": reviewers[0].pk})
    assert "has a conflict of interest with" in response.content.decode()
    assert not Assignment.objects.exists()
    client.post(url, {**data, "reviewer": reviewers[1].pk})
    assert Assignment.objects.get().reviewer == reviewers[1]
