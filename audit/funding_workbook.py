"""The funding workbook for auditors: one .xlsx with every call's quotas, applications, scores,
awards and money ledgers, a summary per service field and the checks that reconcile them.

Written through ``audit.xlsx_writer`` (XlsxWriter in constant-memory mode): each row goes from
a database cursor (read in chunks; a server-side cursor on PostgreSQL) straight into the sheet's
XML stream, so memory stays flat whatever the number of rows (DESIGN.md §5: ≤ 120 MB, the same
at 10,000 and 100,000 ledger rows). The detail sheets are read with plain SQL on a cursor rather than through the ORM,
which would build a model instance or run converters for each of 500,000 score rows.

- Amounts are integer KRW in numeric cells formatted ``#,##0``; times are date cells in
  Asia/Seoul wall time (``yyyy-mm-dd hh:mm``); dates ``yyyy-mm-dd``; scores plain numbers.
- Every text cell goes through ``config.safe_cells.safe_text`` (no control characters, no
  formula injection).
- Headers and sheet names follow ``lang``. Enumerated values (states, kinds, outcomes) are the
  system's codes in the English edition; the Korean edition shows their Korean labels where a
  person reads them and keeps the codes in columns of their own at the end of the row
  (``audit.code_labels``).
- Reviewers appear only by their pseudonymous code, never by name.
- Every outcome can be recomputed from the workbook alone: the Calls sheet holds each plan's
  scoring settings and the Criteria sheet its criteria (order, maximum points, weight,
  threshold); the Scores sheet lists every submitted review with its round, those superseded by
  a re-review marked (on record, never counted), and "Reviews" on Applications counts the
  reviews that count (``Review.objects.counted``, as scoring does).
- The Summary is computed with GROUP BY queries; the detail-side totals are added up while the
  detail sheets stream; the Checks sheet compares the two, and the quota maxima.

The sheets are read one after the other. If staff change a call's data while it is exported,
a reconciliation check may FAIL; export again. ``snapshot=True`` reads everything in one
transaction (REPEATABLE READ on PostgreSQL) so that the sheets always agree, but then
``progress`` runs inside that transaction too: a callback that records progress in the
database through the default connection is not seen by others until the export ends (and on
SQLite it would hold the write lock for the whole export). The command line uses a snapshot;
export jobs, which record their progress, do not.
"""

from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.identities import pseudonyms
from accounts.models import User
from competitions.formatting import SEOUL
from competitions.models import BudgetCategory, Call, Region, ServiceField, Track
from config.korean import resolve_particles
from config.safe_cells import safe_text
from evaluation.invariants import outcome_checks
from evaluation.models import (
    AdvancementResult,
    Assignment,
    Criterion,
    EvaluationPlan,
    Review,
    Reviewer,
    Score,
    SelectionRun,
    Stage,
)
from evaluation.models import SelectionResult as Result
from evaluation.models.review import counted_reviews_sql
from evaluation.selection import Outcome, Reason
from evaluation.selection_runs import current_outcome
from projects.ledger_figures import PAID, RECOVERED, LedgerSums, with_money
from projects.models import (
    Application,
    ApplicationState,
    Award,
    DisbursementEntry,
    Expenditure,
    Organisation,
    Project,
    Settlement,
)
from projects.models.application import ELIGIBILITY_PENDING_STATES, PLACE_STATES, SUBMITTED
from projects.money_invariants import INVARIANTS, ProjectMoney, broken
from projects.registration_number import format_registration_number

from . import answers_sheet, budget_sheet, code_labels, duplicates_sheet, indicators_sheet, xlsx_writer
from .schedule_sheets import LOG_COLUMNS, SLOT_COLUMNS, log_rows, schedule_checks, slot_rows

TEXT, NUMBER, KRW, DATETIME, DATE = "text", "number", "krw", "datetime", "date"
NUMBER_FORMATS = {KRW: "#,##0", DATETIME: "yyyy-mm-dd hh:mm", DATE: "yyyy-mm-dd"}
CHUNK = 2000  # rows fetched from the cursor at a time
PROGRESS_EVERY = 10_000  # rows between progress reports

State = ApplicationState
NOT_ELIGIBLE_STATES = (State.DRAFT, *ELIGIBILITY_PENDING_STATES, State.WITHDRAWN, State.INELIGIBLE)
SELECTED_STATES = PLACE_STATES  # holding a place: the one definition
APPROVED = Expenditure.State.APPROVED

# Submitted applications (the one definition, projects.models.application.SUBMITTED): everything
# but drafts, and drafts withdrawn before submission; the same condition in SQL.
SUBMITTED_Q = SUBMITTED
SUBMITTED_SQL = "p.state <> %s AND NOT (p.state = %s AND p.submitted_at IS NULL)"
SUBMITTED_PARAMS = [State.DRAFT, State.WITHDRAWN]


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: int = 14


def _columns(*specs):
    return tuple(Column(*spec) for spec in specs)


