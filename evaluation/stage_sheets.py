"""Score sheets per stage of a call evaluated in stages (``StageScoreSheet``): each application's
stage score, computed by ``evaluation.scoring.score`` from its current-round reviews in the stage
with the stage's scoring (``stage_runs.stage_scoring``: its cutoff, its own criteria's top and
thresholds, no bonus). Written when an application's review in a stage completes
(``reviewing.complete_reviews``); ``stage_sheets`` computes any missing or stale one before it
reads, so the dashboards show every stage's score distribution in a fixed number of queries.
Advancement runs and the final selection read the reviews themselves, never these sheets."""

import hashlib
import json
from collections import defaultdict

from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from projects.models import Application, ApplicationState

from .models import AdvancementResult, Criterion, Stage, StageScoreSheet
from .score_sheets import _BATCH, SHEET_SCHEMA, candidates_for
from .scoring import score
from .stage_runs import stage_scoring

WAITING_STATES = (ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW)
EVERY_STATE = tuple(ApplicationState.values)
_FIELDS = [
    "reviews",
    "evaluation_score",
    "top_criterion_score",
    "below_cutoff",
    "plan_fingerprint",
    "computed_at",
]


def scoring_of(stage, stages=None):
    """The stage's ScoringPlan, or None while the plan's stages cannot be scored (the stages page
    says why)."""
    plan = stage.plan
    stages = stages if stages is not None else list(Stage.objects.filter(plan=plan).order_by("position"))
    criteria = list(Criterion.objects.filter(plan=plan, stage__in=stages))
    by_stage = {s: [c for c in criteria if c.stage_id == s.pk] for s in stages}
    if plan.stages_problems(stages, by_stage):
        return None
    return stage_scoring(plan, stage, by_stage[stage])


def completed_in(stage):
    """The call's applications whose review in ``stage`` is complete (a queryset): those the
    stage's confirmed advancement run decided, and those whose latest stage it is and who no
    longer wait there (scored, eliminated, selected, ...)."""
    decided = AdvancementResult.objects.filter(
        run__stage=stage, run__confirmed_at__isnull=False, application=OuterRef("pk")
    )
    return (
        Application.objects.filter(call_id=stage.plan.call_id)
        .annotate(latest=Max("assignments__stage__position"))
        .filter(Exists(decided) | (Q(latest=stage.position) & ~Q(state__in=WAITING_STATES)))
    )


def write_stage_sheets(stage, scoring, application_ids):
    """Compute and store the stage's sheets of ``application_ids``. Returns how many."""
    plan = stage.plan
    fingerprint, now, written = stage_fingerprint(scoring), timezone.now(), 0
    ids = sorted(set(application_ids))
    for batch in (ids[i : i + _BATCH] for i in range(0, len(ids), _BATCH)):
        sheets = []
        for candidate in candidates_for(plan.call, scoring, batch, stage.pk, states=EVERY_STATE):
            scored = score(candidate, scoring)
            sheets.append(
                StageScoreSheet(
                    application_id=candidate.application_id,
                    stage=stage,
                    reviews=len(candidate.reviewer_totals),
                    evaluation_score=scored.evaluation_score,
                    top_criterion_score=scored.top_criterion_score,
                    below_cutoff=scored.below_cutoff,
                    plan_fingerprint=fingerprint,
                    computed_at=now,
                )
            )
        StageScoreSheet.objects.bulk_create(
            sheets, update_conflicts=True, unique_fields=["application", "stage"], update_fields=_FIELDS
        )
        written += len(sheets)
    return written


def write_stage_sheets_for(application_ids):
    """The sheets of applications whose review just completed, in the stage they were reviewed
    in (their latest); nothing for calls without stages."""
    latest = defaultdict(list)
    for pk, plan_id, position in (
        Application.objects.filter(pk__in=list(application_ids), assignments__stage__isnull=False)
        .values_list("pk", "call__evaluation_plan")
        .annotate(latest=Max("assignments__stage__position"))
        .order_by()
    ):
        latest[plan_id, position].append(pk)
    if not latest:
        return
    stages = defaultdict(list)
    for stage in Stage.objects.filter(plan_id__in={plan for plan, _p in latest}).select_related("plan__call"):
        stages[stage.plan_id].append(stage)
    for (plan_id, position), ids in latest.items():
        of_plan = sorted(stages[plan_id], key=lambda s: s.position)
        stage = next((s for s in of_plan if s.position == position), None)
        scoring = scoring_of(stage, of_plan) if stage else None
        if scoring is not None:
            write_stage_sheets(stage, scoring, ids)


def stage_fingerprint(scoring):
    """SHA-256 of every setting a stage sheet depends on (no bonus: a stage sheet has none)."""
    settings = {
        "schema": SHEET_SCHEMA,
        "method": str(scoring.method),
        "trim_at": scoring.trim_at,
        "cutoff": str(scoring.cutoff),
        "top_criterion": scoring.top_criterion_id,
        "thresholds": sorted([k, str(v)] for k, v in scoring.thresholds.items()),
    }
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _read(stage, fingerprint):
    sheets = StageScoreSheet.objects.filter(stage=stage, application=OuterRef("pk"))
    return list(
        completed_in(stage)
        .annotate(
            stage_score=Subquery(sheets.values("evaluation_score")[:1]),
            current=Exists(sheets.filter(plan_fingerprint=fingerprint)),
        )
        .values_list("pk", "service_field_id", "stage_score", "current")
        .order_by()
    )


def stage_sheets(stage, scoring):
    """(field id, stage score) of the applications whose review in ``stage`` is complete, read
    from their stage sheets in one query (computing the missing or stale ones first)."""
    fingerprint = stage_fingerprint(scoring)
    rows = _read(stage, fingerprint)
    missing = [pk for pk, _field, _score, current in rows if not current]
    if missing:
        write_stage_sheets(stage, scoring, missing)
        rows = _read(stage, fingerprint)
    return [(field_id, stage_score) for _pk, field_id, stage_score, _current in rows]
