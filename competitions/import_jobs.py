"""Big staff imports run in the background (issue 18), like the funding workbook's export.

A confirmed import whose file is above ``IMPORT_BACKGROUND_BYTES`` or has more than
``IMPORT_BACKGROUND_ROWS`` data rows becomes an ``ImportJob``: the file the preview stored
(through Django's storage API, so any worker can read it) is attached to the job, a Celery task
imports it (in process when no broker is configured) and the staff member watches a progress
page. Smaller imports are written in the request, as before.

Still all-or-nothing: the rows, the admin's history entries and the job's outcome are written in
one transaction; a bad row rolls every row back and the job records the rows' errors, in the
requester's language, with their numbers. Progress is reported through the cache, since the
rows being written are invisible to other connections until that transaction commits.

The preview (import-export's dry run) of a file above the same thresholds runs in the worker too:
the upload becomes a job in the ``previewing`` state, the worker checks every row and writes none
(the dry run's transaction is rolled back), and the job becomes ``previewed`` with the counts and
the first ``PREVIEW_ROWS_SHOWN`` rows of the diff, or ``failed`` with the bad rows. The staff
member's confirm on the progress page then queues the write above, on the same job.

A preview never confirmed expires ``IMPORT_PREVIEW_TTL_HOURS`` after it was made: the sweeper
(``expire_previews``, with the stale-job sweep) marks the job ``expired`` (kept, logged) and
deletes its stored upload, and deletes the upload of a small preview made in the request that
no job holds; confirming an expired preview is refused with the reason.
"""

import logging
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_fsm_log.models import StateLog
from import_export.resources import Diff
from import_export.results import RowResult

from .lifecycle import TransitionRefused
from .models import ImportJob
from .signals import import_finished

logger = logging.getLogger(__name__)

PROGRESS_EVERY_ROWS = 100
MAX_ERRORS_KEPT = 50
MAX_ATTEMPTS = 3
PREVIEW_ROWS_SHOWN = 100


def goes_to_background(storage, name):
    """Whether a stored import file is big enough to be imported by a worker."""
    with storage.open(name, "rb") as handle:
        return is_big(handle, storage.size(name))


def is_big(handle, size):
    """Whether an import file of ``size`` bytes is above either background threshold."""
    from .imports import data_rows_over

    if size > settings.IMPORT_BACKGROUND_BYTES:
        return True
    return data_rows_over(handle, settings.IMPORT_BACKGROUND_ROWS)


def start_preview(user, model, **file):
    """Record a big upload as a job to be checked by a worker (logged: who, when)."""
    from .tasks import run_preview

    return _queue_new_job(user, model, ImportJob.Status.PREVIEWING, "request_preview", run_preview, **file)


def confirm(job, user, *, now=None):
    """The staff member confirms a checked file: the same job is queued to be written. A second
    click, or a job not (or no longer) previewed, changes nothing. Returns whether it was queued.
    Refused (TransitionRefused, nothing queued) once the preview expired, the sweeper having
    passed or not (an overdue preview expires here)."""
    from .tasks import run_import

    now = now or timezone.now()
    expire_previews(now, among=ImportJob.objects.filter(pk=job.pk))
    with transaction.atomic():
        queued = (
            ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED)
            .exclude(_overdue_preview(now))
            .update(
                status=ImportJob.Status.PENDING,
                attempts=0,
                rows_done=0,
                started_at=None,
                queued_at=now,
            )
        )
        if queued:
            job.status = ImportJob.Status.PENDING
            _log(
                job, "confirm", ImportJob.Status.PREVIEWED, ImportJob.Status.PENDING, user, job.original_name
            )
            transaction.on_commit(lambda: run_import.delay(job.pk), robust=True)
    if not queued and ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.EXPIRED).exists():
        raise TransitionRefused([expired_message()])
    return bool(queued)


