"""Applicant pages for organisations: register one, see its size class and why, invite members,
answer invitations and consortium requests (projects.identity does the work)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.lifecycle import TransitionRefused
from competitions.refusals import show_refusal

from .. import identity, parties
from ..forms import FiscalYearFormSet, InviteMemberForm, OrganisationForm
from ..models import AgreementParty, Membership, MembershipInvitation, Organisation


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
    form = InviteMemberForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            raise Http404
        if form.is_valid():
            # The same message whether or not the address belongs to an account.
            messages.success(
                request, identity.invite_member(organisation, form.cleaned_data["email"], by=request.user)
            )
            return redirect("projects:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "projects/organisation_detail.html",
        {
            "organisation": organisation,
            "years": organisation.fiscal_years.all(),
            "memberships": organisation.memberships.select_related("user"),
            "invitations": organisation.invitations.filter(state=MembershipInvitation.State.PENDING)
            if is_owner
            else [],
            "consortium_requests": identity.consortium_requests(request.user).filter(
                organisation=organisation
            ),
            "number_history": identity.number_history(organisation),
            "is_owner": is_owner,
            "form": form,
        },
    )


@login_required
def requests_page(request):
    """What waits for the user's answer: invitations to organisations (to the user's address)
    and consortium places offered to the organisations the user belongs to."""
    return render(
        request,
        "projects/requests.html",
        {
            "invitations": identity.invitations_for(request.user),
            "consortium_requests": identity.consortium_requests(request.user),
            "agreement_requests": parties.requests_for(request.user),
        },
    )


@login_required
@require_POST
def invitation_respond(request, pk):
    """The invited person accepts or declines; someone else's invitation is a 404."""
    invitation = get_object_or_404(MembershipInvitation, pk=pk, email__iexact=request.user.email)
    accept = request.POST.get("answer") == "accept"
    try:
        identity.respond_to_invitation(invitation, by=request.user, accept=accept)
    except (TransitionRefused, PermissionDenied) as exc:
        show_refusal(request, exc)
        return redirect("projects:requests")
    if accept:
        messages.success(request, _("You are now a member of %(name)s.") % {"name": invitation.organisation})
        return redirect("projects:organisation_detail", pk=invitation.organisation_id)
    messages.success(request, _("You declined the invitation."))
    return redirect("projects:requests")


@login_required
@require_POST
def consortium_respond(request, pk):
    """A member of the proposed organisation accepts or declines its place in a consortium."""
    member = get_object_or_404(identity.consortium_places(request.user), pk=pk)
    accept = request.POST.get("answer") == "accept"
    try:
        identity.respond_to_consortium(
            member, by=request.user, accept=accept, reason=request.POST.get("reason", "")
        )
    except (TransitionRefused, PermissionDenied) as exc:
        show_refusal(request, exc)
    else:
        if accept:
            messages.success(request, _("%(name)s joined the consortium.") % {"name": member.organisation})
        else:
            messages.success(request, _("%(name)s declined the consortium.") % {"name": member.organisation})
    return redirect("projects:organisation_detail", pk=member.organisation_id)


@login_required
@require_POST
def agreement_respond(request, pk):
    """A member of an organisation asked to join an agreement consents or declines; someone
    else's request is a 404."""
    party = get_object_or_404(
        AgreementParty.objects.filter(organisation__memberships__user=request.user).distinct(), pk=pk
    )
    accept = request.POST.get("answer") == "accept"
    try:
        parties.respond(party, by=request.user, accept=accept, reason=request.POST.get("reason", ""))
    except (TransitionRefused, PermissionDenied) as exc:
        show_refusal(request, exc)
    else:
        if accept:
            messages.success(
                request, _("%(name)s consented to join; staff approve the change.") % {"name": party.name}
            )
        else:
            messages.success(request, _("%(name)s declined to join the agreement.") % {"name": party.name})
    return redirect("projects:requests")
