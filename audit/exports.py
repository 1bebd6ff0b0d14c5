"""Build a funding workbook for an export job: re-check permission in the worker, write to a
temporary file, and only then store it and mark the job done, so that a failed or killed task
never leaves a downloadable partial file (the download view serves only finished jobs)."""

import tempfile
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role

from .models import ExportJob


def may_export(user):
    return user.is_active and (has_role(user, Role.STAFF) or has_role(user, Role.AUDITOR))


def request_export(user, calls, lang="en"):
    """Record the job and queue its task after commit (eager in the embedded default)."""
    from .tasks import build_export

    job = ExportJob.objects.create(requested_by=user, lang=lang if lang in ("en", "ko") else "en")
    job.calls.set(calls)
    transaction.on_commit(lambda: build_export.delay(job.pk), robust=True)
    return job


def build(job_id):
    from .funding_workbook import write_funding_workbook

    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status == ExportJob.Status.DONE:
        return job
    if not may_export(job.requested_by):
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=_("You may no longer export workbooks."),
            finished_at=timezone.now(),
        )
        return job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress=0, error="")

    def progress(done, total):
        ExportJob.objects.filter(pk=job.pk).update(progress=min(99, int(100 * done / max(total, 1))))

    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "workbook.xlsx"
            checks = write_funding_workbook(
                list(job.calls.all()), str(path), lang=job.lang, progress=progress
            )
            name = f"gongmo-funding-{timezone.localtime():%Y%m%d-%H%M}-{job.token.hex[:8]}.xlsx"
            with open(path, "rb") as handle:
                job.file.save(name, File(handle), save=False)
    except Exception as exc:  # noqa: BLE001 - any failure ends the job as failed, with the reason
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        progress=100,
        file=job.file.name,
        checks=checks or {},
        finished_at=timezone.now(),
    )
    return ExportJob.objects.get(pk=job.pk)
