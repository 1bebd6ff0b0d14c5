"""Advancement runs of a call evaluated in stages, and its final ranking (DESIGN.md §3 "Stages").

Reads each stage's current-round reviews from the database, scores and advances them with
``evaluation.stages`` (no rule here), records the run like a selection run (numbered, its
parameters and inputs' hash), and, once staff confirm it, moves each application on to the next
stage or eliminates it there, every move a logged transition with its reason and margin.
"""

import hashlib
import json
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused, require_call_state
from projects import workflow
from projects.models import Application, ApplicationState

from .models import AdvancementResult, AdvancementRun, Criterion, FinalScore, Stage
from .no_shows import apply_no_shows, salted
from .review_rounds import lacking_reason, lacking_reviews
from .score_sheets import CONSIDERED_STATES, candidates_for
from .scoring import ScoringPlan, _key_builder, score
from .selection import Reason as SelectionReason
from .selection import _below_key, inputs_hash, select_ranked
from .stage_notices import notify_advancement
from .stages import (
    Advancement,
    Outcome,
    Reason,
    StageResult,
    advance,
    final_score,
    margin_text,
    short_of_minimum,
)
from .stages import inputs_hash as advancement_hash


def stages_of(plan):
    """The plan's stages in order; empty for a plan that is its own single stage."""
    return list(Stage.objects.filter(plan=plan).order_by("position"))


def stage_scoring(plan, stage, criteria, *, bonus=False):
    """The ScoringPlan of a stage: the plan's aggregation and tie-breaks, the stage's cutoff, its
    own criteria's top and thresholds; bonus points only where the final score is formed."""
    top = plan.top_criterion(criteria)
    return ScoringPlan(
        method=plan.aggregation,
        trim_at=plan.trim_at,
        cutoff=stage.cutoff,
        bonus_cap=plan.bonus_cap if bonus else 0,
        top_criterion_id=top.pk if top else None,
        thresholds={c.pk: c.threshold for c in criteria if c.threshold is not None},
        tie_breaks=tuple(plan.tie_breaks),
    )


def _checked(plan, stages):
    criteria = list(Criterion.objects.filter(plan=plan, stage__in=stages))
    by_stage = {stage: [c for c in criteria if c.stage_id == stage.pk] for stage in stages}
    problems = plan.stages_problems(stages, by_stage)
    if problems:
        raise TransitionRefused(problems)
    return by_stage


def _in_stage(call, stage, states):
    """Ids of the call's applications in these states whose latest stage is ``stage``."""
    return sorted(
        Application.objects.filter(call=call, state__in=states)
        .annotate(latest=Max("assignments__stage__position"))
        .filter(latest=stage.position)
        .values_list("pk", flat=True)
    )


def advancement_of(call, stage):
    return Advancement(
        rule=stage.advancement,
        field_places={f.pk: f.max_awards for f in call.service_fields.all()},
        call_places=call.max_awards,
        count=stage.advance_count,
        multiple=stage.advance_multiple,
    )


def compute_advancement(stage):
    """(results, hash, parameters) of the stage's current inputs, recording nothing."""
    plan = stage.plan
    call = plan.call
    stages = stages_of(plan)
    if stage.pk == stages[-1].pk:
        raise TransitionRefused([_("The last stage is decided by the selection, not by advancement.")])
    criteria = _checked(plan, stages)[stage]
    waiting = _in_stage(call, stage, [ApplicationState.UNDER_REVIEW])
    if waiting:
        short = lacking_reviews(Application.objects.filter(pk__in=waiting).order_by("reference", "pk"))
        raise TransitionRefused(
            [
                _("%(count)d applications are still under review in this stage; close its review first.")
                % {"count": len(waiting)},
                *(lacking_reason(*row) for row in short),
            ]
        )
    scoring = stage_scoring(plan, stage, criteria)
    advancement = advancement_of(call, stage)
    ids = _in_stage(call, stage, [ApplicationState.SCORED])
    candidates = (
        [
            c.__class__(**{**c.__dict__, "bonus_points": ()})
            for c in candidates_for(call, scoring, ids, stage.pk)
        ]
        if ids
        else []
    )
    parameters = {
        "stage": stage.pk,
        "cutoff": str(stage.cutoff),
        "rule": stage.advancement,
        "count": stage.advance_count,
        "multiple": None if stage.advance_multiple is None else str(stage.advance_multiple),
        "field_places": {str(k): v for k, v in advancement.field_places.items()},
        "top_criterion": scoring.top_criterion_id,
        "tie_breaks": list(scoring.tie_breaks),
        "minimum_reviews": stage.minimum_reviews,
    }
    ranked, absent, no_show_key = apply_no_shows(stage, candidates, scoring)
    results = advance(ranked, scoring, advancement, stage.minimum_reviews)
    _refuse_held(results, stage)
    eliminated = [
        StageResult(c.application_id, c.reference, c.field_id, None, None, None, Outcome.ELIMINATED,
                    Reason.NO_SHOW, None, None, None)
        for c in sorted(absent, key=lambda c: (c.reference, c.application_id))
    ]  # fmt: skip
    return (
        results + eliminated,
        salted(advancement_hash(candidates, scoring, advancement, stage.minimum_reviews), no_show_key),
        parameters,
    )


