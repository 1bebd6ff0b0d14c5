"""Stale export jobs (their worker died): the sweeper marks them failed with the reason, logged
with the system account; their partial files are removed and never served. A build runs again
for a job whose worker died (redelivery), at most MAX_BUILD_ATTEMPTS times, never for a failed
or finished job, and a build whose job was swept under it publishes nothing."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.roles import Role
from accounts.system import SYSTEM_EMAIL
from audit import exports, tasks
from audit.models import ExportJob
from tests.factories import CallFactory, TrackFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def auditor(role_groups):
    return UserFactory(roles=[Role.AUDITOR])


@pytest.fixture
def call(db):
    call = CallFactory(state="published")
    TrackFactory(call=call)
    return call


def job_for(user, call, **fields):
    job = ExportJob.objects.create(requested_by=user, **fields)
    job.calls.set([call])
    return job


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def test_a_job_whose_worker_stopped_beating_is_failed_logged_and_cleaned(client, auditor, call, settings):
    settings.EXPORT_STALE_AFTER_SECONDS = 600
    dead = job_for(auditor, call, status="running", heartbeat_at=ago(minutes=11), attempts=1)
    alive = job_for(auditor, call, status="running", heartbeat_at=ago(minutes=1), attempts=1)
    # what a build killed while storing its file leaves behind
    leftover = default_storage.save(
        f"exports/gongmo-funding-20261122-0900-{dead.token.hex[:8]}.xlsx", ContentFile(b"PK\x03")
    )
    assert tasks.sweep_stale_exports.delay().get() == [dead.pk]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "failed" and "stopped reporting progress" in dead.error and dead.finished_at
    assert alive.status == "running"
    log = StateLog.objects.for_(dead).get()
    assert (log.source_state, log.state, log.transition) == ("running", "failed", "sweep_stale")
    assert log.by.email == SYSTEM_EMAIL and log.description == dead.error
    assert not default_storage.exists(leftover)
    client.force_login(auditor)
    assert client.get(reverse("audit:download", args=[dead.token])).status_code == 404
    page = client.get(reverse("audit:job", args=[dead.token])).content.decode()
    assert "Build failed" in page
    assert exports.sweep_stale_jobs() == []  # idempotent


def test_a_job_nobody_took_fails_after_the_queue_timeout(auditor, call, settings):
    settings.EXPORT_QUEUE_TIMEOUT_SECONDS = 3600
    old = job_for(auditor, call)
    recent = job_for(auditor, call)
    ExportJob.objects.filter(pk=old.pk).update(created_at=ago(minutes=61))
    done = job_for(auditor, call, status="done", heartbeat_at=ago(days=1))
    ExportJob.objects.filter(pk=done.pk).update(created_at=ago(days=1))
    assert exports.sweep_stale_jobs() == [old.pk]
    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "failed", recent.pk: "pending", done.pk: "done"}
    assert "never started" in ExportJob.objects.get(pk=old.pk).error


def test_a_running_job_without_any_heartbeat_counts_from_its_request(auditor, call, settings):
    settings.EXPORT_STALE_AFTER_SECONDS = 600
    job = job_for(auditor, call, status="running")
    assert exports.sweep_stale_jobs() == []
    ExportJob.objects.filter(pk=job.pk).update(created_at=ago(minutes=11))
    assert exports.sweep_stale_jobs() == [job.pk]


def test_a_redelivered_build_rebuilds_a_running_job_but_never_a_failed_one(auditor, call):
    interrupted = job_for(auditor, call, status="running", heartbeat_at=ago(minutes=1), attempts=1)
    exports.build(interrupted.pk)
    interrupted.refresh_from_db()
    assert (interrupted.status, interrupted.attempts, interrupted.progress) == ("done", 2, 100)
    assert default_storage.open(interrupted.file.name).read(2) == b"PK"
    swept = job_for(auditor, call, status="failed", error="swept")
    exports.build(swept.pk)
    swept.refresh_from_db()
    assert (swept.status, swept.attempts, swept.file.name) == ("failed", 0, "")


def test_a_job_interrupted_too_often_ends_failed(auditor, call):
    job = job_for(auditor, call, status="running", attempts=exports.MAX_BUILD_ATTEMPTS)
    exports.build(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "interrupted 3 times" in job.error and not job.file


def test_a_build_swept_under_it_publishes_nothing(auditor, call, monkeypatch):
    job = job_for(auditor, call)
    real = exports.File

    def sweep_while_storing(handle):
        # the sweeper ran while this slow worker was storing its file
        ExportJob.objects.filter(pk=job.pk).update(status="failed", error="swept")
        return real(handle)

    monkeypatch.setattr(exports, "File", sweep_while_storing)
    exports.build(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error, job.file.name) == ("failed", "swept", "")
    folder = default_storage.path("exports")
    assert not default_storage.exists(folder) or default_storage.listdir("exports")[1] == []


def test_a_build_swept_between_sheets_stops(auditor, call, monkeypatch):
    job = job_for(auditor, call)
    reports = []

    def workbook(calls, path, *, lang, progress):
        progress(1, 10)
        reports.append(ExportJob.objects.get(pk=job.pk).progress)
        ExportJob.objects.filter(pk=job.pk).update(status="failed", error="swept")  # the sweeper
        progress(2, 10)
        reports.append("not reached")

    monkeypatch.setattr("audit.funding_workbook.write_funding_workbook", workbook)
    exports.build(job.pk)
    job.refresh_from_db()
    assert reports == [10]
    assert (job.status, job.error, job.file.name) == ("failed", "swept", "")


def test_the_beat_schedule_sweeps_every_five_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-stale-exports"]
    assert entry == {"task": "audit.tasks.sweep_stale_exports", "schedule": 300.0}
    assert tasks.build_export.acks_late and tasks.build_export.reject_on_worker_lost
