"""Certification's assessors are the evaluation's reviewers, held to the evaluation's conflict
rule (evaluation.conflicts.reviewers_conflicted_with): a non-reviewer, a reviewer affiliated
with the applicant, a member of it or one who declared a conflict with it is refused when staff
assign, nothing written; a conflict declared after the assignment refuses the scores."""

import re

import pytest
from django.urls import reverse

from competitions.lifecycle import TransitionRefused
from competitions.models import TechnologyField
from evaluation.models import DeclaredConflict, Reviewer
from projects.models import Membership
from smartcity import certification
from smartcity.certification_assessors import assessor_candidates
from smartcity.models import Assessment, AssessmentScore, CertificationApplication
from tests.factories import OrganisationFactory, StaffFactory, UserFactory

from .certification_world import apply_for_service, reviewer, service_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def application(staff):
    owner = UserFactory()
    return apply_for_service(service_round(staff, min_assessors=1), owner)


def full_marks(application):
    return {
        item.pk: item.max_points
        for category in application.round.index.categories.all()
        for item in category.items.all()
    }


def assert_nothing_written(application):
    assert not Assessment.objects.filter(application=application).exists()
    assert CertificationApplication.objects.get(pk=application.pk).state == "submitted"


def refused(application, people, staff):
    with pytest.raises(TransitionRefused) as refusal:
        certification.assign_assessors(application, people, by=staff)
    assert_nothing_written(application)
    return refusal.value.reasons


def test_a_user_outside_the_reviewer_pool_is_refused(application, staff):
    outsider = UserFactory(first_name="Jiwoo", last_name="Park")
    assert refused(application, [outsider], staff) == [
        f"{outsider} is not in the reviewer pool: only reviewers assess certification applications."
    ]


def test_a_reviewer_affiliated_with_the_applicant_is_refused(application, staff):
    conflicted = reviewer(affiliation=application.organisation)
    [reason] = refused(application, [conflicted], staff)
    assert "conflict of interest" in reason and application.organisation.name in reason


def test_a_reviewer_whose_account_is_a_member_of_the_applicant_is_refused(application, staff):
    conflicted = reviewer(affiliation=OrganisationFactory(kind="university"))
    Membership.objects.create(user=conflicted, organisation=application.organisation)
    [reason] = refused(application, [conflicted], staff)
    assert "conflict of interest" in reason


def test_a_reviewer_who_declared_a_conflict_is_refused_and_one_bad_name_refuses_all(application, staff):
    fine, conflicted = reviewer(), reviewer()
    DeclaredConflict.objects.create(
        reviewer=conflicted.reviewer, organisation=application.organisation, reason="former employer"
    )
    [reason] = refused(application, [fine, conflicted], staff)
    assert str(conflicted) in reason
    certification.assign_assessors(application, [fine], by=staff)
    assert list(application.assessments.values_list("assessor", flat=True)) == [fine.pk]


def test_a_conflict_declared_after_the_assignment_refuses_the_scores(application, staff):
    person = reviewer()
    certification.assign_assessors(application, [person], by=staff)
    assessment = application.assessments.get()
    DeclaredConflict.objects.create(reviewer=person.reviewer, organisation=application.organisation)
    with pytest.raises(TransitionRefused) as refusal:
        certification.submit_assessment(assessment, full_marks(application), by=person)
    assert refusal.value.reasons == [
        "You have a conflict of interest with this application and cannot score it; recuse yourself."
    ]
    assert Assessment.objects.get(pk=assessment.pk).submitted_at is None
    assert not AssessmentScore.objects.exists()
    # A conflict elsewhere does not matter: another reviewer's declaration, another organisation.
    DeclaredConflict.objects.filter(reviewer=person.reviewer).update(organisation=OrganisationFactory())
    certification.submit_assessment(assessment, full_marks(application), by=person)
    assert Assessment.objects.get(pk=assessment.pk).submitted_at is not None


def test_a_membership_found_after_the_assignment_refuses_the_scores(application, staff):
    person = reviewer()
    certification.assign_assessors(application, [person], by=staff)
    Membership.objects.create(user=person, organisation=application.organisation)
    with pytest.raises(TransitionRefused, match="conflict of interest"):
        certification.submit_assessment(application.assessments.get(), full_marks(application), by=person)
    assert not AssessmentScore.objects.exists()


def test_candidates_put_matching_expertise_first_and_mark_the_conflicted(application):
    fields = list(application.technology_fields.order_by("pk"))
    elsewhere = TechnologyField.objects.exclude(pk__in=[f.pk for f in fields]).first()
    none = reviewer(email="none@pool.example")
    one = reviewer(email="one@pool.example", expertise=[fields[0], elsewhere])
    two = reviewer(email="two@pool.example", expertise=fields)
    conflicted = reviewer(
        email="conflicted@pool.example", affiliation=application.organisation, expertise=fields
    )
    UserFactory(email="outsider@pool.example")  # not a reviewer: never a candidate
    candidates = assessor_candidates(application)
    assert [c.user for c in candidates] == [two, one, none, conflicted]
    assert [c.conflicted for c in candidates] == [False, False, False, True]
    assert candidates[1].matching == [fields[0]] and candidates[1].other == [elsewhere]


def test_the_assign_form_lists_reviewers_only_the_conflicted_without_a_box(client, application, staff):
    field = application.technology_fields.order_by("pk").first()
    fine = reviewer(email="fine@pool.example", expertise=[field])
    conflicted = reviewer(email="conflicted@pool.example", affiliation=application.organisation)
    UserFactory(email="outsider@pool.example", first_name="Unlisted", last_name="Outsider")
    client.force_login(staff)
    page = client.get(reverse("smartcity:certification_application", args=[application.pk])).content.decode()
    # Only the reviewer without a conflict has a box; the conflicted one is listed, marked.
    assert re.findall(r'name="assessors" value="(\d+)"', page) == [str(fine.pk)]
    assert Reviewer.objects.get(user=conflicted).code in page and "Conflict of interest" in page
    assert "Unlisted" not in page
    assert f"<strong>{field.display_name}</strong>" in page
    # A conflicted reviewer posted anyway is refused with the reason, nothing written.
    response = client.post(
        reverse("smartcity:certification_assign", args=[application.pk]),
        {"assessors": [fine.pk, conflicted.pk]},
        follow=True,
    )
    assert "conflict of interest" in response.content.decode()
    assert_nothing_written(application)
    client.post(reverse("smartcity:certification_assign", args=[application.pk]), {"assessors": [fine.pk]})
    assert list(application.assessments.values_list("assessor", flat=True)) == [fine.pk]
