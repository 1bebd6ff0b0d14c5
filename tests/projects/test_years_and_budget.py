"""Agreement years, tranches gated by accepted annual reports, budget categories with caps,
transfers beyond the call's threshold, agreement changes and the settlement per category
(issue 16: "Years and phases", "Budget by category", "Reports reviewed")."""

from datetime import date
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm_log.models import StateLog
from hypothesis import given
from hypothesis import strategies as st

from audit.funding_workbook import write_funding_workbook
from competitions.lifecycle import TransitionRefused
from competitions.models import BudgetCategory
from projects import agreement_changes, budget, ledger, reports, years
from projects.ledger_figures import budget_figures
from projects.models import (
    AgreementChange,
    Award,
    DisbursementEntry,
    Expenditure,
    Project,
    ProjectYear,
    Report,
    RequestState,
)
from projects.money_invariants import broken, money_of
from tests.factories import StaffFactory, selected_in_a_confirmed_run, signed_project

from .samples import pdf_bytes

pytestmark = pytest.mark.django_db

M = 1_000_000


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def categories(open_call):
    return {
        code: BudgetCategory.objects.create(
            call=open_call, code=code, name=code.title(), name_ko=name_ko, cap_percent=cap, position=position
        )
        for position, (code, name_ko, cap) in enumerate(
            [("personnel", "인건비", None), ("equipment", "장비비", None), ("indirect", "간접비", 10)]
        )
    }


@pytest.fixture
def project(draft, staff):
    """A 300 M award, agreement signed on 2026-05-01, May to November 2026."""
    return signed_project(selected_in_a_confirmed_run(draft, by=staff), by=staff)


def add_years(project, staff, categories):
    """Year 1 (May–August, 200 M) and year 2 (September–November, 100 M), each planned
    personnel / equipment / indirect."""
    one = years.add_year(
        project,
        by=staff,
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 8, 31),
        national_subsidy=200 * M,
        total_cost=400 * M,
        plan={
            categories["personnel"]: 120 * M,
            categories["equipment"]: 60 * M,
            categories["indirect"]: 20 * M,
        },
    )
    two = years.add_year(
        project,
        by=staff,
        starts_on=date(2026, 9, 1),
        ends_on=date(2026, 11, 30),
        national_subsidy=100 * M,
        total_cost=200 * M,
        plan={
            categories["personnel"]: 60 * M,
            categories["equipment"]: 30 * M,
            categories["indirect"]: 10 * M,
        },
    )
    return one, two


@pytest.fixture
def two_years(project, staff, categories):
    return add_years(project, staff, categories)


def pay(project, staff, amount, year, on=date(2026, 9, 10), tranche=None):
    return ledger.post_payment(project, by=staff, amount=amount, paid_on=on, year=year, tranche=tranche)


def accept_annual(year, applicant, staff):
    report = Report.objects.get(year=year, kind=Report.Kind.ANNUAL)
    reports.submit_report(report, by=applicant, upload=SimpleUploadedFile("annual.pdf", pdf_bytes()))
    return reports.review_report(report, by=staff, accept=True)


def spend(project, applicant, staff, amount, category, on=date(2026, 6, 1), approved=None):
    spent = ledger.report_expenditure(
        project,
        by=applicant,
        spent_on=on,
        budget_category=category,
        amount=amount,
        evidence=ContentFile(pdf_bytes(), name="receipt.pdf"),
    )
    if approved is not None:
        return ledger.decide_expenditure(
            spent, by=staff, approved_amount=approved, reason="" if approved == amount else "Partly"
        )
    return spent


def category_figures(year):
    figures = budget_figures([year.project_id])[year.project_id]
    return {c.code: c for y in figures.years if y.pk == year.pk for c in y.categories}


# --- years ---------------------------------------------------------------------------------------


def test_years_are_numbered_planned_and_each_has_an_annual_report(project, two_years):
    one, two = two_years
    assert [(y.number, y.national_subsidy) for y in project.years.all()] == [(1, 200 * M), (2, 100 * M)]
    assert list(Report.objects.filter(kind="annual").values_list("year__number", "due_on")) == [
        (1, date(2026, 9, 30)),
        (2, date(2026, 12, 30)),
    ]
    assert {code: c.planned for code, c in category_figures(one).items()} == {
        "personnel": 120 * M,
        "equipment": 60 * M,
        "indirect": 20 * M,
    }
    assert StateLog.objects.filter(object_id=project.pk, transition="add_year").count() == 2


