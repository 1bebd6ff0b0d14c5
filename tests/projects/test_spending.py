"""Spending, both sides (issue 16): staff (and auditors, and the lead's members) open every
piece of evidence through a permission-checked view; the applicant corrects (a new version, the
original kept) or withdraws a spending report until it is decided; amounts are formatted."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.roles import Role
from competitions.lifecycle import TransitionRefused
from projects import ledger, spending
from projects.models import Expenditure, FundingShare
from tests.factories import StaffFactory, UserFactory, signed_project

from .samples import pdf_bytes
from .test_ledger import report
from .test_ledger import selected as selected_draft

pytestmark = pytest.mark.django_db

M = 1_000_000


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def project(draft, staff):
    return signed_project(selected_draft(draft), by=staff)


def correct(expenditure, user, **changes):
    values = {
        "reason": "Typed 12 M instead of 1.2 M",
        "spent_on": date(2026, 6, 2),
        "category": "equipment",
        "share": FundingShare.NATIONAL,
        "amount": 1_200_000,
        "description": "",
    }
    return spending.correct_expenditure(expenditure, by=user, **{**values, **changes})


def test_a_correction_is_a_new_version_and_the_original_is_kept(project, applicant):
    original = report(project, applicant, 12 * M)
    corrected = correct(original, applicant)
    original.refresh_from_db()
    assert original.state == Expenditure.State.CORRECTED and original.amount == 12 * M
    assert (corrected.corrects, corrected.amount, corrected.state) == (original, 1_200_000, "reported")
    assert corrected.evidence.name == original.evidence.name  # no new file: the evidence is kept
    log = StateLog.objects.for_(original).get()
    assert (log.by, log.transition) == (applicant, "correct")
    assert "Typed 12 M" in log.description
    assert spending.versions(corrected) == [original]
    with pytest.raises(TransitionRefused):
        correct(original, applicant)  # the original can no longer change


def test_a_correction_needs_a_reason_and_valid_figures_and_changes_nothing_otherwise(project, applicant):
    original = report(project, applicant, 12 * M)
    for changes in ({"reason": " "}, {"amount": 0}, {"spent_on": date(2027, 1, 1)}, {"share": "lottery"}):
        with pytest.raises(TransitionRefused):
            correct(original, applicant, **changes)
    original.refresh_from_db()
    assert original.state == "reported" and Expenditure.objects.count() == 1


def test_decided_spending_can_be_neither_corrected_nor_withdrawn(project, applicant, staff):
    spent = ledger.decide_expenditure(report(project, applicant, M), by=staff, approved_amount=M)
    with pytest.raises(TransitionRefused) as refused:
        correct(spent, applicant)
    assert "approved" in refused.value.reasons[0]
    with pytest.raises(TransitionRefused):
        spending.withdraw_expenditure(spent, by=applicant, reason="Oops")


def test_withdrawing_keeps_the_report_and_logs_why(project, applicant, staff):
    spent = report(project, applicant, M)
    with pytest.raises(TransitionRefused):
        spending.withdraw_expenditure(spent, by=applicant, reason="")
    withdrawn = spending.withdraw_expenditure(spent, by=applicant, reason="Reported twice")
    assert (withdrawn.state, withdrawn.change_reason) == ("withdrawn", "Reported twice")
    assert StateLog.objects.for_(withdrawn).get().description == "Reported twice"
    assert ledger.approved_spending(project.pk) == 0
    with pytest.raises(TransitionRefused):
        ledger.decide_expenditure(withdrawn, by=staff, approved_amount=M)


def test_strangers_and_staff_cannot_change_an_applicants_report(project, applicant, stranger, staff):
    spent = report(project, applicant, M)
    for user in (stranger, staff):
        with pytest.raises(PermissionDenied):
            spending.withdraw_expenditure(spent, by=user, reason="x")
        with pytest.raises(PermissionDenied):
            correct(spent, user)


def test_the_applicant_corrects_and_withdraws_on_the_project_page(client, project, applicant):
    spent = report(project, applicant, 12 * M)
    client.force_login(applicant)
    page = client.get(reverse("projects:my_project", args=[project.pk])).content.decode()
    assert reverse("projects:expenditure_correct", args=[spent.pk]) in page
    assert "12,000,000 KRW" in page  # amounts formatted
    url = reverse("projects:expenditure_correct", args=[spent.pk])
    form = client.get(url)
    assert form.status_code == 200 and 'value="12000000"' in form.content.decode()
    refused = client.post(
        url, {"spent_on": "2026-06-01", "category": "equipment", "share": "national", "amount": "5"}
    )
    assert refused.status_code == 200 and Expenditure.objects.count() == 1  # the reason is missing
    response = client.post(
        url,
        {
            "spent_on": "2026-06-01",
            "category": "travel",
            "share": "national",
            "amount": "1200000",
            "reason": "Typo",
            "evidence": SimpleUploadedFile("receipt2.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 302
    new = Expenditure.objects.get(corrects=spent)
    assert (new.amount, new.category) == (1_200_000, "travel") and new.evidence.name != spent.evidence.name
    response = client.post(reverse("projects:expenditure_withdraw", args=[new.pk]), {"reason": "Duplicate"})
    assert response.status_code == 302
    assert Expenditure.objects.get(pk=new.pk).state == "withdrawn"


def test_evidence_opens_for_staff_auditors_and_the_lead_only(client, project, applicant, stranger, staff):
    spent = report(project, applicant, M)
    url = reverse("projects:expenditure_evidence", args=[spent.pk])
    for user in (staff, UserFactory(roles=[Role.AUDITOR]), applicant):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_staff_see_the_evidence_link_on_the_project_and_in_the_admin(client, project, applicant, role_groups):
    spent = report(project, applicant, 2 * M)
    admin_staff = StaffFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_staff)
    url = reverse("projects:expenditure_evidence", args=[spent.pk])
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert url in page and "2,000,000 KRW" in page
    admin_page = client.get(reverse("admin:projects_expenditure_change", args=[spent.pk])).content.decode()
    assert f'href="{url}"' in admin_page
    assert "/media/" not in admin_page  # the file's own (unserved) URL is not offered


def test_decided_amounts_are_formatted_on_the_staff_page(client, project, applicant, staff):
    ledger.decide_expenditure(
        report(project, applicant, 3 * M), by=staff, approved_amount=2_500_000, reason="cap"
    )
    client.force_login(staff)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "2,500,000 KRW" in page and ">2500000<" not in page


def test_evidence_of_a_missing_file_is_a_404(client, project, applicant, staff):
    spent = report(project, applicant, M)
    spent.evidence.storage.delete(spent.evidence.name)
    client.force_login(staff)
    assert client.get(reverse("projects:expenditure_evidence", args=[spent.pk])).status_code == 404


def test_spending_records_the_share_that_paid_for_it(project, applicant):
    spent = ledger.report_expenditure(
        project,
        by=applicant,
        spent_on=date(2026, 6, 1),
        category="equipment",
        share=FundingShare.PRIVATE_CASH,
        amount=M,
        evidence=ContentFile(b"%PDF-1.7", name="r.pdf"),
    )
    assert spent.get_share_display() == "Private cash"
