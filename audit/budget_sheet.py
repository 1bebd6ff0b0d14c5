"""The funding workbook's Budget sheet: one row per project, agreement year and budget category
(비목): the year's subsidy, the category's cap, what was planned, moved in and out by approved
transfers, what it holds now, approved spending, what was disallowed, and the latest
settlement's line (unspent, interest, to recover). The figures come from
projects.ledger_figures.budget_figures (the same the pages and the money invariants read)."""

from django.utils.translation import gettext_lazy

from config.safe_cells import safe_text
from projects.ledger_figures import budget_figures
from projects.models import BudgetLine, Project, Settlement, SettlementLine

COLUMNS = (
    (gettext_lazy("Project"), "text", 15),
    (gettext_lazy("Year"), "number", 6),
    (gettext_lazy("From"), "date", 12),
    (gettext_lazy("Until"), "date", 12),
    (gettext_lazy("Year subsidy (KRW)"), "krw", 16),
    (gettext_lazy("Paid into the year (KRW)"), "krw", 16),
    (gettext_lazy("Annual report accepted"), "text", 9),
    (gettext_lazy("Category"), "text", 20),
    (gettext_lazy("Cap (%)"), "number", 8),
    (gettext_lazy("Planned (KRW)"), "krw", 16),
    (gettext_lazy("Transfers in (KRW)"), "krw", 16),
    (gettext_lazy("Transfers out (KRW)"), "krw", 16),
    (gettext_lazy("Holds now (KRW)"), "krw", 16),
    (gettext_lazy("Approved spending (KRW)"), "krw", 16),
    (gettext_lazy("Disallowed (KRW)"), "krw", 16),
    (gettext_lazy("Settled: unspent (KRW)"), "krw", 16),
    (gettext_lazy("Settled: interest (KRW)"), "krw", 16),
    (gettext_lazy("Settled: to recover (KRW)"), "krw", 16),
)


def budget_row_count(call_ids):
    return BudgetLine.objects.filter(year__project__award__application__call_id__in=call_ids).count()


def call_budgets(call):
    """{project id: ProjectBudget} of a call's projects (for the Awards sheet's invariants too)."""
    ids = list(Project.objects.filter(award__application__call=call).values_list("pk", flat=True))
    return budget_figures(ids)


def budget_rows(info, budgets):
    """The rows of one call, from its ``budgets`` (call_budgets)."""
    codes = dict(
        Project.objects.filter(pk__in=[pk for pk, b in budgets.items() if b.years]).values_list("pk", "code")
    )
    if not codes:
        return
    latest = {}
    for pk, project_id in (
        Settlement.objects.filter(project_id__in=codes)
        .order_by("project_id", "-pk")
        .values_list("pk", "project_id")
    ):
        latest.setdefault(project_id, pk)
    settled = {
        (line.year_id, line.category_id): line
        for line in SettlementLine.objects.filter(settlement_id__in=latest.values())
    }
    for project_id in sorted(codes, key=codes.get):
        for year in budgets[project_id].years:
            for category in year.categories:
                line = settled.get((year.pk, category.category_id))
                yield [
                    safe_text(codes[project_id]),
                    year.number,
                    year.starts_on,
                    year.ends_on,
                    year.subsidy,
                    year.paid,
                    "Y" if year.report_accepted else "N",
                    safe_text(category.code),
                    category.cap_percent,
                    category.planned,
                    category.moved_in,
                    category.moved_out,
                    category.current,
                    category.spent,
                    category.disallowed,
                    line.unspent if line else None,
                    line.interest if line else None,
                    line.to_recover if line else None,
                ]
