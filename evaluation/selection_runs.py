"""Selection runs for a Call: read the candidates, run evaluation.selection, record the run,
confirm it (publishing the outcomes through the workflow), and promote a reserve when a
selected applicant declines.

Runs are serialized per Call (the Call row is locked for the run), reproducible (the inputs'
hash is recorded) and immutable once written.
"""

import gc
import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import repeat
from operator import attrgetter

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from accounts.system import system_user
from competitions.lifecycle import TransitionRefused, require_call_state
from competitions.models import Call, CallState
from projects import workflow
from projects.bulk import insert_rows
from projects.models import Application, ApplicationState
from projects.models.application import holds_place
from projects.outbox import queue_email

from .invariants import check_outcomes
from .kept_ranking import inputs_of, kept_ranked, ranks_afresh
from .models import Criterion, EvaluationPlan, SelectionResult, SelectionRun
from .score_sheets import (
    SheetsChanged,
    SheetTally,
    candidates_for,
    check_sheets,
    id_chunks,
    ranked_streams,
    scoring_plan,
)
from .scoring import ScoringPlan
from .selection import (
    REASON_LABELS,
    InputsDigest,
    Outcome,
    Quotas,
    Result,
    promote_after_decline,
    select_ranked,
    shortfall,
    walk,
)
from .stage_runs import final_selection, stages_of


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
    tracks = list(call.tracks.all())
    return Quotas(
        call_max=call.max_awards,
        budget=call.budget_total,
        track_max={t.pk: t.max_awards for t in tracks},
        field_max={f.pk: f.max_awards for f in call.service_fields.all()},
        reserve_per_field=plan.reserve_per_field,
        # The call's subsidy rule, read again at selection: a request outside it is never selected.
        subsidy_range={t.pk: (call.subsidy_min, t.effective_subsidy_max) for t in tracks},
    )


def _require_staff(user):
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff run selection."))


@dataclass(frozen=True)
class Settings:
    """What a run of the call is computed under: its plan, the plan's stages (none for a single
    stage), the scoring plan (single stage) and the quotas, and the parameters a run records."""

    plan: EvaluationPlan
    stages: list
    scoring: ScoringPlan | None
    quotas: Quotas
    parameters: dict


def settings_of(call):
    plan = EvaluationPlan.objects.filter(call=call).annotate(staged=Count("stages")).first()
    if plan is None:
        raise TransitionRefused([_("Set up the call's evaluation plan first.")])
    stages = stages_of(plan) if plan.staged else []
    quotas = quotas_for(call, plan)
    if stages:
        parameters = {"stages": [s.pk for s in stages], "final_score": plan.final_score}
        return Settings(plan, stages, None, quotas, parameters)
    criteria = list(Criterion.objects.filter(plan=plan))
    problem = plan.criteria_problem(criteria)
    if problem:
        raise TransitionRefused([problem])
    scoring = scoring_plan(plan, criteria)
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
        "subsidy_range": {str(k): list(v) for k, v in quotas.subsidy_range.items()},
    }
    return Settings(plan, [], scoring, quotas, parameters)


def rank_ahead(calls=None):
    """Beat: rank again, and keep, the ranking of each call in evaluation (``calls``: a queryset
    of calls, all by default) that its next preview would rank afresh: after a change of the
    whole call (a scoring change writes every sheet here, not in a member of staff's request), a
    bulk change of more than ``NAMED_CHANGES`` applications, or the kept ranking's expiry. Staff
    who open the ranking after such a change then read it kept (a preview after a few changes
    places them itself, at a fraction of the cost). A call with no valid plan, or evaluated in
    stages, has no ranking of sheets to keep. Returns the ids of the calls ranked."""
    ranked_ids = []
    calls = Call.objects.all() if calls is None else calls
    for call in calls.filter(state=CallState.EVALUATION).order_by("pk"):
        try:
            settings = settings_of(call)
        except TransitionRefused:
            continue
        if settings.stages:
            continue
        with _collector_paused():
            inputs = inputs_of(call, settings.plan, settings.scoring)
            if ranks_afresh(inputs):
                kept_ranked(call, settings.plan, settings.scoring, inputs)
                ranked_ids.append(call.pk)
    return ranked_ids


