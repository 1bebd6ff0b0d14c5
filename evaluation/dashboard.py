"""Dashboards of the evaluation side, as plain functions over the database (views only render
them): the staff's landing page (every call at a glance), one call's dashboard (applications by
status and field, eligibility queue, review progress and laggards, places per field against
their maxima, scores against the cutoff, money), and the reviewer's own dashboard.

Each function runs a fixed number of grouped queries whatever the number of applications,
reviews or ledger entries. Money comes from projects.ledger_figures, never added up here.
"""

import dataclasses
from collections import Counter, defaultdict
from statistics import median

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from competitions.models import Call
from projects.ledger_figures import CallMoney, money_per_call
from projects.models import Application, ApplicationState
from projects.models.application import PLACE_STATES, SUBMITTED

from .models import (
    Assignment,
    DeclaredConflict,
    Review,
    Reviewer,
    ReviewerProgress,
    SelectionResult,
    SelectionRun,
    Stage,
)
from .review_progress import progress_annotations
from .scoring import round_half_up
from .stage_runs import stage_progress
from .stage_sheets import scoring_of, stage_sheets

STATE_ORDER = list(ApplicationState.values)
STATE_LABELS = dict(ApplicationState.choices)


def state_counts(applications):
    """(label, count) for each state the ``applications`` are in, in workflow order, with the
    state's translated label (never the stored code)."""
    counts = dict(applications.order_by().values_list("state").annotate(n=Count("pk")))
    return [(STATE_LABELS[state], counts[state]) for state in STATE_ORDER if counts.get(state)]


@dataclasses.dataclass(frozen=True)
class Progress:
    """Reviews of active assignments: submitted, saved as draft, and the total assigned."""

    assigned: int = 0
    submitted: int = 0
    drafts: int = 0

    @property
    def not_started(self):
        return self.assigned - self.submitted - self.drafts

    @property
    def outstanding(self):
        return self.assigned - self.submitted

    @property
    def percent(self):
        return round(100 * self.submitted / self.assigned) if self.assigned else 0


def reviewers_of(call):
    """The reviewers with an assignment in ``call``, by code (a queryset, for a page of them):
    those with a kept progress row in it (evaluation.review_progress)."""
    return (
        Reviewer.objects.filter(Exists(ReviewerProgress.objects.filter(reviewer=OuterRef("pk"), call=call)))
        .select_related("user")
        .order_by("code")
    )


def progress_per_reviewer(call, reviewer_ids):
    """{reviewer id: Progress} in ``call`` of the given reviewers (a page of them), as kept."""
    rows = ReviewerProgress.objects.filter(call=call, reviewer_id__in=reviewer_ids).values_list(
        "reviewer_id", "assigned", "submitted", "drafts"
    )
    return {reviewer_id: Progress(*counts) for reviewer_id, *counts in rows}


def progress_per_application(application_ids):
    """{application id: Progress} of the given applications (a page of them), in one query."""
    rows = (
        Assignment.objects.filter(application_id__in=application_ids)
        .values("application_id")
        .annotate(**progress_annotations())
        .order_by()
    )
    return {row.pop("application_id"): Progress(**row) for row in rows}


# --- The staff's landing page -----------------------------------------------------------------


@dataclasses.dataclass
class CallSummary:
    call: Call
    states: Counter
    progress: Progress
    money: CallMoney
    applications: int = 0  # submitted (projects.models.application.SUBMITTED)

    @property
    def queue(self):
        return self.states[ApplicationState.SUBMITTED]

    @property
    def places_filled(self):
        return sum(self.states[state] for state in PLACE_STATES)


def call_summaries(calls=None):
    """Every call (or those given) with its applications per state, review progress and money."""
    calls = list(
        calls if calls is not None else Call.objects.select_related("programme").order_by("-opens_at")
    )
    ids = [call.pk for call in calls]
    states = defaultdict(Counter)
    submitted = Counter()
    for call_id, state, count, sent in (
        Application.objects.filter(call_id__in=ids)
        .values_list("call_id", "state")
        .annotate(n=Count("pk"), sent=Count("pk", filter=SUBMITTED))
        .order_by()
    ):
        states[call_id][state] = count
        submitted[call_id] += sent
    progress = {  # the reviewers' kept progress (evaluation.review_progress), added up per call
        call_id: Progress(assigned, submitted, drafts)
        for call_id, assigned, submitted, drafts in ReviewerProgress.objects.filter(call_id__in=ids)
        .values_list("call_id")
        .annotate(Sum("assigned"), Sum("submitted"), Sum("drafts"))
        .order_by()
    }
    money = money_per_call(ids)
    return [
        CallSummary(
            call, states[call.pk], progress.get(call.pk, Progress()), money[call.pk], submitted[call.pk]
        )
        for call in calls
    ]


# --- One call ---------------------------------------------------------------------------------


