"""Two payments racing on PostgreSQL that together exceed the award: exactly one is refused,
cleanly, and the ledger never exceeds the awarded subsidy."""

from datetime import date

from django.utils import timezone

from competitions.lifecycle import TransitionRefused
from projects import ledger
from projects.models import Application, ApplicationState, DisbursementEntry
from tests.factories import StaffFactory, signed_project

from .test_concurrency import race


def test_racing_payments_exceeding_the_award_one_is_refused(draft, role_groups):
    staff = StaffFactory()
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001", accepted_at=timezone.now()
    )
    project = signed_project(draft, by=staff, parties="MOLIT; applicant")
    pay = lambda: ledger.post_payment(project, by=staff, amount=200_000_000, paid_on=date(2026, 5, 10))  # noqa: E731
    outcomes = race([pay, pay])
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, TransitionRefused) and "above the awarded subsidy" in error.reasons[0]
    assert list(DisbursementEntry.objects.filter(project=project).values_list("amount", flat=True)) == [
        200_000_000
    ]
