"""Two payments racing on PostgreSQL that together exceed the award: exactly one is refused,
cleanly, and the ledger never exceeds the awarded subsidy."""

from datetime import date

import pytest
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


def test_racing_posts_of_the_same_tranche_pay_it_once(draft, role_groups):
    """Issue 13, finding 12: two staff post tranche 1 at the same moment; the second waits for
    the project's lock, sees the first and is refused with the reason."""
    staff = StaffFactory()
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001", accepted_at=timezone.now()
    )
    project = signed_project(draft, by=staff, parties="MOLIT; applicant")
    pay = lambda: ledger.post_payment(  # noqa: E731
        project, by=staff, amount=50_000_000, paid_on=date(2026, 5, 10), tranche=1, reference="T1"
    )
    outcomes = race([pay, pay])
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, TransitionRefused) and error.reasons[0].startswith("Tranche 1 was already paid")
    assert list(DisbursementEntry.objects.filter(project=project).values_list("tranche", "amount")) == [
        (1, 50_000_000)
    ]


def test_the_database_pays_a_tranche_once_even_past_the_ledger(draft, role_groups):
    """The constraint holds where projects.ledger is bypassed (a faulty import)."""
    from django.db import IntegrityError, transaction

    staff = StaffFactory()
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001", accepted_at=timezone.now()
    )
    project = signed_project(draft, by=staff, parties="MOLIT; applicant")
    row = {"project": project, "kind": "payment", "amount": 1, "entry_date": date(2026, 5, 10), "tranche": 1}
    DisbursementEntry.objects.create(**row, posted_by=staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        DisbursementEntry.objects.create(**row, posted_by=staff)


def test_racing_tranches_into_one_year_never_exceed_the_years_amount(draft, role_groups):
    """Issue 16: two tranches into year 1 of a two-year agreement, each within the year's
    amount but together above it (and together within the award): the second waits for the
    project's lock, sees the first and is refused; the year is never overpaid."""
    from projects import years

    staff = StaffFactory()
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001", accepted_at=timezone.now()
    )
    project = signed_project(draft, by=staff, parties="MOLIT; applicant")  # 300 M awarded
    for start, end, subsidy in [
        (date(2026, 5, 1), date(2026, 8, 31), 200_000_000),
        (date(2026, 9, 1), date(2026, 11, 30), 100_000_000),
    ]:
        years.add_year(
            project, by=staff, starts_on=start, ends_on=end, national_subsidy=subsidy, total_cost=subsidy
        )

    def pay(tranche):
        def post():
            return ledger.post_payment(
                project, by=staff, amount=150_000_000, paid_on=date(2026, 5, 10), tranche=tranche, year=1
            )

        return post

    outcomes = race([pay(1), pay(2)])
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, TransitionRefused), error
    assert "year 1" in " ".join(error.reasons).lower(), error.reasons
    paid = DisbursementEntry.objects.filter(project=project, year__number=1)
    assert list(paid.values_list("amount", flat=True)) == [150_000_000]