def compute(call, *, with_hash=True, last_stage_scores=None, settings=None, inputs=None, plain=False):
    """(results, hash, parameters) for the call's current inputs, without recording anything.

    A preview (no hash) of a single-stage call reads the score sheets, ranked by the database
    (``score_sheets.ranked``), or that ranking kept since nothing it depends on changed
    (``kept_ranking``): no review row is read. With the hash, the results are those a
    recorded run computes (``recorded_inputs``), as a list. For a call evaluated in stages,
    ``last_stage_scores`` (a dict) receives each application's last stage's own score.
    ``settings`` (``settings_of`` the call) and ``inputs`` (``kept_ranking.inputs_of``): when
    just read. ``plain``: the results as plain tuples (a Result's values each).
    """
    settings = settings or settings_of(call)
    if not with_hash and not settings.stages:
        with _collector_paused():
            ranking = kept_ranked(call, settings.plan, settings.scoring, inputs)
            results = select_ranked(ranking.above, ranking.below, settings.quotas, plain=plain)
        return results, None, settings.parameters
    results, digest, parameters = recorded_inputs(call, settings, last_stage_scores)
    return list(map(tuple, results) if plain else results), digest if with_hash else None, parameters


def recorded_inputs(call, settings, last_stage_scores=None):
    """(results, hash, parameters) as a recorded run computes them, every review read (the
    definition; the hash fingerprints every input) and any score sheet that disagrees rewritten,
    so previews and recorded runs give the same results (tested). A single-stage call is read a
    chunk at a time (``checked_inputs_hash``) and its results come one at a time as the ranking
    is walked (``recorded_results``: nothing is read until they are); a call evaluated in stages
    selects from its last stage (``stage_runs.final_selection``), ``last_stage_scores`` receiving
    each application's last stage's own score."""
    if settings.stages:
        results, digest = final_selection(
            call, settings.plan, settings.stages, settings.quotas, last_stage_scores=last_stage_scores
        )
        return results, digest, settings.parameters
    checked = SheetTally()
    digest = checked_inputs_hash(call, settings, checked)
    return recorded_results(call, settings, checked), digest, settings.parameters


def checked_inputs_hash(call, settings, tally=None):
    """The inputs' hash of a single-stage call (``inputs_hash`` of every candidate, the same
    digest), read a chunk of applications at a time in id order: each chunk's reviews are read
    and scored (the definition) and its sheets checked and rewritten where they disagree
    (``check_sheets``), then hashed. ``tally`` (a SheetTally) receives every candidate's scores."""
    digest = InputsDigest()
    for chunk in id_chunks(call):
        candidates = sorted(candidates_for(call, settings.scoring, chunk), key=attrgetter("application_id"))
        check_sheets(call, settings.plan, settings.scoring, candidates, application_ids=chunk, tally=tally)
        digest.add(candidates)
    return digest.hexdigest(settings.scoring, settings.quotas)


def recorded_results(call, settings, checked):
    """The results of a single-stage call, one at a time: the ranking read from the sheets
    ``checked_inputs_hash`` has just checked (the database ranks them, tested equal to
    ``evaluation.scoring.rank``), walked through the quotas (``selection.walk``). ``checked`` is
    the tally of the scores it checked: once walked, a ranking that read other scores (a review
    or a bonus changed while the run read) refuses the run instead of recording it."""
    ranked_tally = SheetTally()
    above, below = ranked_streams(call, settings.plan, settings.scoring, ranked_tally)
    try:
        yield from walk(above, below, settings.quotas)
    except SheetsChanged:
        ranked_tally = None
    if ranked_tally != checked:
        raise TransitionRefused([_("Scores changed while the selection ran; run the selection again.")])