SHEETS = {
    "Calls": _columns(
        (gettext_lazy("Call"), TEXT, 22),
        (gettext_lazy("Title"), TEXT, 50),
        (gettext_lazy("Programme"), TEXT, 30),
        (gettext_lazy("Opens"), DATETIME, 17),
        (gettext_lazy("Closes"), DATETIME, 17),
        (gettext_lazy("Budget (KRW)"), KRW, 17),
        (gettext_lazy("Max awards"), NUMBER, 11),
        (gettext_lazy("Subsidy min (KRW)"), KRW, 17),
        (gettext_lazy("Subsidy max (KRW)"), KRW, 17),
        (gettext_lazy("Cutoff"), NUMBER, 9),
        (gettext_lazy("Aggregation"), TEXT, 14),
        (gettext_lazy("Trim at reviews"), NUMBER, 9),
        (gettext_lazy("Bonus cap"), NUMBER, 9),
        (gettext_lazy("Reserve per field"), NUMBER, 9),
        (gettext_lazy("Selection run"), NUMBER, 9),
        (gettext_lazy("Selection confirmed at"), DATETIME, 17),
        (gettext_lazy("Reviews per application"), NUMBER, 9),
        (gettext_lazy("Minimum reviews"), NUMBER, 9),
        (gettext_lazy("Tie-break order"), TEXT, 40),
        (gettext_lazy("Final score rule"), TEXT, 14),
    ),
    "Quotas": _columns(
        (gettext_lazy("Call"), TEXT, 22),
        (gettext_lazy("Kind"), TEXT, 8),
        (gettext_lazy("Name"), TEXT, 36),
        (gettext_lazy("Max awards"), NUMBER, 11),
    ),
    "Criteria": _columns(
        (gettext_lazy("Call"), TEXT, 22),
        (gettext_lazy("Order"), NUMBER, 7),
        (gettext_lazy("Criterion"), TEXT, 28),
        (gettext_lazy("Max points"), NUMBER, 10),
        (gettext_lazy("Weight"), NUMBER, 8),
        (gettext_lazy("Threshold"), NUMBER, 10),
        (gettext_lazy("Stage"), NUMBER, 7),
    ),
    "Stages": _columns(
        (gettext_lazy("Call"), TEXT, 22),
        (gettext_lazy("Stage"), NUMBER, 7),
        (gettext_lazy("Name"), TEXT, 24),
        (gettext_lazy("Kind"), TEXT, 14),
        (gettext_lazy("Weight (%)"), NUMBER, 9),
        (gettext_lazy("Cutoff"), NUMBER, 9),
        (gettext_lazy("Reviews per application"), NUMBER, 9),
        (gettext_lazy("Minimum reviews"), NUMBER, 9),
        (gettext_lazy("Blind"), TEXT, 7),
        (gettext_lazy("Advancement rule"), TEXT, 12),
        (gettext_lazy("N advancing per field"), NUMBER, 9),
        (gettext_lazy("Multiple of the field's places"), NUMBER, 9),
    ),
    "Advancement": _columns(
        (gettext_lazy("Call"), TEXT, 18),
        (gettext_lazy("Stage"), NUMBER, 7),
        (gettext_lazy("Run"), NUMBER, 7),
        (gettext_lazy("Confirmed at"), DATETIME, 17),
        (gettext_lazy("Reference"), TEXT, 13),
        (gettext_lazy("Field"), TEXT, 24),
        (gettext_lazy("Stage score"), NUMBER, 10),
        (gettext_lazy("Top criterion score"), NUMBER, 10),
        (gettext_lazy("Rank in field"), NUMBER, 8),
        (gettext_lazy("Outcome"), TEXT, 12),
        (gettext_lazy("Reason"), TEXT, 14),
        (gettext_lazy("Margin"), NUMBER, 9),
        (gettext_lazy("Advanced in field"), NUMBER, 9),
        (gettext_lazy("Last advancing score"), NUMBER, 10),
    ),
    "Slots": _columns(*SLOT_COLUMNS),
    "Schedule log": _columns(*LOG_COLUMNS),
    "Applications": _columns(
        (gettext_lazy("Reference"), TEXT, 13),
        (gettext_lazy("Call"), TEXT, 18),
        (gettext_lazy("Track"), TEXT, 24),
        (gettext_lazy("Field"), TEXT, 24),
        (gettext_lazy("Lead organisation"), TEXT, 30),
        (gettext_lazy("Registration no."), TEXT, 14),
        (gettext_lazy("Size class"), TEXT, 10),
        (gettext_lazy("Region"), TEXT, 14),
        (gettext_lazy("Status"), TEXT, 13),
        (gettext_lazy("Submitted at"), DATETIME, 17),
        (gettext_lazy("Requested subsidy (KRW)"), KRW, 16),
        (gettext_lazy("Local government (KRW)"), KRW, 16),
        (gettext_lazy("Private cash (KRW)"), KRW, 16),
        (gettext_lazy("Private in-kind (KRW)"), KRW, 16),
        (gettext_lazy("Reviews"), NUMBER, 8),
        (gettext_lazy("Evaluation score"), NUMBER, 10),
        (gettext_lazy("Bonus"), NUMBER, 7),
        (gettext_lazy("Final score"), NUMBER, 10),
        (gettext_lazy("Rank"), NUMBER, 7),
        (gettext_lazy("Outcome"), TEXT, 13),
        (gettext_lazy("Reason"), TEXT, 17),
        (gettext_lazy("Run"), NUMBER, 7),
    ),
    "Answers": _columns(*answers_sheet.COLUMNS),
    "Budget": _columns(*budget_sheet.COLUMNS),
    "Indicators": _columns(*indicators_sheet.COLUMNS),
    "Duplicate check": _columns(*duplicates_sheet.COLUMNS),
    "Runs": _columns(
        (gettext_lazy("Call"), TEXT, 18),
        (gettext_lazy("Run"), NUMBER, 7),
        (gettext_lazy("Confirmed at"), DATETIME, 17),
        (gettext_lazy("Reference"), TEXT, 13),
        (gettext_lazy("Rank"), NUMBER, 7),
        (gettext_lazy("Evaluation score"), NUMBER, 10),
        (gettext_lazy("Bonus"), NUMBER, 7),
        (gettext_lazy("Final score"), NUMBER, 10),
        (gettext_lazy("Requested subsidy (KRW)"), KRW, 16),
        (gettext_lazy("Outcome"), TEXT, 13),
        (gettext_lazy("Reason"), TEXT, 17),
    ),
    "Scores": _columns(
        (gettext_lazy("Reference"), TEXT, 13),
        (gettext_lazy("Reviewer"), TEXT, 10),
        (gettext_lazy("Criterion"), TEXT, 28),
        (gettext_lazy("Max points"), NUMBER, 10),
        (gettext_lazy("Points"), NUMBER, 8),
        (gettext_lazy("Submitted at"), DATETIME, 17),
        (gettext_lazy("Round"), NUMBER, 7),
        (gettext_lazy("Superseded"), TEXT, 11),
        (gettext_lazy("Stage"), NUMBER, 7),
    ),
    "Awards": _columns(
        (gettext_lazy("Project"), TEXT, 15),
        (gettext_lazy("Reference"), TEXT, 13),
        (gettext_lazy("Call"), TEXT, 18),
        (gettext_lazy("Lead organisation"), TEXT, 30),
        (gettext_lazy("Awarded subsidy (KRW)"), KRW, 16),
        (gettext_lazy("Local government (KRW)"), KRW, 16),
        (gettext_lazy("Private cash (KRW)"), KRW, 16),
        (gettext_lazy("Private in-kind (KRW)"), KRW, 16),
        (gettext_lazy("Agreement signed"), DATE, 12),
        (gettext_lazy("Status"), TEXT, 12),
        (gettext_lazy("Disbursed (KRW)"), KRW, 16),
        (gettext_lazy("Approved spending (KRW)"), KRW, 16),
        (gettext_lazy("Recovery due (KRW)"), KRW, 16),
        (gettext_lazy("Matching ratio (national:local)"), TEXT, 12),
        (gettext_lazy("Local government spent (KRW)"), KRW, 16),
        (gettext_lazy("Matching shortfall to return (KRW)"), KRW, 16),
        (gettext_lazy("Private sector spent (KRW)"), KRW, 16),
        (gettext_lazy("Of which the private shortfall (KRW)"), KRW, 16),
    ),
    "Disbursements": _columns(
        (gettext_lazy("Project"), TEXT, 15),
        (gettext_lazy("Entry"), NUMBER, 9),
        (gettext_lazy("Date"), DATE, 12),
        (gettext_lazy("Kind"), TEXT, 10),
        (gettext_lazy("Amount (KRW)"), KRW, 16),
        (pgettext_lazy("payment", "Reference"), TEXT, 16),
        (gettext_lazy("Posted by"), TEXT, 26),
        (gettext_lazy("Reverses entry"), NUMBER, 9),
        (gettext_lazy("Counts toward"), TEXT, 10),
    ),
    "Expenditures": _columns(
        (gettext_lazy("Project"), TEXT, 15),
        (gettext_lazy("Entry"), NUMBER, 9),
        (gettext_lazy("Date"), DATE, 12),
        (gettext_lazy("Category"), TEXT, 12),
        (gettext_lazy("Amount (KRW)"), KRW, 16),
        (gettext_lazy("Approved (KRW)"), KRW, 16),
        (gettext_lazy("Status"), TEXT, 10),
    ),
    "Summary": _columns(
        (gettext_lazy("Call"), TEXT, 22),
        (gettext_lazy("Field"), TEXT, 28),
        (gettext_lazy("Max awards"), NUMBER, 11),
        (gettext_lazy("Applications"), NUMBER, 12),
        (gettext_lazy("Eligible"), NUMBER, 9),
        (gettext_lazy("Selected"), NUMBER, 9),
        (gettext_lazy("Reserve"), NUMBER, 9),
        (gettext_lazy("Requested (KRW)"), KRW, 18),
        (gettext_lazy("Awarded (KRW)"), KRW, 18),
        (gettext_lazy("Disbursed (KRW)"), KRW, 18),
        (gettext_lazy("Approved spending (KRW)"), KRW, 18),
        (gettext_lazy("Recovery due (KRW)"), KRW, 18),
    ),
    "Checks": _columns(
        (gettext_lazy("Check"), TEXT, 80),
        (gettext_lazy("Expected"), KRW, 18),
        (gettext_lazy("Actual"), KRW, 18),
        (gettext_lazy("Result"), TEXT, 8),
    ),
}


