"""Spending evidence and the applicant's changes to a spending report: the evidence opens only
through ``expenditure_evidence`` (staff, auditors and the lead's members; files live outside
the web root); a report not yet decided can be corrected (a new version) or withdrawn. Every
change goes through projects.spending."""

import os

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.refusals import show_refusal
from config.krds import KRDSFormMixin

from .. import spending
from ..documents import safe_filename, validate_document
from ..models import Expenditure


def _expenditure(pk):
    return get_object_or_404(Expenditure.objects.select_related("project__award__application__lead"), pk=pk)


@login_required
def expenditure_evidence(request, pk):
    """The evidence of one spending report (any version), for staff, auditors and the lead's
    members; 404 for anyone else."""
    expenditure = _expenditure(pk)
    application = expenditure.project.award.application
    allowed = has_role(request.user, Role.STAFF) or has_role(request.user, Role.AUDITOR)
    if not (allowed or request.user.has_perm("projects.view_application", application)):
        raise Http404
    if not expenditure.evidence:
        raise Http404
    try:
        handle = expenditure.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(expenditure.evidence.name))


def _for_lead(request, pk):
    """The expenditure, when the user may report spending for its project (404 otherwise)."""
    expenditure = _expenditure(pk)
    if not request.user.has_perm("projects.change_application", expenditure.project.award.application):
        raise Http404
    return expenditure


class CorrectionForm(KRDSFormMixin, forms.ModelForm):
    reason = forms.CharField(
        label=gettext_lazy("What the correction changes"), widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Expenditure
        fields = ["spent_on", "category", "share", "amount", "description", "evidence"]
        widgets = {
            "spent_on": forms.DateInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"evidence": gettext_lazy("Leave empty to keep the evidence already attached.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].required = False


@login_required
def expenditure_correct(request, pk):
    expenditure = _for_lead(request, pk)
    initial = {
        name: getattr(expenditure, name)
        for name in ("spent_on", "category", "share", "amount", "description")
    }
    form = CorrectionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        evidence = data["evidence"] or None
        try:
            if evidence is not None:
                validate_document(evidence, evidence.name, size=evidence.size)
                evidence.name = safe_filename(evidence.name)
            spending.correct_expenditure(
                expenditure,
                by=request.user,
                reason=data["reason"],
                spent_on=data["spent_on"],
                category=data["category"],
                share=data["share"],
                amount=data["amount"],
                description=data["description"],
                evidence=evidence,
            )
        except (ValidationError, TransitionRefused, PermissionDenied) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Spending report corrected; the original is kept."))
            return redirect("projects:my_project", pk=expenditure.project_id)
    return render(
        request,
        "projects/money/expenditure_correct.html",
        {"expenditure": expenditure, "form": form, "earlier": spending.versions(expenditure)},
    )


@login_required
@require_POST
def expenditure_withdraw(request, pk):
    expenditure = _for_lead(request, pk)
    try:
        spending.withdraw_expenditure(expenditure, by=request.user, reason=request.POST.get("reason", ""))
    except (TransitionRefused, PermissionDenied) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Spending report withdrawn; it stays on record."))
    return redirect("projects:my_project", pk=expenditure.project_id)
