"""Performance indicators: an applicant records a report's results with evidence, the evidence is
served through a permission-checked view, and staff (and auditors) read a call's indicators
target against actual. The rules: projects.indicators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from competitions.refusals import show_refusal

from .. import indicators
from ..forms import ActualsForm
from ..models import IndicatorActual, Report
from .money import staff_or_auditor


@login_required
def report_results(request, pk):
    """The results of one report: per indicator, the actual and its evidence."""
    report = get_object_or_404(
        Report.objects.select_related("project__award__application__call", "phase"), pk=pk
    )
    application = report.project.award.application
    if not request.user.has_perm("projects.change_application", application):
        raise Http404
    if not indicators.reportable(report):
        messages.info(request, _("This report no longer takes results."))
        return redirect("projects:my_project", pk=report.project_id)
    form = ActualsForm(
        request.POST or None, request.FILES or None, indicators=indicators.current(application)
    )
    if request.method == "POST" and form.is_valid():
        try:
            indicators.record_actuals(report, form.entries, by=request.user)
        except (TransitionRefused, PermissionDenied) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Indicator results recorded."))
            return redirect("projects:my_project", pk=report.project_id)
    return render(
        request,
        "projects/indicators/report_results.html",
        {"report": report, "project": report.project, "form": form, "year": indicators.report_year(report)},
    )


@login_required
def evidence_download(request, pk):
    """An indicator result's evidence, for the lead's members, staff and auditors."""
    actual = get_object_or_404(IndicatorActual.objects.select_related("indicator__application"), pk=pk)
    allowed = has_role(request.user, Role.STAFF) or has_role(request.user, Role.AUDITOR)
    if not (allowed or request.user.has_perm("projects.view_application", actual.indicator.application)):
        raise Http404
    try:
        handle = actual.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=actual.original_name)


@staff_or_auditor
def call_indicators(request, slug):
    """Every project of a call with its indicators, target against actual per year."""
    call = get_object_or_404(Call, slug=slug)
    years, projects = indicators.call_table(call)
    return render(
        request,
        "projects/indicators/call_indicators.html",
        {"call": call, "years": years, "projects": projects},
    )
