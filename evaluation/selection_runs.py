"""Selection runs for a Call: read the candidates, run evaluation.selection, record the run,
confirm it (publishing the outcomes through the workflow), and promote a reserve when a
selected applicant declines.

Runs are serialized per Call (the Call row is locked for the run), reproducible (the inputs'
hash is recorded) and immutable once written.
"""

import gc
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, CallState
from projects import workflow
from projects.bulk import insert_rows
from projects.models import Application, ApplicationState, Organisation
from projects.outbox import queue_email

from .models import (
    Assignment,
    BonusAward,
    BonusRule,
    Criterion,
    EvaluationPlan,
    Review,
    Score,
    SelectionResult,
    SelectionRun,
)
from .scoring import TWO_PLACES, Aggregation, Candidate, ScoringPlan, Stats, Summary
from .selection import Outcome, Quotas, Result, inputs_hash, promote_after_decline, select, select_summaries

# Applications a run considers: scored ones, and those whose outcome is already published.
CONSIDERED_STATES = (
    ApplicationState.SCORED,
    ApplicationState.SELECTED,
    ApplicationState.RESERVE,
    ApplicationState.NOT_SELECTED,
)


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a preview builds its 20,000 summaries and
    results: they hold no cycles, yet the allocations would trigger full collections of the
    whole process (a third of the preview's time). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Aggregations that a count, sum, highest and lowest determine (see evaluation.scoring).
SUMMARISED_METHODS = (Aggregation.MEAN, Aggregation.TRIMMED_MEAN)


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


def quotas_for(call, plan):
    return Quotas(
        call_max=call.max_awards,
        budget=call.budget_total,
        track_max={t.pk: t.max_awards for t in call.tracks.all()},
        field_max={f.pk: f.max_awards for f in call.service_fields.all()},
        reserve_per_field=plan.reserve_per_field,
    )


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


def _sql_parts(call, needed):
    """FROM/WHERE of the submitted reviews of active assignments of considered applications,
    with one LEFT JOIN per needed criterion (columns s0, s1, ...)."""
    review, assignment, application, score = (
        Review._meta.db_table,
        Assignment._meta.db_table,
        Application._meta.db_table,
        Score._meta.db_table,
    )
    joins = "".join(
        f" LEFT JOIN {score} s{n} ON s{n}.review_id = r.id AND s{n}.criterion_id = %s"
        for n in range(len(needed))
    )
    sql = (
        f" FROM {review} r JOIN {assignment} a ON a.id = r.assignment_id"
        f" JOIN {application} p ON p.id = r.application_id{joins}"
        " WHERE p.call_id = %s AND p.state IN (" + ", ".join(["%s"] * len(CONSIDERED_STATES)) + ")"
        " AND r.state = %s AND a.state = %s"
    )
    params = [*needed, call.pk, *CONSIDERED_STATES, Review.State.SUBMITTED, Assignment.State.ACTIVE]
    return sql, params


def _per_review(call, needed, convert):
    """Every submitted review's total and needed criterion points (any aggregation method)."""
    from_where, params = _sql_parts(call, needed)
    columns = "".join(f", s{n}.points" for n in range(len(needed)))
    totals = defaultdict(list)
    criterion_points = defaultdict(lambda: defaultdict(list))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.application_id, r.total{columns}{from_where} ORDER BY r.id", params)
        for row in cursor.fetchall():
            totals[row[0]].append(convert(row[1]))
            for criterion_id, points in zip(needed, row[2:], strict=True):
                if points is not None:
                    criterion_points[row[0]][criterion_id].append(convert(points))
    return totals, {pk: {k: tuple(v) for k, v in points.items()} for pk, points in criterion_points.items()}


def _applications(call):
    """(id, reference, track, field, request, lead size class, submitted at) of the considered
    applications, read with a plain cursor: the ORM's per-value converters cost more than the
    query at 20,000 rows."""
    application, organisation = Application._meta.db_table, Organisation._meta.db_table
    placeholders = ", ".join(["%s"] * len(CONSIDERED_STATES))
    sql = (
        f"SELECT p.id, p.reference, p.track_id, p.service_field_id, p.requested_subsidy, o.size_class,"
        f" p.submitted_at FROM {application} p JOIN {organisation} o ON o.id = p.lead_id"
        f" WHERE p.call_id = %s AND p.state IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [call.pk, *CONSIDERED_STATES])
        rows = cursor.fetchall()
    if rows and isinstance(rows[0][6], str):  # SQLite stores UTC as text
        return [(*row[:6], _utc(row[6])) for row in rows]
    return rows


def _utc(text):
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def candidates_for(call, scoring):
    """Every considered application of ``call`` as a Candidate, with every submitted review's
    values, in three queries. Review totals are stored weighted when a review is saved, so the
    score rows are read only for the criteria the plan needs (the top and thresholded ones)."""
    convert = _decimal_converter()
    applications = _applications(call)
    needed = sorted({scoring.top_criterion_id, *scoring.thresholds} - {None})
    totals, criterion_points = _per_review(call, needed, convert)
    bonuses = defaultdict(list)
    for application_id, points in BonusAward.objects.filter(
        application__call=call, application__state__in=CONSIDERED_STATES
    ).values_list("application_id", "rule__points"):
        bonuses[application_id].append(points)
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


def _hundredths_sql(expression):
    # Exact on both databases: SQLite sums these 2-place values as integers or as floats that
    # ROUND restores; PostgreSQL sums numerics exactly.
    return f"CAST(ROUND({expression} * 100) AS BIGINT)"


def _stats_sql(column):
    return ", ".join(_hundredths_sql(f"{f}({column})") for f in ("SUM", "MAX", "MIN"))


def summaries_for(call, scoring):
    """Every considered application of ``call`` as a ``Summary``, in one query: the database
    counts, sums and takes the highest and lowest of the reviewer totals (and of the needed
    criteria's points) per application, and sums the bonus points; no review row reaches Python.
    Enough for the mean and the trimmed mean, not for the median."""
    needed = sorted({scoring.top_criterion_id, *scoring.thresholds} - {None})
    review, assignment, application, score = (
        Review._meta.db_table,
        Assignment._meta.db_table,
        Application._meta.db_table,
        Score._meta.db_table,
    )
    organisation, bonus_award, bonus_rule = (
        Organisation._meta.db_table,
        BonusAward._meta.db_table,
        BonusRule._meta.db_table,
    )
    states = ", ".join(["%s"] * len(CONSIDERED_STATES))
    criterion_joins = "".join(
        f" LEFT JOIN {score} s{n} ON s{n}.review_id = r.id AND s{n}.criterion_id = %s"
        for n in range(len(needed))
    )
    criterion_columns = "".join(
        f", COUNT(s{n}.points), {_stats_sql(f's{n}.points')}" for n in range(len(needed))
    )
    sql = (
        # COALESCE makes the moment an expression: SQLite then returns its ISO text as stored
        # (sorting as the moments do) instead of parsing 20,000 datetimes.
        f"SELECT p.id, p.reference, p.track_id, p.service_field_id, p.requested_subsidy, o.size_class,"
        f" COALESCE(p.submitted_at, NULL), b.points, g.*"
        f" FROM {application} p JOIN {organisation} o ON o.id = p.lead_id"
        f" LEFT JOIN (SELECT r.application_id AS application_id, COUNT(*), {_stats_sql('r.total')}"
        f"{criterion_columns}"
        f" FROM {review} r JOIN {assignment} a ON a.id = r.assignment_id{criterion_joins}"
        f" WHERE r.state = %s AND a.state = %s"
        f" AND r.application_id IN (SELECT id FROM {application} WHERE call_id = %s)"
        f" GROUP BY r.application_id) g ON g.application_id = p.id"
        f" LEFT JOIN (SELECT ba.application_id AS application_id, {_hundredths_sql('SUM(br.points)')} AS points"
        f" FROM {bonus_award} ba JOIN {bonus_rule} br ON br.id = ba.rule_id"
        f" WHERE ba.application_id IN (SELECT id FROM {application} WHERE call_id = %s)"
        f" GROUP BY ba.application_id) b ON b.application_id = p.id"
        f" WHERE p.call_id = %s AND p.state IN ({states})"
    )
    params = [
        *needed,
        Review.State.SUBMITTED,
        Assignment.State.ACTIVE,
        call.pk,
        call.pk,
        call.pk,
        *CONSIDERED_STATES,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    make = tuple.__new__  # NamedTuples without the keyword machinery: 20,000 of them
    columns = [(criterion_id, 13 + 4 * n) for n, criterion_id in enumerate(needed)]
    no_criteria = {}
    summaries = []
    append = summaries.append
    for row in rows:
        if row[8] is None:  # no submitted review
            reviews, criteria = None, no_criteria
        else:
            reviews = make(Stats, row[9:13])
            criteria = {k: make(Stats, row[i : i + 4]) for k, i in columns if row[i]}
        append(make(Summary, (*row[:5], row[5] == "sme", row[6], reviews, criteria, row[7] or 0)))
    return summaries


def _require_staff(user):
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff run selection."))


def compute(call, *, with_hash=True):
    """(results, hash, parameters) for the call's current inputs, without recording anything.

    A recorded run reads every review (its hash fingerprints every input). A preview needs no
    hash: with the mean or the trimmed mean the database summarises the reviews
    (``summaries_for``) and no review row reaches Python; the results are the same (tested).
    """
    plan = EvaluationPlan.objects.get(call=call)
    criteria = list(Criterion.objects.filter(plan=plan))
    problem = plan.criteria_problem(criteria)
    if problem:
        raise TransitionRefused([problem])
    scoring = scoring_plan(plan, criteria)
    quotas = quotas_for(call, plan)
    parameters = {
        "method": scoring.method,
        "trim_at": scoring.trim_at,
        "cutoff": str(scoring.cutoff),
        "bonus_cap": str(scoring.bonus_cap),
        "top_criterion": scoring.top_criterion_id,
        "thresholds": {str(k): str(v) for k, v in scoring.thresholds.items()},
        "tie_breaks": list(scoring.tie_breaks),
        "call_max": quotas.call_max,
        "budget": quotas.budget,
        "track_max": {str(k): v for k, v in quotas.track_max.items()},
        "field_max": {str(k): v for k, v in quotas.field_max.items()},
        "reserve_per_field": quotas.reserve_per_field,
    }
    if not with_hash and scoring.method in SUMMARISED_METHODS:
        with _collector_paused():
            return select_summaries(summaries_for(call, scoring), scoring, quotas), None, parameters
    candidates = candidates_for(call, scoring)
    digest = inputs_hash(candidates, scoring, quotas) if with_hash else None
    return select(candidates, scoring, quotas), digest, parameters


# A preview is kept this long, so that staff page through one consistent ranking (20,000
# applications, 50 a page) instead of a new dry run at every page, which reviews arriving in
# between could reorder. The page says when it was computed and offers a fresh one.
PREVIEW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Preview:
    token: str
    computed_at: datetime
    rows: list  # the Results as plain tuples: unpickling 20,000 NamedTuples costs a page's budget

    @property
    def results(self):
        return list(map(Result._make, self.rows))


def preview(call, *, by, token=""):
    """The dry run kept under ``token`` for this call, or a new one (with a new token) when
    there is none: staff only, like every run. Kept in the cache (Redis in production, so every
    worker sees it); a miss only costs a new dry run."""
    _require_staff(by)
    if token:
        kept = cache.get(_preview_key(call, token))
        if kept is not None:
            return kept
    _run, results = run_selection(call, by=by, dry_run=True)
    fresh = Preview(token=uuid.uuid4().hex, computed_at=timezone.now(), rows=list(map(tuple, results)))
    cache.set(_preview_key(call, fresh.token), fresh, PREVIEW_SECONDS)
    return fresh


def _preview_key(call, token):
    return f"selection-preview:{call.pk}:{token}"


def run_selection(call, *, by, dry_run=False):
    """Rank and select; record a SelectionRun unless ``dry_run``. Serialized per call: a second
    run waits for the first to commit (PostgreSQL row lock on the call)."""
    _require_staff(by)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        results, digest, parameters = compute(call, with_hash=not dry_run)
        if dry_run:
            return None, results
        last = SelectionRun.objects.filter(call=call).order_by("-number").first()
        run = SelectionRun.objects.create(
            call=call,
            number=(last.number + 1) if last else 1,
            parameters=parameters,
            inputs_hash=digest,
            created_by=by,
        )
        insert_rows(
            SelectionResult,
            [
                "run_id",
                "application_id",
                "evaluation_score",
                "bonus",
                "final_score",
                "rank",
                "outcome",
                "reason",
                "requested_subsidy",
            ],
            (
                (
                    run.pk,
                    r.application_id,
                    r.evaluation_score,
                    r.bonus,
                    r.final_score,
                    r.rank,
                    str(r.outcome),
                    str(r.reason),
                    r.requested_subsidy,
                )
                for r in results
            ),
        )
    return run, results


PUBLISH = {
    Outcome.SELECTED: "publish_selected",
    Outcome.RESERVE: "publish_reserve",
    Outcome.NOT_SELECTED: "publish_not_selected",
    Outcome.BELOW_CUTOFF: "publish_not_selected",
}


def confirm_run(run, *, by):
    """Publish a recorded run's outcomes as workflow transitions, with notifications.

    Refused when a newer run exists, when it is already confirmed, or when the inputs changed
    since it ran (its hash no longer matches). Outcomes already published stay as they are,
    except that a reserve the run selects is promoted.
    """
    _require_staff(by)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=run.call_id)
        run = SelectionRun.objects.select_for_update().get(pk=run.pk)
        if run.confirmed_at:
            raise TransitionRefused([_("Run #%(number)d is already confirmed.") % {"number": run.number}])
        if SelectionRun.objects.filter(call=call, number__gt=run.number).exists():
            raise TransitionRefused([_("A newer run exists; confirm the latest run.")])
        _results, digest, _parameters = compute(call)
        if digest != run.inputs_hash:
            raise TransitionRefused(
                [_("Scores or settings changed since this run; run the selection again.")]
            )
        by_outcome = defaultdict(list)
        for application_id, outcome in run.results.values_list("application_id", "outcome"):
            by_outcome[outcome].append(application_id)
        description = _("Selection run #%(number)d confirmed.") % {"number": run.number}
        moved = []
        for outcome, transition_name in PUBLISH.items():
            moved += workflow.bulk_transition(
                by_outcome[outcome], transition_name, by=by, description=description
            )
        moved += workflow.bulk_transition(
            by_outcome[Outcome.SELECTED], "promote", by=by, description=description
        )
        now = timezone.now()
        Application.objects.filter(pk__in=moved).update(notified_at=now)
        run.confirmed_at, run.confirmed_by = now, by
        run.save(update_fields=["confirmed_at", "confirmed_by"])
        if call.state == CallState.EVALUATION:
            call.publish_results(by=by, description=description)
            call.save(update_fields=["state", "updated_at"])
        _notify(moved)
    return run


def _notify(application_ids):
    """One e-mail per member of each lead organisation, saying the outcome."""
    for application in (
        Application.objects.filter(pk__in=application_ids)
        .select_related("call", "lead")
        .prefetch_related("lead__members")
    ):
        subject = _("Result of application %(reference)s") % {"reference": application.reference}
        body = _("The result of your application %(reference)s to %(call)s: %(outcome)s.") % {
            "reference": application.reference,
            "call": application.call.display_title,
            "outcome": application.applicant_label,
        }
        for member in application.lead.members.all():
            queue_email(member.email, subject, body)


def latest_confirmed_run(call):
    return SelectionRun.objects.filter(call=call, confirmed_at__isnull=False).order_by("-number").first()


def decline(application, *, by, reason=""):
    """The selected applicant declines; the best reserve that fits the freed room is promoted.
    Returns the promoted application, or None."""
    if not by.has_perm("projects.change_application", application):
        raise PermissionDenied(_("You may not decline for this application."))
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=application.call_id)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state != ApplicationState.SELECTED:
            raise TransitionRefused([_("Only a selected application can be declined.")])
        locked.decline(by=by, description=reason or _("Declined by the applicant."))
        locked.save()
        run = latest_confirmed_run(call)
        if run is None:
            return None
        plan = EvaluationPlan.objects.get(call=call)
        current = _current_results(run, declining=locked.pk)
        _updated, promoted = promote_after_decline(current, locked.pk, quotas_for(call, plan))
        if promoted is None:
            return None
        moved = workflow.bulk_transition(
            [promoted.application_id],
            "promote",
            by=by,
            description=_("Promoted from the reserve list after %(reference)s declined.")
            % {"reference": locked.reference},
        )
        Application.objects.filter(pk__in=moved).update(notified_at=timezone.now())
        _notify(moved)
        return Application.objects.get(pk=promoted.application_id)


def _current_results(run, declining):
    """The run's results with today's outcomes: earlier declines free their place, earlier
    promotions hold one, and ``declining`` still counts as selected until it is freed."""
    from .selection import Reason

    state_of = dict(Application.objects.filter(selection_results__run=run).values_list("pk", "state"))
    current = []
    for row in run.results.select_related("application").order_by("rank", "pk"):
        outcome, reason = row.outcome, row.reason
        state = state_of.get(row.application_id)
        if row.application_id == declining:
            outcome, reason = Outcome.SELECTED, Reason.SELECTED
        elif state == ApplicationState.DECLINED:
            outcome = reason = Outcome.DECLINED
        elif state == ApplicationState.SELECTED:
            outcome, reason = Outcome.SELECTED, Reason.SELECTED
        current.append(
            Result(
                application_id=row.application_id,
                reference=row.application.reference,
                track_id=row.application.track_id,
                field_id=row.application.service_field_id,
                requested_subsidy=row.requested_subsidy,
                evaluation_score=row.evaluation_score,
                bonus=row.bonus,
                final_score=row.final_score,
                rank=row.rank,
                outcome=outcome,
                reason=reason,
            )
        )
    return current