def test_a_plan_that_does_not_add_up_to_the_year_is_refused(project, staff, categories):
    with pytest.raises(TransitionRefused) as refused:
        years.add_year(
            project,
            by=staff,
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 8, 31),
            national_subsidy=200 * M,
            total_cost=200 * M,
            plan={categories["personnel"]: 150 * M},
        )
    assert "it must add up to the year's subsidy" in refused.value.reasons[0]
    assert not ProjectYear.objects.exists()


def test_a_category_above_its_cap_is_refused(project, staff, categories):
    with pytest.raises(TransitionRefused) as refused:
        years.add_year(
            project,
            by=staff,
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 8, 31),
            national_subsidy=200 * M,
            total_cost=200 * M,
            plan={categories["personnel"]: 170 * M, categories["indirect"]: 30 * M},
        )
    assert refused.value.reasons == [
        "Indirect in year 1 would hold 30,000,000 KRW, above its cap of 10% of the year's subsidy (20,000,000 KRW)."
    ]
    assert not ProjectYear.objects.exists() and not Report.objects.filter(kind="annual").exists()


def test_the_years_never_exceed_the_award(project, staff, two_years, categories):
    with pytest.raises(TransitionRefused) as refused:
        years.add_year(
            project,
            by=staff,
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 31),
            national_subsidy=1,
            total_cost=1,
            plan={categories["personnel"]: 1},
        )
    assert refused.value.reasons == [
        "The years' subsidies would come to 300,000,001 KRW, above the awarded subsidy of 300,000,000 KRW."
    ]


def test_years_follow_each_other(project, staff, two_years, categories):
    with pytest.raises(TransitionRefused) as refused:
        years.add_year(
            project,
            by=staff,
            starts_on=date(2026, 11, 1),
            ends_on=date(2026, 12, 31),
            national_subsidy=0,
            total_cost=0,
        )
    assert refused.value.reasons == ["Year 3 must start after year 2 ends on 2026-11-30."]


def test_only_staff_add_years(project, applicant, categories):
    with pytest.raises(PermissionDenied):
        years.add_year(
            project,
            by=applicant,
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 8, 31),
            national_subsidy=0,
            total_cost=0,
        )


# --- tranches per year, gated by the annual report ----------------------------------------------


def test_year_two_is_paid_only_once_year_one_report_is_accepted(project, staff, applicant, two_years):
    one, two = two_years
    pay(project, staff, 100 * M, year=1, on=date(2026, 5, 10))
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, 50 * M, year=2)
    assert refused.value.reasons == [
        "Year 2 is paid only once the annual report of year 1 is accepted; it is: Not submitted."
    ]
    report = Report.objects.get(year=one)
    reports.submit_report(report, by=applicant, upload=SimpleUploadedFile("annual.pdf", pdf_bytes()))
    reports.review_report(report, by=staff, accept=False, comments="Add the citizen survey")
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, 50 * M, year=2)
    assert refused.value.reasons[0].endswith("it is: Returned for changes.")
    reports.submit_report(report, by=applicant, upload=SimpleUploadedFile("annual-2.pdf", pdf_bytes()))
    reports.review_report(report, by=staff, accept=True)
    entry = pay(project, staff, 50 * M, year=2)
    assert (entry.year, entry.amount) == (two, 50 * M)
    assert DisbursementEntry.objects.filter(year=two).count() == 1


def test_a_year_is_never_paid_beyond_its_subsidy(project, staff, two_years):
    pay(project, staff, 150 * M, year=1, on=date(2026, 5, 10))
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, 60 * M, year=1, on=date(2026, 5, 11))
    assert refused.value.reasons == [
        "Payments into year 1 net of their reversals would come to 210,000,000 KRW, outside 0 to the year's subsidy of 200,000,000 KRW."
    ]
    assert DisbursementEntry.objects.count() == 1


def test_a_project_with_years_is_paid_into_a_named_year(project, staff, two_years):
    with pytest.raises(TransitionRefused) as refused:
        ledger.post_payment(project, by=staff, amount=M, paid_on=date(2026, 5, 10))
    assert refused.value.reasons == ["Say which year of the agreement the payment is for."]
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, M, year=3)
    assert refused.value.reasons == ["The agreement has no year 3."]


