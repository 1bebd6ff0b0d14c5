"""Staff publish a call's results on its public page (evaluation.public_results does it)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.lifecycle import TransitionRefused
from competitions.models import Call, ResultsListing
from competitions.refusals import show_refusal
from competitions.results_page import latest_notice, public_fields
from projects.views.staff import staff_only

from . import public_results


class PublicResultsForm(forms.Form):
    listing = forms.ChoiceField(
        label=gettext_lazy("What the call's page lists"),
        choices=ResultsListing.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Scores and ranks are never shown to the public."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note shown with the results (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@staff_only
def public_results_page(request, slug):
    call = get_object_or_404(Call, slug=slug)
    form = PublicResultsForm(request.POST or None, initial={"listing": call.results_listing})
    if request.method == "POST" and form.is_valid():
        try:
            notice = public_results.publish_public_results(
                call, by=request.user, listing=form.cleaned_data["listing"], note=form.cleaned_data["note"]
            )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(
                request,
                _("Results published on the call's page (notice #%(number)d).") % {"number": notice.number},
            )
            return redirect("evaluation:public_results", slug=slug)
    notice = latest_notice(call)
    fields = list(call.service_fields.all())
    return render(
        request,
        "evaluation/public_results.html",
        {
            "call": call,
            "form": form,
            "blockers": public_results.publication_blockers(call),
            "notice": notice,
            "results": public_fields(notice, fields) if notice else [],
            "notices": call.results_notices.select_related("published_by"),
        },
    )
