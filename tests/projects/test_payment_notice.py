"""A payment tells the lead's members through the outbox, in the payment's transaction, each in
their own language (not the language of the staff member who clicked): a refused payment queues
nothing."""

from datetime import date

import pytest
from django.utils import translation

from competitions.lifecycle import TransitionRefused
from projects import ledger
from projects.models import Membership, OutboxMessage
from tests.factories import UserFactory

from .test_ledger import project, selected, staff  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_payment_e_mails_the_lead_and_a_refused_one_nothing(project, staff, applicant):  # noqa: F811
    applicant.language = "en"
    applicant.save()
    colleague = UserFactory(language="ko")
    Membership.objects.create(user=colleague, organisation=project.award.application.lead)
    with translation.override("ko"):  # the staff member works in Korean
        ledger.post_payment(project, by=staff, amount=120_000_000, paid_on=date(2026, 5, 10))
    subjects = dict(OutboxMessage.objects.values_list("to", "subject"))
    assert subjects == {
        applicant.email: f"Payment of 120,000,000 KRW to {project.code}",
        colleague.email: f"{project.code} 과제 지원금 120,000,000원 지급 안내",
    }
    with pytest.raises(TransitionRefused):
        ledger.post_payment(project, by=staff, amount=10**12, paid_on=date(2026, 5, 11))
    assert OutboxMessage.objects.count() == 2
