"""Review progress, the one definition: of a reviewer's (or an application's, or a call's)
assignments, those active, and among them those whose review is submitted or saved as a draft.

The dashboards of a national call would count 100,000 assignments and their reviews at every
view (some 110 ms of SQLite on the benchmark's call), so each reviewer's progress in each call is
also kept in ``ReviewerProgress``: ``recount`` rewrites a reviewer's row from the assignments
and reviews, in the transaction that changed them, with the row locked first (two reviews of
one reviewer submitted at once: the second recount waits for the first to commit, then counts
both). Every write reaches it: a single assignment or review saved anywhere (a signal, below),
and the bulk writes (assignment, superseded rounds, generated reviews) by calling
``recount`` for what they changed.
"""

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Assignment, Review, ReviewerProgress


def progress_annotations(prefix=""):
    """Counts of active assignments (``prefix``: the path to them from the model counted on)."""
    active = Q(**{f"{prefix}state": Assignment.State.ACTIVE})
    counted = f"{prefix}pk"
    return {
        "assigned": Count(counted, filter=active),
        "submitted": Count(counted, filter=active & Q(**{f"{prefix}review__state": Review.State.SUBMITTED})),
        "drafts": Count(counted, filter=active & Q(**{f"{prefix}review__state": Review.State.DRAFT})),
    }


def counted_progress(call_id, reviewer_ids=None):
    """{reviewer id: {assigned, submitted, drafts}} counted afresh from the assignments and
    reviews of the call (of the given reviewers only, when given)."""
    rows = Assignment.objects.filter(application__call_id=call_id)
    if reviewer_ids is not None:
        rows = rows.filter(reviewer_id__in=list(reviewer_ids))
    return {
        row.pop("reviewer_id"): row
        for row in rows.values("reviewer_id").annotate(**progress_annotations()).order_by()
    }


def recount(call_id, reviewer_ids=None):
    """Rewrite the kept progress of the given reviewers in the call (every reviewer with an
    assignment in it when None) from the assignments and reviews, their rows locked first."""
    with transaction.atomic():
        ids = (
            set(reviewer_ids)
            if reviewer_ids is not None
            else set(
                Assignment.objects.filter(application__call_id=call_id)
                .values_list("reviewer_id", flat=True)
                .distinct()
                .order_by()
            )
        )
        if not ids:
            return
        ReviewerProgress.objects.bulk_create(
            [ReviewerProgress(call_id=call_id, reviewer_id=pk) for pk in sorted(ids)], ignore_conflicts=True
        )
        kept = list(
            ReviewerProgress.objects.select_for_update()
            .filter(call_id=call_id, reviewer_id__in=ids)
            .order_by("reviewer_id")
        )
        counts = counted_progress(call_id, ids)
        changed = []
        for row in kept:
            fresh = counts.get(row.reviewer_id, {"assigned": 0, "submitted": 0, "drafts": 0})
            if (row.assigned, row.submitted, row.drafts) != (
                fresh["assigned"],
                fresh["submitted"],
                fresh["drafts"],
            ):
                row.assigned, row.submitted, row.drafts = (
                    fresh["assigned"],
                    fresh["submitted"],
                    fresh["drafts"],
                )
                changed.append(row)
        ReviewerProgress.objects.bulk_update(changed, ["assigned", "submitted", "drafts"])


def recount_applications(application_ids):
    """After a bulk change of the given applications' assignments or reviews: the progress of
    every reviewer assigned to them, in their calls."""
    pairs = (
        Assignment.objects.filter(application_id__in=list(application_ids))
        .values_list("application__call_id", "reviewer_id")
        .distinct()
        .order_by()
    )
    per_call = {}
    for call_id, reviewer_id in pairs:
        per_call.setdefault(call_id, set()).add(reviewer_id)
    for call_id, reviewer_ids in sorted(per_call.items()):
        recount(call_id, reviewer_ids)


@receiver(post_save, sender=Assignment, dispatch_uid="review_progress_assignment")
def _assignment_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        recount(_call_of(instance.application_id), [instance.reviewer_id])


@receiver(post_save, sender=Review, dispatch_uid="review_progress_review")
def _review_saved(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    # Progress counts a review by its state alone: a save naming the columns it wrote, the state
    # not among them (a draft's scores saved again), leaves every count as it was.
    if raw or (not created and update_fields is not None and "state" not in update_fields):
        return
    call_id, reviewer_id = (
        Assignment.objects.filter(pk=instance.assignment_id)
        .values_list("application__call_id", "reviewer_id")
        .get()
    )
    recount(call_id, [reviewer_id])


def _call_of(application_id):
    from projects.models import Application

    return Application.objects.values_list("call_id", flat=True).get(pk=application_id)
