"""Reading an application's scores: every review that counts (``candidates_for``, the definition
scored by ``evaluation.scoring``) or its score sheet (``ranked``, what selection reads).

A ScoreSheet holds an application's evaluation score, bonus, final score, top-criterion score
and whether it is below the cutoff, computed from its reviews by the database in one statement
(``_sheets_sql``: a plan's scoring change rewrites 20,000 sheets without reading 100,000 reviews
into Python), by the rule ``evaluation.scoring.score`` defines, tested equal on random review
sets and compared sheet by sheet at every recorded run (``check_sheets``).
Sheets are written when an application's review completes (its scores lock then: reviews of a
scored application cannot change), marked stale when a bonus is granted or withdrawn or the
review is reopened, and carry the fingerprint of the plan settings they were computed under, so
that a changed plan is noticed. ``ranked`` computes any missing or stale sheet before it reads.
``check_sheets`` compares every sheet with its reviews and rewrites any that differs.
"""

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from projects.models import Application, ApplicationState, Organisation

from .models import Assignment, BonusAward, BonusRule, RankingChange, Review, Score, ScoreSheet
from .models.review import counted_reviews_sql
from .scoring import (
    EARLIER_SUBMISSION,
    LOWER_REFERENCE,
    LOWER_SUBSIDY,
    SME_LEAD,
    TOP_CRITERION,
    TWO_PLACES,
    Aggregation,
    Candidate,
    ScoringPlan,
    from_hundredths,
    score,
)

# Applications a run considers: scored ones, and those whose outcome is already published,
# awarded ones included (they hold a place a re-run may not take away). A declined one gave its
# place up for good: it is not ranked again.
CONSIDERED_STATES = (
    ApplicationState.SCORED,
    ApplicationState.SELECTED,
    ApplicationState.RESERVE,
    ApplicationState.NOT_SELECTED,
    ApplicationState.AWARDED,
)

SHEET_SCHEMA = "gongmo-score-sheet/1"  # bump when what a sheet holds or how it is scored changes


def scoring_plan(plan, criteria):
    top = plan.top_criterion(criteria)
    return ScoringPlan(
        method=plan.aggregation,
        trim_at=plan.trim_at,
        cutoff=plan.cutoff,
        bonus_cap=plan.bonus_cap,
        top_criterion_id=top.pk if top else None,
        thresholds={c.pk: c.threshold for c in criteria if c.threshold is not None},
        tie_breaks=tuple(plan.tie_breaks),
    )


def plan_fingerprint(plan, scoring):
    """SHA-256 of every setting a sheet's scores depend on: the aggregation, the cutoff, the
    bonus cap and the bonus rules' points, the top criterion and the thresholds. (Tie-breaks and
    quotas are applied when ranking, not stored.)"""
    settings = {
        "schema": SHEET_SCHEMA,
        "method": str(scoring.method),
        "trim_at": scoring.trim_at,
        "cutoff": str(scoring.cutoff),
        "bonus_cap": str(scoring.bonus_cap),
        "bonus_rules": sorted(
            [pk, str(points)]
            for pk, points in BonusRule.objects.filter(plan=plan).values_list("pk", "points")
        ),
        "top_criterion": scoring.top_criterion_id,
        "thresholds": sorted([k, str(v)] for k, v in scoring.thresholds.items()),
    }
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --- Every review ------------------------------------------------------------------------------


def _decimal_converter():
    """Database numbers -> Decimal with 2 places, each distinct value converted once (review
    totals and points repeat a great deal: this is most of the cost of reading candidates)."""
    cache = {}

    def convert(value):
        if value is None:
            return None
        decimal = cache.get(value)
        if decimal is None:
            # SQLite sums decimals as floats: rounding to 2 places restores the exact value.
            decimal = cache[value] = Decimal(
                str(round(value, 2) if isinstance(value, float) else value)
            ).quantize(TWO_PLACES)
        return decimal

    return convert


class IdRange(NamedTuple):
    """The applications whose ids run from ``first`` to ``last`` (both included): a chunk of a
    call read in id order (``id_chunks``), named by its two ends instead of every id."""

    first: int
    last: int


def _only(column, application_ids):
    """An SQL condition (and its parameters) keeping ``column`` to ``application_ids`` (None: all;
    an IdRange: those between its ends)."""
    if application_ids is None:
        return "", []
    if isinstance(application_ids, IdRange):
        return f" AND {column} BETWEEN %s AND %s", [application_ids.first, application_ids.last]
    return f" AND {column} IN ({', '.join(['%s'] * len(application_ids))})", list(application_ids)