def expired_message():
    """Why an expired preview is not imported, in the active language."""
    hours = settings.IMPORT_PREVIEW_TTL_HOURS
    return ngettext(
        "This preview expired: it was not confirmed within %(hours)d hour, so nothing was imported "
        "and the uploaded file was deleted. Upload the file again.",
        "This preview expired: it was not confirmed within %(hours)d hours, so nothing was imported "
        "and the uploaded file was deleted. Upload the file again.",
        hours,
    ) % {"hours": hours}


def start_import(user, model, **file):
    """Record the job (logged: who, when) and queue its task after commit."""
    from .tasks import run_import

    return _queue_new_job(user, model, ImportJob.Status.PENDING, "request", run_import, **file)


def _queue_new_job(
    user, model, status, transition, task, *, stored_name, original_name, input_format, resource=""
):
    with transaction.atomic():
        job = ImportJob.objects.create(
            requested_by=user,
            content_type=ContentType.objects.get_for_model(model),
            file=stored_name,
            original_name=original_name[:300],
            input_format=str(input_format),
            resource=str(resource or ""),
            lang=translation.get_language() or settings.LANGUAGE_CODE,
            status=status,
        )
        _log(job, transition, "", status, user, original_name)
        transaction.on_commit(lambda: task.delay(job.pk), robust=True)
    return job


def progress_key(job):
    return f"gongmo-import-progress-{job.pk}"


def rows_done(job):
    """Rows the worker has gone through so far (the cache while it runs, else the job)."""
    if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.PREVIEWING):
        return cache.get(progress_key(job), job.rows_done)
    return job.rows_done


def percent(job):
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.PREVIEWED):
        return 100
    return min(99, int(100 * rows_done(job) / job.total_rows)) if job.total_rows else 0


def may_import(user, model):
    """The admin's own rule: the model's import permission (IMPORT_EXPORT_IMPORT_PERMISSION_CODE)."""
    model_admin = admin.site._registry.get(model)
    return (
        model_admin is not None
        and user.is_active
        and user.is_staff
        and model_admin.has_import_permission(SimpleNamespace(user=user))
    )


def run(job_id):
    """Import the job's file: all rows or none. Safe to run again (the task is redelivered when
    its worker dies, whose transaction then wrote nothing): a finished job is left alone, at most
    MAX_ATTEMPTS starts, and a job another worker is still importing is left to it (row lock)."""
    job = ImportJob.objects.select_related("requested_by", "content_type").get(pk=job_id)
    if job.status not in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING):
        return job
    live = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.PENDING, ImportJob.Status.RUNNING]
    )
    if not live.filter(attempts__lt=MAX_ATTEMPTS).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    ):
        job.status = ImportJob.Status.RUNNING
        with translation.override(job.lang):
            _finish_failed(
                job,
                [],
                _("The import was interrupted %(count)d times; nothing was imported.")
                % {"count": MAX_ATTEMPTS},
            )
        return ImportJob.objects.get(pk=job.pk)
    job.status = ImportJob.Status.RUNNING
    with translation.override(job.lang):
        try:
            _import(job)
        except ImportTakenElsewhere:
            return job
        except Exception as exc:  # noqa: BLE001 - an unreadable file or a crash ends the job, with the reason
            logger.exception("Import job %s failed", job.pk)
            _finish_failed(job, [], _("The file could not be imported: %(reason)s") % {"reason": exc})
    cache.delete(progress_key(job))
    return ImportJob.objects.get(pk=job.pk)


def run_preview(job_id):
    """Check every row of the job's file, writing none (the dry run is rolled back). Safe to run
    again: only a job still being checked is checked, at most MAX_ATTEMPTS starts, and a check
    that ends after the job moved on (a duplicate delivery) changes nothing."""
    job = ImportJob.objects.select_related("requested_by", "content_type").get(pk=job_id)
    if job.status != ImportJob.Status.PREVIEWING:
        return job
    if not ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.PREVIEWING, attempts__lt=MAX_ATTEMPTS
    ).update(started_at=timezone.now(), attempts=F("attempts") + 1):
        with translation.override(job.lang):
            _finish_failed(
                job,
                [],
                _("The check was interrupted %(count)d times; nothing was imported.")
                % {"count": MAX_ATTEMPTS},
            )
        return ImportJob.objects.get(pk=job.pk)
    with translation.override(job.lang):
        try:
            _preview(job)
        except Exception as exc:  # noqa: BLE001 - an unreadable file or a crash ends the job, with the reason
            logger.exception("Import preview %s failed", job.pk)
            _finish_failed(job, [], _("The file could not be checked: %(reason)s") % {"reason": exc})
    cache.delete(progress_key(job))
    return ImportJob.objects.get(pk=job.pk)


