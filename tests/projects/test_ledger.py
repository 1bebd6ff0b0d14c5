"""Awards and the money ledgers: funding-plan validation, the disbursement cap, halts,
reversals and immutability, expenditures, settlement arithmetic, sanctions."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from competitions.eligibility import validate_params
from competitions.lifecycle import TransitionRefused
from competitions.models import EligibilityRule
from projects import ledger, reports, workflow
from projects.eligibility_check import check_eligibility
from projects.models import (
    AppendOnlyError,
    Application,
    ApplicationState,
    DisbursementEntry,
    Expenditure,
    Project,
    ProjectState,
)
from tests.factories import ApplicationFactory, OrganisationFactory, StaffFactory, signed_project

from .conftest import attach

pytestmark = pytest.mark.django_db

M = 1_000_000


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


def selected(draft):
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001", accepted_at=timezone.now()
    )
    return Application.objects.get(pk=draft.pk)


@pytest.fixture
def project(draft, staff):
    return signed_project(
        selected(draft),
        by=staff,
        parties="MOLIT; KAIA; Haeundae Smart Mobility",
        phases=[
            ("Catalyser", date(2026, 5, 1), date(2026, 6, 30)),
            ("Testing and feedback", date(2026, 7, 1), date(2026, 11, 30)),
        ],
    )


# --- award and funding plan ---------------------------------------------------------------------


def test_award_and_agreement_make_a_project(project, draft):
    assert project.state == ProjectState.ACTIVE
    assert project.award.national_subsidy == 300 * M
    assert Application.objects.get(pk=draft.pk).state == ApplicationState.AWARDED
    assert [p.name for p in project.phases.all()] == ["Catalyser", "Testing and feedback"]


def test_lower_subsidy_needs_a_reason(draft, staff):
    application = selected(draft)
    with pytest.raises(TransitionRefused) as refused:
        ledger.create_award(application, by=staff, national_subsidy=250 * M)
    assert refused.value.reasons == ["Say why the subsidy is lower than the request."]
    award = ledger.create_award(
        application, by=staff, national_subsidy=250 * M, reason="Equipment overpriced"
    )
    assert (award.national_subsidy, award.adjustment_reason) == (250 * M, "Equipment overpriced")


@pytest.mark.parametrize(
    ("size_class", "cash", "in_kind", "passes"),
    [
        ("sme", 100 * M, 0, True),  # 300 of 400 = 75 %: the SME cap
        ("sme", 99 * M, 0, False),  # 75.19 %
        ("mid", 129 * M, 0, True),  # 69.93 % <= 70 %
        ("mid", 120 * M, 0, False),  # 71.43 %
        ("large", 300 * M, 0, True),  # 50 %
        ("large", 290 * M, 0, False),  # 50.85 %
        ("sme", 9 * M, 91 * M, False),  # cash 9 % of private < 10 %
        ("sme", 10 * M, 90 * M, True),  # cash 10 %
    ],
)
def test_funding_plan_follows_the_matching_rules_of_the_leads_size_class(
    draft, staff, size_class, cash, in_kind, passes
):
    draft.lead.size_class = size_class
    draft.lead.save()
    application = selected(draft)
    plan = {"private_cash": cash, "private_in_kind": in_kind, "local_government": 0}
    if passes:
        assert ledger.create_award(application, by=staff, **plan).total_cost == 300 * M + cash + in_kind
    else:
        with pytest.raises(TransitionRefused) as refused:
            ledger.create_award(application, by=staff, **plan)
        assert refused.value.reasons[0].startswith("Matching funds: ")


def test_challenge_plan_needs_the_local_government_to_match_50_50(draft, staff):
    EligibilityRule.objects.filter(call=draft.call).delete()
    EligibilityRule.objects.create(
        call=draft.call, kind="national_share", params=validate_params("national_share", {"max_percent": 50})
    )
    application = selected(draft)
    with pytest.raises(TransitionRefused) as refused:
        ledger.create_award(
            application, by=staff, local_government=200 * M, private_cash=0, private_in_kind=0
        )
    assert refused.value.reasons[0].startswith("National share: ")
    award = ledger.create_award(
        application, by=staff, local_government=300 * M, private_cash=0, private_in_kind=0
    )
    assert award.local_government == award.national_subsidy


def test_only_staff_create_awards(draft, applicant):
    with pytest.raises(PermissionDenied):
        ledger.create_award(selected(draft), by=applicant)


# --- disbursements ------------------------------------------------------------------------------


def test_payments_never_exceed_the_awarded_subsidy(project, staff):
    ledger.post_payment(project, by=staff, amount=200 * M, paid_on=date(2026, 5, 10), tranche=1)
    with pytest.raises(TransitionRefused) as refused:
        ledger.post_payment(project, by=staff, amount=100 * M + 1, paid_on=date(2026, 8, 1), tranche=2)
    assert refused.value.reasons == [
        "Payments net of their reversals would come to 300,000,001 KRW, above the awarded subsidy of 300,000,000 KRW."
    ]
    assert DisbursementEntry.objects.count() == 1
    ledger.post_payment(project, by=staff, amount=100 * M, paid_on=date(2026, 8, 1), tranche=2)
    assert ledger.totals(project.pk) == (300 * M, 0)


def test_halted_payments_are_refused_until_resumed(project, staff):
    ledger.set_payments_halted(project, by=staff, halted=True, reason="Private cash not yet deposited")
    with pytest.raises(TransitionRefused) as refused:
        ledger.post_payment(project, by=staff, amount=M, paid_on=date(2026, 5, 10))
    assert refused.value.reasons == ["Payments are halted: Private cash not yet deposited"]
    assert not DisbursementEntry.objects.exists()
    ledger.set_payments_halted(project, by=staff, halted=False)
    assert ledger.post_payment(project, by=staff, amount=M, paid_on=date(2026, 5, 10)).amount == M


def test_a_mistake_is_corrected_by_a_reversal_that_points_to_it(project, staff):
    wrong = ledger.post_payment(
        project, by=staff, amount=150 * M, paid_on=date(2026, 5, 10), reference="TX-1"
    )
    reversal = ledger.reverse_entry(wrong, by=staff, reason="Paid to the wrong account")
    assert (reversal.amount, reversal.reverses, reversal.kind) == (-150 * M, wrong, "reversal")
    assert DisbursementEntry.objects.get(pk=wrong.pk).amount == 150 * M  # the original stands
    assert ledger.totals(project.pk) == (0, 0)
    with pytest.raises(TransitionRefused):
        ledger.reverse_entry(wrong, by=staff, reason="again")
    with pytest.raises(TransitionRefused):
        ledger.reverse_entry(reversal, by=staff, reason="undo")


def test_posted_entries_cannot_be_edited_or_deleted(project, staff):
    entry = ledger.post_payment(project, by=staff, amount=M, paid_on=date(2026, 5, 10))
    entry.amount = 2 * M
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        DisbursementEntry.objects.filter(pk=entry.pk).update(amount=0)
    with pytest.raises(AppendOnlyError):
        DisbursementEntry.objects.all().delete()
    assert DisbursementEntry.objects.get(pk=entry.pk).amount == M


def test_the_admin_offers_no_way_to_change_the_ledger(client, project, staff):
    entry = ledger.post_payment(project, by=staff, amount=M, paid_on=date(2026, 5, 10))
    admin = StaffFactory(is_superuser=True)
    client.force_login(admin)
    change = client.get(reverse("admin:projects_disbursemententry_change", args=[entry.pk]))
    assert change.status_code == 200 and change.context["adminform"].form.fields == {}
    assert client.post(reverse("admin:projects_disbursemententry_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:projects_disbursemententry_add")).status_code == 403
    assert DisbursementEntry.objects.get(pk=entry.pk).amount == M


def test_bulk_tranche_posting_reports_each_refusal(project, staff, draft):
    posted, refused = ledger.post_payments(
        [(project, 100 * M, date(2026, 5, 10), "B-1", 1), (project, 250 * M, date(2026, 5, 10), "B-2", 2)],
        by=staff,
    )
    assert [e.reference for e in posted] == ["B-1"]
    assert refused[0][0] == project and "above the awarded subsidy" in refused[0][1][0]


# --- expenditures and settlement ----------------------------------------------------------------


def report(project, applicant, amount, category="equipment"):
    return ledger.report_expenditure(
        project,
        by=applicant,
        spent_on=date(2026, 6, 1),
        category=category,
        amount=amount,
        evidence=ContentFile(b"%PDF-1.7", name="receipt.pdf"),
    )


def test_expenditures_are_approved_lower_or_rejected_with_reasons(project, staff, applicant):
    spent = report(project, applicant, 120 * M)
    with pytest.raises(TransitionRefused):
        ledger.decide_expenditure(spent, by=staff, approved_amount=100 * M)  # lower needs a reason
    decided = ledger.decide_expenditure(spent, by=staff, approved_amount=100 * M, reason="Over the unit cost")
    assert (decided.state, decided.approved_amount) == ("approved", 100 * M)
    other = report(project, applicant, 5 * M, "travel")
    with pytest.raises(TransitionRefused):
        ledger.decide_expenditure(other, by=staff)  # rejection needs a reason
    assert ledger.decide_expenditure(other, by=staff, reason="No evidence of the trip").state == "rejected"
    with pytest.raises(TransitionRefused):
        ledger.decide_expenditure(other, by=staff, approved_amount=M, reason="changed my mind")


def test_strangers_cannot_report_spending(project, stranger):
    with pytest.raises(PermissionDenied):
        report(project, stranger, M)


def accept_final_report(project, applicant, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .samples import pdf_bytes

    final = project.reports.get(kind="final")
    reports.submit_report(final, by=applicant, upload=SimpleUploadedFile("final.pdf", pdf_bytes()))
    return reports.review_report(final, by=staff, accept=True)


@pytest.mark.parametrize(
    ("paid", "approved", "interest", "to_recover"),
    [
        (300 * M, 280 * M, 1_200_000, 21_200_000),  # unspent subsidy and its interest come back
        (300 * M, 300 * M, 0, 0),
        (200 * M, 260 * M, 350_000, 350_000),  # spending above what was paid is the applicant's own
    ],
)
def test_settlement_arithmetic(project, staff, applicant, paid, approved, interest, to_recover):
    ledger.post_payment(project, by=staff, amount=paid, paid_on=date(2026, 5, 10))
    spent = report(project, applicant, approved)
    ledger.decide_expenditure(spent, by=staff, approved_amount=approved)
    accept_final_report(project, applicant, staff)
    settlement = ledger.settle(project, by=staff, interest_earned=interest)
    assert (settlement.disbursed, settlement.approved_spending, settlement.to_recover) == (
        paid,
        approved,
        to_recover,
    )
    assert Project.objects.get(pk=project.pk).state == ProjectState.SETTLED
    if to_recover:
        with pytest.raises(TransitionRefused):
            ledger.close_project(project, by=staff)
        ledger.post_recovery(
            project, by=staff, amount=to_recover, received_on=date(2026, 12, 1), reference="RC-1"
        )
    assert ledger.close_project(project, by=staff).state == ProjectState.CLOSED


def test_settlement_waits_for_every_expenditure_decision(project, staff, applicant):
    report(project, applicant, M)
    accept_final_report(project, applicant, staff)
    with pytest.raises(TransitionRefused) as refused:
        ledger.settle(project, by=staff)
    assert refused.value.reasons == ["Decide every reported expenditure before settling."]


def test_a_sanction_makes_the_organisation_ineligible_in_a_later_call(project, staff, open_call, applicant):
    lead = project.award.application.lead
    ledger.record_sanction(lead, by=staff, years=3, reason="Misuse of subsidy (settlement 2026)")
    later = ApplicationFactory(call=open_call, lead=lead, created_by=applicant)
    attach(later, "proposal", applicant)
    attach(later, "business_registration", applicant)
    failing = [r for r in check_eligibility(later) if not r.passed]
    assert [r.kind for r in failing] == ["no_active_sanction"]
    assert "Misuse of subsidy (settlement 2026)" in failing[0].reason
    with pytest.raises(TransitionRefused):
        workflow.submit(later, by=applicant)


def test_sanctions_end(staff):
    organisation = OrganisationFactory()
    sanction = ledger.record_sanction(
        organisation, by=staff, years=2, reason="r", starts_on=date(2024, 2, 29)
    )
    assert sanction.ends_on == date(2026, 2, 28)
    assert organisation.active_sanction(on=date(2026, 3, 1)) is None
    assert organisation.active_sanction(on=date(2025, 1, 1)) == sanction


def test_expenditure_evidence_is_kept(project, applicant):
    spent = report(project, applicant, M)
    assert Expenditure.objects.get(pk=spent.pk).evidence.read().startswith(b"%PDF")
    assert (spent.reported_by, spent.state) == (applicant, "reported")


def test_reports_are_scheduled_per_phase_and_the_final_60_days_after_the_end(project):
    reports = list(project.reports.order_by("due_on").values_list("kind", "due_on"))
    assert reports == [
        ("progress", date(2026, 6, 30)),
        ("progress", date(2026, 11, 30)),
        ("final", date(2027, 1, 29)),
    ]


def test_the_final_report_moves_the_project_to_its_final_stage(project, applicant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .samples import pdf_bytes

    final = project.reports.get(kind="final")
    reports.submit_report(final, by=applicant, upload=SimpleUploadedFile("final.pdf", pdf_bytes()))
    assert Project.objects.get(pk=project.pk).state == ProjectState.FINAL_REPORT
    with pytest.raises(TransitionRefused):
        reports.submit_report(final, by=applicant, upload=SimpleUploadedFile("again.pdf", pdf_bytes()))


def test_reports_refuse_files_that_are_not_documents(project, applicant):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = project.reports.filter(kind="progress").first()
    with pytest.raises(ValidationError):
        reports.submit_report(report, by=applicant, upload=SimpleUploadedFile("x.pdf", b"MZ not a pdf"))
    assert project.reports.get(pk=report.pk).submitted_at is None


def test_reminders_go_through_the_outbox_once_a_day(project, applicant):
    from projects.models import OutboxMessage

    first_due = date(2026, 6, 30)
    assert reports.remind_due_reports(today=first_due - timedelta(days=8)) == 0
    assert reports.remind_due_reports(today=first_due - timedelta(days=3)) == 1
    assert reports.remind_due_reports(today=first_due - timedelta(days=3)) == 0  # once a day
    message = OutboxMessage.objects.get()
    assert message.to == applicant.email and project.code in message.subject


def test_no_award_before_the_applicant_accepts(draft, staff, applicant):
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.SELECTED, reference="PC26-0001")
    application = Application.objects.get(pk=draft.pk)
    with pytest.raises(TransitionRefused) as refused:
        ledger.create_award(application, by=staff)
    assert refused.value.reasons == ["The applicant has not accepted the award yet."]
    accepted = ledger.accept_selection(application, by=applicant)
    assert accepted.accepted_at is not None
    with pytest.raises(TransitionRefused):
        ledger.accept_selection(application, by=applicant)
    assert ledger.create_award(accepted, by=staff).national_subsidy == 300 * M


def test_strangers_cannot_accept(draft, stranger):
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.SELECTED)
    with pytest.raises(PermissionDenied):
        ledger.accept_selection(Application.objects.get(pk=draft.pk), by=stranger)


def test_overlapping_reminder_runs_send_each_report_once(project, applicant, monkeypatch):
    """A second beat starts while the first is still writing e-mails: each report is reminded
    by exactly one of them."""
    from projects.models import OutboxMessage

    today = max(project.reports.values_list("due_on", flat=True))  # every report is due
    due = project.reports.filter(submitted_at__isnull=True).count()
    assert due >= 2
    from projects import outbox

    real_queue_email, overlapped = outbox.queue_email, []

    def queue_email_and_overlap(*args, **kwargs):
        real_queue_email(*args, **kwargs)
        if not overlapped:  # the other beat runs once, between the first's reports
            overlapped.append(None)
            overlapped[0] = reports.remind_due_reports(today=today)

    monkeypatch.setattr(outbox, "queue_email", queue_email_and_overlap)
    first = reports.remind_due_reports(today=today)
    assert first + overlapped[0] == due and overlapped[0] >= 1
    subjects = list(OutboxMessage.objects.values_list("subject", flat=True))
    assert len(subjects) == len(set(subjects)) == due