def _per_review(call, needed, convert, application_ids, stage_id=None, states=CONSIDERED_STATES):
    """The total and needed criterion points of every review that counts (submitted, of its
    application's current round: ``Review.objects.counted``); of one stage when ``stage_id``."""
    review, assignment, application, score_table = (
        Review._meta.db_table,
        Assignment._meta.db_table,
        Application._meta.db_table,
        Score._meta.db_table,
    )
    joins = "".join(
        f" LEFT JOIN {score_table} s{n} ON s{n}.review_id = r.id AND s{n}.criterion_id = %s"
        for n in range(len(needed))
    )
    columns = "".join(f", s{n}.points" for n in range(len(needed)))
    only, only_params = _only("p.id", application_ids)
    counted, counted_params = counted_reviews_sql("r", "a")
    if stage_id is not None:
        counted, counted_params = f"{counted} AND a.stage_id = %s", [*counted_params, stage_id]
    sql = (
        f"SELECT r.application_id, r.total{columns}"
        f" FROM {review} r JOIN {assignment} a ON a.id = r.assignment_id"
        f" JOIN {application} p ON p.id = r.application_id{joins}"
        " WHERE p.call_id = %s AND p.state IN (" + ", ".join(["%s"] * len(states)) + ")"
        f" AND {counted}{only} ORDER BY r.id"
    )
    params = [*needed, call.pk, *states, *counted_params, *only_params]
    totals = defaultdict(list)
    criterion_points = defaultdict(lambda: defaultdict(list))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            totals[row[0]].append(convert(row[1]))
            for criterion_id, points in zip(needed, row[2:], strict=True):
                if points is not None:
                    criterion_points[row[0]][criterion_id].append(convert(points))
    return totals, {pk: {k: tuple(v) for k, v in points.items()} for pk, points in criterion_points.items()}


def _applications(call, application_ids, states=CONSIDERED_STATES):
    """(id, reference, track, field, request, lead size class, submitted at) of the considered
    applications, read with a plain cursor: the ORM's per-value converters cost more than the
    query at 20,000 rows."""
    application, organisation = Application._meta.db_table, Organisation._meta.db_table
    placeholders = ", ".join(["%s"] * len(states))
    only, only_params = _only("p.id", application_ids)
    sql = (
        f"SELECT p.id, p.reference, p.track_id, p.service_field_id, p.requested_subsidy, o.size_class,"
        f" p.submitted_at FROM {application} p JOIN {organisation} o ON o.id = p.lead_id"
        f" WHERE p.call_id = %s AND p.state IN ({placeholders}){only}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [call.pk, *states, *only_params])
        rows = cursor.fetchall()
    if rows and isinstance(rows[0][6], str):  # SQLite stores UTC as text
        return [(*row[:6], _utc(row[6])) for row in rows]
    return rows


def _utc(text):
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bonus_points(call, convert, application_ids, states=CONSIDERED_STATES):
    """application id -> the points of the bonus rules granted to it."""
    award, rule, application = BonusAward._meta.db_table, BonusRule._meta.db_table, Application._meta.db_table
    only, only_params = _only("p.id", application_ids)
    sql = (
        f"SELECT ba.application_id, br.points FROM {award} ba JOIN {rule} br ON br.id = ba.rule_id"
        f" JOIN {application} p ON p.id = ba.application_id"
        f" WHERE p.call_id = %s AND p.state IN ({', '.join(['%s'] * len(states))}){only}"
        " ORDER BY ba.id"
    )
    bonuses = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [call.pk, *states, *only_params])
        for application_id, points in cursor.fetchall():
            bonuses[application_id].append(convert(points))
    return bonuses


def candidates_for(call, scoring, application_ids=None, stage_id=None, states=CONSIDERED_STATES):
    """The considered applications of ``call`` (or those of them in ``application_ids``; those in
    ``states`` instead of the considered ones when given; an IdRange: those between its ends) as
    Candidates, with the values of every review that counts (of the stage ``stage_id`` when
    given), in three queries. Review totals are stored weighted when a review is saved, so the
    score rows are read only for the criteria the plan needs (the top and thresholded ones)."""
    if application_ids is not None and not isinstance(application_ids, IdRange):
        application_ids = sorted(set(application_ids))
        if not application_ids:
            return []
    convert = _decimal_converter()
    applications = _applications(call, application_ids, states)
    needed = sorted({scoring.top_criterion_id, *scoring.thresholds} - {None})
    totals, criterion_points = _per_review(call, needed, convert, application_ids, stage_id, states)
    bonuses = _bonus_points(call, convert, application_ids, states)
    return [
        Candidate(
            application_id=pk,
            reference=reference,
            track_id=track_id,
            field_id=field_id,
            requested_subsidy=requested,
            reviewer_totals=tuple(totals.get(pk, ())),
            criterion_points=criterion_points.get(pk, {}),
            bonus_points=tuple(bonuses[pk]),
            lead_is_sme=size_class == "sme",
            submitted_at=submitted_at,
        )
        for pk, reference, track_id, field_id, requested, size_class, submitted_at in applications
    ]


