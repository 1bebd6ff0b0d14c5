"""The project's money invariants (projects.money_invariants), kept by every ledger write and
evaluated by the funding workbook's Checks sheet; one definition of "paid" and "recovered"
(issue 13, findings 10, 12, 13, 14, 21)."""

from datetime import date
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_fsm_log.models import StateLog

from audit.funding_workbook import write_funding_workbook
from competitions.lifecycle import TransitionRefused
from projects import ledger, reports
from projects.ledger_figures import LedgerSums, with_money
from projects.models import (
    DisbursementEntry,
    Project,
    ProjectState,
    ReportStatus,
)
from projects.money_invariants import INVARIANTS, ProjectMoney, broken
from tests.factories import StaffFactory, selected_in_a_confirmed_run, signed_project

from .samples import pdf_bytes

pytestmark = pytest.mark.django_db

M = 1_000_000
CLOSED = "The project is closed: it takes no entry."


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def project(draft, staff):
    """A 300 M award, agreement signed on 2026-05-01."""
    return signed_project(selected_in_a_confirmed_run(draft, by=staff), by=staff)


def pay(project, staff, amount, tranche=None, on=date(2026, 5, 10)):
    return ledger.post_payment(project, by=staff, amount=amount, paid_on=on, tranche=tranche)


def recover(project, staff, amount, on=date(2026, 6, 1)):
    return ledger.post_recovery(project, by=staff, amount=amount, received_on=on)


def spend(project, applicant, staff, amount, approved=None):
    spent = ledger.report_expenditure(
        project,
        by=applicant,
        spent_on=date(2026, 6, 1),
        category="equipment",
        amount=amount,
        evidence=ContentFile(pdf_bytes(), name="receipt.pdf"),
    )
    if approved is not None:
        reason = "" if approved == amount else "Partly"
        return ledger.decide_expenditure(spent, by=staff, approved_amount=approved, reason=reason)
    return spent


def submit_final(project, applicant, name="final.pdf"):
    final = project.reports.get(kind="final")
    return reports.submit_report(final, by=applicant, upload=SimpleUploadedFile(name, pdf_bytes()))


def settle_and_close(project, applicant, staff):
    reports.review_report(submit_final(project, applicant), by=staff, accept=True)
    settlement = ledger.settle(project, by=staff)
    if settlement.to_recover:
        recover(project, staff, settlement.to_recover, on=date(2026, 12, 1))
    return ledger.close_project(project, by=staff)


def figures(project):
    return with_money(Project.objects.filter(pk=project.pk)).get()


def checks(call):
    summary = write_funding_workbook([call], BytesIO())
    return {c["check"]: c for c in summary["checks"]}


def rule_check(call, code):
    statement = next(invariant.statement for invariant in INVARIANTS if invariant.code == code)
    return checks(call)[f"{call.slug}: projects breaking the rule: {statement}"]


# --- one definition of paid and recovered (finding 10) ------------------------------------------


def test_reversing_a_recovery_makes_no_room_for_another_payment(project, staff):
    """Recover 50 M, reverse the recovery, pay 50 M more: the reversal counts against the
    recovery, not against what was paid, so the award stays the limit."""
    pay(project, staff, 300 * M, tranche=1)
    returned = recover(project, staff, 50 * M)
    ledger.reverse_entry(returned, by=staff, reason="Transfer bounced")
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, 50 * M, tranche=2)
    assert refused.value.reasons == [
        "Payments net of their reversals would come to 350,000,000 KRW, above the awarded subsidy of 300,000,000 KRW."
    ]
    assert ledger.totals(project.pk) == (300 * M, 0)
    shown = figures(project)
    assert (shown.paid, shown.recovered) == (300 * M, 0)
    assert LedgerSums.of(DisbursementEntry.objects.filter(project=project)) == LedgerSums(300 * M, 0)
    # The page, the workbook's Awards and Checks sheets and the ledger say the same.
    from openpyxl import load_workbook

    out = BytesIO()
    summary = write_funding_workbook([project.award.application.call], out)
    assert summary["passed"], [c for c in summary["checks"] if c["result"] == "FAIL"]
    awards = list(load_workbook(out)["Awards"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[10]) for row in awards] == [(project.code, 300 * M)]


