"""Build a funding workbook for an export job: re-check permission in the worker, write to a
temporary file, and only then store it and mark the job done, so that a failed or killed task
never leaves a downloadable partial file (the download view serves only finished jobs)."""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from accounts.roles import Role, has_role

from .models import ExportJob

logger = logging.getLogger(__name__)


def may_export(user):
    return user.is_active and (has_role(user, Role.STAFF) or has_role(user, Role.AUDITOR))


def request_export(user, calls, lang="en"):
    """Record the job and queue its task after commit (eager in the embedded default)."""
    from .tasks import build_export

    job = ExportJob.objects.create(requested_by=user, lang=lang if lang in ("en", "ko") else "en")
    job.calls.set(calls)
    transaction.on_commit(lambda: build_export.delay(job.pk), robust=True)
    return job


MAX_BUILD_ATTEMPTS = 3


class JobAbandoned(Exception):
    """The job stopped being this build's (swept as failed, or finished by another build)."""


def build(job_id):
    """Build the job's workbook. Safe to run again for a job whose worker died (the task is
    redelivered): at most MAX_BUILD_ATTEMPTS starts, never after the job is done or failed,
    and the file is published only by the one conditional update that marks the job done."""
    from .funding_workbook import write_funding_workbook

    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        return job
    if not may_export(job.requested_by):
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=_("You may no longer export workbooks."),
            finished_at=timezone.now(),
        )
        return job
    live = ExportJob.objects.filter(
        pk=job.pk, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]
    )
    if not live.filter(attempts__lt=MAX_BUILD_ATTEMPTS).update(
        status=ExportJob.Status.RUNNING,
        progress=0,
        error="",
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
    ):
        live.update(
            status=ExportJob.Status.FAILED,
            error=_("The build was interrupted %(count)d times; ask for the workbook again.")
            % {"count": MAX_BUILD_ATTEMPTS},
            finished_at=timezone.now(),
        )
        return job
    running = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING)

    def progress(done, total):
        beat = {"progress": min(99, int(100 * done / max(total, 1))), "heartbeat_at": timezone.now()}
        if not running.update(**beat):
            raise JobAbandoned

    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "workbook.xlsx"
            checks = write_funding_workbook(
                list(job.calls.all()), str(path), lang=job.lang, progress=progress
            )
            name = f"gongmo-funding-{timezone.localtime():%Y%m%d-%H%M}-{job.token.hex[:8]}.xlsx"
            with open(path, "rb") as handle:
                job.file.save(name, File(handle), save=False)
    except JobAbandoned:
        _discard(job.file)
        return job
    except Exception as exc:  # noqa: BLE001 - any failure ends the job as failed, with the reason
        _discard(job.file)
        running.update(status=ExportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    published = running.update(
        status=ExportJob.Status.DONE,
        progress=100,
        file=job.file.name,
        checks=checks or {},
        heartbeat_at=timezone.now(),
        finished_at=timezone.now(),
    )
    if not published:  # swept meanwhile: this file is never served
        _discard(job.file)
    return ExportJob.objects.get(pk=job.pk)


def _discard(field_file):
    if field_file and field_file.name:
        field_file.storage.delete(field_file.name)


def sweep_stale_jobs(now=None):
    """Beat, every 5 minutes: a running job that has not reported progress for
    EXPORT_STALE_AFTER_SECONDS (its worker died), or a job waiting longer than
    EXPORT_QUEUE_TIMEOUT_SECONDS, becomes failed with the reason, logged (who: the system
    account, when, why) in the state log; files a dead build left behind are removed, and no
    failed job is ever served. Safe when two sweeps overlap (SKIP LOCKED). Returns the job ids."""
    from accounts.system import system_user

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EXPORT_STALE_AFTER_SECONDS)
    queued = now - timedelta(seconds=settings.EXPORT_QUEUE_TIMEOUT_SECONDS)
    candidates = Q(status=ExportJob.Status.RUNNING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    ) | Q(status=ExportJob.Status.PENDING, created_at__lt=queued)
    if not ExportJob.objects.filter(candidates).exists():
        return []
    system = system_user()
    swept = []
    with transaction.atomic():
        for job in ExportJob.objects.select_for_update(skip_locked=True).filter(candidates).order_by("pk"):
            if job.status == ExportJob.Status.RUNNING:
                reason = _(
                    "The build stopped reporting progress (its worker stopped); ask for the workbook again."
                )
            else:
                reason = _("The build never started (no worker took it); ask for the workbook again.")
            ExportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=ExportJob.Status.FAILED, error=reason, file="", finished_at=now
            )
            StateLog.objects.create(
                content_object=job,
                transition="sweep_stale",
                source_state=job.status,
                state=ExportJob.Status.FAILED,
                by=system,
                description=reason,
            )
            logger.warning("Export job %s marked failed: %s", job.pk, reason)
            _discard_leftovers(job)
            swept.append(job.pk)
    return swept


def _discard_leftovers(job):
    """Files a killed build stored under this job's name but never published."""
    storage = job.file.storage
    try:
        _folders, names = storage.listdir("exports")
    except (FileNotFoundError, NotImplementedError):
        return
    served = set(ExportJob.objects.filter(status=ExportJob.Status.DONE).values_list("file", flat=True))
    for name in names:
        path = f"exports/{name}"
        if job.token.hex[:8] in name and path not in served:
            storage.delete(path)