# --- Sheets ------------------------------------------------------------------------------------
#
# The sheets are computed by the database, in one statement a batch: with 20,000 applications a
# plan's scoring change must not wait for 100,000 reviews to be read into Python (issue 19). The
# rule is the rule book's (DESIGN.md §3 "Scoring") and ``evaluation.scoring.score``'s; the two
# are tested equal on random review sets (tests/evaluation/test_score_sheet_sql.py), and every
# recorded run compares each sheet with the Python definition (``check_sheets``).
#
# Every value is worked in integer hundredths (scores have 2 decimals), so that the one rounding,
# half-up to 2 decimals, is exact on SQLite and PostgreSQL alike: integer division truncates on
# both, and round_half_up(num / den) = (2·num + den) div (2·den) for num ≥ 0 (mirrored below 0).

_SHEET_FIELDS = [
    "reviews",
    "evaluation_score",
    "bonus",
    "final_score",
    "top_criterion_score",
    "below_cutoff",
    "plan_fingerprint",
    "computed_at",
]
_BATCH = 500  # applications a statement: SQLite allows 32,766 parameters


def _hundredths(column):
    # Exact on both databases: SQLite may hold a 2-place decimal as a float, which ROUND restores.
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


def _to_hundredths(value):
    return int(Decimal(value).quantize(TWO_PLACES) * 100)


def _rounded_mean(total, count):
    """SQL: ``total / count`` (integer hundredths) rounded half-up to an integer (away from zero
    on a tie), as ``evaluation.scoring.round_half_up`` does; NULL when ``count`` is 0."""
    count = f"NULLIF({count}, 0)"
    return (
        f"CASE WHEN {total} >= 0 THEN (2 * {total} + {count}) / (2 * {count})"
        f" ELSE -((2 * -({total}) + {count}) / (2 * {count})) END"
    )


def _aggregate_sql(method, trim_at, h):
    """SQL: the values ``h`` (integer hundredths, NULL for none) of an application's reviews
    (its GROUP BY group) aggregated by the plan's method and rounded half-up to 2 decimals:
    trimmed mean: with ``trim_at`` or more values drop one highest and one lowest (only one each,
    even when tied) and average the rest, with fewer the plain mean; mean: the plain mean;
    median: the middle value, or the mean of the two middle ones for an even count (the rows
    carry ``{h}_middle``, see ``_middles_sql``). NULL without values."""
    total, count = f"CAST(SUM({h}) AS BIGINT)", f"COUNT({h})"
    if method == Aggregation.MEAN:
        return _rounded_mean(total, count)
    if method == Aggregation.MEDIAN:
        return _rounded_mean(
            f"CAST(SUM(CASE WHEN {h}_middle THEN {h} END) AS BIGINT)",
            f"SUM(CASE WHEN {h}_middle THEN 1 ELSE 0 END)",
        )
    trim = f"{count} >= {int(trim_at)}"
    return _rounded_mean(
        f"CASE WHEN {trim} THEN {total} - MIN({h}) - MAX({h}) ELSE {total} END",
        f"CASE WHEN {trim} THEN {count} - 2 ELSE {count} END",
    )


def _middles_sql(columns):
    """SQL: for the median, whether each value of ``columns`` is a middle one of its
    application's values (by position among them in order: 2·i ∈ {n, n + 2} for an even count
    n, 2·i = n + 1 for an odd one)."""
    return "".join(
        f", ({h} IS NOT NULL AND 2 * ROW_NUMBER() OVER (PARTITION BY app, {h} IS NULL ORDER BY {h})"
        f" IN (COUNT({h}) OVER (PARTITION BY app), COUNT({h}) OVER (PARTITION BY app) + 1,"
        f" COUNT({h}) OVER (PARTITION BY app) + 2)) AS {h}_middle"
        for h in columns
    )


