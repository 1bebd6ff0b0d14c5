"""Objections (DESIGN.md §3): filed within the window after notification, decided by staff;
an upheld objection sends the application to a re-review by reviewers other than the
original ones (then selection is run again), or back to eligibility review."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.formatting import format_seoul
from competitions.lifecycle import TransitionRefused
from projects import workflow
from projects.models import Application, ApplicationState
from projects.models.application import OBJECTION_WINDOW, OBJECTIONABLE_STATES

from .models import Objection
from .review_rounds import supersede_round
from .reviewing import _top_up
from .score_sheets import mark_stale


def objection_deadline(application):
    return application.notified_at + OBJECTION_WINDOW if application.notified_at else None


def file_objection(application, *, by, grounds, now=None):
    if not by.has_perm("projects.change_application", application):
        raise PermissionDenied(_("You may not object for this application."))
    now = now or timezone.now()
    grounds = (grounds or "").strip()
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state not in OBJECTIONABLE_STATES:
            raise TransitionRefused(
                [_("An objection can be filed only against a “not selected” or “not eligible” outcome.")]
            )
        deadline = objection_deadline(locked)
        if deadline is None or now > deadline:
            raise TransitionRefused(
                [
                    _("The objection period ended at %(deadline)s.")
                    % {"deadline": format_seoul(deadline) if deadline else "—"}
                ]
            )
        if locked.objections.filter(state=Objection.State.FILED).exists():
            raise TransitionRefused([_("An objection to this outcome is already being decided.")])
        if not grounds:
            raise TransitionRefused([_("State the grounds of the objection.")])
        return Objection.objects.create(
            application=locked, outcome=locked.state, grounds=grounds, filed_by=by
        )


def decide_objection(objection, *, by, uphold, decision, seed=0):
    """Uphold (re-review or eligibility again) or dismiss, with a written decision."""
    if not has_role(by, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff decide objections."))
    decision = (decision or "").strip()
    if not decision:
        raise TransitionRefused([_("Write the decision; the applicant reads it.")])
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update().select_related("application__call").get(pk=objection.pk)
        )
        if objection.state != Objection.State.FILED:
            raise TransitionRefused([_("This objection has already been decided.")])
        objection.state = Objection.State.UPHELD if uphold else Objection.State.DISMISSED
        objection.decision, objection.decided_by, objection.decided_at = decision, by, timezone.now()
        objection.save()
        application = objection.application
        if uphold and application.state == ApplicationState.INELIGIBLE:
            workflow.bulk_transition([application.pk], "reconsider_eligibility", by=by, description=decision)
        elif uphold:
            # The current round is superseded (its reviews stay on record but no longer count,
            # and its reviewers step aside for good); the next round's reviewers are assigned.
            workflow.bulk_transition([application.pk], "reopen_review", by=by, description=decision)
            supersede_round(application.pk)
            mark_stale([application.pk])  # written again when the re-review completes
            _top_up(Application.objects.select_related("call").get(pk=application.pk), by=by, seed=seed)
    return objection
