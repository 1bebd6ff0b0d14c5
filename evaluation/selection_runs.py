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
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from accounts.system import system_user
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, CallState
from projects import workflow
from projects.bulk import insert_rows
from projects.models import Application, ApplicationState
from projects.outbox import queue_email

from .models import Criterion, EvaluationPlan, SelectionResult, SelectionRun
from .score_sheets import candidates_for, check_sheets, ranked, scoring_plan
from .selection import Outcome, Quotas, Result, inputs_hash, promote_after_decline, select, select_ranked


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a run builds its 20,000 results: they hold
    no cycles, yet the allocations would trigger full collections of the whole process.
    Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def quotas_for(call, plan):
    return Quotas(
        call_max=call.max_awards,
        budget=call.budget_total,
        track_max={t.pk: t.max_awards for t in call.tracks.all()},
        field_max={f.pk: f.max_awards for f in call.service_fields.all()},
        reserve_per_field=plan.reserve_per_field,
    )


def _require_staff(user):
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff run selection."))


def compute(call, *, with_hash=True):
    """(results, hash, parameters) for the call's current inputs, without recording anything.

    A preview (no hash) reads the score sheets, ranked by the database (``score_sheets.ranked``):
    no review row is read. A recorded run reads every review, scores and ranks them here (the
    definition; its hash fingerprints every input) and rewrites any score sheet that disagrees,
    so previews and recorded runs give the same results (tested).
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
    if not with_hash:
        with _collector_paused():
            return select_ranked(*ranked(call, plan, scoring), quotas), None, parameters
    candidates = candidates_for(call, scoring)
    check_sheets(call, plan, scoring, candidates)
    return select(candidates, scoring, quotas), inputs_hash(candidates, scoring, quotas), parameters


# A preview is kept this long, so that staff page through one consistent ranking (20,000
# applications, 50 a page) instead of a new dry run at every page, which reviews arriving in
# between could reorder. The page says when it was computed and offers a fresh one.
PREVIEW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Preview:
    token: str
    computed_at: datetime
    results: list  # of Result

    def __reduce__(self):
        # Kept as plain tuples: pickling 20,000 NamedTuples names the class in each of them.
        return (_kept_preview, (self.token, self.computed_at, list(map(tuple, self.results))))


def _kept_preview(token, computed_at, rows):
    return Preview(token, computed_at, list(map(Result._make, rows)))


def preview(call, *, by, token=""):
    """The dry run kept under ``token`` for this call, or a new one (with a new token) when
    there is none: staff only, like every run. Kept in the cache (Redis in production, so every
    worker sees it); a miss only costs a new dry run. The collector is paused throughout: 20,000
    results are built, pickled or unpickled, and none holds a cycle."""
    _require_staff(by)
    with _collector_paused():
        if token:
            kept = cache.get(_preview_key(call, token))
            if kept is not None:
                return kept
        _run, results = run_selection(call, by=by, dry_run=True)
        fresh = Preview(token=uuid.uuid4().hex, computed_at=timezone.now(), results=results)
        cache.set(_preview_key(call, fresh.token), fresh, PREVIEW_SECONDS)
    return fresh


def _preview_key(call, token):
    return f"selection-preview:{call.pk}:{token}"


def run_selection(call, *, by, dry_run=False):
    """Rank and select; record a SelectionRun unless ``dry_run``. Serialized per call: a second
    run waits for the first to commit (PostgreSQL row lock on the call)."""
    _require_staff(by)
    if dry_run:  # records nothing, so it neither waits for nor holds the call's lock
        results, _digest, _parameters = compute(call, with_hash=False)
        return None, results
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        results, digest, parameters = compute(call)
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
        # Automatic, so logged as the system account: the promoted applicant's history must
        # not name the person who declined.
        moved = workflow.bulk_transition(
            [promoted.application_id],
            "promote",
            by=system_user(),
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
