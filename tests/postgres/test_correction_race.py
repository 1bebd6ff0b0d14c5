"""Correction requests on PostgreSQL: the applicant resubmitting at the moment the deadline's
sweep runs gives exactly one outcome (resubmitted, or returned uncorrected), never both."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from projects import corrections, workflow
from projects.models import Application, ApplicationState, CorrectionRequest, CorrectionStatus
from tests.factories import reception_closed
from tests.projects.samples import pdf_bytes

from .test_concurrency import race


@pytest.mark.parametrize("round_", range(4))
def test_resubmit_racing_the_deadline_sweep_has_exactly_one_outcome(draft, applicant, staff, round_):
    application = workflow.submit(draft, by=applicant)
    reception_closed(application.call)
    request = corrections.request_correction(
        application,
        by=staff,
        parts=[("document", "business_registration")],
        message="Upload a readable certificate.",
        deadline=timezone.now() + timedelta(hours=1),
    )
    upload = SimpleUploadedFile("certificate.pdf", pdf_bytes(), content_type="application/pdf")
    corrections.replace_document(application, kind="business_registration", upload=upload, by=applicant)
    on_time, late = request.deadline, request.deadline + timedelta(seconds=1)
    functions = [
        lambda: corrections.resubmit(application, by=applicant, now=on_time),
        lambda: corrections.return_overdue(now=late),
    ]
    outcomes = race(functions if round_ % 2 else functions[::-1])
    resubmitted, swept = outcomes if round_ % 2 else outcomes[::-1]
    request.refresh_from_db()
    stored = Application.objects.get(pk=application.pk)
    assert stored.state == ApplicationState.SUBMITTED
    transitions = list(
        StateLog.objects.for_(application)
        .filter(transition__in=["resubmit", "return_uncorrected"])
        .values_list("transition", flat=True)
    )
    assert len(transitions) == 1, transitions
    if request.status == CorrectionStatus.RESUBMITTED:
        assert resubmitted[0] == "ok"
        assert swept == ("ok", [])
        assert transitions == ["resubmit"]
    else:
        assert request.status == CorrectionStatus.EXPIRED
        assert swept == ("ok", [application.pk])
        assert resubmitted[0] == "error" and isinstance(resubmitted[1], TransitionRefused)
        assert transitions == ["return_uncorrected"]
    assert (
        CorrectionRequest.objects.filter(application=application, status=CorrectionStatus.OPEN).count() == 0
    )
