"""The progress page of a staff import running in the background (competitions.import_jobs):
only its requester sees it, and only while they may still import into that list. A big file's
preview is shown there, with the Confirm button that sends it on to be written."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from . import import_jobs
from .lifecycle import TransitionRefused
from .models import ImportJob
from .refusals import show_refusal


def _own_job(request, token):
    job = get_object_or_404(ImportJob.objects.select_related("content_type"), token=token)
    if not import_jobs.may_import(request.user, job.model):
        raise PermissionDenied
    if job.requested_by_id != request.user.pk:
        raise Http404
    return job


@login_required
def confirm_import(request, token):
    """The preview's Confirm button: the checked file is queued to be written (a second click
    changes nothing) and the staff member stays on the progress page; an expired preview is
    refused with the reason."""
    job = _own_job(request, token)  # the permission first: a GET by anyone else is refused, not 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        import_jobs.confirm(job, request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
    return redirect("competitions:import_job", token=job.token)


@login_required
def import_job(request, token):
    job = _own_job(request, token)
    opts = job.model._meta
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
            "confirm_url": reverse("competitions:import_job_confirm", args=[job.token]),
            "shown_rows": len(job.preview.get("rows", ())),
        },
    )
