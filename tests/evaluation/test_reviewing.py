"""Reviewing: drafts, submission and locking, score validation, recusal and reassignment,
blind pages that leak no name, and reviewers confined to their own assignments."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from evaluation import reviewing
from evaluation.models import Assignment, Criterion, DeclaredConflict, Review
from projects.models import Application, ApplicationState
from tests.factories import cleared_to_score

pytestmark = pytest.mark.django_db


def full_marks(call, fraction=1):
    return {c: (str(c.max_points * fraction), "") for c in Criterion.objects.filter(plan__call=call)}


def test_save_draft_then_submit_locks_the_review(call, assigned):
    assignment = Assignment.objects.filter(application=assigned[0]).first()
    user = assignment.reviewer.user
    entries = full_marks(call)
    first = next(iter(entries))
    review = reviewing.save_review(cleared_to_score(assignment), {first: ("20", "good")}, by=user)
    assert review.state == Review.State.DRAFT and review.total == 20
    review = reviewing.save_review(cleared_to_score(assignment), entries, by=user, submit=True)
    assert (review.state, review.total) == (Review.State.SUBMITTED, 100)
    with pytest.raises(TransitionRefused) as refused:
        reviewing.save_review(cleared_to_score(assignment), {first: ("1", "")}, by=user)
    assert refused.value.reasons == ["You submitted this review; it is locked."]
    assert Review.objects.get(pk=review.pk).total == 100


def test_points_must_be_within_the_criterion_and_all_are_needed_to_submit(call, assigned):
    assignment = Assignment.objects.filter(application=assigned[0]).first()
    user = assignment.reviewer.user
    innovation = Criterion.objects.get(plan__call=call, name="Innovation")
    with pytest.raises(TransitionRefused) as refused:
        reviewing.save_review(cleared_to_score(assignment), {innovation: ("31", "")}, by=user)
    assert refused.value.reasons == ["Innovation: enter a number from 0 to 30."]
    with pytest.raises(TransitionRefused) as refused:
        reviewing.save_review(cleared_to_score(assignment), {innovation: ("25", "")}, by=user, submit=True)
    assert len(refused.value.reasons) == 4  # the four criteria left empty
    assert not Review.objects.filter(state=Review.State.SUBMITTED).exists()


def test_the_last_submitted_review_makes_the_application_scored(call, assigned):
    application = assigned[0]
    for assignment in Assignment.objects.filter(application=application):
        reviewing.save_review(
            cleared_to_score(assignment), full_marks(call), by=assignment.reviewer.user, submit=True
        )
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SCORED
    # Closed: another reviewer's draft elsewhere is unaffected, but this one's scores are locked.
    assignment = Assignment.objects.filter(application=application).first()
    with pytest.raises(TransitionRefused):
        reviewing.save_review(cleared_to_score(assignment), full_marks(call), by=assignment.reviewer.user)


def test_recusal_records_the_conflict_and_reassigns(call, assigned):
    assignment = Assignment.objects.filter(application=assigned[1]).first()
    original = assignment.reviewer
    replacement = reviewing.recuse(assignment, by=original.user, reason="I advised this company last year.")
    assert replacement is not None and replacement.reviewer != original
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.RECUSED
    assert DeclaredConflict.objects.filter(reviewer=original, organisation=assigned[1].lead).exists()
    assert Assignment.objects.filter(application=assigned[1], state="active").count() == 5


def test_reviewers_cannot_touch_others_assignments(client, call, assigned):
    mine = Assignment.objects.filter(application=assigned[0]).first()
    theirs = Assignment.objects.filter(application=assigned[0]).exclude(reviewer=mine.reviewer).first()
    client.force_login(mine.reviewer.user)
    assert client.get(reverse("evaluation:review_form", args=[theirs.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        reviewing.save_review(cleared_to_score(theirs), full_marks(call), by=mine.reviewer.user, submit=True)
    assert not Review.objects.filter(assignment=theirs).exists()


def test_blind_review_pages_leak_no_name(client, call, assigned):
    Call.objects.filter(pk=call.pk).update(blind_review=True)
    application = assigned[0]
    assignment = Assignment.objects.filter(application=application).first()
    client.force_login(assignment.reviewer.user)
    for url in [reverse("evaluation:my_reviews"), reverse("evaluation:review_form", args=[assignment.pk])]:
        page = client.get(url).content.decode()
        assert application.lead.name not in page
        assert application.lead.registration_number not in page
        assert application.lead.registration_number_display not in page
        assert application.created_by.email not in page
    assert application.reference in page  # the proposal itself is shown


def test_the_review_form_saves_and_submits(client, call, assigned):
    assignment = cleared_to_score(Assignment.objects.filter(application=assigned[2]).first())
    client.force_login(assignment.reviewer.user)
    data = {f"points-{c.pk}": str(c.max_points) for c in Criterion.objects.filter(plan__call=call)}
    client.post(reverse("evaluation:review_form", args=[assignment.pk]), {**data, "action": "submit"})
    assert Review.objects.get(assignment=assignment).state == Review.State.SUBMITTED
    response = client.post(
        reverse("evaluation:review_form", args=[assignment.pk]), {**data, "action": "save"}, follow=True
    )
    assert "You submitted this review; it is locked." in [str(m) for m in response.context["messages"]]
