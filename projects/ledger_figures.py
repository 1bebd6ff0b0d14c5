"""Money figures read from the ledgers of projects.ledger, for pages, dashboards, the funding
workbook and the money invariants: what was awarded, paid, recovered and spent, per project and
per call. Read-only; each function runs a fixed number of queries whatever the number of rows.
projects.ledger changes money; this module is the one place that adds it up, so no view,
template, export or check recomputes it.

"Paid" is payments net of their reversals; "recovered" is recoveries net of their reversals. A
reversal counts against the kind of entry it reverses: every entry carries what it counts toward
(``DisbursementEntry.counts_toward``, set from the entry it reverses), and both sums read only
that. ``PAID`` and ``RECOVERED`` are the definition for the database, ``LedgerSums`` the same
for Python."""

import dataclasses

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django_fsm_log.models import StateLog

from .models import (
    Award,
    CountsToward,
    DisbursementEntry,
    Expenditure,
    FundingShare,
    Project,
    ProjectState,
    Report,
    ReportStatus,
    Settlement,
)

PAID = Q(counts_toward=CountsToward.PAID)
RECOVERED = Q(counts_toward=CountsToward.RECOVERED)
# Approved spending paid from the national subsidy: what settles what was paid.
APPROVED_NATIONAL = Q(state=Expenditure.State.APPROVED, share=FundingShare.NATIONAL)


@dataclasses.dataclass
class LedgerSums:
    """Paid and recovered, added up entry by entry (the Python twin of ``PAID``/``RECOVERED``)."""

    paid: int = 0
    recovered: int = 0

    def add(self, counts_toward, amount):
        if counts_toward == CountsToward.PAID:
            self.paid += amount
        elif counts_toward == CountsToward.RECOVERED:
            self.recovered += amount

    @classmethod
    def of(cls, entries):
        sums = cls()
        for entry in entries:
            sums.add(entry.counts_toward, entry.amount)
        return sums


def _sum(rows, field):
    return Coalesce(
        Subquery(rows.order_by().values("project").annotate(total=Sum(field)).values("total")[:1]),
        Value(0),
        output_field=BigIntegerField(),
    )


def _entries(condition):
    return _sum(DisbursementEntry.objects.filter(condition, project=OuterRef("pk")), "amount")


def closed_at():
    """When each project (OuterRef "pk") was closed, from its state log."""
    return Subquery(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Project),
            object_id=OuterRef("pk"),
            state=ProjectState.CLOSED,
        )
        .order_by("timestamp")
        .values("timestamp")[:1]
    )