# The Korean edition's sheet names (the English edition is named by the keys of SHEETS).
SHEET_TITLES = {
    "Calls": gettext_lazy("Calls"),
    "Quotas": gettext_lazy("Quotas"),
    "Criteria": gettext_lazy("Criteria"),
    "Stages": gettext_lazy("Stages"),
    "Applications": gettext_lazy("Applications"),
    "Answers": gettext_lazy("Answers"),
    "Runs": gettext_lazy("Runs"),
    "Advancement": gettext_lazy("Advancement"),
    "Slots": gettext_lazy("Slots"),
    "Schedule log": gettext_lazy("Schedule log"),
    "Scores": gettext_lazy("Scores"),
    "Awards": gettext_lazy("Awards"),
    "Disbursements": gettext_lazy("Disbursements"),
    "Expenditures": gettext_lazy("Expenditures"),
    "Budget": gettext_lazy("Budget"),
    "Indicators": gettext_lazy("Indicators"),
    "Duplicate check": gettext_lazy("Duplicate check"),
    "Summary": gettext_lazy("Summary"),
    "Checks": gettext_lazy("Checks"),
}


def korean_edition(lang):
    return (lang or "").startswith("ko")


def sheet_title(title, lang):
    """The name of sheet ``title`` (a key of SHEETS) in the ``lang`` edition."""
    if not korean_edition(lang):
        return title
    with translation.override(lang):
        return str(SHEET_TITLES[title])


def code_columns(title, columns):
    """[(index, kind)] of the columns of sheet ``title`` that hold codes."""
    with translation.override("en"):
        english = [str(column.header) for column in columns]
    return [
        (index, code_labels.CODED_COLUMNS[title, header])
        for index, header in enumerate(english)
        if (title, header) in code_labels.CODED_COLUMNS
    ]


