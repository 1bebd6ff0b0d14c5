"""Correction requests (보완 요청): asked by staff on a submitted application, naming exactly what;
only those parts change, until the deadline; originals kept; resubmission or the deadline sends
it back to staff; every step logged and mailed; another organisation sees and does nothing."""

import datetime
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from competitions.formatting import SEOUL
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, CallState
from projects import corrections, workflow
from projects.models import (
    Application,
    ApplicationState,
    CorrectionRequest,
    CorrectionStatus,
    Document,
    FundingPlanRevision,
    OutboxMessage,
)
from projects.models.application import ELIGIBILITY_PENDING_STATES
from tests.factories import StaffFactory, UserFactory, reception_closed

from .samples import pdf_bytes

pytestmark = pytest.mark.django_db

PLAN = [("document", "business_registration"), ("funding_plan", "")]


def reload(application):
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def staff(role_groups):
    return StaffFactory(email="officer@ministry.example", language="en")


@pytest.fixture
def submitted(draft, applicant):
    application = workflow.submit(draft, by=applicant)
    reception_closed(application.call)
    return reload(application)


def ask(application, staff, parts=PLAN, deadline=None, now=None):
    return corrections.request_correction(
        application,
        by=staff,
        parts=parts,
        message="The certificate is unreadable; the private cash is missing.",
        deadline=deadline or timezone.now() + timedelta(days=3),
        now=now,
    )


