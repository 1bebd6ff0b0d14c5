"""The application workflow: every transition allowed and refused, the deadline to the second,
lost-update protection, reference numbers, the audit log and the outbox."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from projects import workflow
from projects.models import Application, ApplicationState, ConsortiumMember, OutboxMessage
from tests.factories import ApplicationFactory, OrganisationFactory, StaffFactory, reception_closed

pytestmark = pytest.mark.django_db


def reload(application):
    return Application.objects.get(pk=application.pk)


def submitted(draft, applicant):
    return workflow.submit(draft, by=applicant)


# --- submit ---------------------------------------------------------------------------------


def test_submit_assigns_the_first_reference_logs_and_mails(
    draft, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = workflow.submit(draft, by=applicant)
    assert application.state == ApplicationState.SUBMITTED
    assert application.reference == "PC26-0001"
    stored = reload(draft)
    assert (stored.state, stored.reference) == ("submitted", "PC26-0001")
    assert stored.submitted_at is not None
    log = StateLog.objects.for_(draft).get()
    assert (log.source_state, log.state, log.by) == ("draft", "submitted", applicant)
    assert log.description == "Submitted as PC26-0001."
    mail = OutboxMessage.objects.get()
    assert mail.to == applicant.email
    assert "PC26-0001" in mail.subject
    # Celery runs eagerly in the embedded default: the outbox was sent after commit.
    assert mail.status == OutboxMessage.Status.SENT


def test_references_are_sequential_per_call(open_call, organisation, applicant, draft):
    second = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant)
    from tests.projects.conftest import attach

    attach(second, "proposal", applicant)
    attach(second, "business_registration", applicant)
    assert workflow.submit(draft, by=applicant).reference == "PC26-0001"
    assert workflow.submit(second, by=applicant).reference == "PC26-0002"


def test_submit_refused_while_rules_fail_lists_every_reason_and_changes_nothing(draft, applicant):
    draft.documents.filter(kind="business_registration").update(superseded=True)
    Application.objects.filter(pk=draft.pk).update(requested_subsidy=320_000_000)
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant)
    reasons = refused.value.reasons
    assert len(reasons) == 2
    assert any("320,000,000 KRW is above the maximum of 300,000,000 KRW" in r for r in reasons)
    assert any("business registration certificate" in r for r in reasons)
    stored = reload(draft)
    assert (stored.state, stored.reference, stored.submitted_at) == ("draft", "", None)
    assert not StateLog.objects.for_(draft).exists()
    assert not OutboxMessage.objects.exists()


def test_submit_to_the_second(draft, applicant):
    closes = draft.call.closes_at
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant, now=closes + timedelta(seconds=1))
    assert refused.value.reasons[0].startswith("Reception closed at ")
    assert reload(draft).state == ApplicationState.DRAFT
    assert workflow.submit(draft, by=applicant, now=closes).state == ApplicationState.SUBMITTED


def test_a_form_opened_before_the_close_and_posted_after_is_refused(draft, applicant):
    """The server's clock decides, not when the page was loaded."""
    opened_version = draft.version
    after = draft.call.closes_at + timedelta(seconds=1)
    with pytest.raises(TransitionRefused):
        workflow.save_draft(
            draft, {"title": "Late edit"}, by=applicant, expected_version=opened_version, now=after
        )
    assert reload(draft).title != "Late edit"


def test_submit_refused_before_the_call_opens(draft, applicant):
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant, now=draft.call.opens_at - timedelta(seconds=1))
    assert refused.value.reasons[0].startswith("Reception opens at ")


def test_submitting_twice_gives_one_reference(draft, applicant):
    workflow.submit(draft, by=applicant)
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant)
    assert refused.value.reasons == ["This application was already submitted as PC26-0001."]
    assert Application.objects.filter(reference__startswith="PC26-").count() == 1


def test_only_members_of_the_lead_may_submit(draft, stranger):
    with pytest.raises(PermissionDenied):
        workflow.submit(draft, by=stranger)
    assert reload(draft).state == ApplicationState.DRAFT


def test_the_lead_member_rule_reads_the_people_read_with_the_application(
    draft, applicant, stranger, django_assert_num_queries
):
    from projects.rules import is_lead_member

    loaded = Application.objects.select_related("lead").prefetch_related("lead__members").get(pk=draft.pk)
    with django_assert_num_queries(0):
        assert is_lead_member(applicant, loaded)
        assert not is_lead_member(stranger, loaded)
    # Without them it asks (one query each).
    plain = Application.objects.select_related("lead").get(pk=draft.pk)
    with django_assert_num_queries(2):
        assert is_lead_member(applicant, plain)
        assert not is_lead_member(stranger, plain)


# --- save_draft: no lost updates ------------------------------------------------------------


def test_save_draft_bumps_the_version(draft, applicant):
    saved = workflow.save_draft(draft, {"title": "New title"}, by=applicant, expected_version=draft.version)
    assert (saved.title, saved.version) == ("New title", draft.version + 1)


def test_a_second_tab_saving_the_same_draft_gets_a_conflict(draft, applicant):
    opened = draft.version  # both tabs opened this version
    workflow.save_draft(draft, {"title": "First tab"}, by=applicant, expected_version=opened)
    with pytest.raises(workflow.EditConflict) as conflict:
        workflow.save_draft(draft, {"title": "Second tab"}, by=applicant, expected_version=opened)
    assert "changed elsewhere" in str(conflict.value)
    assert reload(draft).title == "First tab"


def test_a_submitted_application_cannot_be_edited(draft, applicant):
    application = submitted(draft, applicant)
    with pytest.raises(TransitionRefused):
        workflow.save_draft(application, {"title": "x"}, by=applicant, expected_version=application.version)


