"""A payment tells the lead's members through the outbox, in the payment's transaction: a
refused payment queues nothing."""

from datetime import date

import pytest

from competitions.lifecycle import TransitionRefused
from projects import ledger
from projects.models import OutboxMessage

from .test_ledger import project, selected, staff  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_payment_e_mails_the_lead_and_a_refused_one_nothing(project, staff, applicant):  # noqa: F811
    ledger.post_payment(project, by=staff, amount=120_000_000, paid_on=date(2026, 5, 10))
    message = OutboxMessage.objects.get()
    assert message.to == applicant.email
    assert message.subject == f"Payment of 120,000,000 KRW to {project.code}"
    with pytest.raises(TransitionRefused):
        ledger.post_payment(project, by=staff, amount=10**12, paid_on=date(2026, 5, 11))
    assert OutboxMessage.objects.count() == 1