def _sheets_sql(call, scoring, fingerprint, now, application_ids, states=CONSIDERED_STATES):
    """The statement (and its parameters) that writes the sheets of the considered applications
    of ``call`` (those among ``application_ids`` when given) from their reviews that count:
    reviews = how many; evaluation score = the reviewer totals aggregated by the plan's method
    (none without reviews); bonus = the granted bonus points summed, capped at the bonus cap;
    final score = evaluation score + bonus; top-criterion score = the top criterion's points
    aggregated the same way; below the cutoff = no reviews, or an evaluation score under the
    cutoff, or a thresholded criterion's aggregate under its minimum (or missing)."""
    review, assignment, application, score_table, award, rule, sheet = (
        Review._meta.db_table,
        Assignment._meta.db_table,
        Application._meta.db_table,
        Score._meta.db_table,
        BonusAward._meta.db_table,
        BonusRule._meta.db_table,
        ScoreSheet._meta.db_table,
    )
    counted, counted_params = counted_reviews_sql("r", "a")
    only, only_params = _only("p.id", application_ids)
    considered = f"p.call_id = %s AND p.state IN ({', '.join(['%s'] * len(states))}){only}"
    considered_params = [call.pk, *states, *only_params]
    needed = sorted({scoring.top_criterion_id, *scoring.thresholds} - {None})
    # One row a review that counts: its total (h) and its points for each criterion the plan
    # needs (c0, c1, ...: the top and the thresholded ones; NULL when it gave none).
    criterion_column = {pk: f"c{n}" for n, pk in enumerate(needed)}
    review_values = (
        f"SELECT r.application_id AS app, {_hundredths('r.total')} AS h"
        + "".join(f", {_hundredths(f's{n}.points')} AS c{n}" for n in range(len(needed)))
        + f" FROM {review} r JOIN {assignment} a ON a.id = r.assignment_id"
        f" JOIN {application} p ON p.id = r.application_id"
        + "".join(
            f" LEFT JOIN {score_table} s{n} ON s{n}.review_id = r.id AND s{n}.criterion_id = %s"
            for n in range(len(needed))
        )
        + f" WHERE {considered} AND {counted}"
    )
    params = [*needed, *considered_params, *counted_params]
    columns = ["h", *criterion_column.values()]
    if scoring.method == Aggregation.MEDIAN:
        review_values = f"SELECT *{_middles_sql(columns)} FROM ({review_values}) plain"

    def aggregate(h):
        return _aggregate_sql(scoring.method, scoring.trim_at, h)

    top = (
        "NULL" if scoring.top_criterion_id is None else aggregate(criterion_column[scoring.top_criterion_id])
    )
    per_application = (
        f"SELECT app, COUNT(*) AS reviews, {aggregate('h')} AS evaluation, {top} AS top"
        + "".join(
            f", {aggregate(c)} AS {c}" for pk, c in criterion_column.items() if pk in scoring.thresholds
        )
        + f" FROM ({review_values}) review_values GROUP BY app"
    )
    bonuses = (
        f"SELECT ba.application_id AS app, CAST(SUM({_hundredths('br.points')}) AS BIGINT) AS points"
        f" FROM {award} ba JOIN {rule} br ON br.id = ba.rule_id JOIN {application} p ON p.id = ba.application_id"
        f" WHERE {considered} GROUP BY ba.application_id"
    )
    params += considered_params
    cap = _to_hundredths(scoring.bonus_cap)
    bonus = f"CASE WHEN b.points IS NULL THEN 0 WHEN b.points > {cap} THEN {cap} ELSE b.points END"
    below = f"e.evaluation IS NULL OR e.evaluation < {_to_hundredths(scoring.cutoff)}" + "".join(
        f" OR e.{criterion_column[pk]} IS NULL OR e.{criterion_column[pk]} < {_to_hundredths(minimum)}"
        for pk, minimum in scoring.thresholds.items()
    )
    fields = ", ".join(_SHEET_FIELDS)
    sql = (
        f"INSERT INTO {sheet} (application_id, {fields})"
        f" WITH scores AS ({per_application}), bonuses AS ({bonuses})"
        f" SELECT p.id, COALESCE(e.reviews, 0), e.evaluation / 100.0, ({bonus}) / 100.0,"
        f" (e.evaluation + {bonus}) / 100.0, e.top / 100.0, ({below}), %s, %s"
        f" FROM {application} p LEFT JOIN scores e ON e.app = p.id LEFT JOIN bonuses b ON b.app = p.id"
        f" WHERE {considered}"
        # In id order, so that two writers of the same sheets (a preview and the beat ranking
        # ahead after a scoring change) lock them in the same order and never deadlock.
        " ORDER BY p.id"
        " ON CONFLICT (application_id) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in _SHEET_FIELDS)
    )
    params += [fingerprint, connection.ops.adapt_datetimefield_value(now), *considered_params]
    return sql, params