def _preview(job):
    user = job.requested_by
    if not may_import(user, job.model):
        _finish_failed(job, [], _("You may no longer import into this list."))
        return
    resource, dataset, _model_admin, _request = _load(job)
    shown = _keep_plain_diff(resource)
    result = resource.import_data(
        dataset,
        dry_run=True,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        file_name=job.original_name,
        user=user,
    )
    errors = row_errors(result)
    if errors:
        _finish_failed(
            job,
            errors,
            _("Nothing can be imported: %(count)d rows have errors. Correct them and import the file again.")
            % {"count": len(errors)},
        )
        return
    totals = {kind: result.totals[kind] for kind in RowResult.valid_import_types}
    headers = [_column_label(job.model, field) for field in resource.get_import_fields()]
    preview = {"totals": totals, "headers": headers, "rows": shown}
    if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWING).update(
        status=ImportJob.Status.PREVIEWED,
        preview=preview,
        rows_done=job.total_rows,
        previewed_at=timezone.now(),
    ):
        _log(job, "preview", ImportJob.Status.PREVIEWING, ImportJob.Status.PREVIEWED, user, _summary(totals))


def _column_label(model, field):
    """A column's heading in the requester's language: its model field's name, else the file's."""
    try:
        return capfirst(str(model._meta.get_field(field.attribute).verbose_name))
    except (FieldDoesNotExist, TypeError):
        return str(field.column_name)


class PlainDiff(Diff):
    """The row's fields before and after as plain text, escaped where shown (not import-export's
    ready-made HTML): [[before, after], ...], ``before`` empty for a new row."""

    def as_html(self):
        return [
            ["" if self.new else force_str(before), force_str(after)]
            for before, after in zip(self.left, self.right, strict=False)
        ]


def _keep_plain_diff(resource):
    """Keep the first PREVIEW_ROWS_SHOWN rows' diffs for the page and drop the others' as the
    dry run goes (a 20,000-row file's diffs are not held in memory)."""
    shown = []
    resource.get_diff_class = lambda: PlainDiff
    after_import_row = resource.after_import_row

    def keep(row, row_result, **kwargs):
        after_import_row(row, row_result, **kwargs)
        if len(shown) < PREVIEW_ROWS_SHOWN and row_result.diff is not None:
            shown.append(
                {"row": kwargs.get("row_number", 0), "type": row_result.import_type, "cells": row_result.diff}
            )
        row_result.diff = None

    resource.after_import_row = keep
    return shown


class ImportTakenElsewhere(Exception):
    """Another worker holds the job's row lock: it is importing this file now."""


def _load(job):
    """The job's file as a dataset and the model admin's import resource, as the admin builds
    them (its formats, encoding and resource kwargs), with progress counted in the cache."""
    model_admin = admin.site._registry[job.model]
    request = SimpleNamespace(user=job.requested_by)
    input_format = model_admin.get_import_formats()[int(job.input_format)](encoding=model_admin.from_encoding)
    with job.file.open("rb") as handle:
        data = handle.read()
    if not input_format.is_binary():
        data = data.decode(model_admin.from_encoding)
    dataset = input_format.create_dataset(data)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=len(dataset))
    job.total_rows = len(dataset)
    resource_class = model_admin.get_import_resource_classes(request)[int(job.resource or 0)]
    resource = resource_class(**model_admin.get_import_resource_kwargs(request))
    _report_progress(resource, job)
    return resource, dataset, model_admin, request