def test_the_project_page_shows_paid_and_recovered_net_of_their_own_reversals(client, project, staff):
    pay(project, staff, 200 * M)
    returned = recover(project, staff, 30 * M)
    ledger.reverse_entry(returned, by=staff, reason="Transfer bounced")
    recover(project, staff, 20 * M)
    client.force_login(staff)
    page = client.get(reverse("projects:project_detail", args=[project.pk]))
    assert (page.context["project"].paid, page.context["project"].recovered) == (200 * M, 20 * M)
    reversal = DisbursementEntry.objects.get(kind="reversal")
    assert (reversal.counts_toward, reversal.amount) == ("recovery", -30 * M)


# --- invariants kept by every write (findings 10, 21) -------------------------------------------


def test_a_closed_project_takes_no_entry(project, staff, applicant):
    payment = pay(project, staff, 300 * M)
    spend(project, applicant, staff, 300 * M, approved=300 * M)
    settle_and_close(project, applicant, staff)
    before = list(DisbursementEntry.objects.values_list("pk", flat=True))
    with pytest.raises(TransitionRefused) as refused:
        recover(project, staff, 999_999_999)
    assert refused.value.reasons == [CLOSED]
    with pytest.raises(TransitionRefused) as refused:
        ledger.reverse_entry(payment, by=staff, reason="late correction")
    assert refused.value.reasons == [CLOSED]
    assert list(DisbursementEntry.objects.values_list("pk", flat=True)) == before
    assert (figures(project).paid, figures(project).recovered) == (300 * M, 0)


def test_recoveries_never_exceed_what_was_paid_beyond_approved_spending(project, staff, applicant):
    pay(project, staff, 100 * M)
    spend(project, applicant, staff, 80 * M, approved=80 * M)
    with pytest.raises(TransitionRefused) as refused:
        recover(project, staff, 20 * M + 1)
    assert refused.value.reasons == [
        "Recoveries net of their reversals would come to 20,000,001 KRW, more than was paid beyond "
        "approved spending plus interest (20,000,000 KRW: paid 100,000,000 KRW, approved spending "
        "80,000,000 KRW, interest 0 KRW)."
    ]
    recover(project, staff, 20 * M)
    assert ledger.totals(project.pk) == (100 * M, 20 * M)


def test_reversing_a_payment_cannot_leave_more_recovered_than_paid(project, staff):
    payment = pay(project, staff, 100 * M, tranche=1)
    recover(project, staff, 60 * M)  # misuse found: nothing approved yet
    with pytest.raises(TransitionRefused) as refused:
        ledger.reverse_entry(payment, by=staff, reason="Wrong account")
    assert refused.value.reasons[0].startswith(
        "Recoveries net of their reversals would come to 60,000,000 KRW"
    )
    assert not DisbursementEntry.objects.filter(kind="reversal").exists()


def test_approving_spending_cannot_leave_more_recovered_than_paid_beyond_it(project, staff, applicant):
    pay(project, staff, 100 * M)
    recover(project, staff, 50 * M)
    spent = spend(project, applicant, staff, 80 * M)
    with pytest.raises(TransitionRefused) as refused:
        ledger.decide_expenditure(spent, by=staff, approved_amount=80 * M)
    assert refused.value.reasons[0].startswith(
        "Recoveries net of their reversals would come to 50,000,000 KRW"
    )
    spent.refresh_from_db()
    assert (spent.state, spent.approved_amount) == ("reported", None)
    ledger.decide_expenditure(spent, by=staff, approved_amount=50 * M, reason="Half the unit cost")