@dataclasses.dataclass
class FieldRow:
    field: object  # a ServiceField, or None for applications without one
    states: Counter
    scores: list
    cells: list = dataclasses.field(default_factory=list)  # counts in the order of the columns
    total: int = 0  # submitted (projects.models.application.SUBMITTED)

    @property
    def name(self):
        return self.field.display_name if self.field else None

    @property
    def filled(self):
        return sum(self.states[state] for state in PLACE_STATES)

    @property
    def maximum(self):
        return self.field.max_awards if self.field else None

    @property
    def score_summary(self):
        if not self.scores:
            return None
        return {
            "count": len(self.scores),
            "low": min(self.scores),
            "median": round_half_up(median(self.scores)),
            "high": max(self.scores),
        }


@dataclasses.dataclass
class ReviewerRow:
    code: str
    email: str
    progress: Progress


@dataclasses.dataclass
class CallDashboard:
    call: Call
    states: list  # (state, label, count) in workflow order, only states present
    fields: list  # FieldRow
    columns: list  # (state, label) shown in the field table
    progress: Progress
    reviewers: list  # ReviewerRow, the most outstanding first
    run: SelectionRun | None
    cutoff: object
    money: CallMoney
    applications: int = 0  # submitted (projects.models.application.SUBMITTED)

    @property
    def queue(self):
        return dict((state, count) for state, _label, count in self.states).get(ApplicationState.SUBMITTED, 0)

    @property
    def laggards(self):
        return [row for row in self.reviewers if row.progress.outstanding]

    @property
    def places(self):
        return [(row.name, row.filled, row.maximum) for row in self.fields if row.field is not None]

    @property
    def score_rows(self):
        return [(row.name, row.scores) for row in self.fields if row.field is not None and row.scores]


def call_dashboard(call):
    plan = getattr(call, "evaluation_plan", None)
    fields = list(call.service_fields.all())
    per_field = defaultdict(Counter)
    totals = Counter()
    submitted = Counter()
    for field_id, state, count, sent in (
        Application.objects.filter(call=call)
        .values_list("service_field_id", "state")
        .annotate(n=Count("pk"), sent=Count("pk", filter=SUBMITTED))
        .order_by()
    ):
        per_field[field_id][state] += count
        totals[state] += count
        submitted[field_id] += sent
    run = SelectionRun.objects.filter(call=call).order_by("-number").first()
    scores = defaultdict(list)
    if run is not None:
        for field_id, score, count in run_score_counts(run):
            scores[field_id].extend([score] * count)
    rows = [
        FieldRow(field, per_field[field.pk], scores[field.pk], total=submitted[field.pk]) for field in fields
    ]
    if per_field.get(None) or scores.get(None):
        rows.append(FieldRow(None, per_field[None], scores[None], total=submitted[None]))
    reviewers = [
        ReviewerRow(code, email, Progress(assigned, submitted, drafts))
        for code, email, assigned, submitted, drafts in _progress_per_reviewer(call)
    ]
    reviewers.sort(key=lambda row: (-row.progress.outstanding, row.code))
    overall = Progress(
        assigned=sum(r.progress.assigned for r in reviewers),
        submitted=sum(r.progress.submitted for r in reviewers),
        drafts=sum(r.progress.drafts for r in reviewers),
    )
    present = [state for state in STATE_ORDER if totals[state]]
    columns = [(state, STATE_LABELS[state]) for state in present if state != ApplicationState.DRAFT]
    for row in rows:
        row.cells = [row.states[state] for state, _label in columns]
    return CallDashboard(
        call=call,
        states=[(state, STATE_LABELS[state], totals[state]) for state in present],
        fields=rows,
        columns=columns,
        progress=overall,
        reviewers=reviewers,
        run=run,
        cutoff=plan.cutoff if plan else None,
        money=money_per_call([call.pk])[call.pk],
        applications=submitted.total(),
    )


RUN_SCORES_SECONDS = 24 * 60 * 60


def run_score_counts(run):
    """(service field id, evaluation score, how many) of a recorded run's results, in score
    order: each distinct score once (scores repeat a great deal), a few hundred rows instead of
    one Decimal per application of a 20,000-application call. Grouped from the results alone,
    by the field each was recorded under (SelectionResult.service_field), from the index: not
    joined to the applications (20,000 rows looked up: 15-25 ms of SQLite; now about 2 ms). A
    recorded run's results never change (they are written once, with the run), so they are
    also kept in the cache under the run (its number and time included) for a day."""
    key = f"run-score-counts:{run.call_id}:{run.pk}:{run.number}:{run.created_at.timestamp()}"
    rows = cache.get(key)
    if rows is None:
        rows = list(
            SelectionResult.objects.filter(run=run, evaluation_score__isnull=False)
            .values_list("service_field_id", "evaluation_score")
            .annotate(count=Count("pk"))
            .order_by("evaluation_score")
        )
        cache.set(key, rows, RUN_SCORES_SECONDS)
    return rows


def _progress_per_reviewer(call):
    """(code, e-mail, assigned, submitted, drafts) per reviewer of ``call``: their kept progress
    (evaluation.review_progress), one row a reviewer, instead of counting the call's 100,000
    assignments and reviews at each view."""
    return ReviewerProgress.objects.filter(call=call).values_list(
        "reviewer__code", "reviewer__user__email", "assigned", "submitted", "drafts"
    )