def test_a_reversal_counts_against_the_year_of_the_payment(project, staff, two_years):
    entry = pay(project, staff, 200 * M, year=1, on=date(2026, 5, 10))
    reversal = ledger.reverse_entry(entry, by=staff, reason="Wrong account")
    assert reversal.year_id == two_years[0].pk
    pay(project, staff, 200 * M, year=1, on=date(2026, 5, 12))  # room again in year 1


def test_the_checks_sheet_fails_when_a_year_was_paid_before_its_report(project, staff, two_years):
    pay(project, staff, 10 * M, year=1, on=date(2026, 5, 10))
    entry = DisbursementEntry.objects.get()
    DisbursementEntry.objects.bulk_create(  # a write around projects.ledger
        [
            DisbursementEntry(
                project=project,
                year=two_years[1],
                kind="payment",
                amount=M,
                entry_date=date(2026, 9, 2),
                counts_toward="payment",
                posted_by=entry.posted_by,
            )
        ]
    )
    assert "year_paid_after_previous_report" in [i.code for i in broken(money_of(project))]
    summary = write_funding_workbook([project.award.application.call], BytesIO())
    failed = [c["check"] for c in summary["checks"] if c["result"] == "FAIL"]
    assert any("previous year's annual report" in check for check in failed)
    assert summary["rows"]["Budget"] == 6


# --- spending by category ------------------------------------------------------------------------


def test_spending_records_its_year_and_budget_category(project, staff, applicant, two_years, categories):
    spent = spend(project, applicant, staff, 5 * M, categories["equipment"], on=date(2026, 9, 15))
    assert (spent.year, spent.budget_category, spent.category) == (
        two_years[1],
        categories["equipment"],
        "equipment",
    )
    with pytest.raises(TransitionRefused) as refused:
        ledger.report_expenditure(
            project,
            by=applicant,
            spent_on=date(2026, 6, 1),
            amount=M,
            category="travel",
            evidence=ContentFile(pdf_bytes(), name="r.pdf"),
        )
    assert refused.value.reasons == ["Say which budget category the spending is for."]


# --- transfers -----------------------------------------------------------------------------------


def test_a_transfer_within_the_threshold_moves_at_once(project, applicant, two_years, categories):
    one = two_years[0]
    # 20 % of personnel's 120 M is 24 M.
    transfer = budget.request_transfer(
        one,
        by=applicant,
        from_category=categories["personnel"],
        to_category=categories["equipment"],
        amount=24 * M,
        reason="Sensors cost more",
    )
    assert (transfer.state, transfer.needs_approval) == (RequestState.APPROVED, False)
    figures = category_figures(one)
    assert (figures["personnel"].current, figures["equipment"].current) == (96 * M, 84 * M)


def test_transfers_beyond_the_threshold_add_up_and_wait_for_staff(
    project, applicant, staff, two_years, categories
):
    one = two_years[0]
    move = dict(
        from_category=categories["personnel"], to_category=categories["equipment"], reason="More sensors"
    )
    budget.request_transfer(one, by=applicant, amount=20 * M, **move)
    waiting = budget.request_transfer(one, by=applicant, amount=5 * M, **move)  # 25 M in all: beyond 24 M
    assert (waiting.state, waiting.needs_approval) == (RequestState.REQUESTED, True)
    assert category_figures(one)["equipment"].current == 80 * M
    with pytest.raises(TransitionRefused) as refused:
        budget.decide_transfer(waiting, by=staff, approve=False)
    assert refused.value.reasons == ["Say why the transfer is declined."]
    with pytest.raises(PermissionDenied):
        budget.decide_transfer(waiting, by=applicant, approve=True)
    budget.decide_transfer(waiting, by=staff, approve=True)
    assert category_figures(one)["equipment"].current == 85 * M
    assert StateLog.objects.filter(object_id=project.pk, transition="decide_budget_transfer").exists()


