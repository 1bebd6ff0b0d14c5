"""Scoring and ranking (DESIGN.md §3 "Scoring"): pure functions over plain snapshots.

An adapter builds one ``Candidate`` per eligible application (reviewer totals already weighted,
the points of the top and the thresholded criteria per review, the bonus points granted) and a
``ScoringPlan`` from the Call's evaluation plan; ``score`` turns a candidate into a ``Scored``
and ``rank`` orders them best first. No ORM here, and nothing user-facing.

Arithmetic is exact: sums and differences of Decimals are exact, a mean is divided with
ROUND_05UP at 40 digits (so the single half-up rounding to 2 decimals at the end is the same as
rounding the exact quotient), and nothing is rounded before the end.

Speed: a national call ranks 20,000 applications, so the per-candidate path is kept short (the
plan's settings are bound once per run in ``_scorer``, and keys are built in one expression).
A preview reads each application's scores from its score sheet (``evaluation.score_sheets``),
which the database computes by this rule when its review completes (tested equal to ``score``).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_05UP, ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter

TWO_PLACES = Decimal("0.01")
ZERO = Decimal("0.00")

# Division for means: 40 digits rounded "to odd" (ROUND_05UP), so that quantizing the quotient
# half-up to 2 decimals gives the correctly rounded exact mean (no double rounding). Explicit
# contexts keep the results independent of the thread's decimal context.
_divide = Context(prec=40, rounding=ROUND_05UP).divide
_quantize_half_up = Context(prec=40, rounding=ROUND_HALF_UP).quantize


def round_half_up(value: Decimal) -> Decimal:
    """``value`` rounded half-up (away from zero on a tie) to 2 decimals."""
    return _quantize_half_up(value, TWO_PLACES)


class Aggregation(StrEnum):
    TRIMMED_MEAN = "trimmed_mean"
    MEAN = "mean"
    MEDIAN = "median"


AGGREGATIONS = tuple(a.value for a in Aggregation)


def _mean(values: Sequence[Decimal], trim_at: int) -> Decimal:
    return _quantize_half_up(_divide(sum(values), len(values)), TWO_PLACES)


def _trimmed_mean(values: Sequence[Decimal], trim_at: int) -> Decimal:
    n = len(values)
    if n < trim_at:
        return _quantize_half_up(_divide(sum(values), n), TWO_PLACES)
    # Drop exactly one highest and one lowest value, even when tied.
    ordered = sorted(values)
    return _quantize_half_up(_divide(sum(ordered[1:-1]), n - 2), TWO_PLACES)


def _median(values: Sequence[Decimal], trim_at: int) -> Decimal:
    ordered = sorted(values)
    middle, odd = divmod(len(ordered), 2)
    if odd:
        return _quantize_half_up(ordered[middle], TWO_PLACES)
    return _quantize_half_up(_divide(ordered[middle - 1] + ordered[middle], 2), TWO_PLACES)


_AGGREGATORS: dict[str, Callable[[Sequence[Decimal], int], Decimal]] = {
    Aggregation.TRIMMED_MEAN: _trimmed_mean,
    Aggregation.MEAN: _mean,
    Aggregation.MEDIAN: _median,
}


def _check_method(method: str, trim_at: int) -> Callable[[Sequence[Decimal], int], Decimal]:
    try:
        aggregator = _AGGREGATORS[method]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}.") from None
    if method == Aggregation.TRIMMED_MEAN and trim_at < 3:
        raise ValueError(
            f"trim_at must be at least 3 (got {trim_at}): trimming must leave a value to average."
        )
    return aggregator


def aggregate(values: Sequence[Decimal], method: str = "trimmed_mean", trim_at: int = 5) -> Decimal | None:
    """The values aggregated by ``method``, rounded half-up to 2 decimals; None without values.

    ``trimmed_mean``: with ``trim_at`` or more values drop one highest and one lowest (only one
    each, even when tied) and average the rest; with fewer, the plain mean. ``mean``: the plain
    mean. ``median``: the middle value, or the mean of the two middle values for an even count.
    Unknown methods, and ``trim_at`` below 3 for the trimmed mean, raise ValueError.
    """
    aggregator = _check_method(method, trim_at)
    if not values:
        return None
    return aggregator(values, trim_at)


# -- Plan, candidate, scored -------------------------------------------------------------------

TOP_CRITERION = "top_criterion"
SME_LEAD = "sme_lead"
LOWER_SUBSIDY = "lower_subsidy"
EARLIER_SUBMISSION = "earlier_submission"
LOWER_REFERENCE = "lower_reference"
TIE_BREAKS = (TOP_CRITERION, SME_LEAD, LOWER_SUBSIDY, EARLIER_SUBMISSION, LOWER_REFERENCE)


def _check_tie_breaks(tie_breaks: Iterable[str]) -> tuple[str, ...]:
    if isinstance(tie_breaks, str):
        raise ValueError("tie_breaks must be a sequence of tie-break names, not one string.")
    names = tuple(tie_breaks)
    unknown = [name for name in names if name not in TIE_BREAKS]
    if unknown:
        raise ValueError(
            f"Unknown tie-breaks: {', '.join(map(repr, unknown))}; use: {', '.join(TIE_BREAKS)}."
        )
    return names


@dataclass(frozen=True)
class ScoringPlan:
    method: str = Aggregation.TRIMMED_MEAN.value
    trim_at: int = 5
    cutoff: Decimal = Decimal("70.00")  # applies to the evaluation score, before bonus
    bonus_cap: Decimal = Decimal("5")
    top_criterion_id: int | None = None  # the criterion with the most points (first in plan order)
    thresholds: Mapping[int, Decimal] = field(default_factory=dict)  # criterion id -> minimum
    tie_breaks: tuple[str, ...] = TIE_BREAKS

    def __post_init__(self):
        _check_method(self.method, self.trim_at)
        object.__setattr__(self, "tie_breaks", _check_tie_breaks(self.tie_breaks))


@dataclass(frozen=True)
class Candidate:
    application_id: int
    reference: str
    track_id: int
    field_id: int | None  # None for calls without service fields
    requested_subsidy: int  # KRW
    reviewer_totals: tuple[Decimal, ...]  # one per submitted review, already weighted
    criterion_points: Mapping[int, tuple[Decimal, ...]] = field(default_factory=dict)  # id -> per review
    bonus_points: tuple[Decimal, ...] = ()  # the points of the bonus rules granted
    lead_is_sme: bool = False
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    evaluation_score: Decimal | None  # aggregate of the reviewer totals; None without reviews
    bonus: Decimal  # sum of the bonus points, capped at the plan's bonus cap
    final_score: Decimal | None  # evaluation score + bonus
    top_criterion_score: Decimal | None  # aggregate of the top criterion's points, same method
    below_cutoff: bool  # no reviews, evaluation score < cutoff, or a criterion under its threshold


def _scorer(plan: ScoringPlan, *, top_when_below: bool = True) -> Callable[[Candidate], tuple]:
    """candidate -> (evaluation score, bonus, final score, top-criterion score, below cutoff).

    The plan's settings are bound once here; ``score`` and ``selection.select`` share this
    (``select`` skips the top-criterion score of applications under the cutoff: they are not
    ranked). A thresholded criterion without points for the candidate counts as under its
    threshold.
    """
    aggregator = _check_method(plan.method, plan.trim_at)
    trim_at, cutoff, cap, top = plan.trim_at, plan.cutoff, plan.bonus_cap, plan.top_criterion_id
    thresholds = tuple(plan.thresholds.items())
    quantize, two_places, zero = _quantize_half_up, TWO_PLACES, ZERO

    def score_values(candidate: Candidate) -> tuple:
        totals = candidate.reviewer_totals
        evaluation = aggregator(totals, trim_at) if totals else None
        bonus_points = candidate.bonus_points
        if bonus_points:
            bonus = sum(bonus_points)
            bonus = quantize(cap if bonus > cap else bonus, two_places)
        else:
            bonus = zero
        # Both terms have 2 decimals, so the sum is exact (the same as rounding after adding).
        final = None if evaluation is None else evaluation + bonus
        below = evaluation is None or evaluation < cutoff
        points = candidate.criterion_points
        top_score = None
        if top is not None and (top_when_below or not below):
            top_points = points.get(top)
            if top_points:
                top_score = aggregator(top_points, trim_at)
        if thresholds and not below:
            for criterion_id, minimum in thresholds:
                if criterion_id == top:
                    value = top_score
                else:
                    criterion_points = points.get(criterion_id)
                    value = aggregator(criterion_points, trim_at) if criterion_points else None
                if value is None or value < minimum:
                    below = True
                    break
        return evaluation, bonus, final, top_score, below

    return score_values


def score(candidate: Candidate, plan: ScoringPlan) -> Scored:
    """Score one candidate under ``plan``.

    evaluation score: the reviewer totals aggregated by the plan's method (None without reviews);
    bonus: the bonus points summed and capped; final score: evaluation score + bonus; top-criterion
    score: the top criterion's points aggregated the same way; below cutoff: no reviews, or the
    evaluation score (before bonus) under the cutoff, or a thresholded criterion's aggregate under
    its minimum (or missing).
    """
    return Scored(candidate, *_scorer(plan)(candidate))


def from_hundredths(hundredths: int) -> Decimal:
    """Hundredths back to a Decimal with 2 places (79.25, 80.00): how a database returns a
    score exactly, whether it stores decimals as floats (SQLite) or not."""
    return Decimal(hundredths).scaleb(-2)


# -- Ranking -----------------------------------------------------------------------------------
# A key is a flat tuple that sorts ascending = best first. It is built whole, in one expression
# (a run builds 20,000 keys), and an itemgetter then keeps the parts the tie-break order asks
# for, in that order. Scores are negated; a missing value is a (True, 0) pair, which sorts after
# every (False, value) pair.

_FULL_KEY_SLOTS = {  # positions in the full key, after the final score's (0, 1)
    TOP_CRITERION: (2, 3),
    SME_LEAD: (4,),
    LOWER_SUBSIDY: (5,),
    EARLIER_SUBMISSION: (6, 7),
    LOWER_REFERENCE: (8,),
}
_APPLICATION_ID_SLOT = 9


def _full_key(final: Decimal | None, top: Decimal | None, c: Candidate) -> tuple:
    submitted_at = c.submitted_at
    return (
        final is None,
        0 if final is None else -final,
        top is None,
        0 if top is None else -top,
        not c.lead_is_sme,
        c.requested_subsidy,
        submitted_at is None,
        0 if submitted_at is None else submitted_at,
        c.reference,
        c.application_id,
    )


@lru_cache(maxsize=32)
def _key_builder(tie_breaks: tuple[str, ...]) -> Callable[[Decimal | None, Decimal | None, Candidate], tuple]:
    """A function (final score, top-criterion score, candidate) -> ranking key for this order."""
    slots = [0, 1]
    for name in _check_tie_breaks(tie_breaks):
        slots.extend(_FULL_KEY_SLOTS[name])
    slots.append(_APPLICATION_ID_SLOT)  # makes the order total, whatever the ties
    if slots == list(range(_APPLICATION_ID_SLOT + 1)):
        return _full_key
    pick = itemgetter(*slots)
    return lambda final, top, c: pick(_full_key(final, top, c))


def ranking_key(scored: Scored, tie_breaks: Sequence[str]) -> tuple:
    """A sort key, best first: final score (higher first), then the tie-breaks in order.

    ``top_criterion``: higher top-criterion score first (none last); ``sme_lead``: SME lead
    first; ``lower_subsidy``: lower requested subsidy first; ``earlier_submission``: earlier
    first (none last); ``lower_reference``: lower reference first (string order). The
    application id breaks any tie left, so the order is total. Unknown names raise ValueError.
    """
    build = _key_builder(_check_tie_breaks(tie_breaks))
    return build(scored.final_score, scored.top_criterion_score, scored.candidate)


def rank(scored: Iterable[Scored], tie_breaks: Sequence[str]) -> list[Scored]:
    """The scored applications best first, in a deterministic total order."""
    build = _key_builder(_check_tie_breaks(tie_breaks))
    return sorted(scored, key=lambda s: build(s.final_score, s.top_criterion_score, s.candidate))