def _refuse_held(results, stage):
    """A stage's outcomes are decided only for applications with at least its minimum of counted
    reviews: any held for too few refuses the run, with each one's reason (as closing a review
    lists those it cannot score), and nothing is recorded."""
    held = [r for r in results if r.outcome == Outcome.HELD]
    if held:
        minimum = stage.minimum_reviews
        raise TransitionRefused([lacking_reason(r, minimum - int(r.margin), minimum, stage) for r in held])


def record_advancement(stage, *, by):
    """Record an advancement run of the stage (serialized per call); returns it."""
    with transaction.atomic():
        stage = Stage.objects.select_related("plan__call").get(pk=stage.pk)  # the settings as stored
        require_call_state(stage.plan.call, "advancement", by=by)
        results, digest, parameters = compute_advancement(stage)
        last = AdvancementRun.objects.filter(stage=stage).order_by("-number").first()
        run = AdvancementRun.objects.create(
            stage=stage,
            number=(last.number + 1) if last else 1,
            parameters=parameters,
            inputs_hash=digest,
            created_by=by,
        )
        AdvancementResult.objects.bulk_create(
            AdvancementResult(
                run=run,
                application_id=r.application_id,
                stage_score=r.stage_score,
                top_criterion_score=r.top_criterion_score,
                field_rank=r.field_rank,
                outcome=r.outcome,
                reason=r.reason,
                margin=r.margin,
                field_advancing=r.field_advancing,
                last_advancing_score=r.last_advancing_score,
            )
            for r in results
        )
    return run


def confirm_advancement(run, *, by):
    """Move the run's applications on: the advancing ones to the next stage's review, the others
    eliminated at this stage with their reason and margin (each a logged transition), and tell
    each applicant (evaluation.stage_notices; the objection window runs from then). Refused
    when already confirmed, when a newer run exists, or when the inputs changed since it ran."""
    with transaction.atomic():
        stage = Stage.objects.select_related("plan__call").get(pk=run.stage_id)
        require_call_state(stage.plan.call, "advancement", by=by)
        run = AdvancementRun.objects.select_for_update().get(pk=run.pk)
        if run.confirmed_at:
            raise TransitionRefused([_("Run #%(number)d is already confirmed.") % {"number": run.number}])
        if AdvancementRun.objects.filter(stage=stage, number__gt=run.number).exists():
            raise TransitionRefused([_("A newer run exists; confirm the latest run.")])
        _results, digest, _parameters = compute_advancement(stage)
        if digest != run.inputs_hash:
            raise TransitionRefused([_("Scores or settings changed since this run; record it again.")])
        results = list(run.results.all())
        advancing = [r.application_id for r in results if r.outcome == Outcome.ADVANCED]
        workflow.bulk_transition(
            advancing,
            "advance",
            by=by,
            description=_("Advanced to the next stage (advancement run #%(number)d of %(stage)s).")
            % {"number": run.number, "stage": stage},
        )
        for r in results:
            if r.outcome == Outcome.ELIMINATED:
                workflow.bulk_transition(
                    [r.application_id],
                    "eliminate",
                    by=by,
                    description=_("Eliminated at %(stage)s: %(margin)s.")
                    % {"stage": stage, "margin": margin_text(r)},
                )
        now = timezone.now()
        Application.objects.filter(pk__in=[r.application_id for r in results]).update(notified_at=now)
        run.confirmed_at, run.confirmed_by = now, by
        run.save(update_fields=["confirmed_at", "confirmed_by"])
        notify_advancement(run)  # each applicant told, in the transaction: a refusal tells nobody
    return run


# -- The final ranking ----------------------------------------------------------------------------


def _confirmed_stage_scores(stages, application_ids):
    """{(stage id, application id): its score in the stage's latest confirmed advancement run}."""
    scores = {}
    rows = (
        AdvancementResult.objects.filter(
            run__stage__in=stages, run__confirmed_at__isnull=False, application_id__in=application_ids
        )
        .order_by("run__number")
        .values_list("run__stage_id", "application_id", "stage_score")
    )
    for stage_id, application_id, stage_score in rows:
        scores[stage_id, application_id] = stage_score  # a later run replaces an earlier one
    return scores