# --- Values -------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _seoul(value):
    """A stored time (aware, or SQLite's naive-UTC text) as naive Asia/Seoul wall time: Excel
    has no time zones, and people read Seoul time."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SEOUL).replace(tzinfo=None)


@lru_cache(maxsize=4096)
def _day(value):
    """A stored date (a date, or SQLite's text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _text(value):
    """A text cell, or no cell for an empty value."""
    return safe_text(value) if value else None


# The same, remembered: for columns whose values repeat (codes, states, e-mails, references on
# consecutive score rows), where a dictionary lookup is much cheaper than cleaning the text.
_label = lru_cache(maxsize=4096)(_text)


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _rows(sql, params):
    """The rows of a query, fetched a chunk at a time (a server-side cursor on PostgreSQL)."""
    if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        cursor = connection.cursor()
    else:
        cursor = connection.chunked_cursor()
    with cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


# --- Writing ------------------------------------------------------------------------------------


class _Sheet:
    """A sheet of the workbook (audit.xlsx_writer): a bold frozen header row, the columns'
    widths, number formats on amount and date cells; in the Korean edition, the labels of the
    coded columns with each code in a column of its own after the last."""

    def __init__(self, workbook, title, columns, coded=()):
        """``coded``: [(index, {code: label})] of the columns whose codes a person reads as
        labels (the Korean edition); each code moves to a column of its own after the last."""
        self.coded = list(coded)
        header = [safe_text(str(column.header)) for column in columns]
        header += [
            safe_text(_("%(column)s (code)") % {"column": columns[index].header})
            for index, _labels in self.coded
        ]
        self.sheet = workbook.add_sheet(
            title,
            header,
            widths=[column.width for column in columns] + [14] * len(self.coded),
            formats=[NUMBER_FORMATS.get(column.kind) for column in columns],
        )
        self.append = self._append_coded if self.coded else self.sheet.append

    @property
    def count(self):
        return self.sheet.count

    def _append_coded(self, row):
        row = list(row)
        for index, (kind, labels) in self.coded:
            code = row[index]
            row.append(code)
            if code is not None:
                row[index] = code_labels.label_for(labels, kind, code)
        self.sheet.append(row)


class _Progress:
    def __init__(self, callback, total):
        self.callback, self.total, self.done = callback, total, 0

    def report(self):
        if self.callback is not None:
            self.total = max(self.total, self.done)
            self.callback(self.done, self.total)

    def add(self, rows):
        self.done += rows
        self.report()


def _write(sheet, rows, progress):
    append = sheet.append
    pending = 0
    for row in rows:
        append(row)
        pending += 1
        if pending == PROGRESS_EVERY:
            progress.add(pending)
            pending = 0
    progress.add(pending)


# --- The calls and what they configure ----------------------------------------------------------


@dataclass
class _CallInfo:
    call: object
    slug: str
    plan: object
    run: object
    tracks: dict  # id -> (name, max awards)
    fields: dict  # id -> (name, max awards)
    criteria: dict  # id -> (name, max points, weight, threshold, order, stage position), in the plan's order
    stages: list  # the plan's Stages in order (empty: the plan is its only stage)


def _call_infos(calls):
    ids = [call.pk for call in calls]
    plans = {plan.call_id: plan for plan in EvaluationPlan.objects.filter(call_id__in=ids)}
    runs = {}
    for run in SelectionRun.objects.filter(call_id__in=ids).order_by("call_id", "-number"):
        runs.setdefault(run.call_id, run)
    tracks, fields, criteria = defaultdict(dict), defaultdict(dict), defaultdict(dict)
    for track in Track.objects.filter(call_id__in=ids).order_by("position", "id"):
        tracks[track.call_id][track.pk] = (safe_text(track.display_name), track.max_awards)
    for field in ServiceField.objects.filter(call_id__in=ids).order_by("position", "id"):
        fields[field.call_id][field.pk] = (safe_text(field.display_name), field.max_awards)
    staged = []  # the calls evaluated in stages (a stage's criteria name it)
    for criterion in (
        Criterion.objects.filter(plan__call_id__in=ids)
        .select_related("plan", "stage")
        .order_by("plan", "stage__position", "position", "id")
    ):
        if criterion.stage_id:
            staged.append(criterion.plan.call_id)
        of_call = criteria[criterion.plan.call_id]
        of_call[criterion.pk] = (
            safe_text(criterion.display_name),
            criterion.max_points,
            criterion.weight,
            criterion.threshold,
            len(of_call) + 1,
            criterion.stage.position if criterion.stage_id else None,
        )
    stages = defaultdict(list)
    if staged:  # one more query, for those calls only
        for stage in (
            Stage.objects.filter(plan__call_id__in=staged).select_related("plan").order_by("position")
        ):
            stages[stage.plan.call_id].append(stage)
    return [
        _CallInfo(
            call=call,
            slug=safe_text(call.slug),
            plan=plans.get(call.pk),
            run=runs.get(call.pk),
            tracks=dict(tracks[call.pk]),
            fields=dict(fields[call.pk]),
            criteria=dict(criteria[call.pk]),
            stages=stages[call.pk],
        )
        for call in calls
    ]


def _calls_rows(infos):
    for info in infos:
        call, plan, run = info.call, info.plan, info.run
        yield [
            info.slug,
            _text(call.display_title),
            _text(call.programme.display_name),
            _seoul(call.opens_at),
            _seoul(call.closes_at),
            call.budget_total,
            call.max_awards,
            call.subsidy_min,
            call.subsidy_max,
            plan.cutoff if plan else None,
            _text(plan.aggregation) if plan else None,
            plan.trim_at if plan else None,
            plan.bonus_cap if plan else None,
            plan.reserve_per_field if plan else None,
            run.number if run else None,
            _seoul(run.confirmed_at) if run else None,
            plan.reviews_per_application if plan else None,
            plan.minimum_reviews if plan else None,
            _text(", ".join(plan.tie_breaks)) if plan else None,
            _text(plan.final_score) if plan else None,
        ]


def _criteria_rows(infos):
    """Each plan's criteria in its order: with the Calls sheet's scoring settings, what every
    evaluation score is recomputed from (a reviewer's total is the sum of points × weight)."""
    for info in infos:
        for name, max_points, weight, threshold, order, stage in info.criteria.values():
            yield [info.slug, order, name, max_points, weight, threshold, stage]


def _stage_rows(infos):
    """Each plan's stages with their settings: with the Criteria sheet (each criterion's stage)
    and the Advancement sheet, what every stage outcome and final score is recomputed from."""
    for info in infos:
        for stage in info.stages:
            yield [
                info.slug,
                stage.position,
                safe_text(stage.display_name),
                _text(stage.kind),
                stage.weight,
                stage.cutoff,
                stage.reviews_per_application,
                stage.minimum_reviews,
                stage.blind,
                _text(stage.advancement),
                stage.advance_count,
                stage.advance_multiple,
            ]


def _advancement_rows(info, totals):
    """Every advancement run's results, stage by stage and run by run."""
    if not info.stages:
        return
    results = (
        AdvancementResult.objects.filter(run__stage__plan__call=info.call)
        .select_related("run__stage", "application")
        .order_by("run__stage__position", "run__number", "field_rank", "application__reference")
    )
    for r in results.iterator(chunk_size=CHUNK):
        yield [
            info.slug,
            r.run.stage.position,
            r.run.number,
            _seoul(r.run.confirmed_at),
            _label(r.application.reference),
            info.fields.get(r.application.service_field_id, (None,))[0],
            r.stage_score,
            r.top_criterion_score,
            r.field_rank,
            _text(r.outcome),
            _text(r.reason),
            r.margin,
            r.field_advancing,
            r.last_advancing_score,
        ]


def _quota_rows(infos):
    for info in infos:
        for name, maximum in info.tracks.values():
            yield [info.slug, "track", name, maximum]
        for name, maximum in info.fields.values():
            yield [info.slug, "field", name, maximum]


# --- Detail sheets: streamed, adding up the detail-side totals on the way -----------------------


class _Totals:
    """What the detail sheets add up, per call, for the checks."""

    def __init__(self):
        self.applications = self.requested = self.selected = self.reviews = 0
        self.scored_reviews = 0
        self.awarded = self.recovery_due = 0
        self.ledger_disbursed = self.approved = 0
        self.award_disbursed = {}  # project id -> Disbursed on the Awards sheet
        self.ledger_by_project = defaultdict(LedgerSums)  # project id -> paid, recovered
        self.broken = dict.fromkeys((invariant.code for invariant in INVARIANTS), 0)  # projects
        self.budgets = {}  # project id -> ProjectBudget (years and categories), read once per call


def outcome_and_reason(state, run_outcome, run_reason):
    """What the Applications sheet says of an application: its CURRENT outcome (from its state,
    ``selection_runs.current_outcome``) and why. The reason is that of the latest run that ranked
    it while that run's outcome still stands; a decline or a promotion since says so."""
    outcome = current_outcome(state)
    if outcome is None:
        return None, None
    if run_outcome == outcome or (outcome == Outcome.NOT_SELECTED and run_outcome == Outcome.BELOW_CUTOFF):
        return run_outcome, run_reason
    if outcome == Outcome.DECLINED:
        return outcome, Reason.DECLINED
    if outcome == Outcome.SELECTED and run_outcome == Outcome.RESERVE:
        return outcome, Reason.PROMOTED
    return outcome, None


def _application_rows(info, regions, totals):
    application, organisation, review, assignment, result, run = (
        _table(Application),
        _table(Organisation),
        _table(Review),
        _table(Assignment),
        _table(Result),
        _table(SelectionRun),
    )
    counted, counted_params = counted_reviews_sql("r", "a")  # Reviews: those that count
    # Scores and rank from the latest run that ranked the application: a later run that no
    # longer ranks it (it declined, or signed) does not make them vanish.
    sql = (
        "SELECT p.reference, p.track_id, p.service_field_id, o.name, o.registration_number,"
        " o.size_class, o.region_id, p.state, p.submitted_at, p.requested_subsidy,"
        " p.local_government, p.private_cash, p.private_in_kind,"
        f" (SELECT COUNT(*) FROM {review} r JOIN {assignment} a ON a.id = r.assignment_id"
        f"  WHERE r.application_id = p.id AND {counted}),"
        " sr.evaluation_score, sr.bonus, sr.final_score, sr.rank, sr.outcome, sr.reason, sn.number"
        f" FROM {application} p JOIN {organisation} o ON o.id = p.lead_id"
        f" LEFT JOIN {result} sr ON sr.id = (SELECT x.id FROM {result} x WHERE x.application_id = p.id"
        " ORDER BY x.run_id DESC LIMIT 1)"
        f" LEFT JOIN {run} sn ON sn.id = sr.run_id"
        f" WHERE p.call_id = %s AND {SUBMITTED_SQL} ORDER BY p.reference, p.id"
    )
    params = [*counted_params, info.call.pk, *SUBMITTED_PARAMS]
    slug, tracks, fields = info.slug, info.tracks, info.fields
    selected_states = frozenset(SELECTED_STATES)
    for row in _rows(sql, params):
        (reference, track_id, field_id, lead, registration, size_class, region_id, state, submitted_at) = row[
            :9
        ]
        requested, reviews = row[9], row[13]
        totals.applications += 1
        totals.requested += requested
        totals.reviews += reviews
        if state in selected_states:
            totals.selected += 1
        track = tracks.get(track_id)
        field = fields.get(field_id)
        outcome, reason = outcome_and_reason(state, row[18], row[19])
        yield [
            _text(reference),
            slug,
            track[0] if track else None,
            field[0] if field else None,
            _text(lead),
            _text(format_registration_number(registration)),
            _label(size_class),
            regions.get(region_id),
            _label(state),
            _seoul(submitted_at),
            requested,
            row[10],
            row[11],
            row[12],
            reviews,
            row[14],
            row[15],
            row[16],
            row[17],
            _label(outcome),
            _label(reason),
            row[20],
        ]


def _run_rows(info, totals):
    """Every run of the call with every result it recorded, as it recorded them."""
    result, run, application = _table(Result), _table(SelectionRun), _table(Application)
    sql = (
        "SELECT sn.number, sn.confirmed_at, p.reference, sr.rank, sr.evaluation_score, sr.bonus,"
        " sr.final_score, sr.requested_subsidy, sr.outcome, sr.reason"
        f" FROM {result} sr JOIN {run} sn ON sn.id = sr.run_id JOIN {application} p ON p.id = sr.application_id"
        " WHERE sn.call_id = %s ORDER BY sn.number, sr.rank IS NULL, sr.rank, p.reference, p.id"
    )
    slug = info.slug
    for number, confirmed_at, reference, rank, evaluation, bonus, final, requested, outcome, reason in _rows(
        sql, [info.call.pk]
    ):
        yield [
            slug,
            number,
            _seoul(confirmed_at),
            _text(reference),
            rank,
            evaluation,
            bonus,
            final,
            requested,
            _label(outcome),
            _label(reason),
        ]


def _score_rows(info, totals):
    score, review, application, assignment, reviewer, criterion = (
        _table(Score),
        _table(Review),
        _table(Application),
        _table(Assignment),
        _table(Reviewer),
        _table(Criterion),
    )
    # Every submitted review, superseded ones included (on record, marked, in their round);
    # only those that count (``Review.objects.counted``) are added up for the checks.
    counted, counted_params = counted_reviews_sql("r", "a")
    sql = (
        "SELECT p.reference, v.user_id, s.criterion_id, s.points, r.submitted_at, r.id, a.round,"
        f" a.state = %s, CASE WHEN {counted} THEN 1 ELSE 0 END, c.stage_id"
        f" FROM {score} s JOIN {review} r ON r.id = s.review_id"
        f" JOIN {application} p ON p.id = r.application_id"
        f" JOIN {assignment} a ON a.id = r.assignment_id"
        f" JOIN {reviewer} v ON v.id = a.reviewer_id"
        f" JOIN {criterion} c ON c.id = s.criterion_id"
        f" WHERE p.call_id = %s AND r.state = %s AND {SUBMITTED_SQL}"
        " ORDER BY p.reference, p.id, a.round, v.code, r.id, c.position, c.id"
    )
    params = [
        Assignment.State.PAST,
        *counted_params,
        info.call.pk,
        Review.State.SUBMITTED,
        *SUBMITTED_PARAMS,
    ]
    criteria = info.criteria
    # Reviewers by their pseudonymous code only, as everywhere an auditor reads them.
    codes = pseudonyms(Reviewer.objects.filter(assignments__application__call=info.call).values("user_id"))
    last_review = None
    stage_positions = {stage.pk: stage.position for stage in info.stages}
    for (
        reference,
        user_id,
        criterion_id,
        points,
        submitted_at,
        review_id,
        round_,
        superseded,
        counts,
        stage_id,
    ) in _rows(sql, params):
        code = codes[user_id]
        if review_id != last_review:
            totals.scored_reviews += counts
            last_review = review_id
        name, max_points = criteria.get(criterion_id, (None, None))[:2]
        yield [
            _label(reference),
            _label(code),
            name,
            max_points,
            points,
            _seoul(submitted_at),
            round_,
            bool(superseded),
            stage_positions.get(stage_id),
        ]


def _award_rows(info, totals):
    """One row per award; a project's money read through projects.ledger_figures (the one
    definition of paid and recovered) and checked against projects.money_invariants."""
    award, application, organisation, project = (
        _table(Award),
        _table(Application),
        _table(Organisation),
        _table(Project),
    )
    sql = (
        "SELECT pr.id, pr.code, p.reference, o.name, aw.national_subsidy, aw.local_government,"
        " aw.private_cash, aw.private_in_kind, pr.agreement_signed_on, pr.state"
        f" FROM {award} aw JOIN {application} p ON p.id = aw.application_id"
        f" JOIN {organisation} o ON o.id = p.lead_id"
        f" LEFT JOIN {project} pr ON pr.award_id = aw.id"
        " WHERE p.call_id = %s ORDER BY p.reference, aw.id"
    )
    money = {
        project.pk: project
        for project in with_money(Project.objects.filter(award__application__call_id=info.call.pk)).only(
            "pk", "state"
        )
    }
    slug = info.slug
    totals.budgets = budget_sheet.call_budgets(info.call)
    for row in _rows(sql, [info.call.pk]):
        project_id, awarded = row[0], row[4]
        figures = money.get(project_id)
        disbursed = figures.paid if figures else 0
        approved = figures.approved if figures else 0
        due = figures.to_recover if figures else None
        totals.awarded += awarded
        totals.recovery_due += due or 0
        if figures is not None:
            totals.award_disbursed[project_id] = disbursed
            for invariant in broken(ProjectMoney.of(figures, totals.budgets.get(project_id))):
                totals.broken[invariant.code] += 1
        yield [
            _text(row[1]),
            _text(row[2]),
            slug,
            _text(row[3]),
            awarded,
            row[5],
            row[6],
            row[7],
            _day(row[8]),
            _label(row[9]),
            disbursed,
            approved,
            due,
            f"{figures.ratio_national}:{figures.ratio_local}" if figures and figures.ratio_national else None,
            figures.approved_local if figures else None,
            figures.matching_return_settled if figures else None,
            figures.approved_private if figures else None,
            figures.private_return_settled if figures else None,
        ]


def _project_join():
    return (
        f" JOIN {_table(Project)} pr ON pr.id = x.project_id"
        f" JOIN {_table(Award)} aw ON aw.id = pr.award_id"
        f" JOIN {_table(Application)} p ON p.id = aw.application_id"
    )


def _disbursement_rows(info, totals):
    sql = (
        "SELECT x.project_id, pr.code, x.id, x.entry_date, x.kind, x.amount, x.reference, u.email,"
        " x.reverses_id, x.counts_toward"
        f" FROM {_table(DisbursementEntry)} x{_project_join()}"
        f" JOIN {_table(User)} u ON u.id = x.posted_by_id"
        " WHERE p.call_id = %s ORDER BY pr.code, x.id"
    )
    by_project = totals.ledger_by_project
    rows = _rows(sql, [info.call.pk])
    for project_id, code, pk, entry_date, kind, amount, reference, email, reverses, counts_toward in rows:
        by_project[project_id].add(counts_toward, amount)
        yield [
            _label(code),
            pk,
            _day(entry_date),
            _label(kind),
            amount,
            _text(reference),
            _label(email),
            reverses,
            _label(counts_toward),
        ]
    totals.ledger_disbursed += sum(sums.paid for sums in by_project.values())


def _expenditure_rows(info, totals):
    sql = (
        "SELECT pr.code, x.id, x.spent_on, COALESCE(bc.code, x.category), x.amount, x.approved_amount,"
        " x.state"
        f" FROM {_table(Expenditure)} x{_project_join()}"
        f" LEFT JOIN {_table(BudgetCategory)} bc ON bc.id = x.budget_category_id"
        " WHERE p.call_id = %s ORDER BY pr.code, x.spent_on, x.id"
    )
    for code, pk, spent_on, category, amount, approved, state in _rows(sql, [info.call.pk]):
        if state == APPROVED:
            totals.approved += approved or 0
        yield [_label(code), pk, _day(spent_on), _label(category), amount, approved, _label(state)]


# --- Summary: GROUP BY queries ------------------------------------------------------------------

SUMMARY_KEYS = (
    "applications",
    "eligible",
    "selected",
    "reserve",
    "requested",
    "awarded",
    "disbursed",
    "approved",
    "recovery_due",
)


def _summary(call_ids):
    """{(call id, field id or None): {key: value}}."""
    figures = defaultdict(lambda: dict.fromkeys(SUMMARY_KEYS, 0))

    def merge(rows):
        for row in rows:
            key = (row.pop("call_key"), row.pop("field_key"))
            figures[key].update({name: value or 0 for name, value in row.items()})

    group = {"call_key": F("call_id"), "field_key": F("service_field_id")}
    applications = Application.objects.filter(SUBMITTED_Q, call_id__in=call_ids)
    merge(
        applications.values(**group)
        .annotate(
            applications=Count("id"),
            eligible=Count("id", filter=~Q(state__in=NOT_ELIGIBLE_STATES)),
            selected=Count("id", filter=Q(state__in=SELECTED_STATES)),
            reserve=Count("id", filter=Q(state=State.RESERVE)),
            requested=Sum("requested_subsidy"),
        )
        .order_by()
    )
    merge(
        Award.objects.filter(application__call_id__in=call_ids)
        .values(call_key=F("application__call_id"), field_key=F("application__service_field_id"))
        .annotate(awarded=Sum("national_subsidy"))
        .order_by()
    )
    via_project = {
        "call_key": F("project__award__application__call_id"),
        "field_key": F("project__award__application__service_field_id"),
    }
    merge(
        DisbursementEntry.objects.filter(project__award__application__call_id__in=call_ids)
        .values(**via_project)
        .annotate(disbursed=Sum("amount", filter=PAID))
        .order_by()
    )
    merge(
        Expenditure.objects.filter(project__award__application__call_id__in=call_ids, state=APPROVED)
        .values(**via_project)
        .annotate(approved=Sum("approved_amount"))
        .order_by()
    )
    latest = Settlement.objects.filter(project=OuterRef("project")).order_by("-pk").values("pk")[:1]
    recovered = (
        DisbursementEntry.objects.filter(RECOVERED, project=OuterRef("project"))
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    merge(
        Settlement.objects.filter(project__award__application__call_id__in=call_ids, pk=Subquery(latest))
        .values(**via_project)
        .annotate(recovery_due=Sum(F("to_recover") - Coalesce(Subquery(recovered), 0)))
        .order_by()
    )
    return figures


def _summary_rows(infos, figures):
    """Per call: one row per service field (and one for applications without a field, when
    there are), then the call's TOTAL row. Returns the rows and the totals per call."""
    rows, call_totals = [], {}
    for info in infos:
        total = dict.fromkeys(SUMMARY_KEYS, 0)
        field_rows = [(field_id, name, maximum) for field_id, (name, maximum) in info.fields.items()]
        if (info.call.pk, None) in figures:
            field_rows.append((None, safe_text(_("(no field)")), None))
        for field_id, name, maximum in field_rows:
            values = figures.get((info.call.pk, field_id)) or dict.fromkeys(SUMMARY_KEYS, 0)
            for key in SUMMARY_KEYS:
                total[key] += values[key]
            rows.append([info.slug, name, maximum, *(values[key] for key in SUMMARY_KEYS)])
        rows.append([info.slug, safe_text(_("TOTAL")), info.call.max_awards, *total.values()])
        call_totals[info.call.pk] = total
    return rows, call_totals


# --- Checks -------------------------------------------------------------------------------------


def _checks(infos, call_totals, detail):
    checks = []

    def check(text, expected, actual, at_most=False):
        passed = actual <= expected if at_most else actual == expected
        checks.append(
            {
                "check": safe_text(resolve_particles(text)),
                "expected": int(expected),
                "actual": int(actual),
                "result": "PASS" if passed else "FAIL",
            }
        )

    for info in infos:
        call, slug = info.call, info.slug
        summary, seen = call_totals[call.pk], detail[call.pk]
        names = {"call": slug}
        check(
            _("%(call)s: applications listed = Summary total") % names,
            summary["applications"],
            seen.applications,
        )
        check(
            _("%(call)s: requested subsidy on Applications = Summary total (KRW)") % names,
            summary["requested"],
            seen.requested,
        )
        check(
            _("%(call)s: selected or awarded on Applications = Summary total") % names,
            summary["selected"],
            seen.selected,
        )
        check(
            _("%(call)s: reviews scored on Scores = Reviews on Applications") % names,
            seen.reviews,
            seen.scored_reviews,
        )
        check(
            _("%(call)s: awarded subsidy on Awards = Summary total (KRW)") % names,
            summary["awarded"],
            seen.awarded,
        )
        check(
            _("%(call)s: paid (payments net of their reversals) on Disbursements = Summary total (KRW)")
            % names,
            summary["disbursed"],
            seen.ledger_disbursed,
        )
        mismatched = sum(
            1
            for project_id in seen.award_disbursed.keys() | seen.ledger_by_project.keys()
            if seen.award_disbursed.get(project_id, 0) != seen.ledger_by_project[project_id].paid
        )
        check(
            _("%(call)s: projects whose Disbursements differ from Disbursed on Awards") % names,
            0,
            mismatched,
        )
        check(
            _("%(call)s: approved spending on Expenditures = Summary total (KRW)") % names,
            summary["approved"],
            seen.approved,
        )
        check(
            _("%(call)s: recovery due on Awards = Summary total (KRW)") % names,
            summary["recovery_due"],
            seen.recovery_due,
        )
        for invariant in INVARIANTS:  # projects.money_invariants: the rules every write keeps
            check(
                _("%(call)s: projects breaking the rule: %(rule)s") % {**names, "rule": invariant.statement},
                0,
                seen.broken[invariant.code],
            )
        check(
            _("%(call)s: awarded subsidy at most the call's budget (KRW)") % names,
            call.budget_total,
            summary["awarded"],
            at_most=True,
        )
        # The call's outcome invariants (evaluation.invariants), the same ones every write checks.
        for invariant in outcome_checks(call):
            check(invariant.text, invariant.limit, invariant.actual, at_most=invariant.at_most)
        for text, expected, actual in schedule_checks(info):  # audit.schedule_sheets
            check(text, expected, actual)
    return checks


# --- The workbook -------------------------------------------------------------------------------


def _snapshot(enabled):
    return _transaction() if enabled else nullcontext()


@contextmanager
def _transaction():
    """One consistent view of the data for the whole export."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


# Besides one per track and one per field: 10 reconciliations, the call's 3 outcome invariants
# besides its fields and tracks (evaluation.invariants) and the money invariants.
CHECKS_PER_CALL = 13 + len(INVARIANTS)


def _estimated_rows(call_ids, infos):
    """Rows of every sheet (the Summary's "(no field)" rows aside), for the progress total."""
    in_calls = {"call_id__in": call_ids}
    return (
        sum(
            2 + CHECKS_PER_CALL + 2 * len(info.tracks) + 3 * len(info.fields) + len(info.criteria)
            for info in infos
        )
        + Application.objects.filter(SUBMITTED_Q, **in_calls).count()
        + answers_sheet.answer_count(call_ids)
        + budget_sheet.budget_row_count(call_ids)
        + indicators_sheet.indicator_count(call_ids)
        + duplicates_sheet.finding_count(call_ids)
        + Score.objects.filter(
            review__state=Review.State.SUBMITTED, review__application__call_id__in=call_ids
        ).count()
        + Award.objects.filter(application__call_id__in=call_ids).count()
        + Result.objects.filter(run__call_id__in=call_ids).count()
        + DisbursementEntry.objects.filter(project__award__application__call_id__in=call_ids).count()
        + Expenditure.objects.filter(project__award__application__call_id__in=call_ids).count()
    )


def write_funding_workbook(calls, fileobj_or_path, *, lang="en", progress=None, snapshot=False):
    """Write the funding workbook of ``calls`` (Call objects, in the order given) to a path or
    a binary file object; headers in ``lang``. ``progress(done, total)`` is called per sheet
    and every 10,000 rows; ``snapshot``: read everything in one transaction (see above).
    Returns the checks (JSON-serialisable)::

        {"calls": [...], "lang": "en", "rows": {sheet: rows}, "passed": bool, "failed": n,
         "checks": [{"check": text, "expected": n, "actual": n, "result": "PASS" | "FAIL"}]}
    """
    calls = list(calls)
    call_ids = [call.pk for call in calls]
    # The file is written when the workbook closes, after the snapshot's transaction ends; on
    # an error nothing is written.
    with xlsx_writer.Workbook(fileobj_or_path) as workbook, translation.override(lang), _snapshot(snapshot):
        calls = list(
            Call.objects.filter(pk__in=call_ids)
            .select_related("programme")
            .prefetch_related("tracks", "service_fields")  # read by the outcome checks
        )
        calls.sort(key=lambda call: call_ids.index(call.pk))
        infos = _call_infos(calls)
        regions = {region.pk: safe_text(region.display_name) for region in Region.objects.all()}
        tracker = _Progress(progress, _estimated_rows(call_ids, infos))
        tracker.report()

        detail = {call.pk: _Totals() for call in calls}
        sheets = {}

        labels = code_labels.labels() if korean_edition(lang) else None

        def write(title, rows):
            coded = []
            if labels is not None:
                coded = [(index, (kind, labels[kind])) for index, kind in code_columns(title, SHEETS[title])]
            sheet = sheets[title] = _Sheet(workbook, sheet_title(title, lang), SHEETS[title], coded)
            _write(sheet, rows, tracker)

        def per_call(rows_of):
            for info in infos:
                yield from rows_of(info, detail[info.call.pk])

        write("Calls", _calls_rows(infos))
        write("Quotas", _quota_rows(infos))
        write("Criteria", _criteria_rows(infos))
        write("Stages", _stage_rows(infos))
        write("Applications", per_call(lambda info, totals: _application_rows(info, regions, totals)))
        write("Answers", per_call(answers_sheet.answer_rows))
        write("Runs", per_call(_run_rows))
        write("Advancement", per_call(_advancement_rows))
        write("Slots", per_call(lambda info, _totals: slot_rows(info, _seoul)))
        write("Schedule log", per_call(lambda info, _totals: log_rows(info, _seoul)))
        write("Scores", per_call(_score_rows))
        write("Awards", per_call(_award_rows))
        write("Disbursements", per_call(_disbursement_rows))
        write("Expenditures", per_call(_expenditure_rows))
        write("Budget", per_call(lambda info, totals: budget_sheet.budget_rows(info, totals.budgets)))
        write("Indicators", per_call(indicators_sheet.indicator_rows))
        write("Duplicate check", per_call(duplicates_sheet.finding_rows))
        figures = _summary(call_ids)
        summary_rows, call_totals = _summary_rows(infos, figures)
        write("Summary", iter(summary_rows))
        checks = _checks(infos, call_totals, detail)
        write(
            "Checks",
            ([c["check"], c["expected"], c["actual"], c["result"]] for c in checks),
        )
    tracker.report()
    failed = sum(c["result"] == "FAIL" for c in checks)
    return {
        "calls": [call.slug for call in calls],
        "lang": lang,
        "rows": {title: sheet.count for title, sheet in sheets.items()},
        "passed": not failed,
        "failed": failed,
        "checks": checks,
    }
