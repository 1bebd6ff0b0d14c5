"""Staff pages of the Certification Index's versions: the list, copy as a new version, edit a
version not yet assessed against. Thin: the rules are in smartcity.certification_versions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.refusals import show_refusal
from projects.views.staff import staff_only

from . import certification, certification_versions
from .forms_certification import IndexEditForms
from .models import CertificationIndex


@staff_only
def index_list(request):
    """Every index: kind, name, total points, overall threshold, the rounds using it, frozen or
    not. A constant number of queries."""
    return render(
        request,
        "smartcity/certification/index_list.html",
        {"indexes": certification_versions.indexes_for_staff(), "menu": "certification"},
    )


@staff_only
@require_POST
def index_copy(request, pk):
    index = _index(pk)
    try:
        copy = certification_versions.copy_index(index, by=request.user)
    except (TransitionRefused, PermissionDenied) as exc:
        show_refusal(request, exc)
        return redirect("smartcity:certification_indexes")
    messages.success(request, _("A new version was made; edit it below."))
    return redirect("smartcity:certification_index_edit", pk=copy.pk)


@staff_only
def index_edit(request, pk):
    index = _index(pk, parts=True)
    frozen = certification_versions.is_frozen(index)
    if request.method == "POST" and frozen:
        try:
            certification_versions.ensure_editable(index)
        except TransitionRefused as exc:
            show_refusal(request, exc)  # the page then offers the copy
        return redirect("smartcity:certification_index_edit", pk=pk)
    edit = IndexEditForms(index, request.POST if request.method == "POST" else None)
    if request.method == "POST" and edit.is_valid():
        try:
            certification_versions.revise_index(index, by=request.user, **edit.values())
        except TransitionRefused as exc:
            edit.form.add_error(None, exc.reasons)
        else:
            messages.success(request, _("The index was saved."))
            return redirect("smartcity:certification_indexes")
    history = [
        (entry, certification.STEP_LABELS.get(entry.transition, entry.transition))
        for entry in StateLog.objects.for_(index).select_related("by").order_by("timestamp", "pk")
    ]
    return render(
        request,
        "smartcity/certification/index_edit.html",
        {
            "index": index,
            "frozen": frozen,
            "edit": edit,
            "form": edit.form,
            "category_forms": edit.categories,
            "item_forms": edit.items,
            "history": history,
            "menu": "certification",
        },
    )


def _index(pk, parts=False):
    try:
        return certification_versions.with_parts(pk) if parts else CertificationIndex.objects.get(pk=pk)
    except CertificationIndex.DoesNotExist:
        raise Http404 from None