def final_selection(call, plan, stages, quotas, *, last_stage_scores=None):
    """(results, hash) of the selection of a call evaluated in stages: the final score of each
    application in the last stage (the weighted sum of its rounded stage scores, or the last
    stage's alone) plus its bonus, capped; those that passed the last stage's cutoff are ranked
    with the last stage's top criterion as the first tie-break and walked as selection walks.
    ``last_stage_scores``, a dict, receives {application id: its last stage's own score}, which a
    recorded run keeps (the result letters tell it)."""
    criteria = _checked(plan, stages)
    last = stages[-1]
    scoring = stage_scoring(plan, last, criteria[last], bonus=True)
    ids = _in_stage(call, last, CONSIDERED_STATES)
    candidates = candidates_for(call, scoring, ids, last.pk) if ids else []
    candidates, absent, no_show_key = apply_no_shows(last, candidates, scoring)
    if short := short_of_minimum(candidates, last.minimum_reviews):  # never scored, so never ranked
        minimum = last.minimum_reviews
        raise TransitionRefused([lacking_reason(c, len(c.reviewer_totals), minimum, last) for c in short])
    earlier = stages[:-1]
    kept = _confirmed_stage_scores(earlier, ids)
    weights = [stage.weight for stage in stages] if plan.final_score == FinalScore.WEIGHTED else None
    key = _key_builder(scoring.tie_breaks)
    above, below, inputs = [], [], []
    for candidate in candidates:
        scored = score(candidate, scoring)
        if last_stage_scores is not None:
            last_stage_scores[candidate.application_id] = scored.evaluation_score
        stage_scores = [kept.get((stage.pk, candidate.application_id)) for stage in earlier]
        inputs.append([candidate.application_id, [str(s) for s in stage_scores]])
        evaluation = scored.evaluation_score
        if evaluation is not None and None not in stage_scores:
            evaluation = final_score([*stage_scores, evaluation], weights)
        elif evaluation is not None:
            evaluation = None  # an earlier stage without a confirmed score: not ranked
        final = None if evaluation is None else evaluation + scored.bonus
        row = (
            candidate.application_id,
            candidate.reference,
            candidate.track_id,
            candidate.field_id,
            candidate.requested_subsidy,
            evaluation,
            scored.bonus,
            final,
        )
        if scored.below_cutoff or evaluation is None:
            below.append((_below_key(final, candidate), row))
        else:
            above.append((key(final, scored.top_criterion_score, candidate), row))
    for candidate in absent:  # a no-show eliminated at the last stage: ranked nowhere
        row = (candidate.application_id, candidate.reference, candidate.track_id, candidate.field_id,
               candidate.requested_subsidy, None, Decimal(0), None)  # fmt: skip
        below.append((_below_key(None, candidate), row))
    above.sort(key=lambda entry: entry[0])
    below.sort(key=lambda entry: entry[0])
    results = select_ranked([row for _k, row in above], [row for _k, row in below], quotas)
    if absent:
        gone = {c.application_id for c in absent}
        results = [
            r._replace(reason=SelectionReason.NO_SHOW) if r.application_id in gone else r for r in results
        ]
    stage_settings = [[s.pk, str(s.weight), str(s.cutoff)] for s in stages]
    text = json.dumps(
        {
            "selection": inputs_hash(candidates, scoring, quotas),
            "stages": stage_settings,
            "final_score": plan.final_score,
            "earlier": sorted(inputs),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return results, salted(hashlib.sha256(text.encode("ascii")).hexdigest(), no_show_key)


# -- What the staff page shows ---------------------------------------------------------------------


def stage_progress(call, stages):
    """{stage id: Counter of the states of the applications whose latest stage it is}, in one query."""
    from collections import Counter

    by_position = {stage.position: stage.pk for stage in stages}
    progress = {stage.pk: Counter() for stage in stages}
    rows = (
        Application.objects.filter(call=call, assignments__stage__isnull=False)
        .annotate(latest=Max("assignments__stage__position"))
        .values_list("latest", "state")
    )
    for latest, state in rows:
        if latest in by_position:
            progress[by_position[latest]][state] += 1
    return progress


def current_stages(call, application_ids):
    """{application id: the Stage it is reviewed in now}: the first stage, or the one after the
    last stage whose confirmed advancement run advanced it or from which an upheld objection
    reinstated it (``Reinstatement``). Empty for a call without stages."""
    from .models import Reinstatement

    stages = list(Stage.objects.filter(plan__call=call).order_by("position"))
    if not stages:
        return {}
    ids = list(application_ids)
    passed = dict(
        AdvancementResult.objects.filter(
            application_id__in=ids,
            run__confirmed_at__isnull=False,
            outcome=Outcome.ADVANCED,
        )
        .order_by()
        .values_list("application_id")
        .annotate(last=Max("run__stage__position"))
    )
    for application_id, position in (
        Reinstatement.objects.filter(application_id__in=ids)
        .order_by()
        .values_list("application_id", "stage__position")
    ):
        passed[application_id] = max(passed.get(application_id, 0), position)
    following = {stage.position: stages[n + 1] for n, stage in enumerate(stages[:-1])}
    return {pk: following.get(passed[pk], stages[-1]) if pk in passed else stages[0] for pk in ids}
