"""Project pages: the staff list with money columns in constant queries, the project page and
its ledger actions, bulk tranches, the award form, the applicant's page; auditors read only."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from competitions.models import CallState
from projects import ledger
from projects.models import Application, ApplicationState, DisbursementEntry, Expenditure, Project
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
    call_in_state,
    signed_project,
)

from .samples import pdf_bytes

pytestmark = pytest.mark.django_db
M = 1_000_000


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


def make_project(application, staff):
    Application.objects.filter(pk=application.pk).update(
        state=ApplicationState.SELECTED, reference=f"PC26-{application.pk:04d}", accepted_at=timezone.now()
    )
    return signed_project(application, by=staff)


def many_projects(open_call, staff, count):
    projects = []
    for _n in range(count):
        project = make_project(ApplicationFactory(call=open_call, lead=OrganisationFactory()), staff)
        ledger.post_payment(project, by=staff, amount=100 * M, paid_on=date(2026, 5, 10))
        projects.append(project)
    return projects


@pytest.mark.parametrize("count", [2, 25])
def test_project_list_has_money_columns_in_constant_queries(
    client, open_call, staff, count, django_assert_max_num_queries
):
    many_projects(open_call, staff, count)
    client.force_login(staff)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("projects:project_list"))
    rows = list(response.context["page"].object_list)
    assert len(rows) == count
    assert {(p.awarded, p.paid, p.approved) for p in rows} == {(300 * M, 100 * M, 0)}


def test_staff_post_a_payment_and_a_reversal_through_the_page(client, draft, staff):
    project = make_project(draft, staff)
    client.force_login(staff)
    url = reverse("projects:project_detail", args=[project.pk])
    client.post(
        url,
        {
            "action": "pay",
            "amount": str(120 * M),
            "paid_on": "2026-05-10",
            "tranche": "1",
            "reference": "TX-9",
        },
    )
    entry = DisbursementEntry.objects.get()
    assert (entry.amount, entry.reference, entry.posted_by) == (120 * M, "TX-9", staff)
    response = client.post(
        url, {"action": "pay", "amount": str(200 * M), "paid_on": "2026-05-11"}, follow=True
    )
    assert any("above the awarded subsidy" in str(m) for m in response.context["messages"])
    client.post(url, {"action": "reverse", "entry": entry.pk, "reason": "Duplicate transfer"})
    assert ledger.totals(project.pk) == (0, 0)


def test_the_page_offers_only_the_entries_the_project_still_takes(client, draft, staff):
    project = make_project(draft, staff)
    ledger.post_payment(project, by=staff, amount=100 * M, paid_on=date(2026, 5, 10))
    client.force_login(staff)
    url = reverse("projects:project_detail", args=[project.pk])

    def actions():
        page = client.get(url).content.decode()
        return {
            name for name in ("pay", "halt", "recover", "reverse") if f'name="action" value="{name}"' in page
        }

    assert actions() == {"pay", "halt", "recover", "reverse"}
    Project.objects.filter(pk=project.pk).update(state="settled")
    assert actions() == {"recover", "reverse"}  # what settlement finds due is recovered after it
    Project.objects.filter(pk=project.pk).update(state="closed")
    assert actions() == set()
    # The server refuses them all the same, whatever the page offered.
    entry = DisbursementEntry.objects.get()
    response = client.post(url, {"action": "reverse", "entry": entry.pk, "reason": "Late"}, follow=True)
    assert any("closed" in str(m) for m in response.context["messages"])
    assert DisbursementEntry.objects.count() == 1


def test_bulk_tranche_posts_a_share_of_each_award(client, open_call, staff):
    projects = many_projects(open_call, staff, 3)
    client.force_login(staff)
    client.post(
        reverse("projects:bulk_tranche"),
        {
            "projects": [p.pk for p in projects[:2]],
            "tranche": "2",
            "paid_on": "2026-08-01",
            "percent": "40",
            "reference": "T2",
        },
    )
    assert DisbursementEntry.objects.filter(tranche=2).count() == 2
    assert set(DisbursementEntry.objects.filter(tranche=2).values_list("amount", flat=True)) == {120 * M}


def test_award_page_creates_the_project(client, draft, staff):
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001", accepted_at=timezone.now()
    )
    call_in_state(draft.call, CallState.RESULTS_PUBLISHED)  # agreements follow published results
    client.force_login(staff)
    # Staff name only who signs for the money; the applicant's side comes from the application.
    form = client.get(reverse("projects:award", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "지원기관 서명 당사자" in form and "신청서에서 자동으로 기록됩니다" in form
    response = client.post(
        reverse("projects:award", args=[draft.pk]),
        {
            "national_subsidy": str(300 * M),
            "signed_on": "2026-05-01",
            "parties": "MOLIT; KAIA",
            "starts_on": "2026-05-01",
            "ends_on": "2026-11-30",
        },
    )
    project = Project.objects.get()
    assert response.url == reverse("projects:project_detail", args=[project.pk])
    assert Application.objects.get(pk=draft.pk).state == ApplicationState.AWARDED
    assert project.agreement_parties == "MOLIT; KAIA"
    assert [party.organisation_id for party in project.parties.filter(kind="lead")] == [draft.lead_id]


def test_auditors_read_projects_but_every_write_is_refused(client, draft, staff):
    project = make_project(draft, staff)
    client.force_login(UserFactory(roles=[Role.AUDITOR]))
    assert client.get(reverse("projects:project_list")).status_code == 200
    assert client.get(reverse("projects:project_detail", args=[project.pk])).status_code == 200
    for url, data in [
        (
            reverse("projects:project_detail", args=[project.pk]),
            {"action": "pay", "amount": "1", "paid_on": "2026-05-10"},
        ),
        (
            reverse("projects:bulk_tranche"),
            {"projects": [project.pk], "tranche": "1", "paid_on": "2026-05-10", "percent": "10"},
        ),
        (reverse("projects:award", args=[draft.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 403
    assert not DisbursementEntry.objects.exists()


def test_applicants_report_spending_on_their_own_project_only(client, draft, staff, applicant, stranger):
    project = make_project(draft, staff)
    url = reverse("projects:my_project", args=[project.pk])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(applicant)
    data = {
        "spent_on": "2026-06-01",
        "category": "equipment",
        "amount": str(12 * M),
        "description": "Sensors",
    }
    client.post(url, {**data, "evidence": SimpleUploadedFile("receipt.pdf", pdf_bytes())})
    spent = Expenditure.objects.get()
    assert (spent.amount, spent.reported_by) == (12 * M, applicant)
    response = client.post(
        url, {**data, "evidence": SimpleUploadedFile("receipt.docx", pdf_bytes())}, follow=True
    )
    assert "receipt.docx is named .docx but its content is PDF." in [
        str(m) for m in response.context["messages"]
    ]
    assert Expenditure.objects.count() == 1
    assert client.get(reverse("projects:project_list")).status_code == 403


def test_applicant_submits_a_report_on_the_project_page(client, draft, staff, applicant):
    project = make_project(draft, staff)
    final = project.reports.get(kind="final")
    client.force_login(applicant)
    page = client.get(reverse("projects:my_project", args=[project.pk])).content.decode()
    assert "Final report" in page and "Not submitted" in page
    client.post(
        reverse("projects:my_project", args=[project.pk]),
        {"report": final.pk, "document": SimpleUploadedFile("final.pdf", pdf_bytes())},
    )
    final.refresh_from_db()
    assert final.submitted_by == applicant and final.original_name == "final.pdf"


def test_the_selected_applicant_accepts_on_the_application_page(client, draft, applicant):
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.SELECTED, reference="PC26-0001")
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[draft.pk])).content.decode()
    assert "Accept the award" in page
    client.post(reverse("projects:application_accept", args=[draft.pk]))
    assert Application.objects.get(pk=draft.pk).accepted_at is not None
