"""The progress page of a staff import running in the background (competitions.import_jobs):
only its requester sees it, and only while they may still import into that list."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from . import import_jobs
from .models import ImportJob


@login_required
def import_job(request, token):
    job = get_object_or_404(ImportJob.objects.select_related("content_type"), token=token)
    model = job.model
    if not import_jobs.may_import(request.user, model):
        raise PermissionDenied
    if job.requested_by_id != request.user.pk:
        raise Http404
    opts = model._meta
    return render(
        request,
        "competitions/import_job.html",
        {
            "job": job,
            "list_name": opts.verbose_name_plural,
            "rows_done": import_jobs.rows_done(job),
            "percent": import_jobs.percent(job),
            "list_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            "import_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_import"),
        },
    )
