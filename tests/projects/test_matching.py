"""Matching funds as the call sets them (issue 16): the national:local ratio at eligibility,
at the award (a money invariant in the award's transaction) and at settlement on approved
spending, with the national subsidy to return when the local government's share fell short."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog
from hypothesis import given
from hypothesis import strategies as st

from competitions.eligibility import validate_params
from competitions.lifecycle import TransitionRefused
from competitions.matching import MatchingRatio, matching_return
from competitions.models import EligibilityRule
from projects import ledger
from projects.eligibility_check import check_eligibility
from projects.matching import matching_figures
from projects.models import Application, ApplicationState, Award, FundingShare, ProjectState
from projects.money_invariants import ProjectMoney, broken
from tests.factories import StaffFactory, signed_project

from .test_ledger import accept_final_report

pytestmark = pytest.mark.django_db

M = 1_000_000
EOK = 100 * M  # 억

ratios = st.builds(MatchingRatio, st.integers(1, 100), st.integers(1, 100))
won = st.integers(0, 10**13)


# --- the arithmetic (rounded to the won against the project) -------------------------------------


@given(ratios, won)
def test_the_local_share_required_is_the_least_whole_won_that_matches(ratio, national):
    required = ratio.required_local(national)
    assert ratio.holds(national, required)
    assert required == 0 or not ratio.holds(national, required - 1)


@given(ratios, won)
def test_the_national_subsidy_covered_is_the_most_whole_won_the_local_share_matches(ratio, local):
    covered = ratio.national_covered(local)
    assert ratio.holds(covered, local)
    assert not ratio.holds(covered + 1, local)


@given(ratios, won, won)
def test_what_is_returned_leaves_the_rest_matched(ratio, national_spent, local_spent):
    due = matching_return(ratio, national_spent, local_spent)
    assert 0 <= due <= national_spent
    assert ratio.holds(national_spent - due, local_spent)  # what stays is matched
    if due:  # and not a won more is taken back than needed
        assert not ratio.holds(national_spent - due + 1, local_spent)
    assert matching_return(None, national_spent, local_spent) == 0


@given(ratios, won, won, won, won)
def test_settlement_figures_take_national_spending_only_up_to_what_was_paid(
    ratio, paid, national, local, private
):
    committed = {share: 0 for share in FundingShare.values}
    actual = {**committed, FundingShare.NATIONAL: national, FundingShare.LOCAL_GOVERNMENT: local}
    actual[FundingShare.PRIVATE_CASH] = private
    figures = matching_figures(ratio, committed, actual, paid)
    assert figures.national_spent == min(national, paid)
    assert figures.to_return == matching_return(ratio, min(national, paid), local)
    assert [line.share for line in figures.lines] == FundingShare.values


def test_fifty_fifty_examples():
    ratio = MatchingRatio(50, 50)
    assert ratio.required_local(150 * EOK) == 150 * EOK
    assert matching_return(ratio, 150 * EOK, 0) == 150 * EOK
    assert matching_return(ratio, 150 * EOK, 100 * EOK) == 50 * EOK
    assert MatchingRatio(60, 40).required_local(1) == 1  # 0.67 won rounds up
    assert MatchingRatio(60, 40).national_covered(1) == 1  # 1.5 won rounds down


# --- a Challenge-like call: 50:50 national/local ---------------------------------------------------


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


def challenge(draft, *, national, local, private):
    """The draft in a call set like the 2022 Challenge main stage (national ≤ 50 %, 50:50)."""
    call = draft.call
    call.matching_national_ratio, call.matching_local_ratio = 50, 50
    call.save()
    EligibilityRule.objects.filter(call=call).delete()
    EligibilityRule.objects.create(
        call=call, kind="national_share", params=validate_params("national_share", {"max_percent": 50})
    )
    Application.objects.filter(pk=draft.pk).update(
        requested_subsidy=national, local_government=local, private_cash=private, private_in_kind=0
    )
    return Application.objects.get(pk=draft.pk)


def selected(application):
    Application.objects.filter(pk=application.pk).update(
        state=ApplicationState.SELECTED, reference="SC22M-0001", accepted_at=timezone.now()
    )
    return Application.objects.get(pk=application.pk)


def test_the_challenge_refuses_150_national_0_local_150_private_at_eligibility(draft):
    application = challenge(draft, national=150 * EOK, local=0, private=150 * EOK)
    [result] = [r for r in check_eligibility(application) if r.kind == "local_matching"]
    assert not result.passed
    assert "50:50" in result.reason and "15,000,000,000 KRW" in result.reason
    # The national share alone (50 % of the total) does not catch it.
    assert all(r.passed for r in check_eligibility(application) if r.kind == "national_share")
    matched = challenge(draft, national=150 * EOK, local=150 * EOK, private=0)
    [result] = [r for r in check_eligibility(matched) if r.kind == "local_matching"]
    assert result.passed


def test_a_call_without_a_ratio_has_no_local_matching_rule(draft):
    assert not [r for r in check_eligibility(draft) if r.kind == "local_matching"]


def test_the_award_refuses_a_plan_the_local_government_does_not_match(draft, staff):
    application = selected(challenge(draft, national=150 * EOK, local=150 * EOK, private=0))
    with pytest.raises(TransitionRefused) as refused:
        ledger.create_award(application, by=staff, local_government=0, private_cash=150 * EOK)
    assert refused.value.reasons[0].startswith("Local matching: ")
    assert not Award.objects.exists()  # nothing changed
    award = ledger.create_award(application, by=staff)
    assert (award.national_subsidy, award.local_government) == (150 * EOK, 150 * EOK)


def test_the_award_invariant_is_checked_in_the_awards_transaction(draft, staff, monkeypatch):
    """Even when the eligibility check is bypassed, the money invariant refuses the award."""
    application = selected(challenge(draft, national=150 * EOK, local=0, private=150 * EOK))
    monkeypatch.setattr(ledger, "funding_plan_problems", lambda application, plan: [])
    with pytest.raises(TransitionRefused) as refused:
        ledger.create_award(application, by=staff)
    assert "50:50" in refused.value.reasons[0]
    assert not Award.objects.exists()


def test_the_workbook_invariant_reads_the_award_against_the_ratio():
    figures = dict(state="active", awarded=150 * EOK, paid=0, recovered=0, approved=0)
    assert [i.code for i in broken(ProjectMoney(**figures, ratio_national=50, ratio_local=50))] == [
        "award_matches_call_ratio"
    ]
    assert broken(ProjectMoney(**figures, committed_local=150 * EOK, ratio_national=50, ratio_local=50)) == []
    assert broken(ProjectMoney(**figures)) == []  # no ratio, no rule


# --- settlement on approved spending ----------------------------------------------------------------


def spend(project, applicant, staff, amount, share, approved=None):
    spent = ledger.report_expenditure(
        project,
        by=applicant,
        spent_on=date(2026, 6, 1),
        category="equipment",
        share=share,
        amount=amount,
        evidence=ContentFile(b"%PDF-1.7", name="receipt.pdf"),
    )
    return ledger.decide_expenditure(
        spent,
        by=staff,
        approved_amount=amount if approved is None else approved,
        reason="" if approved is None else "Over the unit cost",
    )


@pytest.fixture
def challenge_project(draft, staff):
    application = selected(challenge(draft, national=300 * M, local=300 * M, private=0))
    return signed_project(application, by=staff)


def test_a_local_shortfall_at_settlement_returns_the_unmatched_national_subsidy(
    challenge_project, staff, applicant, client
):
    project = challenge_project
    ledger.post_payment(project, by=staff, amount=300 * M, paid_on=date(2026, 5, 10))
    spend(project, applicant, staff, 300 * M, FundingShare.NATIONAL)
    spend(project, applicant, staff, 250 * M, FundingShare.LOCAL_GOVERNMENT, approved=200 * M)
    accept_final_report(project, applicant, staff)
    settlement = ledger.settle(project, by=staff)
    # All 300 M paid was spent, but the local government's 200 M matches only 200 M of it.
    assert (settlement.approved_spending, settlement.matching_return, settlement.to_recover) == (
        300 * M,
        100 * M,
        100 * M,
    )
    log = StateLog.objects.for_(project).filter(transition="settle").get()
    assert "200,000,000 KRW" in log.description and "100,000,000 KRW" in log.description
    # Returned through the existing recovery path: no more than is due.
    with pytest.raises(TransitionRefused):
        ledger.post_recovery(project, by=staff, amount=100 * M + 1, received_on=date(2026, 12, 1))
    ledger.post_recovery(project, by=staff, amount=100 * M, received_on=date(2026, 12, 1))
    assert ledger.close_project(project, by=staff).state == ProjectState.CLOSED
    client.force_login(staff)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "matching shortfall 100,000,000 KRW" in page
    assert "Matching funds" in page and "50:50" in page


def test_unspent_subsidy_and_matching_are_not_counted_twice(challenge_project, staff, applicant):
    project = challenge_project
    ledger.post_payment(project, by=staff, amount=300 * M, paid_on=date(2026, 5, 10))
    spend(project, applicant, staff, 200 * M, FundingShare.NATIONAL)
    spend(project, applicant, staff, 150 * M, FundingShare.LOCAL_GOVERNMENT)
    accept_final_report(project, applicant, staff)
    settlement = ledger.settle(project, by=staff)
    # 100 M unspent comes back; of the 200 M spent, 150 M is matched: 50 M more.
    assert (settlement.matching_return, settlement.to_recover) == (50 * M, 150 * M)


def test_a_matched_project_returns_only_what_is_unspent(challenge_project, staff, applicant):
    project = challenge_project
    ledger.post_payment(project, by=staff, amount=300 * M, paid_on=date(2026, 5, 10))
    spend(project, applicant, staff, 280 * M, FundingShare.NATIONAL)
    spend(project, applicant, staff, 300 * M, FundingShare.LOCAL_GOVERNMENT)
    accept_final_report(project, applicant, staff)
    settlement = ledger.settle(project, by=staff)
    assert (settlement.matching_return, settlement.to_recover) == (0, 20 * M)


def test_the_seeded_2022_challenge_main_stage_is_50_50(db):
    from competitions.demo import CHALLENGE_MAIN_2022, CHALLENGE_PRELIMINARY_2022

    assert CHALLENGE_MAIN_2022.matching_ratio == (50, 50)
    assert CHALLENGE_PRELIMINARY_2022.matching_ratio == (0, 0)


# --- the private share re-checked at settlement (issue 16) -----------------------------------------


def test_private_matching_return_arithmetic():
    from competitions.matching import private_matching_return

    # 50 won of private contribution per 100 won of national subsidy: a private won matches two.
    assert private_matching_return(50, 300 * M, 150 * M) == 0
    assert private_matching_return(50, 300 * M, 100 * M) == 100 * M
    assert private_matching_return(50, 180 * M, 100 * M) == 0  # less spent, still matched
    assert private_matching_return(None, 300 * M, 0) == 0  # the call sets no private match
    assert private_matching_return(0, 300 * M, 0) == 0
    assert private_matching_return(300, 3, 1) == 3 - 0  # 1 won matches 0.33 won: rounds down


@given(st.integers(1, 500), won, won)
def test_what_stays_after_the_private_return_is_matched(percent, spent, actual):
    from competitions.matching import private_matching_return

    due = private_matching_return(percent, spent, actual)
    assert 0 <= due <= spent
    kept = spent - due
    assert actual * 100 >= kept * percent  # what stays is matched
    if due:  # and not a won more is taken back than needed
        assert actual * 100 < (kept + 1) * percent


@pytest.fixture
def private_project(draft, staff):
    """50:50 national/local, and a private match of 50 won per 100 won of national subsidy."""
    application = selected(challenge(draft, national=300 * M, local=300 * M, private=150 * M))
    application.call.matching_private_percent = 50
    application.call.save()
    return signed_project(application, by=staff)


def test_a_private_shortfall_at_settlement_returns_the_unmatched_national_subsidy(
    private_project, staff, applicant, client
):
    project = private_project
    ledger.post_payment(project, by=staff, amount=300 * M, paid_on=date(2026, 5, 10))
    spend(project, applicant, staff, 300 * M, FundingShare.NATIONAL)
    spend(project, applicant, staff, 300 * M, FundingShare.LOCAL_GOVERNMENT)
    spend(project, applicant, staff, 60 * M, FundingShare.PRIVATE_CASH)
    spend(project, applicant, staff, 40 * M, FundingShare.PRIVATE_IN_KIND)
    accept_final_report(project, applicant, staff)
    settlement = ledger.settle(project, by=staff)
    # The local share is matched; the private sector spent 100 M of its 150 M, which at the
    # call's 50 won per 100 matches 200 M of the 300 M national subsidy spent: 100 M comes back.
    assert (settlement.matching_return, settlement.private_return, settlement.to_recover) == (
        100 * M,
        100 * M,
        100 * M,
    )
    log = StateLog.objects.for_(project).filter(transition="settle").get()
    assert "private sector spent 100,000,000 KRW; at the call's private match of 50 won" in log.description
    assert "local government spent" not in log.description
    client.force_login(staff)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "the private share alone calls for 100,000,000 KRW" in page
    assert "requires 50 won of private contribution" in page and "matches 200,000,000 KRW" in page
    ledger.post_recovery(project, by=staff, amount=100 * M, received_on=date(2026, 12, 1))
    assert ledger.close_project(project, by=staff).state == ProjectState.CLOSED


def test_both_shares_short_return_the_larger_shortfall_once(private_project, staff, applicant):
    from io import BytesIO

    from openpyxl import load_workbook

    from audit.funding_workbook import write_funding_workbook

    project = private_project
    ledger.post_payment(project, by=staff, amount=300 * M, paid_on=date(2026, 5, 10))
    spend(project, applicant, staff, 280 * M, FundingShare.NATIONAL)
    spend(project, applicant, staff, 250 * M, FundingShare.LOCAL_GOVERNMENT)  # matches 250 M: 30 M short
    spend(project, applicant, staff, 120 * M, FundingShare.PRIVATE_CASH)  # matches 240 M: 40 M short
    accept_final_report(project, applicant, staff)
    settlement = ledger.settle(project, by=staff)
    # 20 M unspent + the larger shortfall (40 M), not 30 M + 40 M.
    assert (settlement.matching_return, settlement.private_return, settlement.to_recover) == (
        40 * M,
        40 * M,
        60 * M,
    )
    log = StateLog.objects.for_(project).filter(transition="settle").get()
    assert "the larger amount, 40,000,000 KRW, is returned once" in log.description
    out = BytesIO()
    summary = write_funding_workbook([project.award.application.call], out)
    failed = [c["check"] for c in summary["checks"] if c["result"] == "FAIL"]
    assert all("confirmed run" in check for check in failed), failed  # the fixture selects without a run
    sheet = load_workbook(BytesIO(out.getvalue()))["Awards"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Private sector spent (KRW)" in r)
    row = dict(zip(header, next(r for r in rows if r and r[0] == project.code), strict=False))
    assert row["Private sector spent (KRW)"] == 120 * M
    assert row["Of which the private shortfall (KRW)"] == 40 * M
    assert row["Matching shortfall to return (KRW)"] == 40 * M


def test_a_call_without_a_private_match_returns_nothing_for_private_spending(
    challenge_project, staff, applicant
):
    project = challenge_project  # 0 private committed, and the call sets no private match
    ledger.post_payment(project, by=staff, amount=300 * M, paid_on=date(2026, 5, 10))
    spend(project, applicant, staff, 300 * M, FundingShare.NATIONAL)
    spend(project, applicant, staff, 300 * M, FundingShare.LOCAL_GOVERNMENT)
    accept_final_report(project, applicant, staff)
    settlement = ledger.settle(project, by=staff)
    assert (settlement.matching_return, settlement.private_return, settlement.to_recover) == (0, 0, 0)