def write_sheets(call, plan, scoring, application_ids=None, *, fingerprint=None):
    """Compute the sheets of the considered applications among ``application_ids`` (None: all
    of the call) from their reviews, in the database, and store them. Returns how many were
    written. ``fingerprint``: the plan's (``plan_fingerprint``), when already read."""
    fingerprint = fingerprint or plan_fingerprint(plan, scoring)
    ids = None if application_ids is None else sorted(set(application_ids))
    batches = [None] if ids is None else [ids[i : i + _BATCH] for i in range(0, len(ids), _BATCH)]
    now, written = timezone.now(), 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            for batch in batches:
                cursor.execute(*_sheets_sql(call, scoring, fingerprint, now, batch))
                written += cursor.rowcount
        if written:
            if ids is None:
                RankingChange.record_for_calls([call.pk])
            else:
                RankingChange.record_for_applications(ids)
    return written


def write_sheets_for(application_ids):
    """``write_sheets`` for applications whose review just completed, grouped by call."""
    from .models import Criterion, EvaluationPlan

    by_call = defaultdict(list)
    for pk, call_id in Application.objects.filter(pk__in=application_ids).values_list("pk", "call_id"):
        by_call[call_id].append(pk)
    for plan in EvaluationPlan.objects.filter(call_id__in=by_call, stages=None).select_related("call"):
        # A call evaluated in stages is ranked from its stages (evaluation.stage_runs), not sheets.
        criteria = list(Criterion.objects.filter(plan=plan))
        if plan.criteria_problem(criteria):
            continue  # no valid plan, no scores: selection refuses with the reason
        write_sheets(plan.call, plan, scoring_plan(plan, criteria), by_call[plan.call_id])


def mark_stale(application_ids):
    """Something the sheets of these applications depend on changed: compute them again before
    they are next read."""
    ids = list(application_ids)
    with transaction.atomic():
        if ScoreSheet.objects.filter(application_id__in=ids).update(plan_fingerprint=""):
            RankingChange.record_for_applications(ids)


def bonus_changed(application_ids):
    """A bonus of these applications was granted or withdrawn: their sheets are marked stale,
    and those a ranking reads (considered, in a call ranked from sheets) computed again at once,
    as when a review completes: the next preview places them instead of computing them."""
    mark_stale(application_ids)
    write_sheets_for(application_ids)


def check_sheets(call, plan, scoring, candidates=None, *, application_ids=None, tally=None):
    """Compare every considered application's sheet with its reviews (the definition; the
    ``candidates_for`` of the call when already read) and rewrite the sheets that differ or are
    missing. Returns the ids rewritten. ``application_ids`` (an IdRange, or ids): only the sheets
    of those applications are read (a chunk of a recorded run; ``candidates`` are then that
    chunk's). ``tally``: a SheetTally given every candidate's scores (what its sheet now holds)."""
    fingerprint = plan_fingerprint(plan, scoring)
    application, sheet = Application._meta.db_table, ScoreSheet._meta.db_table
    columns = ", ".join(
        _hundredths(f"g.{name}")
        for name in ("evaluation_score", "bonus", "final_score", "top_criterion_score")
    )
    only, only_params = _only("g.application_id", application_ids)
    sql = (
        f"SELECT g.application_id, g.reviews, {columns}, g.below_cutoff, g.plan_fingerprint = %s"
        f" FROM {sheet} g JOIN {application} p ON p.id = g.application_id WHERE p.call_id = %s{only}"
    )
    decimal = _Decimals()
    with connection.cursor() as cursor:
        cursor.execute(sql, [fingerprint, call.pk, *only_params])
        stored = {
            pk: (
                reviews,
                decimal[ev],
                decimal[bonus],
                decimal[final],
                decimal[top],
                bool(below),
                bool(current),
            )
            for pk, reviews, ev, bonus, final, top, below, current in cursor.fetchall()
        }
    if candidates is None:
        candidates = candidates_for(call, scoring, application_ids)
    wrong = []
    for candidate in candidates:
        s = score(candidate, scoring)
        expected = (
            len(candidate.reviewer_totals),
            s.evaluation_score,
            s.bonus,
            s.final_score,
            s.top_criterion_score,
            s.below_cutoff,
            True,
        )
        if stored.get(candidate.application_id) != expected:
            wrong.append(candidate.application_id)
        if tally is not None:
            tally.add(candidate.application_id, s.evaluation_score, s.bonus, s.final_score, s.below_cutoff)
    if wrong:
        write_sheets(call, plan, scoring, wrong)
    return wrong


# --- A recorded run, chunk by chunk --------------------------------------------------------------
#
# A recorded run reads every review (the definition) but never the whole call at once: it reads
# the considered applications in chunks of CHUNK, in id order (the canonical order of the
# inputs' hash), checks each chunk's sheets, then ranks by the sheets, read from the database
# as a stream (DESIGN.md §5: its peak memory stays flat from 5,000 to 80,000 applications).

