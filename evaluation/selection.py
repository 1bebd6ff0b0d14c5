"""Selection within quotas and budget (DESIGN.md §3 "Selection"): pure and deterministic.

``select`` scores and ranks the candidates (``evaluation.scoring``), walks the ranking from the
top and gives every candidate exactly one ``Result`` with an outcome and a reason code.
``inputs_hash`` fingerprints the inputs of a run so that a SelectionRun can be reproduced, and
``promote_after_decline`` hands a declined place to the best reserve that fits. No ORM here.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from enum import StrEnum
from functools import partial
from json.encoder import encode_basestring_ascii as _json_string
from operator import attrgetter, itemgetter
from typing import NamedTuple

from django.utils.translation import gettext_lazy, ngettext

from evaluation.scoring import (
    Candidate,
    ScoringPlan,
    _key_builder,
    _scorer,
)

_application_id = attrgetter("application_id")
_first = itemgetter(0)
HASH_SCHEMA = "gongmo-selection/2"  # bump when the canonical form or the rules change


class Outcome(StrEnum):
    SELECTED = "selected"
    RESERVE = "reserve"
    NOT_SELECTED = "not_selected"
    BELOW_CUTOFF = "below_cutoff"
    DECLINED = "declined"


class Reason(StrEnum):
    SELECTED = "selected"
    FIELD_QUOTA_FULL = "field_quota_full"
    TRACK_QUOTA_FULL = "track_quota_full"
    CALL_QUOTA_FULL = "call_quota_full"
    BUDGET_EXHAUSTED = "budget_exhausted"
    BELOW_CUTOFF = "below_cutoff"
    DECLINED = "declined"
    INELIGIBLE_REQUEST = "ineligible_request"
    PROMOTED = "promoted"  # a reserve given the place a selected applicant declined
    NO_SHOW = "no_show"  # eliminated at the last stage for not attending (evaluation.no_shows)


REASON_LABELS = {
    Reason.SELECTED: gettext_lazy("Selected within every maximum and the budget"),
    Reason.FIELD_QUOTA_FULL: gettext_lazy("Its service field is full"),
    Reason.TRACK_QUOTA_FULL: gettext_lazy("Its track is full"),
    Reason.CALL_QUOTA_FULL: gettext_lazy("The call's maximum number of awards is reached"),
    Reason.BUDGET_EXHAUSTED: gettext_lazy("The remaining budget does not cover the request"),
    Reason.BELOW_CUTOFF: gettext_lazy("Evaluation score below the cutoff"),
    Reason.DECLINED: gettext_lazy("Declined"),
    Reason.INELIGIBLE_REQUEST: gettext_lazy("The request is outside the subsidy range of its track"),
    Reason.PROMOTED: gettext_lazy("Promoted from the reserve list"),
    Reason.NO_SHOW: gettext_lazy("Did not attend its scheduled slot"),
}


@dataclass(frozen=True)
class Quotas:
    """The call's maximum awards and budget; a track or field missing from its mapping has no
    maximum of its own (the call's maximum still applies). ``field_max`` may key None: the
    group of applications without a service field. ``subsidy_range`` maps a track to the
    (minimum, maximum) subsidy the call's rules allow a task of it: a request outside it is never
    selected (reason ``ineligible_request``); a track missing from it has no range checked."""

    call_max: int
    budget: int  # KRW
    track_max: Mapping[int, int]
    field_max: Mapping[int | None, int]
    reserve_per_field: int = 1
    subsidy_range: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self):
        numbers = {
            "call_max": self.call_max,
            "budget": self.budget,
            "reserve_per_field": self.reserve_per_field,
        }
        numbers.update({f"track_max[{k}]": v for k, v in self.track_max.items()})
        numbers.update({f"field_max[{k}]": v for k, v in self.field_max.items()})
        for k, (low, high) in self.subsidy_range.items():
            numbers.update({f"subsidy_range[{k}] minimum": low, f"subsidy_range[{k}] maximum": high})
        for name, value in numbers.items():
            if value < 0:
                raise ValueError(f"{name} must not be negative (got {value}).")


class Result(NamedTuple):
    application_id: int
    reference: str
    track_id: int
    field_id: int | None
    requested_subsidy: int
    evaluation_score: Decimal | None
    bonus: Decimal
    final_score: Decimal | None
    rank: int | None  # 1.. for ranked (above-cutoff) applications, None below the cutoff
    outcome: str
    reason: str


# A Result's values read from a plain tuple (what a kept preview holds, 20,000 of them).
result_outcome = itemgetter(Result._fields.index("outcome"))
result_field = itemgetter(Result._fields.index("field_id"))


class Room:
    """What is left under the call's maxima and its budget as places are taken: the one room
    check, used by the walk and by the promotion after a decline."""

    __slots__ = ("call_count", "field_count", "field_max", "quotas", "remaining", "track_count", "track_max")

    def __init__(self, quotas: Quotas):
        self.quotas = quotas
        self.field_max, self.track_max = quotas.field_max, quotas.track_max
        self.field_count: dict[int | None, int] = {}
        self.track_count: dict[int, int] = {}
        self.call_count = 0
        self.remaining = quotas.budget

    def refusal(self, track_id, field_id, subsidy) -> Reason | None:
        """The first constraint without room for this application (field, track, call,
        budget), or None when it fits."""
        limit = self.field_max.get(field_id)
        if limit is not None and self.field_count.get(field_id, 0) >= limit:
            return Reason.FIELD_QUOTA_FULL
        limit = self.track_max.get(track_id)
        if limit is not None and self.track_count.get(track_id, 0) >= limit:
            return Reason.TRACK_QUOTA_FULL
        if self.call_count >= self.quotas.call_max:
            return Reason.CALL_QUOTA_FULL
        if subsidy > self.remaining:
            return Reason.BUDGET_EXHAUSTED
        return None

    def take(self, track_id, field_id, subsidy) -> None:
        self.field_count[field_id] = self.field_count.get(field_id, 0) + 1
        self.track_count[track_id] = self.track_count.get(track_id, 0) + 1
        self.call_count += 1
        self.remaining -= subsidy


class Shortfall(NamedTuple):
    """Fewer applications can be selected than the call's minimum number of awards."""

    minimum: int
    selected: int

    @property
    def reason(self) -> str:
        return ngettext(
            "Only %(selected)d application can be selected, fewer than the call's minimum of %(minimum)d awards: not enough applications passed the cutoff and fit the maximums and the budget.",
            "Only %(selected)d applications can be selected, fewer than the call's minimum of %(minimum)d awards: not enough applications passed the cutoff and fit the maximums and the budget.",
            self.selected,
        ) % {"selected": self.selected, "minimum": self.minimum}


def minimum_shortfall(results: Iterable[Result], minimum: int) -> Shortfall | None:
    """The call's minimum number of awards (DESIGN.md §3 "Selection") is a target the walk
    cannot force: a run reports, never hides, that fewer can be selected (None when enough are,
    or when the call sets no minimum)."""
    return shortfall(minimum, sum(1 for r in results if r.outcome == Outcome.SELECTED))


def shortfall(minimum: int, selected: int) -> Shortfall | None:
    """``minimum_shortfall`` when the selected applications were counted as they were written."""
    if not minimum:
        return None
    return Shortfall(minimum, selected) if selected < minimum else None


def request_refused(quotas: Quotas, track_id, subsidy) -> bool:
    """The call's rules refuse this request: outside its track's minimum and maximum."""
    bounds = quotas.subsidy_range.get(track_id)
    return bounds is not None and not bounds[0] <= subsidy <= bounds[1]


def _check_unique(candidates: Sequence[Candidate]) -> None:
    ids = {c.application_id for c in candidates}
    if len(ids) != len(candidates):
        seen, duplicates = set(), set()
        for c in candidates:
            (duplicates if c.application_id in seen else seen).add(c.application_id)
        raise ValueError(f"Duplicate application ids: {sorted(duplicates)}.")


def _below_key(final, candidate) -> tuple:
    return (final is None, 0 if final is None else -final, candidate.reference, candidate.application_id)


def select(candidates: Iterable[Candidate], plan: ScoringPlan, quotas: Quotas) -> list[Result]:
    """One Result per candidate: the ranked ones best first, then those below the cutoff.

    Walking the ranking from the top, an application is selected when its field, its track and
    the call each have room under their maximum and the remaining budget covers its requested
    subsidy; otherwise it is skipped with the first constraint that failed (field, track, call,
    budget) and the walk goes on. The best ``reserve_per_field`` skipped applications of each
    field (no field counts as one group) are reserves, the other skipped ones not selected; both
    keep their skip reason. Below-cutoff applications follow, by final score (highest first,
    none last) and reference, with rank None.
    """
    candidates = list(candidates)
    _check_unique(candidates)
    score_values = _scorer(plan, top_when_below=False)
    key = _key_builder(plan.tie_breaks)
    above: list[tuple] = []
    below: list[tuple] = []
    for candidate in candidates:
        evaluation, bonus, final, top, is_below = score_values(candidate)
        if is_below:
            below.append((_below_key(final, candidate), candidate, evaluation, bonus, final))
        else:
            above.append((key(final, top, candidate), candidate, evaluation, bonus, final))
    return _allocate(above, below, quotas)


def select_ranked(
    above: Sequence[tuple], below: Sequence[tuple], quotas: Quotas, *, plain: bool = False
) -> list[Result]:
    """``select`` for applications the database has already scored and ranked
    (``evaluation.score_sheets.ranked``): the ranked ones best first and those below the cutoff,
    as (application id, reference, track id, field id, requested subsidy, evaluation score,
    bonus, final score) rows. Walked the same way. ``plain``: each Result as a plain tuple (a
    preview keeps 20,000 of them in the cache: ``selection_runs.Preview``)."""
    return list(walk(above, below, quotas, plain=plain))


def _allocate(above: list[tuple], below: list[tuple], quotas: Quotas) -> list[Result]:
    """Sort and walk. ``above`` and ``below`` hold (sort key, candidate, evaluation score, bonus,
    final score). Keys are unique (they end with the application id): the order is total."""
    above.sort(key=_first)
    below.sort(key=_first)

    def rows(entries):
        return [
            (c.application_id, c.reference, c.track_id, c.field_id, c.requested_subsidy, ev, bonus, final)
            for _key, c, ev, bonus, final in entries
        ]

    return _walk(rows(above), rows(below), quotas)


def _walk(above: Sequence[tuple], below: Sequence[tuple], quotas: Quotas) -> list[Result]:
    return list(walk(above, below, quotas))


def walk(
    above: Iterable[tuple], below: Iterable[tuple], quotas: Quotas, *, plain: bool = False
) -> Iterator[Result]:
    """The walk of the ranking, one Result at a time. ``above`` (best first) and ``below`` (the
    cutoff's) hold (application id, reference, track id, field id, requested subsidy, evaluation
    score, bonus, final score); ``below`` is read only once ``above`` is walked, so both may be
    streams (a recorded run reads them from the database in chunks). A request the call's rules
    refuse is skipped (``ineligible_request``, never a reserve). ``plain``: plain tuples, not
    Results (the same values)."""
    selected_, reserve, not_selected = Outcome.SELECTED, Outcome.RESERVE, Outcome.NOT_SELECTED
    reserve_per_field = quotas.reserve_per_field
    room = Room(quotas)
    refusal, take = room.refusal, room.take
    ranges = quotas.subsidy_range
    reserves: dict[int | None, int] = {}
    # Result(...) without the keyword machinery (20,000 of them a run); tuple() of a tuple is
    # the tuple itself.
    make = tuple if plain else partial(tuple.__new__, Result)
    for position, row in enumerate(above, 1):
        track_id, field_id, subsidy = row[2], row[3], row[4]
        if ranges and request_refused(quotas, track_id, subsidy):
            yield make((*row, position, not_selected, Reason.INELIGIBLE_REQUEST))
            continue
        reason = refusal(track_id, field_id, subsidy)
        if reason is None:
            take(track_id, field_id, subsidy)
            outcome, reason = selected_, Reason.SELECTED
        else:
            held = reserves.get(field_id, 0)
            if held < reserve_per_field:
                reserves[field_id] = held + 1
                outcome = reserve
            else:
                outcome = not_selected
        yield make((*row, position, outcome, reason))

    below_cutoff, below_reason = Outcome.BELOW_CUTOFF, Reason.BELOW_CUTOFF
    for row in below:
        yield make((*row, None, below_cutoff, below_reason))


# -- Reproducibility ---------------------------------------------------------------------------


def _pairs(mapping: Mapping, convert) -> list:
    """A mapping as [key, value] pairs in key order (None first), so mixed keys still sort."""
    return [[k, convert(mapping[k])] for k in sorted(mapping, key=lambda k: (k is not None, k or 0))]


def _decimals(values) -> str:
    """Decimals as the body of a JSON array of strings (str() of a Decimal needs no escaping)."""
    return '"' + '","'.join(map(str, values)) + '"' if values else ""


def _candidate_json(c: Candidate) -> str:
    """One candidate as a canonical JSON array (what ``json.dumps`` with the canonical options
    writes for the same row). Written out as text: a run has 20,000 candidates, and nested lists
    would cost the cyclic garbage collector more than the encoding itself."""
    submitted_at = c.submitted_at
    if submitted_at is None:
        moment = "null"
    else:
        if submitted_at.tzinfo is not None and submitted_at.tzinfo is not UTC:
            submitted_at = submitted_at.astimezone(UTC)
        moment = f'"{submitted_at.isoformat()}"'
    points = c.criterion_points
    points_json = ",".join(f"[{int(k)},[{_decimals(points[k])}]]" for k in sorted(points)) if points else ""
    field_id = "null" if c.field_id is None else int(c.field_id)
    return (
        f"[{int(c.application_id)},{_json_string(c.reference)},{int(c.track_id)},{field_id},"
        f"{int(c.requested_subsidy)},[{_decimals(c.reviewer_totals)}],[{points_json}],"
        f"[{_decimals(c.bonus_points)}],{'true' if c.lead_is_sme else 'false'},{moment}]"
    )


def canonical_inputs(candidates: Iterable[Candidate], plan: ScoringPlan, quotas: Quotas) -> str:
    """The canonical JSON that ``inputs_hash`` hashes (compact, keys sorted, ASCII).

    {"candidates": [[application id, reference, track id, field id, requested subsidy,
    [reviewer totals], [[criterion id, [points]], ...], [bonus points], lead is SME,
    submitted at], ...], "plan": {...}, "quotas": {...}, "schema": HASH_SCHEMA}

    Candidates in application-id order (so their given order does not matter); a candidate's
    values in their given order (the adapter reads them in a fixed order); Decimals as their
    str(); aware datetimes in UTC, ISO 8601; mappings as [key, value] pairs in key order.
    """
    candidates = sorted(candidates, key=_application_id)
    _check_unique(candidates)
    return _CANDIDATES_OPEN + ",".join(map(_candidate_json, candidates)) + _settings_json(plan, quotas)


# "candidates" sorts first among the keys: the canonical text is this opening, the candidates'
# arrays separated by commas, then the closing with the other keys (``_settings_json``).
_CANDIDATES_OPEN = '{"candidates":['


def _settings_json(plan: ScoringPlan, quotas: Quotas) -> str:
    """The end of the canonical text after the candidates: '],"plan":...,"schema":...}'."""
    settings = {
        "plan": {
            "method": str(plan.method),
            "trim_at": plan.trim_at,
            "cutoff": str(plan.cutoff),
            "bonus_cap": str(plan.bonus_cap),
            "top_criterion_id": plan.top_criterion_id,
            "thresholds": _pairs(plan.thresholds, str),
            "tie_breaks": [str(name) for name in plan.tie_breaks],
        },
        "quotas": {
            "call_max": quotas.call_max,
            "budget": quotas.budget,
            "track_max": _pairs(quotas.track_max, int),
            "field_max": _pairs(quotas.field_max, int),
            "reserve_per_field": quotas.reserve_per_field,
            "subsidy_range": _pairs(quotas.subsidy_range, list),
        },
        "schema": HASH_SCHEMA,
    }
    rest = _dumps(settings)  # '{"plan":...,"quotas":...,"schema":...}'
    return "]," + rest[1:]


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def inputs_hash(candidates: Iterable[Candidate], plan: ScoringPlan, quotas: Quotas) -> str:
    """SHA-256 (hex) of ``canonical_inputs``: the same inputs give the same hash, in any order."""
    return hashlib.sha256(canonical_inputs(candidates, plan, quotas).encode("ascii")).hexdigest()


class InputsDigest:
    """``inputs_hash`` computed piece by piece: the candidates are added in chunks, in
    increasing application-id order (the canonical order, checked), so that a recorded run
    never holds the whole canonical text. The digest is byte for byte the one ``inputs_hash``
    gives for the same candidates (tested)."""

    def __init__(self):
        self._sha = hashlib.sha256(_CANDIDATES_OPEN.encode("ascii"))
        self._last_id = None

    def add(self, candidates: Iterable[Candidate]) -> None:
        for candidate in candidates:
            if self._last_id is not None and candidate.application_id <= self._last_id:
                raise ValueError(
                    f"Candidates must come in increasing application-id order ({candidate.application_id} "
                    f"after {self._last_id})."
                )
            text = _candidate_json(candidate)
            self._sha.update((text if self._last_id is None else "," + text).encode("ascii"))
            self._last_id = candidate.application_id

    def hexdigest(self, plan: ScoringPlan, quotas: Quotas) -> str:
        sha = self._sha.copy()
        sha.update(_settings_json(plan, quotas).encode("ascii"))
        return sha.hexdigest()


# -- Declines ----------------------------------------------------------------------------------


def promote_after_decline(
    results: Sequence[Result], declined_application_id: int, quotas: Quotas
) -> tuple[list[Result], Result | None]:
    """Free a declined place and promote the best reserve that fits.

    The declined Result becomes outcome and reason ``declined``. The best reserve in rank order
    whose field, track and the call have room under their maximum and whose requested subsidy
    the remaining budget covers — counting everything still selected — becomes ``selected``.
    Returns the new results (same order) and the promoted Result, or None when no reserve fits.
    Raises ValueError when the application is not among the results or was not selected.
    """
    results = list(results)
    index = next((i for i, r in enumerate(results) if r.application_id == declined_application_id), None)
    if index is None:
        raise ValueError(f"Application {declined_application_id} is not in these results.")
    if results[index].outcome != Outcome.SELECTED:
        raise ValueError(
            f"Application {declined_application_id} was not selected (outcome {results[index].outcome!s}); "
            "only a selected application can decline."
        )
    results[index] = results[index]._replace(outcome=Outcome.DECLINED, reason=Reason.DECLINED)

    room = Room(quotas)
    for r in results:
        if r.outcome == Outcome.SELECTED:  # the results' current outcomes: who holds a place
            room.take(r.track_id, r.field_id, r.requested_subsidy)
    reserves = sorted(
        (i for i, r in enumerate(results) if r.outcome == Outcome.RESERVE),
        key=lambda i: (results[i].rank is None, results[i].rank or 0, i),
    )
    for i in reserves:
        r = results[i]
        if request_refused(quotas, r.track_id, r.requested_subsidy):
            continue
        if room.refusal(r.track_id, r.field_id, r.requested_subsidy) is not None:
            continue
        promoted = r._replace(outcome=Outcome.SELECTED, reason=Reason.SELECTED)
        results[i] = promoted
        return results, promoted
    return results, None
