"""The reviewer pool: staff invite external reviewers by e-mail, one by one or from a
spreadsheet, and the person sets a password through the link in the invitation.

The link is signed (django.core.signing, salted for this use) and carries the invitation and
how many times it was sent; it expires after INVITATION_VALID_FOR, works once (the invitation
records when it was accepted) and is replaced when staff send the invitation again. A person
who already has an account is not sent a link: they get the reviewer role, a Reviewer record
with a fresh pseudonymous code, and an e-mail saying so. Every invitation is kept: who invited
whom, when, how often it was sent, when it was accepted."""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, group_for, has_role
from competitions.lifecycle import TransitionRefused
from projects.outbox import queue_email, tell

from .models import Reviewer, ReviewerInvitation

INVITATION_SALT = "gongmo.evaluation.reviewer-invitation"
INVITATION_VALID_FOR = timedelta(days=7)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


@dataclass
class Invitee:
    """A person staff invite: the name, e-mail address, affiliation (an Organisation or None)
    and fields of expertise (TechnologyFields)."""

    name: str
    email: str
    affiliation: object = None
    expertise: list = field(default_factory=list)


def _require_staff(user):
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff manage the reviewer pool."))


def new_reviewer_code():
    """A fresh pseudonymous code (R + 6 characters), random so that it tells nothing of the
    person or of the order in which reviewers joined."""
    while True:
        code = "R" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not Reviewer.objects.filter(code=code).exists():
            return code


def token_for(invitation):
    return signing.dumps({"i": invitation.pk, "n": invitation.sends}, salt=INVITATION_SALT)


def _link(invitation, site):
    return site.rstrip("/") + reverse("evaluation:invitation_accept", args=[token_for(invitation)])


def _send_invitation(invitation, site):
    valid_until = timezone.localtime(invitation.last_sent_at + INVITATION_VALID_FOR)
    queue_email(
        invitation.email,
        _("Invitation to review for the ministry's grant competitions"),
        _(
            "You are invited to join the ministry's pool of reviewers on Gongmo.\n\n"
            "Choose your password here (the link works once, until %(until)s):\n%(link)s\n\n"
            "You will then see the applications assigned to you."
        )
        % {"link": _link(invitation, site), "until": valid_until.strftime("%Y-%m-%d %H:%M")},
    )


def refusals_for(invitee):
    """Why ``invitee`` cannot be invited (an empty list when they can)."""
    reasons = []
    email = (invitee.email or "").strip().lower()
    if not (invitee.name or "").strip():
        reasons.append(_("Enter the person's name."))
    try:
        validate_email(email)
    except ValidationError:
        reasons.append(_("Enter a valid e-mail address."))
    else:
        existing = Reviewer.objects.filter(user__email__iexact=email).first()
        if existing is not None:
            reasons.append(
                _("%(email)s is already in the reviewer pool (%(code)s).")
                % {"email": email, "code": existing.code}
            )
    return reasons


def invite_reviewer(invitee, *, by, site, now=None):
    """Invite one person (see the module's docstring). Returns the ReviewerInvitation.
    Refused (TransitionRefused, nothing written) with the reasons of ``refusals_for``."""
    _require_staff(by)
    now = now or timezone.now()
    email = invitee.email.strip().lower()
    with transaction.atomic():
        if reasons := refusals_for(invitee):
            raise TransitionRefused(reasons)
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        existing_account = user is not None
        if not existing_account:
            user = User(email=email, first_name=invitee.name.strip()[:150])
            user.set_unusable_password()
            user.save()
        user.groups.add(group_for(Role.REVIEWER))
        reviewer = Reviewer.objects.create(
            user=user, affiliation=invitee.affiliation, code=new_reviewer_code()
        )
        reviewer.expertise.set(invitee.expertise)
        invitation = ReviewerInvitation.objects.create(
            reviewer=reviewer,
            email=email,
            invited_by=by,
            invited_at=now,
            last_sent_at=now,
            last_sent_by=by,
            # An account of their own already has a password: nothing to accept.
            accepted_at=now if existing_account else None,
        )
        if existing_account:  # written in the language of their account page
            tell(
                [user],
                lambda: (
                    _("You are now a reviewer on Gongmo"),
                    _(
                        "The ministry added you to its pool of reviewers. Log in as usual: "
                        "your reviews are under My reviews (%(link)s)."
                    )
                    % {"link": site.rstrip("/") + reverse("evaluation:my_reviews")},
                ),
            )
        else:
            _send_invitation(invitation, site)
    return invitation


def invite_many(invitees, *, by, site):
    """Invite everyone in ``invitees`` in one transaction: all or none."""
    with transaction.atomic():
        return [invite_reviewer(invitee, by=by, site=site) for invitee in invitees]


def resend_invitation(invitation, *, by, site, now=None):
    """Send the invitation again with a new link; the links sent before stop working."""
    _require_staff(by)
    with transaction.atomic():
        invitation = ReviewerInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise TransitionRefused(
                [_("%(email)s has already accepted the invitation.") % {"email": invitation.email}]
            )
        invitation.sends += 1
        invitation.last_sent_at = now or timezone.now()
        invitation.last_sent_by = by
        invitation.save(update_fields=["sends", "last_sent_at", "last_sent_by"])
        _send_invitation(invitation, site)
    return invitation


def invitation_for(token, *, now=None):
    """The invitation a link points to, or TransitionRefused saying plainly why the link does
    not work: expired, not valid, already used, or replaced by a newer one."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_VALID_FOR)
    except signing.SignatureExpired:
        raise TransitionRefused(
            [_("This invitation link has expired. Ask the ministry to send you a new one.")]
        ) from None
    except signing.BadSignature:
        raise TransitionRefused(
            [_("This invitation link is not valid. Check that you copied the whole address from the e-mail.")]
        ) from None
    invitation = (
        ReviewerInvitation.objects.select_related("reviewer__user").filter(pk=data.get("i")).first()
        if isinstance(data, dict)
        else None
    )
    if invitation is None:
        raise TransitionRefused(
            [_("This invitation link is not valid. Check that you copied the whole address from the e-mail.")]
        )
    if invitation.accepted_at is not None:
        raise TransitionRefused(
            [_("This invitation link has already been used. Log in with the password you chose.")]
        )
    if data.get("n") != invitation.sends:
        raise TransitionRefused([_("A newer invitation was sent to you: use the link in the latest e-mail.")])
    return invitation


def accept_invitation(token, *, password, viewer=None, now=None):
    """The invited person sets their password through the link (once). Refused when the link
    does not work (``invitation_for``), when someone else is logged in, or when the password is
    too weak (the configured validators). Returns the user, who may now log in."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = ReviewerInvitation.objects.select_for_update().get(pk=invitation_for(token, now=now).pk)
        # Checked again under the lock: used in another tab, or sent again, a moment ago.
        invitation = invitation_for(token, now=now)
        user = User.objects.select_for_update().get(pk=invitation.reviewer.user_id)
        if viewer is not None and viewer.is_authenticated and viewer.pk != user.pk:
            raise TransitionRefused(
                [_("This invitation is for someone else. Log out first, then open the link again.")]
            )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise TransitionRefused(exc.messages) from None
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        invitation.accepted_at = now
        invitation.save(update_fields=["accepted_at"])
    return user