# --- One stage of a call evaluated in stages ----------------------------------------------------


@dataclasses.dataclass
class StageDashboard:
    stages: list  # the call's stages in order, each with ``waiting`` (applications in it now)
    stage: Stage  # the one shown
    states: list  # (label, count) of the applications whose latest stage it is
    progress: Progress  # of the stage's reviews
    fields: list  # FieldRow per service field, ``scores`` the stage scores of complete reviews
    scorable: bool  # False while the plan's stages cannot be scored (the stages page says why)

    @property
    def cutoff(self):
        return self.stage.cutoff

    @property
    def scored(self):
        return sum(len(row.scores) for row in self.fields)

    @property
    def score_rows(self):
        return [(row.name or "—", row.scores) for row in self.fields if row.scores]


def stage_dashboard(call, stage_id=None):
    """The dashboard of one stage (``stage_id``, or the latest stage holding applications): its
    applications by state, its review progress and the score distribution per field read from
    the stage's score sheets (evaluation.stage_sheets). None for a call without stages. A fixed
    number of queries whatever the number of applications."""
    stages = list(
        Stage.objects.filter(plan__call=call)
        .select_related("plan")
        .annotate(**progress_annotations("assignments__"))  # each stage's reviews, in the same query
        .order_by("position")
    )
    if not stages:
        return None
    progress_by_stage = stage_progress(call, stages)
    for stage in stages:
        stage.waiting = sum(progress_by_stage[stage.pk].values())
    stage = next((s for s in stages if s.pk == stage_id), None) or next(
        (s for s in reversed(stages) if s.waiting), stages[0]
    )
    counts = progress_by_stage[stage.pk]
    scoring = scoring_of(stage, stages)
    scores = defaultdict(list)
    for field_id, stage_score in stage_sheets(stage, scoring) if scoring else []:
        if stage_score is not None:
            scores[field_id].append(stage_score)
    fields = [FieldRow(field, Counter(), sorted(scores[field.pk])) for field in call.service_fields.all()]
    if scores.get(None):
        fields.append(FieldRow(None, Counter(), sorted(scores[None])))
    return StageDashboard(
        stages=stages,
        stage=stage,
        states=[(STATE_LABELS[state], counts[state]) for state in STATE_ORDER if counts[state]],
        progress=Progress(stage.assigned, stage.submitted, stage.drafts),
        fields=fields,
        scorable=scoring is not None,
    )


# --- The reviewer -----------------------------------------------------------------------------


@dataclasses.dataclass
class ReviewerCall:
    call: Call
    due_at: object
    progress: Progress
    recused: int


@dataclasses.dataclass
class ReviewerDashboard:
    assignments: list
    calls: list  # ReviewerCall
    conflicts: list  # (DeclaredConflict, name hidden because it leads an application of a blind call)
    recusals: list  # Assignment (recused)
    now: object

    @property
    def progress(self):
        return Progress(
            assigned=sum(c.progress.assigned for c in self.calls),
            submitted=sum(c.progress.submitted for c in self.calls),
            drafts=sum(c.progress.drafts for c in self.calls),
        )


def reviewer_dashboard(reviewer, now=None):
    """Only this reviewer's assignments; per call their progress and due date; the conflicts
    they declared and the assignments they recused themselves from."""
    assignments = list(
        Assignment.objects.filter(reviewer=reviewer)
        .select_related("application__call__evaluation_plan", "application__lead", "review", "stage")
        .order_by("application__call_id", "application__reference")
    )
    per_call = {}
    counts = defaultdict(Counter)
    for assignment in assignments:
        call = assignment.application.call
        per_call.setdefault(call.pk, call)
        bucket = counts[call.pk]
        if assignment.state == Assignment.State.RECUSED:
            bucket["recused"] += 1
        elif assignment.state == Assignment.State.ACTIVE:
            bucket["assigned"] += 1
            review = getattr(assignment, "review", None)
            if review is not None:
                bucket["submitted" if review.state == Review.State.SUBMITTED else "drafts"] += 1
    calls = []
    for call_id, call in per_call.items():
        plan = getattr(call, "evaluation_plan", None)
        bucket = counts[call_id]
        calls.append(
            ReviewerCall(
                call=call,
                due_at=plan.review_due_at if plan else None,
                progress=Progress(bucket["assigned"], bucket["submitted"], bucket["drafts"]),
                recused=bucket["recused"],
            )
        )
    calls.sort(key=lambda c: (c.due_at is None, c.due_at or 0, c.call.pk))
    # A blind call or stage names no applicant to its reviewers, not even through a recorded conflict.
    blind_leads = {a.application.lead_id for a in assignments if a.hides_applicant}
    conflicts = (
        DeclaredConflict.objects.filter(reviewer=reviewer)
        .select_related("organisation")
        .order_by("-declared_at")
    )
    return ReviewerDashboard(
        assignments=assignments,
        calls=calls,
        conflicts=[(conflict, conflict.organisation_id in blind_leads) for conflict in conflicts],
        recusals=[a for a in assignments if a.state == Assignment.State.RECUSED],
        now=now or timezone.now(),
    )
