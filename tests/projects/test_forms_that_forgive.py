"""Forms that forgive on the staff's project page: a refused money form comes back with what
was typed (not a redirect to an empty form), the refusal shown, nothing posted."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import ledger
from projects.models import Application, ApplicationState, DisbursementEntry
from tests.factories import StaffFactory, signed_project

pytestmark = pytest.mark.django_db
M = 1_000_000


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def project(draft, staff):
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference=f"PC26-{draft.pk:04d}", accepted_at=timezone.now()
    )
    project = signed_project(draft, by=staff)
    ledger.post_payment(project, by=staff, amount=100 * M, paid_on=date(2026, 5, 10))
    return project


def post(client, staff, project, data):
    client.force_login(staff)
    return client.post(reverse("projects:project_detail", args=[project.pk]), data)


def test_a_refused_payment_keeps_the_amount_date_tranche_and_reference(client, staff, project):
    before = DisbursementEntry.objects.count()
    response = post(
        client,
        staff,
        project,
        {
            "action": "pay",
            "amount": str(10**13),
            "paid_on": "2026-06-02",
            "tranche": "3",
            "reference": "MOLIT-77",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert any("above the awarded" in str(m) for m in response.context["messages"])
    for typed in (f'value="{10**13}"', 'value="2026-06-02"', 'value="3"', 'value="MOLIT-77"'):
        assert typed in page, typed
    assert DisbursementEntry.objects.count() == before


def test_a_payment_with_a_bad_field_shows_the_error_beside_it_and_keeps_the_rest(client, staff, project):
    response = post(
        client,
        staff,
        project,
        {"action": "pay", "amount": "abc", "paid_on": "2026-06-02", "reference": "R-1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="abc"' in page and 'value="2026-06-02"' in page and 'value="R-1"' in page
    assert response.context["payment_form"].errors["amount"] == ["Enter a whole number."]


def test_a_refused_recovery_keeps_its_amount_and_reference(client, staff, project):
    response = post(client, staff, project, {"action": "recover", "amount": "1e9", "reference": "BANK-9"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="recover-amount" name="amount" inputmode="numeric" value="1e9"' in page
    assert 'value="BANK-9"' in page


def test_a_refused_settlement_keeps_the_interest_typed(client, staff, project):
    response = post(client, staff, project, {"action": "settle", "interest": "-1"})
    assert response.status_code == 200
    assert 'id="interest" name="interest" value="-1"' in response.content.decode()


def test_a_refused_reversal_keeps_its_reason_on_its_entry(client, staff, project):
    entry = project.disbursements.get()
    response = post(client, staff, project, {"action": "reverse", "entry": entry.pk, "reason": ""})
    # An empty reason is refused; the reason field is there again, for that entry.
    assert response.status_code == 200
    assert f'id="why-{entry.pk}"' in response.content.decode()
    assert not project.disbursements.filter(kind="reversal").exists()