# A preview is kept this long, so that staff page through one consistent ranking (20,000
# applications, 50 a page) instead of a new dry run at every page, which reviews arriving in
# between could reorder. The page says when it was computed and offers a fresh one.
PREVIEW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Preview:
    """A dry run kept for paging: its Results as plain tuples (``rows``: pickled and read back
    as they are, where 20,000 NamedTuples would each name their class), and as Results when
    asked (``results``)."""

    token: str
    computed_at: datetime
    rows: list  # of tuples, a Result's values each

    @cached_property
    def results(self):
        return list(map(tuple.__new__, repeat(Result), self.rows))

    def __reduce__(self):
        return (Preview, (self.token, self.computed_at, self.rows))  # never the Results


# What preview() hands out (32 hex digits): a token of any other form is never looked up.
PREVIEW_TOKEN = re.compile(r"[0-9a-f]{32}")


def preview(call, *, by, token=""):
    """The dry run kept under ``token`` for this call, or the current one: staff only, like
    every run. The current preview's token names what it was computed from (the kept ranking's
    Inputs and the run's parameters, quotas included), so a new preview when nothing changed is
    the one kept (with the time it was computed); otherwise a new dry run. Kept in the cache
    (Redis in production, so every worker sees it); a miss only costs a new dry run. The
    collector is paused throughout: 20,000 results are built, pickled or unpickled, and none
    holds a cycle."""
    _require_staff(by)
    with _collector_paused():
        if PREVIEW_TOKEN.fullmatch(token or ""):  # anything else is no token (and no cache key)
            kept = cache.get(_preview_key(call, token))
            if kept is not None:
                return kept
        settings = settings_of(call)
        inputs, current = None, None
        if not settings.stages:
            inputs = inputs_of(call, settings.plan, settings.scoring)
            current = _current_token(inputs, settings)
            kept = cache.get(_preview_key(call, current)) if current else None
            if kept is not None:
                return kept
        results, _digest, _parameters = compute(
            call, with_hash=False, settings=settings, inputs=inputs, plain=True
        )
        fresh = Preview(token=current or uuid.uuid4().hex, computed_at=timezone.now(), rows=results)
        cache.set(_preview_key(call, fresh.token), fresh, PREVIEW_SECONDS)
    return fresh