CHUNK = 1000  # applications a chunk: about 5,000 reviews


def id_chunks(call, size=None):
    """The considered applications of ``call`` in chunks of ``size`` (CHUNK) in id order, each an
    IdRange (one query a chunk, reading only its ids)."""
    size = size or CHUNK
    application = Application._meta.db_table
    states = ", ".join(["%s"] * len(CONSIDERED_STATES))
    sql = (
        f"SELECT p.id FROM {application} p WHERE p.call_id = %s AND p.state IN ({states}) AND p.id > %s"
        f" ORDER BY p.id LIMIT {int(size)}"
    )
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [call.pk, *CONSIDERED_STATES, after])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return
        yield IdRange(ids[0], ids[-1])
        after = ids[-1]


class SheetTally:
    """An order-free fingerprint of the sheets a run ranks by: how many, and the sum of each one's
    hash of (application id, evaluation score, bonus, final score, below the cutoff). The
    recorded run tallies the scores it checked, then the rows it ranked: equal tallies mean the
    ranking read the very scores that were hashed, though no review or bonus is locked in between."""

    def __init__(self):
        self.count = 0
        self.total = 0

    def add(self, application_id, evaluation, bonus, final, below):
        self.count += 1
        self.total = (self.total + hash((application_id, evaluation, bonus, final, bool(below)))) & (
            2**64 - 1
        )

    def __eq__(self, other):
        return isinstance(other, SheetTally) and (self.count, self.total) == (other.count, other.total)

    __hash__ = None


# --- Ranking -----------------------------------------------------------------------------------


def _order_by(tie_breaks):
    """ORDER BY for the ranking of ``evaluation.scoring.rank`` (tested equal): ranked sheets by
    final score and the tie-breaks in the plan's order, then those below the cutoff by final
    score and reference; the application id last, so the order is total."""
    # Byte order, as Python compares strings (PostgreSQL's default collation is linguistic).
    reference = 'p.reference COLLATE "C"' if connection.vendor == "postgresql" else "p.reference"
    columns = {  # expression, direction
        TOP_CRITERION: ("g.top_criterion_score", "DESC NULLS LAST"),
        SME_LEAD: ("CASE WHEN o.size_class = 'sme' THEN 0 ELSE 1 END", "ASC"),
        LOWER_SUBSIDY: ("p.requested_subsidy", "ASC"),
        EARLIER_SUBMISSION: ("p.submitted_at", "ASC NULLS LAST"),
        LOWER_REFERENCE: (reference, "ASC"),
    }
    terms = ["g.below_cutoff", "g.final_score DESC NULLS LAST"]
    for name in tie_breaks:
        expression, direction = columns[name]
        # Below the cutoff there are no tie-breaks: NULL ties them all.
        terms.append(f"CASE WHEN g.below_cutoff THEN NULL ELSE {expression} END {direction}")
    terms += [f"CASE WHEN g.below_cutoff THEN {reference} END", "p.id"]
    return ", ".join(terms)


# The tie-breaks whose values are not among a ranked row's own columns, as selected (each is
# ordered by in ``_order_by``): a kept ranking keeps them, to place a changed row by ``row_key``.
_TIE_VALUES = {
    TOP_CRITERION: _hundredths("g.top_criterion_score"),
    SME_LEAD: "CASE WHEN o.size_class = 'sme' THEN 0 ELSE 1 END",
    EARLIER_SUBMISSION: None,  # _tie_value_sql
}


def _tie_value_sql(name):
    if name != EARLIER_SUBMISSION:
        return _TIE_VALUES[name]
    # As text that sorts as the time does: 20,000 strings are kept and pickled in a fraction of
    # the time of as many datetimes. SQLite stores the time as that text (and sorts by it).
    if connection.vendor == "postgresql":
        return "to_char(p.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    return "CAST(p.submitted_at AS TEXT)"


def _tie_values(tie_breaks):
    return [name for name in tie_breaks if name in _TIE_VALUES]


def _ranked_columns(scoring):
    """What a ranking reads of an application ``p``, its lead ``o`` and its sheet ``g`` (one
    parameter: the plan's fingerprint, to tell a current sheet)."""
    ties = "".join(f", {_tie_value_sql(name)}" for name in _tie_values(scoring.tie_breaks))
    return (
        f"p.id, p.reference, p.track_id, p.service_field_id, p.requested_subsidy,"
        f" {_hundredths('g.evaluation_score')}, {_hundredths('g.bonus')}, {_hundredths('g.final_score')},"
        f" g.below_cutoff, g.plan_fingerprint = %s{ties}"
    )


