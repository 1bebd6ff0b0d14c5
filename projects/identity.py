"""Who an organisation is and who speaks for it (DESIGN.md §3, "a registration number identifies
one organisation for ever"):

- a registration number is changed only by staff, with a reason, kept in the number records;
- local governments and public institutions are verified by staff before they lead or join;
- a consortium member joins only when one of its own members accepts;
- a person joins an organisation only by accepting an invitation.

Each function checks permission, locks the rows it changes inside a transaction, refuses with
reasons in the user's language (TransitionRefused, changing nothing) and records who and when.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused

from .models import (
    ConsortiumMember,
    ConsortiumMemberState,
    Membership,
    MembershipInvitation,
    Organisation,
    RegistrationNumberRecord,
)
from .models.organisation import number_taken_message
from .outbox import queue_email
from .registration_number import (
    format_registration_number,
    normalise_registration_number,
    validate_registration_number,
)

# --- Registration numbers ---------------------------------------------------------------------


def number_holder(number):
    """The organisation that holds or once held ``number`` (any format), or None."""
    digits = normalise_registration_number(number)
    record = RegistrationNumberRecord.objects.filter(number=digits).select_related("organisation").first()
    if record is not None:
        return record.organisation
    return Organisation.objects.filter(registration_number=digits).first()


def change_registration_number(organisation, new_number, *, by, reason):
    """Staff correct an organisation's number; the old one stays its own for ever."""
    if not by.has_perm("projects.change_registration_number", organisation):
        raise PermissionDenied(_("Only ministry staff change a business registration number."))
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused([_("Write why the business registration number changes.")])
    try:
        validate_registration_number(new_number)
    except ValidationError as error:
        raise TransitionRefused(error.messages) from error
    digits = normalise_registration_number(new_number)
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        old = locked.registration_number
        if digits == old:
            raise TransitionRefused([_("This is already the organisation's business registration number.")])
        # Organisations made in bulk (generated data) may lack the record of their first number.
        RegistrationNumberRecord.objects.get_or_create(number=old, defaults={"organisation": locked})
        holder = number_holder(digits)
        if holder is not None and holder.pk != locked.pk:
            raise TransitionRefused([number_taken_message()])
        try:
            with transaction.atomic():
                RegistrationNumberRecord.objects.create(
                    organisation=locked, number=digits, previous_number=old, reason=reason, recorded_by=by
                )
        except IntegrityError as error:  # the organisation's own earlier number, or a race
            raise TransitionRefused([number_taken_message()]) from error
        locked.registration_number = digits
        locked._number_change_allowed = True
        locked.save(update_fields=["registration_number"])
    return locked


def number_history(organisation):
    """The organisation's numbers, oldest first, each with who changed it, when and why."""
    return list(organisation.number_records.select_related("recorded_by").order_by("recorded_at", "pk"))


# --- Verification of public bodies ------------------------------------------------------------


def verification_refusal(organisation):
    """Why ``organisation`` may not lead or join an application yet (None when it may)."""
    if organisation.needs_verification:
        return _(
            "%(name)s is a %(kind)s not yet verified by the ministry; it can lead or join an application once verified."
        ) % {"name": organisation.name, "kind": organisation.get_kind_display().lower()}
    return None


def verify_organisation(organisation, *, by):
    """Staff confirm that a local government or public institution is who it says it is."""
    if not by.has_perm("projects.verify_organisation", organisation):
        raise PermissionDenied(_("Only ministry staff verify organisations."))
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if locked.verified_at is None:
            locked.verified_at = timezone.now()
            locked.verified_by = by
            locked.save(update_fields=["verified_at", "verified_by"])
    return locked


# --- Consortium membership --------------------------------------------------------------------


def consortium_requests(user):
    """Pending consortium places offered to organisations ``user`` belongs to."""
    return (
        ConsortiumMember.objects.filter(
            state=ConsortiumMemberState.PENDING, organisation__memberships__user=user
        )
        .select_related("organisation", "application__call", "application__lead")
        .order_by("pk")
    )


def consortium_places(user):
    """Every place still proposed (answered or not) to organisations ``user`` belongs to: what
    their people may answer. A place the lead withdrew is no longer theirs to see."""
    return ConsortiumMember.objects.live().filter(organisation__memberships__user=user).distinct()


