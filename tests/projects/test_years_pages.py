"""The years, budget, transfers and agreement changes on the staff and applicant project pages
(thin views over projects.years, projects.budget, projects.agreement_changes)."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.roles import Role
from projects.models import AgreementChange, BudgetTransfer, Project, ProjectYear, RequestState
from tests.factories import UserFactory

from .test_years_and_budget import M, add_years, categories, project, staff  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_staff_add_a_year_with_its_plan_on_the_project_page(client, project, staff, categories):  # noqa: F811
    client.force_login(staff)
    url = reverse("projects:project_detail", args=[project.pk])
    assert 'value="add_year"' in client.get(url).content.decode()
    data = {
        "action": "add_year",
        "starts_on": "2026-05-01",
        "ends_on": "2026-08-31",
        "national_subsidy": str(200 * M),
        "total_cost": str(400 * M),
        f"plan_{categories['personnel'].pk}": str(150 * M),
        f"plan_{categories['indirect'].pk}": str(40 * M),
    }
    response = client.post(url, data, follow=True)
    assert any("must add up to the year's subsidy" in m for m in messages_of(response))
    assert not ProjectYear.objects.exists()
    assert 'value="150000000"' in response.content.decode()  # what was typed comes back
    data[f"plan_{categories['equipment'].pk}"] = str(30 * M)
    data[f"plan_{categories['indirect'].pk}"] = str(20 * M)
    response = client.post(url, data, follow=True)
    assert "Year added." in messages_of(response)
    page = response.content.decode()
    assert "Year 1 (" in page and "Annual report not accepted yet" in page


def test_applicants_move_money_and_staff_approve_beyond_the_threshold(
    client,
    project,  # noqa: F811
    staff,  # noqa: F811
    applicant,
    categories,  # noqa: F811
):
    one, _two = add_years(project, staff, categories)
    client.force_login(applicant)
    url = reverse("projects:my_project", args=[project.pk])
    assert 'value="transfer"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "action": "transfer",
            "year": one.pk,
            "from_category": categories["personnel"].pk,
            "to_category": categories["equipment"].pk,
            "amount": str(30 * M),
            "reason": "Sensors cost more",
        },
        follow=True,
    )
    assert "The transfer goes beyond the call's threshold: it waits for staff approval." in messages_of(
        response
    )
    transfer = BudgetTransfer.objects.get()
    client.force_login(staff)
    detail = reverse("projects:project_detail", args=[project.pk])
    response = client.post(
        detail, {"action": "decide_transfer", "transfer": transfer.pk, "decision": "approve"}, follow=True
    )
    assert "Budget transfer decided." in messages_of(response)
    assert BudgetTransfer.objects.get().state == RequestState.APPROVED


def test_applicants_request_and_staff_decide_agreement_changes(client, project, staff, applicant):  # noqa: F811
    client.force_login(applicant)
    url = reverse("projects:my_project", args=[project.pk])
    response = client.post(url, {"action": "change", "kind": "period", "ends_on": "2027-01-31"}, follow=True)
    assert any("Why" in m for m in messages_of(response))
    assert not AgreementChange.objects.exists()
    client.post(url, {"action": "change", "kind": "period", "ends_on": "2027-01-31", "reason": "Snow"})
    change = AgreementChange.objects.get()
    client.force_login(staff)
    detail = reverse("projects:project_detail", args=[project.pk])
    response = client.post(
        detail, {"action": "decide_change", "change": change.pk, "decision": "decline"}, follow=True
    )
    assert "Say why the change is declined." in messages_of(response)
    client.post(detail, {"action": "decide_change", "change": change.pk, "decision": "approve"})
    assert Project.objects.get(pk=project.pk).ends_on == date(2027, 1, 31)


def test_strangers_and_auditors_cannot_move_money(client, project, staff, stranger, categories):  # noqa: F811
    one, _two = add_years(project, staff, categories)
    client.force_login(stranger)
    data = {
        "action": "transfer",
        "year": one.pk,
        "from_category": categories["personnel"].pk,
        "to_category": categories["equipment"].pk,
        "amount": "1",
        "reason": "x",
    }
    assert client.post(reverse("projects:my_project", args=[project.pk]), data).status_code == 404
    client.force_login(UserFactory(roles=[Role.AUDITOR]))
    detail = reverse("projects:project_detail", args=[project.pk])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"action": "add_year"}).status_code == 403
    assert not BudgetTransfer.objects.exists()
