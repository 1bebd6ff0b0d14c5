"""Staff spreadsheet imports (the admin's import-export buttons): the size and row limits.

An import file is refused, with the limit in plain words, before import-export reads it into
memory: above ``IMPORT_MAX_BYTES`` (10 MB), with more than ``IMPORT_MAX_ROWS`` data rows
(20,000), or (xlsx) a zip bomb, a workbook with macros or links outside it
(competitions.files.inspect_archive). A 3-million-row file used to hold a web worker for half a
minute and end in a 500; it is now refused in a second. Every admin with import-export buttons
derives from ``LimitedImportExportAdmin``. Imports stay all-or-nothing
(``IMPORT_EXPORT_USE_TRANSACTIONS``).

An upload above ``IMPORT_BACKGROUND_BYTES`` / ``IMPORT_BACKGROUND_ROWS`` is previewed by a worker
(competitions.import_jobs) and the staff member is sent to its progress page, which shows the
preview and its Confirm button; a confirmed import above them is written by a worker too.
"""

from itertools import islice

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ImportForm
from import_export.results import RowResult
from import_export.tmp_storages import MediaStorage
from openpyxl import load_workbook

from . import import_jobs
from .files import _ZIP_MAGIC, inspect_archive, safe_filename
from .models import ImportJob
from .signals import import_finished


def data_rows_over(upload, limit):
    """Whether the file has more than ``limit`` rows below its header, reading no further."""
    upload.seek(0)
    if upload.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC:
        upload.seek(0)
        book = load_workbook(upload, read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            return len(list(islice(rows, limit + 2))) > limit + 1
        finally:
            book.close()
    upload.seek(0)
    lines = 0
    while chunk := upload.read(1024 * 1024):
        lines += chunk.count(b"\n")
        if lines > limit + 1:
            return True
    return False


def check_import_file(upload):
    """Raise ValidationError if a staff import file is over a limit or dangerous."""
    name = safe_filename(upload.name)
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s MB, the most one import takes; split the file."),
            code="too_large",
            params={"name": name, "limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
        )
    upload.seek(0)
    if upload.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC:
        inspect_archive(upload, name, office=True)
    try:
        too_many = data_rows_over(upload, settings.IMPORT_MAX_ROWS)
    except Exception:  # openpyxl's assorted errors: import-export reports the unreadable file itself
        too_many = False
    finally:
        upload.seek(0)
    if too_many:
        raise ValidationError(
            _("%(name)s has more than %(limit)s rows, the most one import takes; split the file."),
            code="too_many_rows",
            params={"name": name, "limit": f"{settings.IMPORT_MAX_ROWS:,}"},
        )


class LimitedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        check_import_file(upload)
        return upload


class LimitedImportExportAdmin(ImportExportModelAdmin):
    import_form_class = LimitedImportForm

    def import_action(self, request, **kwargs):
        """The upload step: a big file is previewed by a worker, a small one here, as before."""
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            if form.is_valid() and issubclass(self.get_tmp_storage_class(), MediaStorage):
                upload = form.cleaned_data["import_file"]
                try:
                    big = import_jobs.is_big(upload, upload.size)
                except Exception:  # an unreadable file: import-export's own preview says so
                    big = False
                finally:
                    upload.seek(0)
                if big:
                    input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
                    stored = self.write_to_tmp_storage(upload, input_format)
                    job = import_jobs.start_preview(
                        request.user,
                        self.model,
                        stored_name=stored.get_full_path(),
                        original_name=upload.name,
                        input_format=form.cleaned_data["format"],
                        resource=form.cleaned_data.get("resource", ""),
                    )
                    return redirect("competitions:import_job", token=job.token)
        return super().import_action(request, **kwargs)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirm step: a big file goes to a worker, a small one is imported here."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if form.is_valid():
            stored = self.get_tmp_storage_class()(
                name=form.cleaned_data["import_file_name"], **self.get_tmp_storage_class_kwargs()
            )
            if isinstance(stored, MediaStorage):
                # A second click on "Confirm" finds the job the first one started.
                started = ImportJob.objects.filter(
                    file=stored.get_full_path(), requested_by=request.user
                ).first()
                if started is not None:
                    return redirect("competitions:import_job", token=started.token)
                if not stored._storage.exists(stored.get_full_path()):
                    messages.error(request, _("This preview is no longer available; upload the file again."))
                    return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
            if isinstance(stored, MediaStorage) and import_jobs.goes_to_background(
                stored._storage, stored.get_full_path()
            ):
                job = import_jobs.start_import(
                    request.user,
                    self.model,
                    stored_name=stored.get_full_path(),
                    original_name=form.cleaned_data["original_file_name"],
                    input_format=form.cleaned_data["format"],
                    resource=form.cleaned_data.get("resource", ""),
                )
                return redirect("competitions:import_job", token=job.token)
        return super().process_import(request, **kwargs)

    def process_result(self, result, request):
        """A small import, written in the request: told to the floors above like a big one."""
        import_finished.send(
            sender=self.model,
            model=self.model,
            by=request.user,
            file_name=request.POST.get("original_file_name", ""),
            totals={kind: result.totals[kind] for kind in sorted(RowResult.valid_import_types)},
            request=request,
            job=None,
        )
        return super().process_result(result, request)