def test_strangers_cannot_edit(draft, stranger):
    with pytest.raises(PermissionDenied):
        workflow.save_draft(draft, {"title": "x"}, by=stranger, expected_version=draft.version)


# --- withdraw -------------------------------------------------------------------------------


def test_withdraw_a_draft_and_a_submitted_application(draft, applicant, open_call, organisation):
    assert workflow.withdraw(draft, by=applicant, reason="Changed plans").state == ApplicationState.WITHDRAWN
    assert StateLog.objects.for_(draft).get().description == "Changed plans"
    other = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant)
    from tests.projects.conftest import attach

    attach(other, "proposal", applicant)
    attach(other, "business_registration", applicant)
    application = submitted(other, applicant)
    assert workflow.withdraw(application, by=applicant).state == ApplicationState.WITHDRAWN


@pytest.mark.parametrize("state", ["withdrawn", "eligible", "ineligible"])
def test_withdraw_refused_after_the_decision(draft, applicant, state):
    Application.objects.filter(pk=draft.pk).update(state=state)
    with pytest.raises(TransitionRefused):
        workflow.withdraw(reload(draft), by=applicant)
    assert reload(draft).state == state


# --- eligibility decisions ------------------------------------------------------------------


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


def test_staff_confirm_eligible(draft, applicant, staff):
    application = submitted(draft, applicant)
    reception_closed(draft.call)
    application = workflow.decide_eligibility(application, by=staff, eligible=True)
    assert application.state == ApplicationState.ELIGIBLE
    log = StateLog.objects.for_(draft).order_by("pk").last()
    assert (log.transition, log.by) == ("confirm_eligible", staff)
    assert OutboxMessage.objects.filter(subject__contains="is eligible").count() == 1


def test_staff_reject_needs_a_reason(draft, applicant, staff):
    application = submitted(draft, applicant)
    reception_closed(draft.call)
    with pytest.raises(TransitionRefused) as refused:
        workflow.decide_eligibility(application, by=staff, eligible=False, reason="  ")
    assert "Write the reason" in refused.value.reasons[0]
    assert reload(draft).state == ApplicationState.SUBMITTED
    rejected = workflow.decide_eligibility(
        application, by=staff, eligible=False, reason="Lead is not an SME."
    )
    assert (rejected.state, rejected.decision_reason) == ("ineligible", "Lead is not an SME.")
    assert StateLog.objects.for_(draft).order_by("pk").last().description == "Lead is not an SME."
    assert "Lead is not an SME." in OutboxMessage.objects.get(subject__contains="not eligible").body


@pytest.mark.parametrize("state", ["draft", "withdrawn", "eligible", "ineligible"])
def test_decisions_only_on_submitted_applications(draft, staff, state):
    Application.objects.filter(pk=draft.pk).update(state=state)
    for eligible in (True, False):
        with pytest.raises(TransitionRefused):
            workflow.decide_eligibility(reload(draft), by=staff, eligible=eligible, reason="r")
    assert reload(draft).state == state


def test_applicants_cannot_decide_eligibility(draft, applicant):
    application = submitted(draft, applicant)
    with pytest.raises(PermissionDenied):
        workflow.decide_eligibility(application, by=applicant, eligible=True)
    assert reload(draft).state == ApplicationState.SUBMITTED


def test_bulk_decisions_report_each_refusal(draft, applicant, staff, open_call, organisation):
    application = submitted(draft, applicant)
    still_draft = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant)
    reception_closed(open_call)
    decided, refused = workflow.decide_many([application, still_draft], by=staff, eligible=True)
    assert [a.pk for a in decided] == [application.pk]
    assert [a.pk for a, _reasons in refused] == [still_draft.pk]


def test_state_cannot_be_set_directly(draft):
    with pytest.raises(AttributeError):
        draft.state = ApplicationState.ELIGIBLE


# --- eligibility facts from the models ------------------------------------------------------


def test_large_member_over_30_percent_fails_the_pilot_rule(draft, applicant):
    large = OrganisationFactory(name="Hanbit Construction", size_class="large")
    ConsortiumMember.objects.create(
        application=draft, organisation=large, budget_share_percent=31, state="accepted"
    )
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant)
    assert any("Hanbit Construction" in reason and "31%" in reason for reason in refused.value.reasons)


# --- each reader's language -------------------------------------------------------------------


def test_receipt_and_decision_reach_each_member_in_their_own_language(draft, applicant, staff):
    """The receipt and the eligibility notice are written in each reader's language (the one on
    their account page), whatever language the person who clicked was using."""
    from django.utils import translation

    from tests.factories import UserFactory

    colleague = UserFactory(language="ko")
    draft.lead.memberships.create(user=colleague, role="member")
    applicant.language = "en"
    applicant.save(update_fields=["language"])
    with translation.override("ko"):  # the applicant's browser asks for Korean
        application = workflow.submit(draft, by=applicant)
    receipts = {mail.to: mail for mail in OutboxMessage.objects.all()}
    assert receipts[applicant.email].subject == f"Application {application.reference} received"
    assert receipts[colleague.email].subject == f"신청서 {application.reference} 접수 완료"
    reception_closed(draft.call)
    with translation.override("en"):
        workflow.decide_eligibility(application, by=staff, eligible=False, reason="Not an SME.")
    notices = {mail.to: mail for mail in OutboxMessage.objects.filter(body__contains="Not an SME.")}
    assert "not eligible" in notices[applicant.email].subject
    assert "not eligible" not in notices[colleague.email].subject
    assert application.reference in notices[colleague.email].subject
