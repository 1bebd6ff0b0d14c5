"""The Korean workbook reads in Korean: what a code in a cell means, for the person reading it.

The English edition keeps the system's codes in its cells (``sme``, ``awarded``,
``trimmed_mean``), the same as every program that reads the file expects. The Korean edition
shows the code's label in the cell a person reads (중소기업, 선정, 지급) and keeps the
code in a column of its own at the end of the row ("상태 (코드)"), where a machine reads it.

``CODED_COLUMNS`` names, per sheet, the columns that hold codes and which labels they take;
``labels()`` gives each kind's code → label (read once per export: the size classes come from
the database, the rest from the models' choices).
"""

from django.utils.translation import gettext_lazy as _

from competitions.models import QuestionKind, SizeClass
from evaluation.models.plan import EvaluationPlan, FinalScore
from evaluation.models.slot import NoShowConsequence, ScheduleEntry
from evaluation.models.stage import AdvancementOutcome, AdvancementRule, StageKind
from evaluation.selection import REASON_LABELS
from projects.models import ApplicationState, DisbursementEntry, Expenditure
from projects.models.award import CountsToward, ProjectState

TIE_BREAK_LABELS = {
    "top_criterion": _("Higher score on the top criterion"),
    "sme_lead": _("An SME lead first"),
    "lower_subsidy": _("Lower subsidy requested"),
    "earlier_submission": _("Earlier submission"),
    "lower_reference": _("Lower reference number"),
}
OUTCOME_LABELS = {
    "selected": ApplicationState.SELECTED.label,
    "reserve": ApplicationState.RESERVE.label,
    "not_selected": ApplicationState.NOT_SELECTED.label,
    "declined": ApplicationState.DECLINED.label,
    "below_cutoff": _("Below the cutoff"),
    **dict(AdvancementOutcome.choices),
}

# (sheet, English header) -> kind of code.
CODED_COLUMNS = {
    ("Calls", "Aggregation"): "aggregation",
    ("Calls", "Tie-break order"): "tie_breaks",
    ("Calls", "Final score rule"): "final_score",
    ("Quotas", "Kind"): "quota",
    ("Stages", "Kind"): "stage_kind",
    ("Stages", "Advancement rule"): "advancement_rule",
    ("Advancement", "Outcome"): "outcome",
    ("Advancement", "Reason"): "reason",
    ("Slots", "No-show consequence"): "no_show",
    ("Schedule log", "Event"): "schedule_event",
    ("Schedule log", "Consequence"): "no_show",
    ("Applications", "Size class"): "size_class",
    ("Applications", "Status"): "application_state",
    ("Applications", "Outcome"): "outcome",
    ("Applications", "Reason"): "reason",
    ("Answers", "Kind"): "question_kind",
    ("Runs", "Outcome"): "outcome",
    ("Runs", "Reason"): "reason",
    ("Awards", "Status"): "project_state",
    ("Disbursements", "Kind"): "disbursement",
    ("Disbursements", "Counts toward"): "counts_toward",
    ("Expenditures", "Category"): "category",
    ("Expenditures", "Status"): "expenditure_state",
    ("Budget", "Annual report accepted"): "yes_no",
    ("Budget", "Category"): "category",
    ("Checks", "Result"): "check_result",
}


def labels():
    """{kind of code: {code: label}} for one export (in the active language)."""
    return {
        "aggregation": dict(EvaluationPlan.Aggregation.choices),
        "tie_breaks": TIE_BREAK_LABELS,
        "final_score": dict(FinalScore.choices),
        "quota": {"field": _("Service field"), "track": _("Track")},
        "stage_kind": dict(StageKind.choices),
        "advancement_rule": dict(AdvancementRule.choices),
        "outcome": OUTCOME_LABELS,
        "reason": {**OUTCOME_LABELS, **{str(code): label for code, label in REASON_LABELS.items()}},
        "no_show": dict(NoShowConsequence.choices),
        "schedule_event": dict(ScheduleEntry.Kind.choices),
        "size_class": {code: name for code, name in _size_classes()},
        "application_state": dict(ApplicationState.choices),
        "question_kind": dict(QuestionKind.choices),
        "project_state": dict(ProjectState.choices),
        "disbursement": dict(DisbursementEntry.Kind.choices),
        "counts_toward": dict(CountsToward.choices),
        "category": dict(Expenditure.Category.choices),
        "expenditure_state": dict(Expenditure.State.choices),
        "yes_no": {"Y": _("Yes"), "N": _("No")},
        "check_result": {"PASS": _("Pass"), "FAIL": _("Fail")},
    }


def _size_classes():
    for size_class in SizeClass.objects.all():
        yield size_class.code, size_class.display_name


def label_for(kind_labels, kind, code):
    """The label of ``code`` (a tie-break order is a list of codes: each is labelled)."""
    if kind == "tie_breaks":
        return ", ".join(str(kind_labels.get(part, part)) for part in code.split(", "))
    return str(kind_labels.get(code, code))