def test_a_transfer_never_takes_a_category_above_its_cap(project, applicant, two_years, categories):
    with pytest.raises(TransitionRefused) as refused:
        budget.request_transfer(
            two_years[0],
            by=applicant,
            from_category=categories["personnel"],
            to_category=categories["indirect"],
            amount=M,
            reason="Rent",
        )
    assert "above its cap of 10%" in refused.value.reasons[0]
    assert not budget.BudgetTransfer.objects.exists()


def test_a_category_cannot_give_more_than_it_holds(project, applicant, two_years, categories):
    with pytest.raises(TransitionRefused) as refused:
        budget.request_transfer(
            two_years[1],
            by=applicant,
            from_category=categories["indirect"],
            to_category=categories["personnel"],
            amount=11 * M,
            reason="x",
        )
    assert refused.value.reasons == [
        "Indirect holds 10,000,000 KRW in year 2; it cannot give 11,000,000 KRW."
    ]


# --- settlement per category ---------------------------------------------------------------------


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**9), min_size=1, max_size=12))
def test_shares_in_proportion_add_up_to_the_won(total, weights):
    shares = budget.split_in_proportion(total, weights)
    assert sum(shares) == total and len(shares) == len(weights)
    assert all(share >= 0 for share in shares)
    whole = sum(weights)
    if whole:
        assert all(
            abs(share * whole - total * weight) < whole for share, weight in zip(shares, weights, strict=True)
        )


def test_the_settlement_per_category_adds_up_to_the_project(project, staff, applicant, two_years, categories):
    one, two = two_years
    pay(project, staff, 200 * M, year=1, on=date(2026, 5, 10))
    spend(project, applicant, staff, 100 * M, categories["personnel"], approved=90 * M)
    spend(project, applicant, staff, 50 * M, categories["equipment"], approved=50 * M)
    spent = spend(project, applicant, staff, 7 * M, categories["indirect"])
    ledger.decide_expenditure(spent, by=staff, approved_amount=None, reason="No receipt")
    accept_annual(one, applicant, staff)
    pay(project, staff, 100 * M, year=2, on=date(2026, 9, 10))
    spend(project, applicant, staff, 40 * M, categories["personnel"], on=date(2026, 10, 1), approved=40 * M)
    final = project.reports.get(kind="final")
    reports.submit_report(final, by=applicant, upload=SimpleUploadedFile("final.pdf", pdf_bytes()))
    reports.review_report(final, by=staff, accept=True)
    settlement = ledger.settle(project, by=staff, interest_earned=1_000_003)
    assert settlement.to_recover == 300 * M - 180 * M + 1_000_003
    lines = list(settlement.lines.select_related("year", "category"))
    assert len(lines) == 6
    assert sum(line.to_recover for line in lines) == settlement.to_recover
    assert sum(line.approved_spending for line in lines) == settlement.approved_spending
    by_cell = {(line.year.number, line.category.code): line for line in lines}
    assert (by_cell[1, "personnel"].disallowed, by_cell[1, "indirect"].disallowed) == (10 * M, 7 * M)
    # Year 1: personnel holds 30 M beyond spending, equipment 10 M, indirect 20 M; year 2:
    # 20 M, 30 M, 10 M: 120 M unspent in all, shared exactly in those proportions.
    assert by_cell[1, "personnel"].unspent == 30 * M and by_cell[2, "equipment"].unspent == 30 * M
    assert not broken(money_of(project))


# --- agreement changes ---------------------------------------------------------------------------


def test_an_approved_change_of_a_years_amount_applies_and_keeps_what_it_replaced(
    project, staff, applicant, two_years, categories
):
    two = two_years[1]
    plan = {categories["personnel"]: 50 * M, categories["equipment"]: 32 * M, categories["indirect"]: 8 * M}
    change = agreement_changes.request_change(
        project,
        by=applicant,
        kind="amount",
        year=two,
        national_subsidy=90 * M,
        plan=plan,
        reason="Smaller pilot",
    )
    assert ProjectYear.objects.get(pk=two.pk).national_subsidy == 100 * M  # nothing changes yet
    agreement_changes.decide_change(change, by=staff, approve=True)
    change.refresh_from_db()
    assert change.state == RequestState.APPROVED
    assert change.previous["national_subsidy"] == 100 * M
    assert change.previous["plan"][str(categories["personnel"].pk)] == 60 * M
    assert ProjectYear.objects.get(pk=two.pk).national_subsidy == 90 * M
    assert Award.objects.get(pk=project.award_id).national_subsidy == 290 * M
    assert category_figures(two)["equipment"].planned == 32 * M


