"""Applicant pages for organisations: register one, see its size class and why, add members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from ..forms import AddMemberForm, FiscalYearFormSet, OrganisationForm
from ..models import Membership, Organisation


def organisation_for(user, pk, perm="projects.view_organisation"):
    """The organisation if ``user`` may see it; 404 otherwise (never reveal that it exists)."""
    organisation = get_object_or_404(Organisation.objects.select_related("region"), pk=pk)
    if not user.has_perm(perm, organisation):
        raise Http404
    return organisation


def _save_organisation(request, form, years, creating):
    with transaction.atomic():
        organisation = form.save()
        years.instance = organisation
        years.save()
        if creating:
            Membership.objects.create(
                user=request.user, organisation=organisation, role=Membership.Role.OWNER
            )
        try:
            organisation.refresh_size_class()
        except ValueError as exc:
            form.add_error(None, str(exc))
            transaction.set_rollback(True)
            return None
    return organisation


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    years = FiscalYearFormSet(request.POST or None, prefix="years")
    if request.method == "POST" and form.is_valid() and years.is_valid():
        organisation = _save_organisation(request, form, years, creating=True)
        if organisation:
            messages.success(
                request,
                _("Organisation registered. Size class: %(reason)s")
                % {"reason": organisation.size_class_reason},
            )
            return redirect("projects:organisation_detail", pk=organisation.pk)
    return render(
        request, "projects/organisation_form.html", {"form": form, "years": years, "creating": True}
    )


@login_required
def organisation_edit(request, pk):
    organisation = organisation_for(request.user, pk, "projects.change_organisation")
    form = OrganisationForm(request.POST or None, instance=organisation)
    years = FiscalYearFormSet(request.POST or None, instance=organisation, prefix="years")
    if (
        request.method == "POST"
        and form.is_valid()
        and years.is_valid()
        and _save_organisation(request, form, years, creating=False)
    ):
        messages.success(request, _("Organisation updated."))
        return redirect("projects:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "projects/organisation_form.html",
        {"form": form, "years": years, "organisation": organisation},
    )


@login_required
def organisation_detail(request, pk):
    organisation = organisation_for(request.user, pk)
    is_owner = request.user.has_perm("projects.change_organisation", organisation)
    form = AddMemberForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            raise Http404
        if form.is_valid():
            Membership.objects.get_or_create(user=form.user, organisation=organisation)
            messages.success(request, _("%(email)s is now a member.") % {"email": form.user.email})
            return redirect("projects:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "projects/organisation_detail.html",
        {
            "organisation": organisation,
            "years": organisation.fiscal_years.all(),
            "memberships": organisation.memberships.select_related("user"),
            "is_owner": is_owner,
            "form": form,
        },
    )