def test_spending_reported_on_a_stale_project_is_refused(project, applicant, staff, draft):
    """Finding 21: the state is read under the project's lock, not from the caller's object."""
    stale = Project.objects.get(pk=project.pk)
    Project.objects.filter(pk=project.pk).update(state=ProjectState.SETTLED)
    assert stale.state == ProjectState.ACTIVE
    with pytest.raises(TransitionRefused) as refused:
        spend(stale, applicant, staff, M)
    assert refused.value.reasons == ["Spending is reported only while the project is active."]
    assert not project.expenditures.exists()


def test_a_recovery_on_a_closed_project_read_stale_is_refused(project, staff):
    """Finding 21: post_recovery once checked no state at all."""
    pay(project, staff, 10 * M)
    stale = Project.objects.get(pk=project.pk)
    Project.objects.filter(pk=project.pk).update(state=ProjectState.CLOSED)
    with pytest.raises(TransitionRefused) as refused:
        recover(stale, staff, M)
    assert refused.value.reasons == [CLOSED]


# --- the Checks sheet evaluates the same invariants ----------------------------------------------


def test_checks_sheet_fails_when_recoveries_exceed_what_was_paid_beyond_spending(project, staff):
    pay(project, staff, 100 * M)
    call = project.award.application.call
    assert rule_check(call, "recovered_within_paid_beyond_spending")["result"] == "PASS"
    # Written past projects.ledger, as a faulty import would.
    DisbursementEntry.objects.create(
        project=project, kind="recovery", amount=150 * M, entry_date=date(2026, 7, 1), posted_by=staff
    )
    failed = rule_check(call, "recovered_within_paid_beyond_spending")
    assert (failed["result"], failed["actual"]) == ("FAIL", 1)
    assert [i.code for i in broken(ProjectMoney.of(figures(project)))] == [
        "recovered_within_paid_beyond_spending"
    ]


def test_checks_sheet_fails_when_a_closed_project_took_an_entry(project, staff, applicant):
    pay(project, staff, 100 * M)
    spend(project, applicant, staff, 100 * M, approved=100 * M)
    settle_and_close(project, applicant, staff)
    call = project.award.application.call
    assert all(c["result"] == "PASS" for c in checks(call).values())
    DisbursementEntry.objects.create(
        project=project, kind="payment", amount=M, entry_date=date(2026, 7, 1), posted_by=staff
    )
    failed = rule_check(call, "closed_takes_no_entry")
    assert (failed["result"], failed["actual"]) == ("FAIL", 1)


def test_checks_sheet_fails_when_a_project_was_settled_without_its_final_report(project, staff):
    call = project.award.application.call
    Project.objects.filter(pk=project.pk).update(state=ProjectState.SETTLED)
    failed = rule_check(call, "settled_with_final_report_accepted")
    assert (failed["result"], failed["actual"]) == ("FAIL", 1)


def test_checks_sheet_fails_when_paid_exceeds_the_award(project, staff):
    pay(project, staff, 300 * M)
    DisbursementEntry.objects.create(
        project=project, kind="payment", amount=M, entry_date=date(2026, 7, 1), posted_by=staff
    )
    failed = rule_check(project.award.application.call, "paid_within_award")
    assert (failed["result"], failed["actual"]) == ("FAIL", 1)


# --- a tranche is paid once (finding 12) ---------------------------------------------------------


def test_a_tranche_is_paid_once_unless_its_payment_was_reversed(project, staff):
    first = pay(project, staff, 100 * M, tranche=1)
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, 100 * M, tranche=1)
    assert refused.value.reasons == [
        f"Tranche 1 was already paid on 2026-05-10 (entry #{first.pk}); reverse it first to pay it again."
    ]
    ledger.reverse_entry(first, by=staff, reason="Wrong account")
    again = pay(project, staff, 100 * M, tranche=1)
    assert again.replaces == first
    assert ledger.totals(project.pk) == (100 * M, 0)