def test_a_years_amount_never_falls_below_what_was_paid_into_it(
    project, staff, applicant, two_years, categories
):
    pay(project, staff, 200 * M, year=1, on=date(2026, 5, 10))
    change = agreement_changes.request_change(
        project,
        by=applicant,
        kind="amount",
        year=two_years[0],
        national_subsidy=100 * M,
        plan={categories["personnel"]: 100 * M},
        reason="Less",
    )
    with pytest.raises(TransitionRefused) as refused:
        agreement_changes.decide_change(change, by=staff, approve=True)
    assert "outside 0 to the year's subsidy of 100,000,000 KRW" in refused.value.reasons[0]
    change.refresh_from_db()
    assert change.state == RequestState.REQUESTED
    assert ProjectYear.objects.get(pk=two_years[0].pk).national_subsidy == 200 * M


def test_period_and_members_changes_are_requested_and_decided(project, staff, applicant):
    period = agreement_changes.request_change(
        project, by=applicant, kind="period", ends_on=date(2027, 2, 28), reason="Winter testing"
    )
    members = agreement_changes.request_change(
        project, by=applicant, kind="members", members=[], reason="Tidy"
    )
    with pytest.raises(TransitionRefused) as refused:
        agreement_changes.decide_change(members, by=staff, approve=False)
    assert refused.value.reasons == ["Say why the change is declined."]
    agreement_changes.decide_change(members, by=staff, approve=False, reason="Busan has not signed")
    agreement_changes.decide_change(period, by=staff, approve=True)
    project = Project.objects.get(pk=project.pk)
    assert project.ends_on == date(2027, 2, 28)
    assert project.reports.get(kind="final").due_on == date(2027, 4, 29)
    assert AgreementChange.objects.get(pk=period.pk).previous == {"ends_on": "2026-11-30"}
    assert AgreementChange.objects.get(pk=members.pk).state == RequestState.DECLINED


def test_a_stranger_cannot_request_a_change(project, stranger):
    with pytest.raises(PermissionDenied):
        agreement_changes.request_change(project, by=stranger, kind="members", members=[], reason="y")


def test_expenditure_category_is_still_free_without_years(project, applicant):
    spent = ledger.report_expenditure(
        project,
        by=applicant,
        spent_on=date(2026, 6, 1),
        category="travel",
        amount=M,
        evidence=ContentFile(pdf_bytes(), name="r.pdf"),
    )
    assert (spent.year, spent.budget_category, spent.category) == (None, None, "travel")
    assert Expenditure.objects.count() == 1


def test_a_category_left_out_of_a_changed_plan_holds_nothing(
    project, staff, applicant, two_years, categories
):
    two = two_years[1]
    change = agreement_changes.request_change(
        project,
        by=applicant,
        kind="amount",
        year=two,
        national_subsidy=90 * M,
        plan={categories["personnel"]: 90 * M},
        reason="Personnel only",
    )
    agreement_changes.decide_change(change, by=staff, approve=True)
    assert {code: c.planned for code, c in category_figures(two).items()} == {
        "personnel": 90 * M,
        "equipment": 0,
        "indirect": 0,
    }


def test_the_stateful_checker_sees_what_bypasses_the_year_rules(project, staff, applicant, two_years):
    """tests/stateful's own arithmetic (no product function) finds a year overpaid, a year
    paid before the previous annual report was accepted, and years not adding up to the award,
    when rows are written past projects.ledger (a faulty import)."""
    from tests.stateful.invariants import agreement_years

    call = project.award.application.call
    assert agreement_years(call) == []  # 200 M + 100 M = the 300 M award
    pay(project, staff, 100 * M, year=1)
    row = {"project": project, "kind": "payment", "entry_date": date(2026, 9, 10), "posted_by": staff}
    DisbursementEntry.objects.create(**row, year=two_years[1], amount=10 * M)
    DisbursementEntry.objects.create(**row, year=two_years[0], amount=150 * M)
    ProjectYear.objects.filter(pk=two_years[1].pk).update(national_subsidy=90 * M)
    codes = sorted(v.code for v in agreement_years(call))
    assert codes == ["years.award", "years.gate", "years.paid"], codes