def with_money(queryset):
    """Projects annotated with awarded, paid (net of reversals), recovered (net of reversals),
        approved spending paid from the national subsidy (``approved``) and from the local
        government's share (``approved_local``) and the private shares (``approved_private``, with the
    latest settlement's ``private_return_settled``), the committed local share and the call's matching
        ratio, ``unaccounted`` (paid but not yet covered by approved spending: what the
        applicant still has to report or, at settlement, return), what is still to recover after a
        settlement, the interest, disbursed and approved spending the latest settlement counted, and
        what the money invariants read (projects.money_invariants): entries posted after closing,
        final report accepted."""
    latest_settlement = Settlement.objects.filter(project=OuterRef("pk")).order_by("-pk")
    return (
        queryset.annotate(
            awarded=F("award__national_subsidy"),
            paid=_entries(PAID),
            recovered=_entries(RECOVERED),
            approved=_sum(
                Expenditure.objects.filter(APPROVED_NATIONAL, project=OuterRef("pk")), "approved_amount"
            ),
            approved_local=_sum(
                Expenditure.objects.filter(
                    project=OuterRef("pk"),
                    state=Expenditure.State.APPROVED,
                    share=FundingShare.LOCAL_GOVERNMENT,
                ),
                "approved_amount",
            ),
            approved_private=_sum(
                Expenditure.objects.filter(
                    project=OuterRef("pk"),
                    state=Expenditure.State.APPROVED,
                    share__in=(FundingShare.PRIVATE_CASH, FundingShare.PRIVATE_IN_KIND),
                ),
                "approved_amount",
            ),
            private_return_settled=Coalesce(
                Subquery(latest_settlement.values("private_return")[:1]),
                Value(0),
                output_field=BigIntegerField(),
            ),
            committed_local=F("award__local_government"),
            ratio_national=F("award__application__call__matching_national_ratio"),
            ratio_local=F("award__application__call__matching_local_ratio"),
            matching_return_settled=Coalesce(
                Subquery(latest_settlement.values("matching_return")[:1]),
                Value(0),
                output_field=BigIntegerField(),
            ),
            settled_due=Subquery(latest_settlement.values("to_recover")[:1], output_field=BigIntegerField()),
            interest_settled=Coalesce(
                Subquery(latest_settlement.values("interest_earned")[:1]),
                Value(0),
                output_field=BigIntegerField(),
            ),
            settled_disbursed=Subquery(
                latest_settlement.values("disbursed")[:1], output_field=BigIntegerField()
            ),
            settled_approved=Subquery(
                latest_settlement.values("approved_spending")[:1], output_field=BigIntegerField()
            ),
            closed_at=closed_at(),
            final_report_accepted=Exists(
                Report.objects.filter(
                    project=OuterRef("pk"), kind=Report.Kind.FINAL, status=ReportStatus.ACCEPTED
                )
            ),
        )
        .annotate(
            to_recover=F("settled_due") - F("recovered"),
            entries_after_close=Coalesce(
                Subquery(
                    DisbursementEntry.objects.filter(
                        project=OuterRef("pk"), posted_at__gt=OuterRef("closed_at")
                    )
                    .order_by()
                    .values("project")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                Value(0),
                output_field=BigIntegerField(),
            ),
        )
        .annotate(unaccounted=Greatest(F("paid") - F("approved"), Value(0), output_field=BigIntegerField()))
    )


@dataclasses.dataclass(frozen=True)
class CallMoney:
    """A call's money in integer won: committed by awards, paid out (net of reversals),
    recovered (net of reversals), and spent (approved spending from the national subsidy)."""

    awarded: int = 0
    paid: int = 0
    recovered: int = 0
    spent: int = 0


def money_per_call(call_ids):
    """{call id: CallMoney} for the given calls, in three grouped queries whatever their number."""
    call_ids = list(call_ids)
    awarded = dict(
        Award.objects.filter(application__call_id__in=call_ids)
        .values_list("application__call_id")
        .annotate(total=Sum("national_subsidy"))
        .order_by()
    )
    call_of_entry = "project__award__application__call_id"
    ledger_rows = (
        DisbursementEntry.objects.filter(**{f"{call_of_entry}__in": call_ids})
        .values_list(call_of_entry)
        .annotate(paid=Sum("amount", filter=PAID), recovered=Sum("amount", filter=RECOVERED))
        .order_by()
    )
    paid = {call_id: (paid or 0, recovered or 0) for call_id, paid, recovered in ledger_rows}
    spent = dict(
        Expenditure.objects.filter(APPROVED_NATIONAL, **{f"{call_of_entry}__in": call_ids})
        .values_list(call_of_entry)
        .annotate(total=Sum("approved_amount"))
        .order_by()
    )
    return {
        call_id: CallMoney(
            awarded=awarded.get(call_id) or 0,
            paid=paid.get(call_id, (0, 0))[0],
            recovered=paid.get(call_id, (0, 0))[1],
            spent=spent.get(call_id) or 0,
        )
        for call_id in call_ids
    }


# --- Agreement years and budget categories ------------------------------------------------------


@dataclasses.dataclass
class CategoryFigures:
    """One budget category of one year: planned, moved in and out by approved transfers, what
    it holds now, approved spending and what was disallowed (reported, decided, not approved)."""

    category_id: int
    code: str
    name: str
    cap_percent: int | None
    planned: int = 0
    moved_in: int = 0
    moved_out: int = 0
    spent: int = 0
    disallowed: int = 0

    @property
    def current(self):
        return self.planned + self.moved_in - self.moved_out

    def cap(self, year_money):
        return None if self.cap_percent is None else year_money * self.cap_percent // 100


@dataclasses.dataclass
class YearFigures:
    """One agreement year: its subsidy, what was paid into it (net of reversals), whether its
    annual report is accepted, and its categories (empty: no budget plan)."""

    pk: int
    number: int
    starts_on: object
    ends_on: object
    subsidy: int
    total_cost: int
    paid: int = 0
    report_accepted: bool = False
    categories: list = dataclasses.field(default_factory=list)

    @property
    def planned(self):
        return sum(category.planned for category in self.categories)


@dataclasses.dataclass
class ProjectBudget:
    """A project's years in order, and the sums of its latest settlement's lines (None when
    that settlement has no lines)."""

    years: list = dataclasses.field(default_factory=list)
    lines_to_recover: int | None = None
    lines_approved: int | None = None


def budget_figures(project_ids):
    """{project id: ProjectBudget} for the given projects, in a fixed number of queries."""
    from .models import BudgetLine, BudgetTransfer, ProjectYear, RequestState, SettlementLine

    project_ids = list(project_ids)
    budgets = {pk: ProjectBudget() for pk in project_ids}
    years = {}
    for year in ProjectYear.objects.filter(project_id__in=project_ids).order_by("project_id", "number"):
        figures = YearFigures(
            year.pk, year.number, year.starts_on, year.ends_on, year.national_subsidy, year.total_cost
        )
        years[year.pk] = figures
        budgets[year.project_id].years.append(figures)
    if not years:
        return budgets
    for year_id, paid in (
        DisbursementEntry.objects.filter(PAID, year_id__in=years)
        .values_list("year_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        years[year_id].paid = paid or 0
    for year_id in Report.objects.filter(
        year_id__in=years, kind=Report.Kind.ANNUAL, status=ReportStatus.ACCEPTED
    ).values_list("year_id", flat=True):
        years[year_id].report_accepted = True
    categories = {}
    for line in BudgetLine.objects.filter(year_id__in=years).select_related("category"):
        figures = CategoryFigures(
            line.category_id,
            line.category.code,
            line.category.display_name,
            line.category.cap_percent,
            planned=line.amount,
        )
        categories[line.year_id, line.category_id] = figures
        years[line.year_id].categories.append(figures)
    for year_id, source, target, amount in (
        BudgetTransfer.objects.filter(year_id__in=years, state=RequestState.APPROVED)
        .values_list("year_id", "from_category_id", "to_category_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        if (year_id, source) in categories:
            categories[year_id, source].moved_out += amount
        if (year_id, target) in categories:
            categories[year_id, target].moved_in += amount
    for year_id, category_id, state, amount, approved in (
        # The budget plan splits the national subsidy: spending paid from other shares is not in it.
        Expenditure.objects.filter(
            year_id__in=years, budget_category__isnull=False, share=FundingShare.NATIONAL
        )
        .exclude(state=Expenditure.State.REPORTED)
        .values_list("year_id", "budget_category_id", "state")
        .annotate(amount=Sum("amount"), approved=Sum("approved_amount"))
        .order_by()
    ):
        figures = categories.get((year_id, category_id))
        if figures is None:
            continue
        if state == Expenditure.State.APPROVED:
            figures.spent += approved or 0
            figures.disallowed += (amount or 0) - (approved or 0)
        else:
            figures.disallowed += amount or 0
    latest = {}
    for settlement_id, project_id in (
        Settlement.objects.filter(project_id__in=project_ids)
        .order_by("project_id", "-pk")
        .values_list("pk", "project_id")
    ):
        latest.setdefault(project_id, settlement_id)
    for _settlement, project_id, to_recover, approved in (
        SettlementLine.objects.filter(settlement_id__in=latest.values())
        .values_list("settlement_id", "settlement__project_id")
        .annotate(to_recover=Sum("to_recover"), approved=Sum("approved_spending"))
        .order_by()
    ):
        budgets[project_id].lines_to_recover = to_recover
        budgets[project_id].lines_approved = approved
    return budgets


def approved_by_share(project_id):
    """{share: approved spending} of one project for every FundingShare (0 when none), in one
    query: each share's actual contribution, read at settlement and on the project pages."""
    rows = dict(
        Expenditure.objects.filter(project_id=project_id, state=Expenditure.State.APPROVED)
        .values_list("share")
        .annotate(total=Sum("approved_amount"))
        .order_by()
    )
    return {share: rows.get(share) or 0 for share in FundingShare.values}
