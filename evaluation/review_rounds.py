"""Review rounds and the reviews that count (DESIGN.md §3, invariants):

    Only current-round reviews count, and an application is scored only with at least the
    stage's minimum number of them.

Round 1 is an application's first review; an upheld objection supersedes the current round
(its assignments become PAST: their reviews stay on record, never deleted, but never count
again) and opens the next, whose reviewers are assigned with its number. Which reviews count is
defined once, by ``Review.objects.counted()`` (and its SQL twin ``counted_reviews_sql``); the
minimum is the evaluation plan's ``minimum_reviews``. ``refuse_unless_enough_reviews`` checks
the invariant inside the transaction of the one write that scores applications
(``reviewing.complete_reviews``), with their rows locked.
"""

from django.db.models import Count
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused

from .models import Assignment, EvaluationPlan, Review


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


def lacking_reviews(applications):
    """``applications`` (objects with pk, reference and call_id) that may not be scored yet:
    [(application, reviews that count, the plan's minimum)] in the order given; the minimum is
    None when the call has no evaluation plan. Two queries, whatever the number."""
    applications = list(applications)
    counts = counted_reviews(a.pk for a in applications)
    minimums = minimum_reviews_by_call(a.call_id for a in applications)
    lacking = []
    for application in applications:
        minimum = minimums.get(application.call_id)
        if minimum is None or counts[application.pk] < minimum:
            lacking.append((application, counts[application.pk], minimum))
    return lacking


def lacking_reason(application, counted, minimum):
    if minimum is None:
        return _("%(reference)s: the call has no evaluation plan, so it cannot be scored.") % {
            "reference": application.reference
        }
    return _(
        "%(reference)s: %(counted)d review(s) of its current round submitted; the evaluation plan"
        " needs at least %(minimum)d to score it."
    ) % {"reference": application.reference, "counted": counted, "minimum": minimum}


def refuse_unless_enough_reviews(applications):
    """The invariant, checked by every write that scores applications (inside its transaction,
    the applications' rows locked): raises TransitionRefused with one reason per application
    short of the plan's minimum of counted reviews."""
    lacking = lacking_reviews(applications)
    if lacking:
        raise TransitionRefused([lacking_reason(*row) for row in lacking])
