"""The auditors' room: ask for the funding workbook of one or more calls, watch it being built,
download it (only the person who asked, for 24 hours)."""

from functools import wraps

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.identities import REVIEWER, shown_as
from competitions.models import Call
from config.krds import KRDSFormMixin

from .exports import may_export, request_export
from .models import ExportJob

LATEST_JOBS = 20


def exporters_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if not may_export(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class ExportForm(KRDSFormMixin, forms.Form):
    calls = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Calls"), queryset=Call.objects.public(), widget=forms.CheckboxSelectMultiple
    )
    lang = forms.ChoiceField(
        label=gettext_lazy("Headers"), choices=[("en", "English"), ("ko", "한국어")], initial="en"
    )


@exporters_only
def exports(request):
    """The auditors' room: every call with its export buttons, a workbook of several calls, and
    the latest workbooks (anyone's: status, who and when; the file only for its requester)."""
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = request_export(request.user, form.cleaned_data["calls"], form.cleaned_data["lang"])
        return redirect("audit:job", token=job.token)
    now = timezone.now()
    jobs = list(
        ExportJob.objects.select_related(f"requested_by__{REVIEWER}").prefetch_related("calls")[:LATEST_JOBS]
    )
    for each in jobs:  # who asked, as the reader may know them: a reviewer only by the code
        each.requester = shown_as(each.requested_by, request.user)
    return render(
        request,
        "audit/exports.html",
        {
            "form": form,
            "calls": Call.objects.public()
            .annotate(application_count=Count("applications"))
            .order_by("-opens_at"),
            "jobs": [(job, job.downloadable_by(request.user, now)) for job in jobs],
        },
    )


def _my_job(request, token):
    job = get_object_or_404(ExportJob.objects.prefetch_related("calls"), token=token)
    if job.requested_by_id != request.user.pk:
        raise Http404
    return job


@exporters_only
def job(request, token):
    return render(request, "audit/job.html", {"job": _my_job(request, token)})


@exporters_only
def download(request, token):
    job = _my_job(request, token)
    if not job.downloadable_by(request.user):
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])