def _ranked_sql(call, scoring, fingerprint, where=""):
    application, organisation, sheet = (
        Application._meta.db_table,
        Organisation._meta.db_table,
        ScoreSheet._meta.db_table,
    )
    states = ", ".join(["%s"] * len(CONSIDERED_STATES))
    sql = (
        f"SELECT {_ranked_columns(scoring)}"
        f" FROM {application} p JOIN {organisation} o ON o.id = p.lead_id"
        f" LEFT JOIN {sheet} g ON g.application_id = p.id"
        f" WHERE p.call_id = %s AND p.state IN ({states}){where}"
        f" ORDER BY {_order_by(scoring.tie_breaks)}"
    )
    return sql, [fingerprint, call.pk, *CONSIDERED_STATES]


def _ranked_rows(call, scoring, fingerprint):
    with connection.cursor() as cursor:
        cursor.execute(*_ranked_sql(call, scoring, fingerprint))
        return cursor.fetchall()


def _changed_sql(call, scoring, fingerprint, since, version):
    """The applications the call's changes after version ``since`` up to ``version`` name
    (``RankingChange``), each with what a ranking reads of it, NULLs when it is no longer
    among the call's considered ones; unordered, an application once a change."""
    application, organisation, sheet, change = (
        Application._meta.db_table,
        Organisation._meta.db_table,
        ScoreSheet._meta.db_table,
        RankingChange._meta.db_table,
    )
    states = ", ".join(["%s"] * len(CONSIDERED_STATES))
    sql = (
        f"SELECT c.application_id, {_ranked_columns(scoring)} FROM {change} c"
        f" LEFT JOIN {application} p ON p.id = c.application_id AND p.call_id = %s AND p.state IN ({states})"
        f" LEFT JOIN {organisation} o ON o.id = p.lead_id"
        f" LEFT JOIN {sheet} g ON g.application_id = p.id"
        f" WHERE c.call_id = %s AND c.version > %s AND c.version <= %s"
    )
    return sql, [fingerprint, call.pk, *CONSIDERED_STATES, call.pk, since, version]


def row_key(tie_breaks):
    """(key of a ranked row, key of a row below the cutoff): functions of a ranking's row and
    its tie values (``Ranking.ties``) that sort exactly as ``_order_by`` (tested equal), so that
    a kept ranking can place a changed row without ranking the call again."""
    ties = _tie_values(tie_breaks)
    getters = []
    for name in tie_breaks:
        if name == LOWER_SUBSIDY:
            getters.append(lambda row, tie: (row[4],))
        elif name == LOWER_REFERENCE:
            getters.append(lambda row, tie: (row[1],))
        else:
            slot = ties.index(name)
            if name == SME_LEAD:
                getters.append(lambda row, tie, slot=slot: (tie[slot],))
            else:  # a score (higher first) or a time (earlier first), none last
                sign = -1 if name == TOP_CRITERION else None

                def getter(row, tie, slot=slot, sign=sign):
                    value = tie[slot]
                    if value is None:
                        return (True, 0)
                    return (False, -value if sign else value)

                getters.append(getter)

    def final(row):
        return (True, 0) if row[7] is None else (False, -row[7])

    def above(row, tie):
        key = final(row)
        for getter in getters:
            key += getter(row, tie)
        return (*key, row[0])

    def below(row, _tie=None):
        return (*final(row), row[1], row[0])

    return above, below


class Ranking(NamedTuple):
    """The considered applications in rank order: ``above`` the ranked ones, ``below`` those
    below the cutoff, each a list of (application id, reference, track id, field id, requested
    subsidy, evaluation score, bonus, final score) rows, scores as Decimals; ``ties``: each
    ranked row's values of the tie-breaks not among its columns (``_TIE_VALUES``), in order."""

    above: list
    below: list
    ties: list


class _Decimals(dict):
    """Hundredths -> Decimal, each distinct score converted once (scores repeat a great deal)."""

    def __missing__(self, hundredths):
        value = self[hundredths] = None if hundredths is None else from_hundredths(hundredths)
        return value


def one_sheet_fingerprint(call):
    """SQL (and its parameters) of the fingerprint of one of the call's considered sheets that
    is not marked stale (NULL when there is none): after a change of the plan's scoring settings
    every sheet is written under other settings, and one sheet tells."""
    application, sheet = Application._meta.db_table, ScoreSheet._meta.db_table
    states = ", ".join(["%s"] * len(CONSIDERED_STATES))
    sql = (
        f"SELECT g.plan_fingerprint FROM {sheet} g JOIN {application} p ON p.id = g.application_id"
        f" WHERE p.call_id = %s AND p.state IN ({states}) AND g.plan_fingerprint <> '' LIMIT 1"
    )
    return sql, [call.pk, *CONSIDERED_STATES]