def pdf(name="certificate-new.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


# --- Asking ------------------------------------------------------------------------------------


def test_request_moves_the_application_logs_and_mails_the_applicant_in_their_language(
    submitted, staff, applicant
):
    applicant.language = "ko"
    applicant.save()
    OutboxMessage.objects.all().delete()
    request = ask(submitted, staff)
    stored = reload(submitted)
    assert stored.state == ApplicationState.CORRECTION_REQUESTED
    assert request.status == CorrectionStatus.OPEN
    assert [(i.kind, i.target) for i in request.items.order_by("pk")] == PLAN
    log = StateLog.objects.for_(submitted).latest("timestamp")
    assert (log.source_state, log.state, log.by, log.transition) == (
        "submitted",
        "correction_requested",
        staff,
        "request_correction",
    )
    assert "The certificate is unreadable" in log.description
    mail = OutboxMessage.objects.get()
    assert mail.to == applicant.email
    assert "보완" in mail.subject and stored.reference in mail.subject
    assert "서류: 사업자등록증" in mail.body and "사업비 계획" in mail.body
    # The call moved into evaluation: corrections belong to the eligibility check.
    assert Call.objects.get(pk=submitted.call_id).state == CallState.EVALUATION


def test_deadline_is_read_as_korea_time_and_stored_utc(submitted, staff, client):
    client.force_login(staff)
    day = (timezone.now() + timedelta(days=5)).astimezone(SEOUL).date()
    response = client.post(
        reverse("projects:correction_request", args=[submitted.pk]),
        {
            "documents": ["business_registration"],
            "message": "Upload a readable certificate.",
            "deadline_date": day.isoformat(),
            "deadline_time": "18:00",
        },
    )
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    assert request.deadline == datetime.datetime.combine(day, datetime.time(18, 0), tzinfo=SEOUL)
    assert request.deadline.astimezone(datetime.UTC).hour == 9


def test_bad_request_is_refused_with_every_reason_and_keeps_what_was_typed(submitted, staff, client):
    client.force_login(staff)
    response = client.post(
        reverse("projects:correction_request", args=[submitted.pk]),
        {"message": "Typed and kept", "deadline_date": "2020-01-01", "deadline_time": "09:00"},
        follow=True,
    )
    page = response.content.decode()
    assert "Name at least one part to correct" in page
    assert "The correction deadline must be in the future" in page
    assert "Typed and kept" in page
    assert reload(submitted).state == ApplicationState.SUBMITTED
    assert not CorrectionRequest.objects.exists()


@pytest.mark.parametrize(
    "parts, message, deadline_days, expected",
    [
        ([], "x", 3, "Name at least one part"),
        ([("document", "no_such_kind")], "x", 3, "no such part"),
        (PLAN, "  ", 3, "Write what to correct"),
        (PLAN, "x", -1, "must be in the future"),
    ],
)
def test_request_refusals_change_nothing(submitted, staff, parts, message, deadline_days, expected):
    with pytest.raises(TransitionRefused) as refused:
        corrections.request_correction(
            submitted,
            by=staff,
            parts=parts,
            message=message,
            deadline=timezone.now() + timedelta(days=deadline_days),
        )
    assert any(expected in reason for reason in refused.value.reasons)
    assert reload(submitted).state == ApplicationState.SUBMITTED
    assert not CorrectionRequest.objects.exists()


def test_no_correction_while_reception_is_open(draft, applicant, staff):
    application = workflow.submit(draft, by=applicant)
    with pytest.raises(TransitionRefused) as refused:
        ask(application, staff)
    assert "staff can request a correction only after it closes" in refused.value.reasons[0]
    assert reload(application).state == ApplicationState.SUBMITTED


def test_only_a_submitted_application_and_one_request_at_a_time(submitted, staff):
    ask(submitted, staff)
    with pytest.raises(TransitionRefused) as refused:
        ask(submitted, staff)
    assert "Only a submitted application" in refused.value.reasons[0]
    assert CorrectionRequest.objects.count() == 1


# --- Waiting for the correction: no decision, no evaluation ----------------------------------


def test_awaiting_correction_cannot_be_decided_or_evaluated(submitted, staff):
    ask(submitted, staff)
    with pytest.raises(TransitionRefused):
        workflow.decide_eligibility(submitted, by=staff, eligible=True)
    assert reload(submitted).state == ApplicationState.CORRECTION_REQUESTED
    assert ApplicationState.CORRECTION_REQUESTED in ELIGIBILITY_PENDING_STATES
    assert Application.objects.submitted().filter(pk=submitted.pk).exists()


# --- The applicant: restricted edits ------------------------------------------------------------


def test_only_named_parts_change(submitted, staff, applicant):
    ask(submitted, staff, parts=[("document", "business_registration")])
    with pytest.raises(TransitionRefused) as refused:
        corrections.replace_document(submitted, kind="proposal", upload=pdf("p.pdf"), by=applicant)
    assert "does not name this part" in refused.value.reasons[0]
    with pytest.raises(TransitionRefused):
        corrections.correct_funding_plan(submitted, {"private_cash": 1}, by=applicant)
    # The draft form and the draft-only pages refuse too.
    with pytest.raises(TransitionRefused):
        workflow.save_draft(submitted, {"title": "New"}, by=applicant, expected_version=submitted.version)
    stored = reload(submitted)
    assert stored.title == submitted.title and stored.private_cash == submitted.private_cash
    assert not FundingPlanRevision.objects.exists()
    assert Document.objects.filter(application=submitted, kind="proposal").count() == 1


def test_the_edit_pages_refuse_other_parts(submitted, staff, applicant, client):
    ask(submitted, staff, parts=[("document", "business_registration")])
    client.force_login(applicant)
    client.post(
        reverse("projects:document_upload", args=[submitted.pk]), {"kind": "proposal", "file": pdf("p.pdf")}
    )
    assert Document.objects.filter(application=submitted, kind="proposal").count() == 1
    response = client.post(
        reverse("projects:application_edit", args=[submitted.pk]), {"title": "Changed", "version": 99}
    )
    assert response.status_code == 302
    assert reload(submitted).title == submitted.title


def test_originals_are_kept(submitted, staff, applicant):
    original = submitted.documents.get(kind="business_registration", superseded=False)
    before = (submitted.requested_subsidy, submitted.private_cash)
    ask(submitted, staff)
    new = corrections.replace_document(submitted, kind="business_registration", upload=pdf(), by=applicant)
    corrections.correct_funding_plan(submitted, {"private_cash": before[1] + 10_000_000}, by=applicant)
    original.refresh_from_db()
    assert original.superseded and original.file.read() == pdf_bytes()
    assert submitted.documents.get(kind="business_registration", superseded=False) == new
    revision = FundingPlanRevision.objects.get()
    assert (revision.requested_subsidy_before, revision.private_cash_before) == before
    assert revision.private_cash_after == before[1] + 10_000_000
    assert reload(submitted).private_cash == before[1] + 10_000_000
    with pytest.raises(Exception):  # noqa: B017 - AppendOnlyError: revisions are never changed
        revision.save()


def test_unchanged_funding_plan_is_refused(submitted, staff, applicant):
    ask(submitted, staff)
    with pytest.raises(TransitionRefused) as refused:
        corrections.correct_funding_plan(submitted, {}, by=applicant)
    assert "unchanged" in refused.value.reasons[0]


def test_late_change_refused_however_long_the_form_was_open(submitted, staff, applicant, client):
    request = ask(submitted, staff)
    client.force_login(applicant)
    page = client.get(reverse("projects:application_correct", args=[submitted.pk]))
    assert page.status_code == 200  # the form is open before the deadline
    # The deadline passes while the page is open: the write is judged by the server's clock.
    CorrectionRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    request.refresh_from_db()
    with pytest.raises(TransitionRefused) as refused:
        corrections.replace_document(submitted, kind="business_registration", upload=pdf(), by=applicant)
    assert "deadline passed" in refused.value.reasons[0]
    with pytest.raises(TransitionRefused):
        corrections.resubmit(submitted, by=applicant)
    assert Document.objects.filter(application=submitted, kind="business_registration").count() == 1


def test_to_the_second(submitted, staff, applicant):
    request = ask(submitted, staff)
    corrections.replace_document(
        submitted, kind="business_registration", upload=pdf(), by=applicant, now=request.deadline
    )
    with pytest.raises(TransitionRefused):
        corrections.correct_funding_plan(
            submitted, {"private_cash": 1}, by=applicant, now=request.deadline + timedelta(seconds=1)
        )


# --- Resubmission -------------------------------------------------------------------------------


def test_resubmit_needs_every_part_then_returns_to_staff_logged_and_mailed(submitted, staff, applicant):
    ask(submitted, staff)
    corrections.replace_document(submitted, kind="business_registration", upload=pdf(), by=applicant)
    with pytest.raises(TransitionRefused) as refused:
        corrections.resubmit(submitted, by=applicant)
    assert "still to do: The funding plan" in refused.value.reasons[0]
    assert reload(submitted).state == ApplicationState.CORRECTION_REQUESTED
    corrections.correct_funding_plan(submitted, {"private_cash": submitted.private_cash + 1}, by=applicant)
    OutboxMessage.objects.all().delete()
    corrections.resubmit(submitted, by=applicant)
    stored = reload(submitted)
    assert stored.state == ApplicationState.SUBMITTED
    request = CorrectionRequest.objects.get()
    assert (request.status, request.closed_by) == (CorrectionStatus.RESUBMITTED, applicant)
    log = StateLog.objects.for_(submitted).latest("timestamp")
    assert (log.transition, log.by) == ("resubmit", applicant)
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == sorted(
        [applicant.email, staff.email]
    )
    # Back in the queue: staff now decide.
    workflow.decide_eligibility(stored, by=staff, eligible=True)
    assert reload(submitted).state == ApplicationState.ELIGIBLE


def test_resubmit_refused_while_a_rule_fails(submitted, staff, applicant):
    ask(submitted, staff, parts=[("funding_plan", "")])
    corrections.correct_funding_plan(submitted, {"requested_subsidy": 320_000_000}, by=applicant)
    with pytest.raises(TransitionRefused) as refused:
        corrections.resubmit(submitted, by=applicant)
    assert any("above the maximum" in reason for reason in refused.value.reasons)
    assert reload(submitted).state == ApplicationState.CORRECTION_REQUESTED


def test_withdrawing_closes_the_request(submitted, staff, applicant):
    ask(submitted, staff)
    workflow.withdraw(submitted, by=applicant)
    assert reload(submitted).state == ApplicationState.WITHDRAWN
    assert CorrectionRequest.objects.get().status == CorrectionStatus.WITHDRAWN


# --- The deadline -------------------------------------------------------------------------------


def test_deadline_expiry_returns_to_staff_with_what_was_and_was_not_corrected(submitted, staff, applicant):
    request = ask(submitted, staff)
    corrections.replace_document(submitted, kind="business_registration", upload=pdf(), by=applicant)
    OutboxMessage.objects.all().delete()
    assert corrections.return_overdue(now=request.deadline) == []  # at the deadline: still open
    assert corrections.return_overdue(now=request.deadline + timedelta(seconds=1)) == [submitted.pk]
    assert corrections.return_overdue(now=request.deadline + timedelta(seconds=2)) == []  # idempotent
    stored = reload(submitted)
    assert stored.state == ApplicationState.SUBMITTED
    request.refresh_from_db()
    assert request.status == CorrectionStatus.EXPIRED
    log = StateLog.objects.for_(submitted).latest("timestamp")
    assert log.transition == "return_uncorrected"
    assert "Corrected: Document: Business registration certificate" in log.description
    assert "Not corrected: The funding plan" in log.description
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == sorted(
        [applicant.email, staff.email]
    )
    staff_mail = OutboxMessage.objects.get(to=staff.email)
    assert "Not corrected: The funding plan" in staff_mail.body
    with pytest.raises(TransitionRefused) as refused:
        corrections.resubmit(submitted, by=applicant)
    assert "went back to the ministry" in refused.value.reasons[0]


def test_beat_task_returns_overdue(submitted, staff):
    from projects.tasks import return_overdue_corrections

    request = ask(submitted, staff)
    CorrectionRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    assert return_overdue_corrections() == [submitted.pk]
    assert reload(submitted).state == ApplicationState.SUBMITTED


def test_expiry_is_also_checked_on_access(submitted, staff, applicant, client):
    request = ask(submitted, staff)
    CorrectionRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[submitted.pk])).content.decode()
    assert reload(submitted).state == ApplicationState.SUBMITTED
    assert "Make the corrections" not in page