def respond_to_consortium(member, *, by, accept, reason=""):
    """One of the member organisation's own people accepts or declines the place (logged)."""
    with transaction.atomic():
        locked = (
            ConsortiumMember.objects.select_for_update()
            .select_related("organisation", "application")
            .get(pk=member.pk)
        )
        if not Membership.objects.filter(user=by, organisation=locked.organisation).exists():
            raise PermissionDenied(
                _("Only a member of %(name)s answers for it.") % {"name": locked.organisation}
            )
        if not locked.is_live:
            raise TransitionRefused([_("The lead organisation withdrew this request.")])
        if locked.state != ConsortiumMemberState.PENDING:
            raise TransitionRefused(
                [_("This request was already answered: %(state)s.") % {"state": locked.get_state_display()}]
            )
        if locked.application.state != "draft":
            raise TransitionRefused([_("The application is no longer a draft; its consortium is settled.")])
        if accept:
            refusal = verification_refusal(locked.organisation)
            if refusal:
                raise TransitionRefused([refusal])
            locked.accept(by=by, description=reason or _("Joined the consortium."))
        else:
            locked.decline(by=by, description=reason or _("Declined to join the consortium."))
        locked.responded_by = by
        locked.responded_at = timezone.now()
        locked.save()
    return locked


def remove_consortium_member(member, *, by, reason="", now=None):
    """The lead takes a proposed member off its draft, before its deadline. Nothing is deleted:
    the member is withdrawn (logged: who, when, why) and counts for nothing from then on; the
    organisation may be proposed again. Returns the withdrawn member."""
    from .workflow import draft_change_refusal

    application = member.application
    if not by.has_perm("projects.change_application", application):
        raise PermissionDenied(_("Only the lead organisation's members change its consortium."))
    refusal = draft_change_refusal(application, now or timezone.now())
    if refusal:
        raise TransitionRefused([refusal])
    with transaction.atomic():
        locked = ConsortiumMember.objects.select_for_update().get(pk=member.pk)
        if not locked.is_live:
            raise TransitionRefused([_("This member was already taken off the consortium.")])
        locked.withdraw(by=by, description=(reason or "").strip() or _("Withdrawn by the lead organisation."))
        locked.save(update_fields=["state"])
    return locked


# --- People in organisations ------------------------------------------------------------------


def invitation_sent_message(email):
    # The same words whether the address belongs to an account, to no one, or to a member.
    return _(
        "An invitation was sent to %(email)s. The person becomes a member once they accept it, signed in with this address."
    ) % {"email": email}


def invite_member(organisation, email, *, by):
    """An owner invites an address. Nothing tells the owner whether the address is known."""
    if not by.has_perm("projects.change_organisation", organisation):
        raise PermissionDenied(_("Only an owner of the organisation invites members."))
    email = email.strip().lower()
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        already = (
            Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists()
            or MembershipInvitation.objects.filter(
                organisation=organisation, email__iexact=email, state=MembershipInvitation.State.PENDING
            ).exists()
        )
        if not already:
            MembershipInvitation.objects.create(organisation=organisation, email=email, invited_by=by)
            queue_email(
                email,
                _("Invitation to join %(name)s in Gongmo") % {"name": organisation.name},
                _(
                    "%(who)s invited you to join %(name)s (business registration number %(number)s) in Gongmo. Sign in (or sign up) with this address and accept the invitation on your page."
                )
                % {
                    "who": by.email,
                    "name": organisation.name,
                    "number": format_registration_number(organisation.registration_number),
                },
            )
    return invitation_sent_message(email)


def invitations_for(user):
    return MembershipInvitation.objects.filter(
        email__iexact=user.email, state=MembershipInvitation.State.PENDING
    ).select_related("organisation", "invited_by")


def respond_to_invitation(invitation, *, by, accept):
    """The invited person (signed in with the invited address) accepts or declines."""
    with transaction.atomic():
        locked = MembershipInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.email.lower() != (by.email or "").lower():
            raise PermissionDenied(_("This invitation is not addressed to you."))
        if locked.state != MembershipInvitation.State.PENDING:
            raise TransitionRefused([_("This invitation was already answered.")])
        locked.state = MembershipInvitation.State.ACCEPTED if accept else MembershipInvitation.State.DECLINED
        locked.responded_by = by
        locked.responded_at = timezone.now()
        locked.save(update_fields=["state", "responded_by", "responded_at"])
        if accept:
            Membership.objects.get_or_create(user=by, organisation=locked.organisation)
    return locked