def ranked(call, plan, scoring, *, fingerprint=None, before_read=None, one_sheet_under=None):
    """The considered applications of ``call`` ranked by the database from their score sheets
    (after computing any missing or stale sheet from its reviews), in one query: a Ranking.
    ``fingerprint``: the plan's (``plan_fingerprint``), when already read; ``before_read(written)``:
    called before each read of the ranking, ``written`` whether sheets were just written
    (``evaluation.kept_ranking`` reads the version there); ``one_sheet_under``: the fingerprint
    of one sheet (``one_sheet_fingerprint``), when read: if it is not the plan's, every sheet is
    computed again before the ranking is read (else it would be read twice)."""
    fingerprint = fingerprint or plan_fingerprint(plan, scoring)
    written = bool(one_sheet_under) and one_sheet_under != fingerprint
    if written:
        write_sheets(call, plan, scoring, fingerprint=fingerprint)
    if before_read:
        before_read(written)
    rows = _ranked_rows(call, scoring, fingerprint)
    stale = [row[0] for row in rows if not row[9]]  # no sheet, or one of other settings
    if stale:
        # After a change of the plan's scoring settings every sheet is stale: one statement over
        # the whole call is cheaper than its applications' ids in batches.
        write_sheets(call, plan, scoring, None if len(stale) > _BATCH else stale, fingerprint=fingerprint)
        if before_read:
            before_read(True)
        rows = _ranked_rows(call, scoring, fingerprint)
    return ranking_of(rows)


def changed_since(call, plan, scoring, fingerprint, since, version):
    """(the ids of the applications the call's changes after version ``since`` up to
    ``version`` name, a Ranking of those of them still considered, in no order), any missing or
    stale sheet among them computed first, and whether one was: what ``kept_ranking`` needs to
    bring a ranking kept at ``since`` up to ``version``."""

    def read():
        with connection.cursor() as cursor:
            cursor.execute(*_changed_sql(call, scoring, fingerprint, since, version))
            return cursor.fetchall()

    named, rows = set(), {}
    for named_id, *row in read():
        named.add(named_id)
        if row[0] is not None:
            rows[row[0]] = row
    stale = [pk for pk, row in rows.items() if not row[9]]
    if stale:
        write_sheets(call, plan, scoring, stale, fingerprint=fingerprint)
        rows = {row[0]: row for _named, *row in read() if row[0] is not None}
    return named, ranking_of(rows.values()), bool(stale)


def ranking_of(rows, decimal=None):
    """A Ranking of ``_ranked_sql``'s rows, in their order."""
    decimal = decimal if decimal is not None else _Decimals()
    above, below, ties = [], [], []
    add_above, add_below, add_tie = above.append, below.append, ties.append
    for pk, reference, track, field, subsidy, evaluation, bonus, final, is_below, _current, *tie in rows:
        row = (pk, reference, track, field, subsidy, decimal[evaluation], decimal[bonus], decimal[final])
        if is_below:
            add_below(row)
        else:
            add_above(row)
            add_tie(tuple(tie))
    return Ranking(above, below, ties)


class SheetsChanged(Exception):
    """A sheet the run ranks is missing, stale, or not what the run checked and hashed: a review
    or a bonus changed while it ran."""


def ranked_streams(call, plan, scoring, tally, size=None):
    """``ranked`` read as two streams (the ranked ones, then those below the cutoff), each from
    its own query fetched ``size`` rows at a time (a server-side cursor on PostgreSQL), for a
    recorded run whose sheets ``check_sheets`` has just checked: every row is added to ``tally``,
    and a missing or stale sheet raises SheetsChanged."""
    fingerprint = plan_fingerprint(plan, scoring)
    decimal = _Decimals()
    size = size or CHUNK

    def stream(where):
        sql, params = _ranked_sql(call, scoring, fingerprint, where)
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(size):
                for (
                    pk,
                    reference,
                    track,
                    field,
                    subsidy,
                    evaluation,
                    bonus,
                    final,
                    is_below,
                    current,
                    *_tie,
                ) in rows:
                    if not current:
                        raise SheetsChanged(pk)
                    row = (
                        pk,
                        reference,
                        track,
                        field,
                        subsidy,
                        decimal[evaluation],
                        decimal[bonus],
                        decimal[final],
                    )
                    tally.add(pk, row[5], row[6], row[7], is_below)
                    yield row

    # An application without a sheet is in neither stream; the tally's count tells.
    return stream(" AND NOT g.below_cutoff"), stream(" AND g.below_cutoff")
