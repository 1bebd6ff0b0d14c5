"""Stages (DESIGN.md §3 "Stages"): a stage's score, advancement to the next stage, and the final
score of a call evaluated in stages. Pure functions over plain snapshots; no ORM here.

Each stage's evaluation score is ``scoring.score`` of the application's current-round reviews of
that stage under the stage's own ``ScoringPlan`` (its criteria, its cutoff; no bonus: bonus
points are added to the final score only), so a stage is scored by the one definition.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import NamedTuple

from django.utils.translation import gettext, gettext_lazy

from evaluation.scoring import Candidate, ScoringPlan, _key_builder, aggregate, round_half_up, score

HASH_SCHEMA = "gongmo-advancement/2"  # bump when the canonical form or the rules change


class Rule(StrEnum):  # the values of evaluation.models.AdvancementRule
    TOP_N = "top_n"
    MULTIPLE = "multiple"
    CUTOFF = "cutoff"


class Outcome(StrEnum):
    ADVANCED = "advanced"
    ELIMINATED = "eliminated"
    # Not decided: fewer reviews of the stage count than its minimum. Never recorded: a run with
    # one is refused with the reason (evaluation.stage_runs), as a review short of the minimum is
    # never scored (evaluation.review_rounds).
    HELD = "held"


class Reason(StrEnum):
    ADVANCED = "advanced"
    BELOW_CUTOFF = "below_cutoff"
    NOT_ADVANCED = "not_advanced"
    NO_SHOW = "no_show"  # evaluation.no_shows: did not attend the scheduled slot
    TOO_FEW_REVIEWS = "too_few_reviews"  # Outcome.HELD: short of the stage's minimum of reviews


REASON_LABELS = {
    Reason.ADVANCED: gettext_lazy("Advanced to the next stage"),
    Reason.BELOW_CUTOFF: gettext_lazy("Stage score below the stage's cutoff"),
    Reason.NOT_ADVANCED: gettext_lazy("Ranked below the places advancing in its field"),
    Reason.NO_SHOW: gettext_lazy("Did not attend its scheduled slot"),
    Reason.TOO_FEW_REVIEWS: gettext_lazy("Fewer reviews of the stage than its minimum: not decided"),
}


@dataclass(frozen=True)
class Advancement:
    """How many of each field advance: ``rule`` with its ``count`` (top N) or ``multiple`` (of
    the field's maximum awards, ``field_places``, rounded up). A field missing from
    ``field_places`` (or no field) takes the call's maximum awards, ``call_places``."""

    rule: str
    field_places: Mapping[int | None, int]
    call_places: int
    count: int | None = None
    multiple: Decimal | None = None

    def places(self, field_id) -> int | None:
        """N for the field, or None when everyone at or above the cutoff advances."""
        if self.rule == Rule.TOP_N:
            return self.count
        if self.rule == Rule.MULTIPLE:
            places = self.field_places.get(field_id, self.call_places)
            return int((self.multiple * places).to_integral_value(rounding=ROUND_CEILING))
        if self.rule == Rule.CUTOFF:
            return None
        raise ValueError(f"Unknown advancement rule {self.rule!r}; use one of {', '.join(Rule)}.")


class StageResult(NamedTuple):
    application_id: int
    reference: str
    field_id: int | None
    stage_score: Decimal | None
    top_criterion_score: Decimal | None
    field_rank: int | None  # 1.. among the field's applications at or above the cutoff
    outcome: str
    reason: str
    margin: Decimal | None  # points below the cutoff, or below the last advancing score
    field_advancing: int | None  # how many of the field advanced (not_advanced only)
    last_advancing_score: Decimal | None  # the field's last advancing score (not_advanced only)


def _shortfall(candidate: Candidate, plan: ScoringPlan, evaluation: Decimal | None) -> Decimal:
    """How far below the stage's bar a below-cutoff application is: the cutoff minus its score,
    or (when a thresholded criterion failed) the most any criterion fell short of its minimum."""
    if evaluation is None:
        return plan.cutoff
    margins = [plan.cutoff - evaluation]
    for criterion_id, minimum in plan.thresholds.items():
        value = aggregate(candidate.criterion_points.get(criterion_id, ()), plan.method, plan.trim_at)
        margins.append(minimum - (value if value is not None else Decimal(0)))
    return round_half_up(max(margins))


def short_of_minimum(candidates: Iterable[Candidate], minimum_reviews: int) -> list[Candidate]:
    """The candidates with fewer reviews that count than the stage's minimum (they are not
    scored), by reference."""
    return sorted(
        (c for c in candidates if len(c.reviewer_totals) < minimum_reviews),
        key=lambda c: (c.reference, c.application_id),
    )


def advance(
    candidates: Iterable[Candidate], plan: ScoringPlan, advancement: Advancement, minimum_reviews: int = 0
) -> list[StageResult]:
    """One result per candidate at this stage. A candidate with fewer reviews (of the stage, that
    count) than the stage's ``minimum_reviews`` is not scored: it is held (``too_few_reviews``,
    margin = the reviews missing), takes no place and is listed last, by reference. Of the
    others, below the stage's cutoff eliminated
    (``below_cutoff``, margin = how far below); the rest ranked by the stage score with the
    plan's tie-breaks (the stage's top criterion first) and, in each service field, the first N
    advance and the others are eliminated (``not_advanced``, margin = the last advancing score
    minus theirs). Candidates carry no bonus here. Results: field by field (no field first),
    ranked ones in rank order, then the below-cutoff ones by score and reference."""
    candidates = list(candidates)
    ids = [c.application_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("Duplicate application ids.")
    key = _key_builder(plan.tie_breaks)
    ranked: dict[int | None, list] = {}
    below: list = []
    held = short_of_minimum(candidates, minimum_reviews)
    short = {c.application_id for c in held}
    for candidate in candidates:
        if candidate.application_id in short:
            continue
        scored = score(candidate, plan)
        if scored.below_cutoff:
            below.append(scored)
        else:
            ranked.setdefault(candidate.field_id, []).append(
                (key(scored.evaluation_score, scored.top_criterion_score, candidate), scored)
            )
    results = []
    for field_id in sorted(ranked, key=lambda f: (f is not None, f or 0)):
        entries = [scored for _key, scored in sorted(ranked[field_id], key=lambda entry: entry[0])]
        places = advancement.places(field_id)
        advancing = entries if places is None else entries[:places]
        last = advancing[-1].evaluation_score if advancing else None
        for position, scored in enumerate(entries, 1):
            c = scored.candidate
            if places is None or position <= places:
                row = (Outcome.ADVANCED, Reason.ADVANCED, None, None, None)
            else:
                margin = None if last is None else last - scored.evaluation_score  # None: no place at all
                row = (Outcome.ELIMINATED, Reason.NOT_ADVANCED, margin, len(advancing), last)
            results.append(
                StageResult(
                    c.application_id,
                    c.reference,
                    field_id,
                    scored.evaluation_score,
                    scored.top_criterion_score,
                    position,
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                )
            )
    below.sort(
        key=lambda s: (
            s.evaluation_score is None,
            -(s.evaluation_score or 0),
            s.candidate.reference,
            s.candidate.application_id,
        )
    )
    for scored in below:
        c = scored.candidate
        results.append(
            StageResult(
                c.application_id,
                c.reference,
                c.field_id,
                scored.evaluation_score,
                scored.top_criterion_score,
                None,
                Outcome.ELIMINATED,
                Reason.BELOW_CUTOFF,
                _shortfall(c, plan, scored.evaluation_score),
                None,
                None,
            )
        )
    for c in held:
        results.append(
            StageResult(c.application_id, c.reference, c.field_id, None, None, None, Outcome.HELD,
                        Reason.TOO_FEW_REVIEWS, Decimal(minimum_reviews - len(c.reviewer_totals)), None, None)
        )  # fmt: skip
    return results


def final_score(stage_scores: Sequence[Decimal], weights: Sequence[Decimal] | None) -> Decimal:
    """The final score before bonus: the weighted sum of the rounded stage scores (weights in
    percent, adding up to 100), rounded half-up to 2 decimals; with ``weights`` None, the last
    stage's score alone."""
    if weights is None:
        return stage_scores[-1]
    if len(weights) != len(stage_scores):
        raise ValueError("One weight per stage score.")
    if sum(weights) != 100:
        raise ValueError(f"The stage weights add up to {sum(weights)}; they must add up to 100.")
    exact = sum((Decimal(w) * s for w, s in zip(weights, stage_scores, strict=True)), Decimal(0))
    return round_half_up(exact / 100)


def margin_text(result) -> str:
    """The margin in plain words: "0.37 points below the cutoff", or "12th in the field, 10
    advanced; the last advancing scored 81.20". ``result`` has the fields of a StageResult."""
    if result.reason == Reason.BELOW_CUTOFF:
        return gettext("%(margin)s points below the cutoff") % {"margin": result.margin}
    if result.reason == Reason.NOT_ADVANCED:
        return gettext(
            "no. %(rank)d in its field, %(advancing)d advanced; the last advancing scored %(last)s"
        ) % {
            "rank": result.field_rank,
            "advancing": result.field_advancing,
            "last": result.last_advancing_score,
        }
    if result.reason == Reason.NO_SHOW:
        return gettext("did not attend its scheduled slot")
    if result.reason == Reason.TOO_FEW_REVIEWS:
        return gettext("%(missing)s review(s) short of the stage's minimum") % {"missing": int(result.margin)}
    return ""


def inputs_hash(
    candidates: Iterable[Candidate], plan: ScoringPlan, advancement: Advancement, minimum_reviews: int = 0
) -> str:
    """SHA-256 (hex) of the canonical inputs of an advancement: the same inputs give the same
    hash, in any order. Candidates are written as selection writes them (one canonical form)."""
    from evaluation.selection import _candidate_json, _pairs

    candidates = sorted(candidates, key=lambda c: c.application_id)
    settings = {
        "plan": {
            "method": str(plan.method),
            "trim_at": plan.trim_at,
            "cutoff": str(plan.cutoff),
            "top_criterion_id": plan.top_criterion_id,
            "thresholds": _pairs(plan.thresholds, str),
            "tie_breaks": [str(name) for name in plan.tie_breaks],
        },
        "advancement": {
            "rule": str(advancement.rule),
            "count": advancement.count,
            "multiple": None if advancement.multiple is None else str(advancement.multiple),
            "field_places": _pairs(advancement.field_places, int),
            "call_places": advancement.call_places,
        },
        "minimum_reviews": minimum_reviews,
        "schema": HASH_SCHEMA,
    }
    text = (
        '{"candidates":['
        + ",".join(map(_candidate_json, candidates))
        + "],"
        + json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=True)[1:]
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()