# --- Pages --------------------------------------------------------------------------------------


def test_applicant_sees_the_banner_and_staff_see_both_versions(submitted, staff, applicant, client):
    ask(submitted, staff)
    corrections.replace_document(submitted, kind="business_registration", upload=pdf(), by=applicant)
    corrections.correct_funding_plan(submitted, {"private_cash": submitted.private_cash + 5}, by=applicant)
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[submitted.pk])).content.decode()
    assert "The certificate is unreadable" in page and "Make the corrections" in page
    correct = client.get(reverse("projects:application_correct", args=[submitted.pk])).content.decode()
    assert 'name="private_cash"' in correct and 'name="title"' not in correct
    client.force_login(staff)
    page = client.get(reverse("projects:staff_application", args=[submitted.pk])).content.decode()
    assert "certificate.pdf" in page and "certificate-new.pdf" in page
    assert "replaced, kept" in page and "Before" in page


def test_korean_pages(submitted, staff, applicant, client):
    ask(submitted, staff)
    client.force_login(applicant)
    page = client.get(
        reverse("projects:application_correct", args=[submitted.pk]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "보완" in page


# --- Permissions --------------------------------------------------------------------------------


def test_another_organisation_can_neither_see_nor_act(submitted, staff, stranger, client):
    ask(submitted, staff)
    client.force_login(stranger)
    for name in ("application_detail", "application_correct"):
        assert client.get(reverse(f"projects:{name}", args=[submitted.pk])).status_code == 404
    assert client.post(reverse("projects:application_resubmit", args=[submitted.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        corrections.replace_document(submitted, kind="business_registration", upload=pdf(), by=stranger)
    with pytest.raises(PermissionDenied):
        corrections.resubmit(submitted, by=stranger)
    assert reload(submitted).state == ApplicationState.CORRECTION_REQUESTED


def test_only_staff_ask(submitted, applicant, client):
    with pytest.raises(PermissionDenied):
        ask(submitted, applicant)
    client.force_login(applicant)
    assert client.get(reverse("projects:correction_request", args=[submitted.pk])).status_code == 403
    other = UserFactory()
    client.force_login(other)
    assert client.post(reverse("projects:correction_request", args=[submitted.pk]), {}).status_code == 403
    assert not CorrectionRequest.objects.exists()
