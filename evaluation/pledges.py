"""Before a reviewer scores (DESIGN.md §3, reviewers): they sign the integrity and
confidentiality pledge (청렴·보안 서약) once per call, before their first score in it, and declare,
for each application, that they have no conflict of interest with it (or declare one, and
recuse: ``reviewing.recuse``). ``save_review`` refuses any score without both, inside its
transaction (``refusals_before_scoring``)."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused

from .conflicts import is_conflicted
from .models import Assignment, NoConflictDeclaration, Pledge, PledgeText
from .reviewing import _own_assignment


def current_text():
    """The pledge's wording reviewers sign now: its latest version."""
    return PledgeText.objects.order_by("-version").first()


def has_signed(reviewer_id, call_id):
    return Pledge.objects.filter(reviewer_id=reviewer_id, call_id=call_id).exists()


def signed_pledge(reviewer_id, call_id):
    """The reviewer's signed pledge for the call, with its text, or None."""
    return Pledge.objects.filter(reviewer_id=reviewer_id, call_id=call_id).select_related("text").first()


def has_declared(assignment):
    return NoConflictDeclaration.objects.filter(assignment_id=assignment.pk).exists()


def refusals_before_scoring(assignment, call_id):
    """Why the reviewer of ``assignment`` may not score yet: the pledge for the call not signed,
    no declaration of no conflict for the application (an empty list when they may)."""
    reasons = []
    if not has_signed(assignment.reviewer_id, call_id):
        reasons.append(_("Sign the integrity and confidentiality pledge for this call before you score."))
    if not has_declared(assignment):
        reasons.append(
            _("Declare that you have no conflict of interest with this application before you score it.")
        )
    return reasons


def sign_pledge(assignment, *, by, agreed, name, ip_address=None, now=None):
    """The reviewer of ``assignment`` signs the current pledge for its call: ticked and signed
    with their name, stored with the time and IP address. Signing again changes nothing."""
    _own_assignment(assignment, by)
    name = (name or "").strip()
    reasons = []
    if not agreed:
        reasons.append(_("Tick the box to agree to the pledge."))
    if not name:
        reasons.append(_("Sign the pledge with your name."))
    if reasons:
        raise TransitionRefused(reasons)
    call_id = Assignment.objects.values_list("application__call_id", flat=True).get(pk=assignment.pk)
    existing = Pledge.objects.filter(reviewer_id=assignment.reviewer_id, call_id=call_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Pledge.objects.create(
                reviewer_id=assignment.reviewer_id,
                call_id=call_id,
                text=current_text(),
                signed_name=name[:200],
                signed_at=now or timezone.now(),
                ip_address=ip_address,
            )
    except IntegrityError:  # signed at the same moment in another tab
        return Pledge.objects.get(reviewer_id=assignment.reviewer_id, call_id=call_id)


def declare_no_conflict(assignment, *, by, ip_address=None, now=None):
    """The reviewer declares no conflict of interest with the assignment's application. Refused
    when the records show one (they must recuse) or the assignment is no longer theirs to score."""
    _own_assignment(assignment, by)
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("application__call", "reviewer")
            .get(pk=assignment.pk)
        )
        if assignment.state != Assignment.State.ACTIVE:
            raise TransitionRefused([_("This assignment is no longer yours to score.")])
        if is_conflicted(assignment.reviewer, assignment.application):
            raise TransitionRefused(
                [_("Our records show a conflict of interest with this application: recuse yourself instead.")]
            )
        declaration, _created = NoConflictDeclaration.objects.get_or_create(
            assignment=assignment,
            defaults={"declared_by": by, "declared_at": now or timezone.now(), "ip_address": ip_address},
        )
    return declaration


def signed_pledges(call):
    """The pledges signed for ``call``, for staff: who, which text, when, from where."""
    return Pledge.objects.filter(call=call).select_related("reviewer__user", "text").order_by("signed_at")