def test_the_database_refuses_a_second_payment_of_a_tranche(project, staff):
    pay(project, staff, 100 * M, tranche=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        DisbursementEntry.objects.create(
            project=project,
            kind="payment",
            amount=M,
            entry_date=date(2026, 5, 11),
            tranche=1,
            posted_by=staff,
        )


@pytest.mark.parametrize("tranche", [0, 101, 10**30])
def test_a_tranche_number_out_of_range_is_refused(project, staff, tranche):
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, M, tranche=tranche)
    assert refused.value.reasons == ["A tranche is numbered from 1 to 100."]


# --- dates (finding 13) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "reason"),
    [
        (date(1900, 1, 1), "A payment cannot be dated before the agreement was signed on 2026-05-01."),
        (date(2026, 4, 30), "A payment cannot be dated before the agreement was signed on 2026-05-01."),
        (date(2999, 1, 1), "A payment cannot be dated in the future (2999-01-01)."),
    ],
)
def test_a_payment_dated_outside_the_agreement_and_today_is_refused(project, staff, on, reason):
    with pytest.raises(TransitionRefused) as refused:
        pay(project, staff, M, on=on)
    assert refused.value.reasons == [reason]
    assert not DisbursementEntry.objects.exists()


def test_a_recovery_dated_in_the_future_is_refused(project, staff):
    pay(project, staff, M)
    with pytest.raises(TransitionRefused) as refused:
        recover(project, staff, M, on=date(2999, 1, 1))
    assert refused.value.reasons == ["A recovery cannot be dated in the future (2999-01-01)."]


def test_the_payment_form_refuses_1900_and_2999(client, project, staff):
    client.force_login(staff)
    url = reverse("projects:project_detail", args=[project.pk])
    for day in ("1900-01-01", "2999-01-01"):
        response = client.post(url, {"action": "pay", "amount": "1000", "paid_on": day}, follow=True)
        assert any("cannot be dated" in str(m) for m in response.context["messages"])
    assert not DisbursementEntry.objects.exists()


# --- settlement needs the final report accepted (finding 14) ------------------------------------


def test_settlement_is_refused_until_the_final_report_is_accepted(project, staff, applicant):
    pay(project, staff, 100 * M)
    with pytest.raises(TransitionRefused) as refused:
        ledger.settle(project, by=staff)
    assert refused.value.reasons == ["Settlement needs the final report accepted."]
    final = submit_final(project, applicant)
    with pytest.raises(TransitionRefused):
        ledger.settle(project, by=staff)  # submitted, not yet accepted
    assert not project.settlements.exists()
    assert Project.objects.get(pk=project.pk).state == ProjectState.FINAL_REPORT
    reports.review_report(final, by=staff, accept=True)
    assert ledger.settle(project, by=staff).to_recover == 100 * M


def test_a_returned_report_is_submitted_again_and_both_documents_are_kept(project, staff, applicant):
    final = submit_final(project, applicant, name="first.pdf")
    with pytest.raises(TransitionRefused) as refused:
        reports.review_report(final, by=staff, accept=False)
    assert refused.value.reasons == ["Say what must change before the report can be accepted."]
    applicant.language = "en"  # told in their own language
    applicant.save()
    returned = reports.review_report(final, by=staff, accept=False, comments="Add the survey results.")
    assert (returned.status, returned.review_comments, returned.submitted_at) == (
        ReportStatus.RETURNED,
        "Add the survey results.",
        None,
    )
    from projects.models import OutboxMessage

    told = OutboxMessage.objects.get(to=applicant.email)
    assert told.subject == f"Final report for {project.code} was returned for changes"
    assert "Add the survey results." in told.body
    with pytest.raises(TransitionRefused):
        reports.review_report(returned, by=staff, accept=True)  # nothing submitted to accept
    again = submit_final(project, applicant, name="second.pdf")
    assert again.status == ReportStatus.SUBMITTED and again.original_name == "second.pdf"
    assert [s.original_name for s in again.submissions.all()] == ["first.pdf", "second.pdf"]
    assert all(s.document.read().startswith(b"%PDF") for s in again.submissions.all())
    accepted = reports.review_report(again, by=staff, accept=True)
    assert accepted.status == ReportStatus.ACCEPTED
    with pytest.raises(TransitionRefused):
        submit_final(project, applicant, name="third.pdf")
    log = StateLog.objects.filter(object_id=final.pk, content_type__model="report").order_by("pk")
    assert [(e.transition, e.by) for e in log] == [
        ("submit", applicant),
        ("return_for_changes", staff),
        ("submit", applicant),
        ("accept", staff),
    ]
    assert log[1].description == "Add the survey results."


