"""Review rounds and the reviews that count (DESIGN.md §3, invariants):

    Only current-round reviews count, and an application is scored only with at least the
    stage's minimum number of them.

Round 1 is an application's first review; an upheld objection supersedes the current round
(its assignments become PAST: their reviews stay on record, never deleted, but never count
again) and opens the next, whose reviewers are assigned with its number. Which reviews count is
defined once, by ``Review.objects.counted()`` (and its SQL twin ``counted_reviews_sql``); the
minimum is the evaluation plan's ``minimum_reviews``, or in a call evaluated in stages the current
stage's, counting that stage's reviews only (``review_requirements``). ``refuse_unless_enough_reviews`` checks
the invariant inside the transaction of the one write that scores applications
(``reviewing.complete_reviews``), with their rows locked.
"""

from collections import Counter
from typing import NamedTuple

from django.db.models import Count
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused

from .models import Assignment, EvaluationPlan, Review, Stage
from .review_progress import recount_applications


def current_round(application_id):
    """The application's current review round (1 before any reviewer is assigned)."""
    return Assignment.objects.filter(application_id=application_id).current_rounds().get(application_id, 1)


def supersede_round(application_id):
    """An upheld objection: the current round's assignments are superseded (their reviews stay
    on record and no longer count) and the next round opens. Returns its number. Recusals stay
    recorded as such (with their round). The caller holds the application's row lock."""
    superseded = current_round(application_id)
    Assignment.objects.filter(
        application_id=application_id, round=superseded, state=Assignment.State.ACTIVE
    ).update(state=Assignment.State.PAST)
    recount_applications([application_id])
    return superseded + 1


def counted_reviews(application_ids):
    """{application id: the number of its reviews that count} (0 when none), in one query."""
    ids = list(application_ids)
    counts = dict.fromkeys(ids, 0)
    rows = (
        Review.objects.counted()
        .filter(application_id__in=ids)
        .order_by()
        .values_list("application_id")
        .annotate(n=Count("pk"))
    )
    counts.update(rows)
    return counts


def minimum_reviews_by_call(call_ids):
    """{call id: the plan's minimum number of counted reviews to score an application}."""
    return dict(
        EvaluationPlan.objects.filter(call_id__in=set(call_ids)).values_list("call_id", "minimum_reviews")
    )


class Requirement(NamedTuple):
    """Where an application stands against the minimum: the reviews that count in the stage it
    is reviewed in now (``stage``; None for a call without stages, whose plan is its only
    stage), and that stage's minimum (the plan's without stages; None without a plan)."""

    counted: int
    minimum: int | None
    stage: object = None

    @property
    def met(self):
        return self.minimum is not None and self.counted >= self.minimum


def review_requirements(applications):
    """{application id: its Requirement} for ``applications`` (objects with pk and call_id). In
    a call evaluated in stages only the reviews of the application's current stage count, against
    that STAGE's minimum; another stage's reviews neither count nor make up for missing ones.
    Three queries, and two more per call evaluated in stages."""
    from .stage_runs import current_stages

    applications = list(applications)
    call_ids = {a.call_id for a in applications}
    minimums = minimum_reviews_by_call(call_ids)
    stage_of = {}
    for call_id in set(
        Stage.objects.filter(plan__call_id__in=call_ids).values_list("plan__call_id", flat=True)
    ):
        stage_of.update(current_stages(call_id, [a.pk for a in applications if a.call_id == call_id]))
    counts = Counter()
    rows = (
        Review.objects.counted()
        .filter(application_id__in=[a.pk for a in applications])
        .order_by()
        .values_list("application_id", "assignment__stage_id")
        .annotate(n=Count("pk"))
    )
    for application_id, stage_id, n in rows:
        counts[application_id, stage_id] += n
    requirements = {}
    for application in applications:
        stage = stage_of.get(application.pk)
        if stage is None:
            requirements[application.pk] = Requirement(
                counts[application.pk, None], minimums.get(application.call_id)
            )
        else:
            requirements[application.pk] = Requirement(
                counts[application.pk, stage.pk], stage.minimum_reviews, stage
            )
    return requirements


def lacking_reviews(applications):
    """``applications`` (objects with pk, reference and call_id) that may not be scored yet:
    [(application, reviews that count, the minimum, the stage or None)] in the order given; the
    minimum is the current stage's (the plan's without stages), None when the call has no
    evaluation plan."""
    applications = list(applications)
    requirements = review_requirements(applications)
    return [
        (application, *requirements[application.pk])
        for application in applications
        if not requirements[application.pk].met
    ]


def lacking_reason(application, counted, minimum, stage=None):
    if minimum is None:
        return _("%(reference)s: the call has no evaluation plan, so it cannot be scored.") % {
            "reference": application.reference
        }
    if stage is not None:
        return _(
            "%(reference)s: %(counted)d review(s) of its current round submitted in %(stage)s; the stage"
            " needs at least %(minimum)d to score it."
        ) % {"reference": application.reference, "counted": counted, "minimum": minimum, "stage": stage}
    return _(
        "%(reference)s: %(counted)d review(s) of its current round submitted; the evaluation plan"
        " needs at least %(minimum)d to score it."
    ) % {"reference": application.reference, "counted": counted, "minimum": minimum}


def refuse_unless_enough_reviews(applications):
    """The invariant, checked by every write that scores applications (inside its transaction,
    the applications' rows locked): raises TransitionRefused with one reason per application
    short of its stage's (or the plan's) minimum of counted reviews."""
    lacking = lacking_reviews(applications)
    if lacking:
        raise TransitionRefused([lacking_reason(*row) for row in lacking])
