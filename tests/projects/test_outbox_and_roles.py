"""E-mail through the outbox (a broker outage never fails a submission), and the roles that get
nothing in the applicants' area yet."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.roles import Role
from projects import tasks, workflow
from projects.models import ApplicationState, OutboxMessage, ProposalBucket
from projects.outbox import MAX_ATTEMPTS, send_pending
from tests.factories import StaffFactory, UserFactory

from .test_submit_cost import eligible_draft

pytestmark = pytest.mark.django_db


def test_a_broker_outage_does_not_fail_the_submission(
    draft, applicant, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.after_submissions, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        application = workflow.submit(draft, by=applicant)
    assert application.state == ApplicationState.SUBMITTED
    # The next submission in the minute does not try the broker again (it would cost it the
    # publish's retry); the sweeps take both up.
    assert cache.get(tasks.AFTER_SUBMISSIONS_PENDING)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.PENDING  # waits for the next sweep
    assert send_pending() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert mail.outbox[-1].to == [applicant.email]
    assert "PC26-0001" in mail.outbox[-1].subject


def test_one_task_after_a_submission_sends_its_receipt_then_checks_it(
    draft, applicant, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(tasks.send_outbox, "delay", lambda: published.append("send_outbox"))
    checked = []
    monkeypatch.setattr("projects.duplicates.check_after_submission", checked.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        workflow.submit(draft, by=applicant)
    assert len(callbacks) == 1 and not published  # no send task of the receipt's own
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
    assert mail.outbox[-1].to == [applicant.email] and checked == [draft.pk]
    assert cache.get(tasks.AFTER_SUBMISSIONS_PENDING) is None  # the next submission wakes it again


def test_a_burst_of_submissions_wakes_the_worker_once_and_it_sees_them_all(
    open_call, monkeypatch, django_capture_on_commit_callbacks
):
    """While a run is on its way to the worker, a submission does not publish another: the run
    reads every submission committed before it starts. One that commits after it started wakes
    another."""
    published = []
    monkeypatch.setattr(tasks.after_submissions, "delay", lambda: published.append("after_submissions"))
    drafts = [eligible_draft(open_call) for _ in range(3)]
    for application, user in drafts:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.submit(application, by=user)
    assert published == ["after_submissions"]
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count() == 3

    assert tasks.after_submissions() == 3  # as the worker runs it: each checked once
    assert (
        ProposalBucket.objects.filter(application__in=[a for a, _u in drafts])
        .values("application")
        .distinct()
        .count()
        == 3
    )
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for _a, u in drafts)

    application, user = eligible_draft(open_call)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(application, by=user)
    assert published == ["after_submissions", "after_submissions"]
    assert tasks.after_submissions() == 1 and tasks.after_submissions() == 0  # nothing twice


def test_a_cache_that_is_down_costs_the_submission_nothing_but_the_publish(
    draft, applicant, monkeypatch, django_capture_on_commit_callbacks
):
    def cache_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "add", cache_down)
    published = []
    monkeypatch.setattr(tasks.after_submissions, "delay", lambda: published.append("after_submissions"))
    with django_capture_on_commit_callbacks(execute=True):
        application = workflow.submit(draft, by=applicant)
    assert application.state == ApplicationState.SUBMITTED
    assert published == ["after_submissions"]  # as before the cache: one publish a submission
    # And the worker's run still sends the receipt and checks the submission.
    monkeypatch.setattr(cache, "delete", cache_down)
    assert tasks.after_submissions() == 1
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT


def test_the_checks_after_submissions_run_even_when_sending_fails(draft, applicant, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("projects.outbox.send_pending", broken)
    monkeypatch.setattr(tasks.after_submissions, "delay", lambda: None)
    workflow.submit(draft, by=applicant)
    checked = []
    monkeypatch.setattr("projects.duplicates.check_after_submission", checked.append)
    with pytest.raises(RuntimeError):
        tasks.after_submissions()
    assert checked == [draft.pk]
    # The task queued before this change still does what it did.
    checked.clear()
    with pytest.raises(RuntimeError):
        tasks.after_submission(draft.pk)
    assert checked == [draft.pk]


def test_a_failing_mail_server_is_retried_then_marked_failed(monkeypatch):
    OutboxMessage.objects.create(to="a@b.example", subject="s", body="b")

    def smtp_down(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("projects.outbox.send_mail", smtp_down)
    for _attempt in range(MAX_ATTEMPTS):
        assert send_pending() == 0
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.last_error) == ("failed", MAX_ATTEMPTS, "SMTP down")


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR])
def test_reviewers_and_auditors_get_nothing_here_yet(client, draft, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(reverse("projects:application_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("projects:eligibility_queue")).status_code == 403
    document = draft.documents.first()
    assert client.get(reverse("projects:document_download", args=[document.pk])).status_code == 404


def test_staff_admin_shows_applications_read_only(client, draft, role_groups):
    client.force_login(StaffFactory())
    response = client.get(reverse("admin:projects_application_change", args=[draft.pk]))
    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}  # every field read-only
    assert client.post(reverse("admin:projects_application_delete", args=[draft.pk])).status_code == 403