def _current_token(inputs, settings):
    """The token of the preview computed from these inputs and parameters; None when the
    ranking is read afresh (``Inputs.version`` None)."""
    if inputs.version is None:
        return None
    named = json.dumps([inputs.key, settings.parameters], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(named.encode()).hexdigest()[:32]


PREVIEW_FORMAT = 2  # bump when what a Preview pickles changes (the cache outlives a deploy)


def _preview_key(call, token):
    return f"selection-preview:{PREVIEW_FORMAT}:{call.pk}:{token}"


_RESULT_COLUMNS = [
    "run_id",
    "application_id",
    "evaluation_score",
    "bonus",
    "final_score",
    "stage_score",
    "rank",
    "outcome",
    "reason",
    "requested_subsidy",
    "service_field_id",
]


def run_selection(call, *, by, dry_run=False):
    """Rank and select; record a SelectionRun unless ``dry_run``. Serialized per call: a second
    run waits for the first to commit (PostgreSQL row lock on the call). Returns (the run, its
    results): a dry run's as a list, a recorded run's as RecordedResults, read back from the
    run's rows when used (a recorded run writes them as it walks, never holding them all)."""
    _require_staff(by)
    if dry_run:  # records nothing, so it neither waits for nor holds the call's lock
        results, _digest, _parameters = compute(call, with_hash=False)
        return None, results
    with transaction.atomic():
        call = require_call_state(call, "selection", by=by)
        stage_scores = {}
        results, digest, parameters = recorded_inputs(call, settings_of(call), stage_scores)
        parameters["min_awards"] = call.min_awards
        last = SelectionRun.objects.filter(call=call).order_by("-number").first()
        run = SelectionRun.objects.create(
            call=call,
            number=(last.number + 1) if last else 1,
            parameters=parameters,
            inputs_hash=digest,
            created_by=by,
        )
        selected = _write_results(run, results, stage_scores)
        short = shortfall(call.min_awards, selected)
        if short:
            run.parameters["shortfall"] = {"minimum": short.minimum, "selected": short.selected}
            run.save(update_fields=["parameters"])
    return run, RecordedResults(run)


def _write_results(run, results, stage_scores):
    """Insert the run's results as they come (in batches); returns how many are selected."""
    selected = 0

    def rows():
        nonlocal selected
        for r in results:
            selected += r.outcome == Outcome.SELECTED
            yield (
                run.pk,
                r.application_id,
                r.evaluation_score,
                r.bonus,
                r.final_score,
                stage_scores.get(r.application_id),
                r.rank,
                str(r.outcome),
                str(r.reason),
                r.requested_subsidy,
                r.field_id,
            )

    with _collector_paused():
        insert_rows(SelectionResult, _RESULT_COLUMNS, rows())
    return selected


class RecordedResults(Sequence):
    """A recorded run's results (``selection.Result``) in the order the run walked them, read
    from its rows when iterated (a chunk at a time), so that a run of 80,000 applications is not
    kept in memory; equal to a list of the same Results."""

    def __init__(self, run):
        self.run = run

    def _rows(self):
        return (
            SelectionResult.objects.filter(run=self.run)
            .order_by("pk")
            .values_list(
                "application_id",
                "application__reference",
                "application__track_id",
                "service_field_id",  # the field the run counted it under (recorded with it)
                "requested_subsidy",
                "evaluation_score",
                "bonus",
                "final_score",
                "rank",
                "outcome",
                "reason",
            )
        )

    def __iter__(self):
        return map(Result._make, self._rows().iterator(chunk_size=2000))

    def __len__(self):
        return self._rows().count()

    def __getitem__(self, index):
        return list(self)[index]

    def __eq__(self, other):
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None

    def __repr__(self):
        return f"<RecordedResults of run #{self.run.number}>"


# The state each outcome of a run is published as.
PUBLISHED_AS = {
    Outcome.SELECTED: ApplicationState.SELECTED,
    Outcome.RESERVE: ApplicationState.RESERVE,
    Outcome.NOT_SELECTED: ApplicationState.NOT_SELECTED,
    Outcome.BELOW_CUTOFF: ApplicationState.NOT_SELECTED,
}
# First publication of a scored application, and a change of a published outcome.
PUBLISH = {
    ApplicationState.SELECTED: "publish_selected",
    ApplicationState.RESERVE: "publish_reserve",
    ApplicationState.NOT_SELECTED: "publish_not_selected",
}
REVISE = {
    ApplicationState.SELECTED: "revise_to_selected",
    ApplicationState.RESERVE: "revise_to_reserve",
    ApplicationState.NOT_SELECTED: "revise_to_not_selected",
}


@dataclass(frozen=True)
class Change:
    """A published outcome a run changes: who gains or loses a place, and why (the run's
    reason code and rank)."""

    application_id: int
    reference: str
    current: str  # the application's state now
    target: str  # the state the run publishes
    reason: str
    rank: int | None

    @property
    def gains_place(self):
        return holds_place(self.target) and not holds_place(self.current)

    @property
    def loses_place(self):
        return holds_place(self.current) and not holds_place(self.target)


def reconcile(run, *, published_only=False):
    """What confirming ``run`` does to the call: (first publications as {state: [application
    ids]}, changes of published outcomes as Changes, refusals). An awarded application (its
    agreement signed) cannot lose its place: a run that takes it away is refused.

    ``published_only``: only the changes and refusals (the ranking page lists them), read from
    the results of applications no longer scored (first publications left empty): a few rows
    of a national call's 20,000 instead of all of them."""
    first = {state: [] for state in PUBLISH}
    changes, refusals = [], []
    results = run.results.all()
    if published_only:
        results = results.filter(
            application__in=Application.objects.filter(call_id=run.call_id).exclude(
                state=ApplicationState.SCORED
            )
        )
    rows = results.values_list(
        "application_id", "application__reference", "application__state", "outcome", "reason", "rank"
    ).order_by("rank", "pk")
    for application_id, reference, state, outcome, reason, rank in rows:
        target = PUBLISHED_AS.get(outcome)
        if target is None or state == target or (state == ApplicationState.AWARDED and holds_place(target)):
            continue
        if state == ApplicationState.SCORED:
            first[target].append(application_id)
        elif state in REVISE:
            changes.append(Change(application_id, reference, state, target, reason, rank))
        elif holds_place(state):  # awarded: the agreement is signed
            refusals.append(
                _(
                    "%(reference)s signed its agreement and cannot lose its place; this run would make it “%(outcome)s” (%(reason)s)."
                )
                % {"reference": reference, "outcome": _label(target), "reason": _label(reason)}
            )
        else:
            refusals.append(
                _("%(reference)s is “%(state)s” and cannot be given this run's outcome.")
                % {"reference": reference, "state": _label(state)}
            )
    return first, changes, refusals


def _label(code):
    """A reason code's or a state's label, in the user's language."""
    if code in REASON_LABELS:
        return str(REASON_LABELS[code])
    return str(ApplicationState(code).label) if code in ApplicationState.values else code


def changes_digest(changes):
    """A fingerprint of a list of changes: staff confirm a run with the list they were shown."""
    text = ";".join(f"{c.application_id}:{c.current}>{c.target}" for c in changes)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def confirm_run(run, *, by, accepted_changes=""):
    """Publish a recorded run's outcomes as workflow transitions, with notifications.

    Publishing reconciles the whole call: every application of the run gets the run's outcome.
    A scored application is published; a published outcome the run changes (a place gained or
    lost) is changed only when staff confirm with the list of changes they were shown
    (``accepted_changes``: its ``changes_digest``), each as a logged transition with a notice.
    Refused when a newer run exists, when it is already confirmed, when the inputs changed since
    it ran (its hash no longer matches), when it would take the place of an awarded application,
    or when the outcomes would break an invariant of the call.
    """
    _require_staff(by)
    with transaction.atomic():
        call = require_call_state(Call(pk=run.call_id), "publication", by=by)
        run = SelectionRun.objects.select_for_update().get(pk=run.pk)
        if run.confirmed_at:
            raise TransitionRefused([_("Run #%(number)d is already confirmed.") % {"number": run.number}])
        if SelectionRun.objects.filter(call=call, number__gt=run.number).exists():
            raise TransitionRefused([_("A newer run exists; confirm the latest run.")])
        # The hash only: a single-stage call's results are never read (nothing walks them).
        _results, digest, _parameters = recorded_inputs(call, settings_of(call))
        if digest != run.inputs_hash:
            raise TransitionRefused(
                [_("Scores or settings changed since this run; run the selection again.")]
            )
        first, changes, refusals = reconcile(run)
        if refusals:
            raise TransitionRefused(refusals)
        if changes and accepted_changes != changes_digest(changes):
            raise TransitionRefused(
                [
                    _(
                        "This run changes outcomes already published (%(count)d); check the list of changes, then confirm it."
                    )
                    % {"count": len(changes)}
                ]
            )
        description = _("Selection run #%(number)d confirmed.") % {"number": run.number}
        moved = []
        for state, transition_name in PUBLISH.items():
            moved += workflow.bulk_transition(first[state], transition_name, by=by, description=description)
        for change in changes:
            moved += workflow.bulk_transition(
                [change.application_id],
                REVISE[change.target],
                by=by,
                description=_("Selection run #%(number)d confirmed with its list of changes: %(reason)s.")
                % {"number": run.number, "reason": _label(change.reason)},
            )
        now = timezone.now()
        Application.objects.filter(pk__in=moved).update(notified_at=now)
        run.confirmed_at, run.confirmed_by = now, by
        run.save(update_fields=["confirmed_at", "confirmed_by"])
        if call.state == CallState.EVALUATION:
            call.publish_results(by=by, description=description)
            call.save(update_fields=["state", "updated_at"])
            # The first publication: those eliminated at a stage receive their letters too.
            moved += Application.objects.filter(call=call, state=ApplicationState.ELIMINATED).values_list(
                "pk", flat=True
            )
        check_outcomes(call)
        _notify(moved)
    return run


def _notify(application_ids):
    """One e-mail per member of each lead organisation, in the member's language, saying the
    outcome, with the result letter once the call's results are published."""
    from .result_letters import letter_text

    for application in (
        Application.objects.filter(pk__in=application_ids)
        .select_related("call", "lead", "track", "service_field")
        .prefetch_related("lead__members")
    ):
        for member in application.lead.members.all():
            with translation.override(member.language):
                subject = _("Result of application %(reference)s") % {"reference": application.reference}
                body = _("The result of your application %(reference)s to %(call)s: %(outcome)s.") % {
                    "reference": application.reference,
                    "call": application.call.display_title,
                    "outcome": application.applicant_label,
                }
                letter = letter_text(application, member.language)
            queue_email(member.email, subject, f"{body}\n\n{letter}" if letter else body)


def latest_confirmed_run(call):
    return SelectionRun.objects.filter(call=call, confirmed_at__isnull=False).order_by("-number").first()


def decline(application, *, by, reason=""):
    """The selected applicant declines; the best reserve that fits the freed room is promoted.
    Returns the promoted application, or None."""
    if not by.has_perm("projects.change_application", application):
        raise PermissionDenied(_("You may not decline for this application."))
    with transaction.atomic():
        call = require_call_state(Call(pk=application.call_id), "decline", by=by)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state != ApplicationState.SELECTED:
            raise TransitionRefused([_("Only a selected application can be declined.")])
        locked.decline(by=by, description=reason or _("Declined by the applicant."))
        locked.save()
        promoted = _promote_after(call, locked, by=by)
        check_outcomes(call)
        return promoted


def _promote_after(call, declined, *, by):
    run = latest_confirmed_run(call)
    if run is None:
        return None
    plan = EvaluationPlan.objects.get(call=call)
    current = _current_results(run, declining=declined.pk)
    if declined.pk not in {r.application_id for r in current}:
        return None
    _updated, promoted = promote_after_decline(current, declined.pk, quotas_for(call, plan))
    if promoted is None:
        return None
    # Automatic, so logged as the system account: the promoted applicant's history must not
    # name the person who declined.
    moved = workflow.bulk_transition(
        [promoted.application_id],
        "promote",
        by=system_user(),
        description=_("Promoted from the reserve list after %(reference)s declined.")
        % {"reference": declined.reference},
    )
    Application.objects.filter(pk__in=moved).update(notified_at=timezone.now())
    _notify(moved)
    return Application.objects.get(pk=promoted.application_id)


def current_outcome(state):
    """An application's current outcome, from its state: selected while it holds a place (the
    one definition, awarded included), reserve, not selected, declined; None while none is
    published (scored, or back under review after an upheld objection)."""
    if holds_place(state):
        return Outcome.SELECTED
    return {
        ApplicationState.RESERVE: Outcome.RESERVE,
        ApplicationState.NOT_SELECTED: Outcome.NOT_SELECTED,
        ApplicationState.DECLINED: Outcome.DECLINED,
    }.get(state)


def _current_results(run, declining):
    """The run's results with today's outcomes (``_current_outcome``): earlier declines free
    their place, earlier promotions and signed agreements hold one, and ``declining`` still
    counts as selected until it is freed."""
    current = []
    for row in run.results.select_related("application").order_by("rank", "pk"):
        application = row.application
        if application.pk == declining:
            outcome = Outcome.SELECTED
        else:  # anything without a place or a reserve's standing is not promotable
            outcome = current_outcome(application.state) or Outcome.NOT_SELECTED
        current.append(
            Result(
                application_id=row.application_id,
                reference=application.reference,
                track_id=application.track_id,
                field_id=application.service_field_id,
                requested_subsidy=row.requested_subsidy,
                evaluation_score=row.evaluation_score,
                bonus=row.bonus,
                final_score=row.final_score,
                rank=row.rank,
                outcome=outcome,
                reason=row.reason if outcome == row.outcome else outcome,
            )
        )
    return current
