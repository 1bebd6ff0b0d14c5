"""A Celery worker killed in the middle of a workbook export (issue 7).

A real worker (`celery -A config worker`) builds the job from a Redis queue of its own against
the test database; the test SIGKILLs it mid-build while polling the download view all along:

- the whole worker (solo pool) killed: the job is stuck "running" until the sweeper marks it
  failed (with the reason, logged); a late redelivery of the task does not bring it back;
- the pool process building it (prefork) killed: acks_late + reject_on_worker_lost put the task
  back in the queue and a fresh pool process builds the job again, to success.

In both, no download ever answers 200 before the job is done, and what it then serves is the
complete workbook.
"""

import io
import os
import signal
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_fsm_log.models import StateLog
from openpyxl import load_workbook

from accounts.roles import Role
from audit import exports
from audit.models import ExportJob
from evaluation.generate import generate
from tests.factories import UserFactory

from .conftest import celery_worker

# A Redis database of our own on the shared server, and a queue unique to each test.
BROKER = os.environ.get("GONGMO_FAULTS_BROKER", "redis://127.0.0.1:6379/13")
APPLICATIONS = int(os.environ.get("GONGMO_FAULTS_APPLICATIONS", "1500"))


@pytest.fixture
def big_call(call, staff):  # noqa: F811
    """A call with enough rows that the workbook takes a few seconds to build."""
    generate(call, count=APPLICATIONS, reviewers=60, seed=7, by=staff)
    return call


@pytest.fixture
def auditor(role_groups):
    return UserFactory(roles=[Role.AUDITOR])


def queue_build(job, queue):
    sender = Celery(broker=BROKER)
    try:
        sender.send_task("audit.tasks.build_export", args=[job.pk], queue=queue)
    finally:
        sender.close()


class Watch:
    """Poll the job and its download; remember every download answer and the job's state."""

    def __init__(self, job, user):
        self.job = job
        self.client = Client()
        self.client.force_login(user)
        self.url = reverse("audit:download", args=[job.token])
        self.answers = []  # (status code, job status at that moment)
        self.served = None

    def poll(self):
        response = self.client.get(self.url)
        # read after the answer: "done" is final, so a 200 with the job not done after it would
        # have been a file served before the job finished
        job = ExportJob.objects.get(pk=self.job.pk)
        self.answers.append((response.status_code, job.status))
        if response.status_code == 200:
            self.served = b"".join(response.streaming_content)
        return job

    def until(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.poll()
            if condition(job):
                return job
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; last {job.status} {job.progress} %")

    def assert_never_served_early(self):
        early = [(code, status) for code, status in self.answers if code == 200 and status != "done"]
        assert not early, early
        assert {code for code, _status in self.answers} <= {200, 404}


def assert_complete_workbook(content):
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    assert workbook.sheetnames[0] == "Calls" and "Applications" in workbook.sheetnames
    assert workbook.sheetnames[-1] == "Checks"
    assert sum(1 for _row in workbook["Applications"].iter_rows()) == APPLICATIONS + 1
    results = [row[3] for row in workbook["Checks"].iter_rows(min_row=2, values_only=True)]
    assert results and set(results) == {"PASS"}


def children_of(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def mid_build(job):
    return job.status == "running" and 0 < job.progress < 90


def new_job(auditor, call):
    job = ExportJob.objects.create(requested_by=auditor)
    job.calls.set([call])
    return job


def whole_worker_killed(processes, call, auditor, settings):
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    job = new_job(auditor, call)
    watch = Watch(job, auditor)
    worker = celery_worker(processes, "export-solo", BROKER, queue=queue, pool="solo")
    queue_build(job, queue)
    watch.until(mid_build, 90, "the build to start")
    os.killpg(worker.pid, signal.SIGKILL)  # the whole worker, at once
    worker.wait(timeout=10)
    for _ in range(20):  # nobody builds it now: it stays running, and is never served
        stuck = watch.poll()
        time.sleep(0.05)
    assert stuck.status == "running" and stuck.progress < 100
    # the sweeper, once the job has been silent for longer than the limit
    later = timezone.now() + timedelta(seconds=settings.EXPORT_STALE_AFTER_SECONDS + 1)
    # The reason is stored in the sweeper's language; the watcher's requests switched this
    # thread to Korean, so ask for English explicitly.
    with translation.override("en"):
        assert exports.sweep_stale_jobs(now=later) == [job.pk]
    failed = watch.poll()
    assert failed.status == "failed" and "stopped reporting progress" in failed.error
    assert StateLog.objects.for_(failed).get().transition == "sweep_stale"
    # the task, redelivered late by the broker, leaves a failed job alone
    exports.build(job.pk)
    assert watch.poll().status == "failed"
    watch.assert_never_served_early()
    assert watch.served is None
    leftovers = default_storage.listdir("exports")[1] if default_storage.exists("exports") else []
    assert [name for name in leftovers if job.token.hex[:8] in name] == []


def pool_process_killed(processes, call, auditor):
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    job = new_job(auditor, call)
    watch = Watch(job, auditor)
    worker = celery_worker(processes, "export-prefork", BROKER, queue=queue, pool="prefork", concurrency=1)
    queue_build(job, queue)
    watch.until(mid_build, 90, "the build to start")
    pool = children_of(worker.pid)
    assert len(pool) == 1, pool
    os.kill(pool[0], signal.SIGKILL)  # the process building the workbook
    done = watch.until(lambda job: job.status in ("done", "failed"), 120, "the job to end")
    assert done.status == "done", (done.error, processes.log_of(worker)[-3000:])
    assert done.attempts == 2  # built again after the kill
    assert "WorkerLostError" in processes.log_of(worker)
    watch.poll()
    watch.assert_never_served_early()
    assert watch.answers[0][0] == 404 and watch.answers[-1] == (200, "done")
    assert_complete_workbook(watch.served)
    with default_storage.open(done.file.name, "rb") as stored:
        assert stored.read() == watch.served


def test_a_worker_killed_mid_export_never_serves_a_partial_file(processes, big_call, auditor, settings):
    """One data set (generating it is the slow part), two kills."""
    whole_worker_killed(processes, big_call, auditor, settings)
    pool_process_killed(processes, big_call, auditor)
