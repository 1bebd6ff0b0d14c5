"""The broker goes down (issue 7): submissions, reviews and payments still succeed promptly,
their e-mails wait in the outbox, and go out through the worker when the broker is back.

Everything runs for real on loopback: a Redis server of our own (never the shared one) as the
broker, a Celery worker and, later, Celery beat against it, gunicorn with production settings
serving the requests; the worker writes e-mail with Django's file backend into a folder the
test reads.
"""

import email
import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from competitions.models import CallState
from evaluation.assigning import assign_reviewers
from evaluation.models import Assignment, Criterion, Review
from projects.models import Application, ApplicationState, DisbursementEntry, OutboxMessage
from tests.evaluation.conftest import eligible_applications, make_reviewers
from tests.factories import CallFactory, TrackFactory, cleared_to_score, pilot_rules
from tests.loopback import free_port
from tests.postgres.test_concurrency import complete_draft
from tests.projects.test_ledger import project, selected, staff  # noqa: F401

from .browser import Browser
from .conftest import BIN, celery_worker, gunicorn, wait_for_port

REQUEST_BUDGET = 5.0  # seconds: a request must not wait on a dead broker longer than this


def redis_server(processes, port):
    process = processes.start(
        f"redis-{port}",
        ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    )
    wait_for_port(port, process=process)
    return process


def sent_mail(folder):
    """(recipient, subject) of every message the worker's file backend wrote."""
    found = []
    for path in sorted(folder.glob("*.log")) if folder.exists() else []:
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                message = email.message_from_string(chunk.strip())
                found.append(
                    (
                        message["To"],
                        str(email.header.make_header(email.header.decode_header(message["Subject"]))),
                    )
                )
    return found


def timed(function):
    started = time.monotonic()
    result = function()
    return result, time.monotonic() - started


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def scene(project, open_call, organisation, applicant, call, staff):  # noqa: F811
    """A draft ready to submit, a reviewer with an assignment under review, an active project."""
    applicant.language = "en"  # e-mails about the project are written in the reader's language
    applicant.save()
    Application.objects.filter(pk=project.award.application_id).update(reference="PC26-0900")
    # The project's call (open_call) has published its results; the draft goes to another call
    # still open for applications.
    still_open = CallFactory(
        slug="pilot-still-open",
        reference_prefix="PC27",
        state=CallState.PUBLISHED,
        opens_at=open_call.opens_at,
        closes_at=timezone.now() + timedelta(days=7),
    )
    TrackFactory(call=still_open, name="SME-led", max_awards=14)
    pilot_rules(still_open)
    draft = complete_draft(still_open, organisation, applicant)
    eligible_applications(call, 1)
    make_reviewers(call, 5)
    assign_reviewers(call, by=staff, seed=1)
    # The reviewer has signed the call's pledge and declared no conflict (required before scoring).
    assignment = cleared_to_score(
        Assignment.objects.select_related("reviewer__user").filter(application__call=call).first()
    )
    assignment.reviewer.user.language = "en"  # the receipt of a review too
    assignment.reviewer.user.save(update_fields=["language"])
    return {
        "draft": draft,
        "assignment": assignment,
        "project": project,
        "staff": staff,
        "applicant": applicant,
    }


def test_broker_down_requests_succeed_and_mail_waits_for_it(processes, scene, call, tmp_path):
    port, web = free_port(), free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    mail = tmp_path / "mail"
    mail_env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": mail,
    }
    redis = redis_server(processes, port)
    worker = celery_worker(processes, "outbox-worker", broker, **mail_env)
    gunicorn(processes, "web", web, CELERY_BROKER_URL=broker, **mail_env)

    processes.stop(redis)  # the broker goes down
    applicant, reviewer = Browser(web, scene["applicant"]), Browser(web, scene["assignment"].reviewer.user)
    staff_browser = Browser(web, scene["staff"])
    status, body, _headers = Browser(web).get("/healthz")
    assert status == 200 and '"broker": "down' in body

    draft = scene["draft"]
    (status, _body, headers), took = timed(lambda: applicant.post(f"/applications/{draft.pk}/submit/"))
    assert (status, headers.get("Location")) == (302, f"/applications/{draft.pk}/"), (status, _body[:3000])
    assert took < REQUEST_BUDGET, took
    submitted = Application.objects.get(pk=draft.pk)
    assert submitted.state == ApplicationState.SUBMITTED and submitted.reference

    assignment = scene["assignment"]
    points = {f"points-{c.pk}": str(c.max_points) for c in Criterion.objects.filter(plan__call=call)}
    (status, _body, _headers), took = timed(
        lambda: reviewer.post(f"/review/{assignment.pk}/", {**points, "action": "submit"})
    )
    assert status == 302 and took < REQUEST_BUDGET, (status, took)
    assert Review.objects.get(assignment=assignment).state == Review.State.SUBMITTED

    funded = scene["project"]
    (status, _body, _headers), took = timed(
        lambda: staff_browser.post(
            f"/staff/projects/{funded.pk}/",
            {"action": "pay", "amount": "100000000", "paid_on": date(2026, 5, 10).isoformat()},
        )
    )
    assert status == 302 and took < REQUEST_BUDGET, (status, took)
    assert DisbursementEntry.objects.filter(project=funded, amount=100_000_000).exists()

    expected = {
        (scene["applicant"].email, f"Application {submitted.reference} received"),
        (assignment.reviewer.user.email, f"Review submitted: {assignment.application.reference}"),
        (scene["applicant"].email, f"Payment of 100,000,000 KRW to {funded.code}"),
    }
    waiting = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    assert {(m.to, m.subject) for m in waiting} >= expected
    time.sleep(1)
    assert sent_mail(mail) == []  # nothing went out while the broker was down

    # the broker comes back; beat's outbox sweep (every second here) sends what waited
    redis_server(processes, port)
    processes.start(
        "beat",
        [BIN / "celery", "-A", "config", "beat", "--loglevel=INFO", "--schedule", tmp_path / "beat-schedule"],
        CELERY_BROKER_URL=broker,
        OUTBOX_SWEEP_SECONDS="1",
    )
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    wait_until(lambda: not pending.exists(), 60, f"the outbox to be sent: {processes.log_of(worker)[-2000:]}")
    sent = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT)
    assert {(m.to, m.subject) for m in sent} >= expected
    assert all(m.sent_at and m.sent_at <= timezone.now() for m in sent)
    delivered = sent_mail(mail)
    assert set(delivered) >= expected
    assert len(delivered) == sent.count()  # each message once