def _import(job):
    user, model = job.requested_by, job.model
    if not may_import(user, model):
        _finish_failed(job, [], _("You may no longer import into this list."))
        return
    resource, dataset, model_admin, request = _load(job)
    with transaction.atomic():
        try:  # held until the rows are written: a second delivery of the task steps aside
            ImportJob.objects.select_for_update(nowait=True).filter(pk=job.pk).get()
        except DatabaseError as exc:
            raise ImportTakenElsewhere from exc
        result = resource.import_data(
            dataset,
            dry_run=False,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            file_name=job.original_name,
            user=user,
            retain_instance_in_row_result=True,
        )
        errors = row_errors(result)
        if errors:
            transaction.set_rollback(True)
        else:
            model_admin.generate_log_entries(result, request)
            totals = {kind: result.totals[kind] for kind in RowResult.valid_import_types}
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.DONE,
                rows_done=job.total_rows,
                totals=totals,
                finished_at=timezone.now(),
            )
            _log(job, "finish", ImportJob.Status.RUNNING, ImportJob.Status.DONE, user, _summary(totals))
            import_finished.send(
                sender=model,
                model=model,
                by=user,
                file_name=job.original_name,
                totals=totals,
                request=None,
                job=job,
            )
            return
    _finish_failed(
        job, errors, _("Nothing was imported: %(count)d rows have errors.") % {"count": len(errors)}
    )


def _report_progress(resource, job):
    """Count the rows as the resource goes through them, every PROGRESS_EVERY_ROWS in the cache."""
    after_import_row = resource.after_import_row
    key = progress_key(job)

    def counted(row, row_result, **kwargs):
        after_import_row(row, row_result, **kwargs)
        number = kwargs.get("row_number", 0)
        if number % PROGRESS_EVERY_ROWS == 0:
            cache.set(key, number, timeout=24 * 3600)

    resource.after_import_row = counted


def row_errors(result):
    """Every failed row's number and message, in the active language, the first rows first."""
    errors = [
        {"row": number, "message": "; ".join(str(error.error) for error in row_errs)}
        for number, row_errs in result.row_errors()
    ]
    for invalid in result.invalid_rows:
        messages = [
            f"{field}: {message}" if field != "__all__" else message
            for field, field_messages in invalid.error_dict.items()
            for message in field_messages
        ]
        errors.append({"row": invalid.number, "message": "; ".join(messages)})
    errors += [{"row": 0, "message": str(error.error)} for error in result.base_errors]
    return sorted(errors, key=lambda error: error["row"])


def _finish_failed(job, errors, reason):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        errors=errors[:MAX_ERRORS_KEPT],
        error=reason[:2000],
        rows_done=0,
        finished_at=timezone.now(),
    )
    _log(job, "fail", job.status, ImportJob.Status.FAILED, job.requested_by, reason)


def _summary(totals):
    return _("%(new)d new, %(update)d updated, %(delete)d deleted, %(skip)d skipped") % {
        kind: totals.get(kind, 0) for kind in ("new", "update", "delete", "skip")
    }


def _log(job, transition, source, state, by, why):
    StateLog.objects.create(
        content_object=job, transition=transition, source_state=source, state=state, by=by, description=why
    )


