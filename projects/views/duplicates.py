"""Staff: run the duplicate-funding check on one application, clear a finding with a reason or
reject the application citing it (projects.duplicates does the work)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.lifecycle import TransitionRefused
from competitions.refusals import show_refusal

from .. import duplicates
from ..models import Application, DuplicateFinding
from .staff import staff_only


@staff_only
@require_POST
def run_check(request, pk):
    application = get_object_or_404(Application, pk=pk)
    try:
        new = duplicates.run_check(application, by=request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(
            request, _("Duplicate-funding check run: %(count)d new finding(s).") % {"count": len(new)}
        )
    return redirect(f"{_page(pk)}#duplicates")


@staff_only
@require_POST
def decide_finding(request, pk):
    finding = get_object_or_404(DuplicateFinding, pk=pk)
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    try:
        if action == "clear":
            duplicates.clear_finding(finding, by=request.user, reason=reason)
            messages.success(request, _("Finding cleared."))
        elif action == "reject":
            duplicates.reject_with_finding(finding, by=request.user, reason=reason)
            messages.success(request, _("The application was rejected as ineligible, citing the finding."))
        else:
            messages.error(request, _("Choose to clear the finding or to reject the application."))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    return redirect(f"{_page(finding.application_id)}#duplicates")


def _page(pk):
    from django.urls import reverse

    return reverse("projects:staff_application", args=[pk])