def test_only_staff_review_reports(project, applicant):
    from django.core.exceptions import PermissionDenied

    final = submit_final(project, applicant)
    with pytest.raises(PermissionDenied):
        reports.review_report(final, by=applicant, accept=True)


def test_staff_accept_and_return_reports_on_the_project_page(client, project, staff, applicant):
    final = submit_final(project, applicant)
    client.force_login(staff)
    url = reverse("projects:project_detail", args=[project.pk])
    page = client.get(url).content.decode()
    assert 'name="action" value="review_report"' in page
    response = client.post(
        url,
        {"action": "review_report", "report": final.pk, "decision": "return", "comments": "Sign it."},
        follow=True,
    )
    assert "Report returned for changes." in [str(m) for m in response.context["messages"]]
    final.refresh_from_db()
    assert (final.status, final.review_comments) == (ReportStatus.RETURNED, "Sign it.")
    client.force_login(applicant)
    page = client.get(reverse("projects:my_project", args=[project.pk])).content.decode()
    assert "Returned for changes" in page and "Sign it." in page
    submit_final(project, applicant, name="signed.pdf")
    client.force_login(staff)
    client.post(url, {"action": "review_report", "report": final.pk, "decision": "accept"})
    final.refresh_from_db()
    assert final.status == ReportStatus.ACCEPTED


# --- a settled project keeps the ledger it was settled on (found by the lifecycle machine) -------


def test_a_payment_of_a_settled_project_cannot_be_reversed(project, staff, applicant):
    """Settled on 100 M paid and 40 M approved (60 M to recover): reversing the payment would
    leave 0 paid, so at most 0 could be recovered and the project could never close. Refused,
    and nothing is written; a recovery still can be reversed (it changes neither figure)."""
    payment = pay(project, staff, 100 * M, tranche=1)
    spend(project, applicant, staff, 40 * M, approved=40 * M)
    reports.review_report(submit_final(project, applicant), by=staff, accept=True)
    settlement = ledger.settle(project, by=staff)
    assert settlement.to_recover == 60 * M
    with pytest.raises(TransitionRefused) as refused:
        ledger.reverse_entry(payment, by=staff, reason="Posted to the wrong account")
    assert refused.value.reasons == [
        "The project was settled on 100,000,000 KRW paid and 40,000,000 KRW of approved spending; the "
        "ledger would then say 0 KRW paid and 40,000,000 KRW approved. A settled project's payments "
        "and spending stay as settled."
    ]
    assert not DisbursementEntry.objects.filter(kind="reversal").exists()
    returned = recover(project, staff, 60 * M, on=date(2026, 12, 1))
    ledger.reverse_entry(returned, by=staff, reason="Transfer bounced")
    assert ledger.totals(project.pk) == (100 * M, 0)


def test_checks_sheet_fails_when_a_settled_projects_ledger_changed(project, staff, applicant):
    pay(project, staff, 100 * M, tranche=1)
    reports.review_report(submit_final(project, applicant), by=staff, accept=True)
    ledger.settle(project, by=staff)
    call = project.award.application.call
    assert rule_check(call, "ledger_as_settled")["result"] == "PASS"
    # Written past projects.ledger, as a faulty import would.
    DisbursementEntry.objects.create(
        project=project, kind="payment", amount=M, entry_date=date(2026, 7, 1), posted_by=staff
    )
    failed = rule_check(call, "ledger_as_settled")
    assert (failed["result"], failed["actual"]) == ("FAIL", 1)