def sweep_stale_jobs(now=None):
    """Beat, every 5 minutes: an import job no worker took within IMPORT_QUEUE_TIMEOUT_SECONDS, or
    one being checked or written for longer than IMPORT_STALE_AFTER_SECONDS (its worker died),
    becomes failed with the reason in the requester's language, logged with the system account.
    It wrote nothing (the write is one transaction). A write still going on holds the job's row
    lock and is passed over (SKIP LOCKED), as are jobs another sweep holds. Returns the job ids."""
    from accounts.system import system_user

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
    queued = now - timedelta(seconds=settings.IMPORT_QUEUE_TIMEOUT_SECONDS)
    waiting = Q(status__in=[ImportJob.Status.PREVIEWING, ImportJob.Status.PENDING], started_at__isnull=True)
    candidates = (waiting & Q(queued_at__lt=queued)) | Q(
        status__in=[ImportJob.Status.PREVIEWING, ImportJob.Status.PENDING, ImportJob.Status.RUNNING],
        started_at__lt=stale,
    )
    if not ImportJob.objects.filter(candidates).exists():
        return []
    system = system_user()
    swept = []
    with transaction.atomic():
        for job in ImportJob.objects.select_for_update(skip_locked=True).filter(candidates).order_by("pk"):
            with translation.override(job.lang):
                if job.started_at is None:
                    reason = _("No worker took the file; nothing was imported. Import the file again.")
                else:
                    reason = _(
                        "The worker stopped before it finished; nothing was imported. Import the file again."
                    )
            if ImportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=ImportJob.Status.FAILED, error=reason, rows_done=0, finished_at=now
            ):
                _log(job, "sweep_stale", job.status, ImportJob.Status.FAILED, system, reason)
                logger.warning("Import job %s marked failed: %s", job.pk, reason)
                swept.append(job.pk)
    return swept


def _overdue_preview(now):
    """The previews not confirmed within IMPORT_PREVIEW_TTL_HOURS of being made (a job from
    before previewed_at was kept is timed from its upload)."""
    cutoff = now - timedelta(hours=settings.IMPORT_PREVIEW_TTL_HOURS)
    return Q(status=ImportJob.Status.PREVIEWED) & (
        Q(previewed_at__lt=cutoff) | Q(previewed_at__isnull=True, created_at__lt=cutoff)
    )


def expire_previews(now=None, *, among=None):
    """Beat, with the stale-job sweep: a background preview never confirmed within
    IMPORT_PREVIEW_TTL_HOURS becomes expired, with the reason in the requester's language,
    logged with the system account (transition ``expire``); the job is kept, only its stored
    upload is deleted (through the storage API, once the change is committed). Then the uploads
    of small previews made in the request, never confirmed, that no job holds are deleted too.
    ``among``: only these jobs (a confirm checks its own), and no upload sweep. Returns the ids."""
    from accounts.system import system_user

    now = now or timezone.now()
    candidates = (among if among is not None else ImportJob.objects).filter(_overdue_preview(now))
    expired = []
    if candidates.exists():
        system = system_user()
        with transaction.atomic():
            for job in candidates.select_for_update(skip_locked=True).order_by("pk"):
                with translation.override(job.lang):
                    reason = expired_message()
                if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
                    status=ImportJob.Status.EXPIRED, error=reason, rows_done=0, finished_at=now
                ):
                    _log(job, "expire", ImportJob.Status.PREVIEWED, ImportJob.Status.EXPIRED, system, reason)
                    transaction.on_commit(
                        lambda name=job.file.name, storage=job.file.storage: _delete(storage, name)
                    )
                    expired.append(job.pk)
    if among is None:
        _delete_abandoned_uploads(now)
    return expired


def _delete(storage, name):
    if name and storage.exists(name):
        storage.delete(name)


def _delete_abandoned_uploads(now):
    """The uploads import-export stored for a preview made in the request (a small file) that
    was never confirmed: older than IMPORT_PREVIEW_TTL_HOURS and held by no job. A confirmed
    one was removed by import-export, or belongs to its job."""
    from import_export.tmp_storages import MediaStorage

    tmp = MediaStorage()
    storage, folder = tmp._storage, tmp.MEDIA_FOLDER or ""
    cutoff = now - timedelta(hours=settings.IMPORT_PREVIEW_TTL_HOURS)
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    names = [f"{folder}/{name}" if folder else name for name in files]
    held = set(ImportJob.objects.filter(file__in=names).values_list("file", flat=True))
    for name in names:
        if name not in held and storage.get_modified_time(name) < cutoff:
            storage.delete(name)
            logger.info("Deleted the upload of a preview never confirmed: %s", name)
