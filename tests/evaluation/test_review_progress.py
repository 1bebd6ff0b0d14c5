"""Each reviewer's kept review progress (evaluation.review_progress, what the call dashboard and
the evaluation overview read) follows every write that changes it: assignment, a draft, a
submission, a recusal with its replacement, a superseded round, generated reviews. After each
step it equals a fresh count of the assignments and reviews (issue 19: the counters cannot drift)."""

import pytest
from django.db import transaction

from evaluation import review_progress, reviewing
from evaluation.assigning import assign_reviewers
from evaluation.generate import generate
from evaluation.models import Assignment, Criterion, ReviewerProgress
from evaluation.review_progress import counted_progress, recount
from evaluation.review_rounds import supersede_round
from tests.factories import cleared_to_score

from .conftest import eligible_applications, make_reviewers

pytestmark = pytest.mark.django_db


def kept(call):
    return {
        reviewer_id: {"assigned": assigned, "submitted": submitted, "drafts": drafts}
        for reviewer_id, assigned, submitted, drafts in ReviewerProgress.objects.filter(
            call=call
        ).values_list("reviewer_id", "assigned", "submitted", "drafts")
    }


def assert_kept_equals_counted(call):
    counted = counted_progress(call.pk)
    assert counted, "the call has assignments"
    assert kept(call) == counted


def test_kept_progress_follows_each_write(call, staff):
    applications = eligible_applications(call, 3)
    make_reviewers(call, 7)
    assign_reviewers(call, by=staff, seed=2)
    assert_kept_equals_counted(call)
    assert (
        sum(row["assigned"] for row in kept(call).values())
        == 3 * call.evaluation_plan.reviews_per_application
    )

    criteria = {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}
    draft = Assignment.objects.filter(application=applications[0]).order_by("pk").first()
    reviewing.save_review(cleared_to_score(draft), {next(iter(criteria)): ("10", "")}, by=draft.reviewer.user)
    assert kept(call)[draft.reviewer_id]["drafts"] == 1
    assert_kept_equals_counted(call)

    reviewing.save_review(cleared_to_score(draft), criteria, by=draft.reviewer.user, submit=True)
    assert (kept(call)[draft.reviewer_id]["submitted"], kept(call)[draft.reviewer_id]["drafts"]) == (1, 0)
    assert_kept_equals_counted(call)

    recusing = Assignment.objects.filter(application=applications[1]).order_by("pk").first()
    before = kept(call)[recusing.reviewer_id]["assigned"]
    reviewing.recuse(cleared_to_score(recusing), by=recusing.reviewer.user, reason="I advised them.")
    assert kept(call)[recusing.reviewer_id]["assigned"] == before - 1
    assert_kept_equals_counted(call)  # the replacement reviewer's row too

    with transaction.atomic():
        supersede_round(applications[0].pk)  # an upheld objection: the round's reviews stop counting
    assert kept(call)[draft.reviewer_id]["submitted"] == 0
    assert_kept_equals_counted(call)


def test_generated_reviews_are_counted(call, staff):
    generate(call, count=6, reviewers=5, seed=4, by=staff)
    assert_kept_equals_counted(call)
    assert all(row["submitted"] == row["assigned"] for row in kept(call).values())


def test_recount_rewrites_a_row_that_drifted(call, staff):
    """What a repair (or the migration) does: the row is set from the rows it summarises."""
    eligible_applications(call, 2)
    make_reviewers(call, 6)
    assign_reviewers(call, by=staff, seed=1)
    row = ReviewerProgress.objects.filter(call=call).first()
    ReviewerProgress.objects.filter(pk=row.pk).update(assigned=99, drafts=7)
    recount(call.pk)
    assert_kept_equals_counted(call)


def test_a_save_recounts_only_when_a_review_is_created_or_changes_state(call, staff, monkeypatch):
    """The first save of a draft recounts once (not once for the new row and again for its
    scores), a draft saved again not at all, the submission once; the counts stay true."""
    applications = eligible_applications(call, 1)
    make_reviewers(call, 5)
    assign_reviewers(call, by=staff, seed=3)
    recounts = []
    real = review_progress.recount
    monkeypatch.setattr(review_progress, "recount", lambda *a, **k: (recounts.append(a), real(*a, **k))[1])
    criteria = {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}
    first = next(iter(criteria))
    assignment = Assignment.objects.filter(application=applications[0]).order_by("pk").first()

    reviewing.save_review(cleared_to_score(assignment), {first: ("10", "")}, by=assignment.reviewer.user)
    assert len(recounts) == 1
    assert kept(call)[assignment.reviewer_id]["drafts"] == 1

    reviewing.save_review(cleared_to_score(assignment), {first: ("9", "")}, by=assignment.reviewer.user)
    assert len(recounts) == 1, "a draft saved again changes no count"
    assert_kept_equals_counted(call)

    reviewing.save_review(cleared_to_score(assignment), criteria, by=assignment.reviewer.user, submit=True)
    assert len(recounts) == 2
    assert (
        kept(call)[assignment.reviewer_id]["submitted"],
        kept(call)[assignment.reviewer_id]["drafts"],
    ) == (1, 0)
    assert_kept_equals_counted(call)
