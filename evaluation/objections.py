"""Objections (DESIGN.md §3): filed within the window after notification, decided by staff;
an upheld objection sends the application to a re-review by reviewers other than the
original ones (then selection is run again), back to eligibility review, or, against an
elimination at a stage, on to the next stage (``reinstate``: docs/rule-book.md "Objections")."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.formatting import format_seoul
from competitions.lifecycle import TransitionRefused, require_call_state
from competitions.models import Call
from projects import workflow
from projects.models import Application, ApplicationState
from projects.models.application import OBJECTION_WINDOW, OBJECTIONABLE_STATES

from .invariants import check_outcomes
from .models import AdvancementOutcome, AdvancementResult, Objection, Reinstatement, Stage
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
                [
                    _(
                        "An objection can be filed only against a “not selected”, “not eligible” or"
                        " “not advanced to the next stage” outcome."
                    )
                ]
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
    """Uphold (re-review, eligibility again, or on to the next stage) or dismiss, with a written
    decision."""
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
        if uphold and application.state == ApplicationState.ELIMINATED:
            reinstate(objection, by=by, seed=seed)
        elif uphold and application.state == ApplicationState.INELIGIBLE:
            workflow.bulk_transition([application.pk], "reconsider_eligibility", by=by, description=decision)
        elif uphold:
            # The current round is superseded (its reviews stay on record but no longer count,
            # and its reviewers step aside for good); the next round's reviewers are assigned.
            workflow.bulk_transition([application.pk], "reopen_review", by=by, description=decision)
            supersede_round(application.pk)
            mark_stale([application.pk])  # written again when the re-review completes
            _top_up(Application.objects.select_related("call").get(pk=application.pk), by=by, seed=seed)
    return objection


def reinstate(objection, *, by, seed=0):
    """An upheld objection to an elimination at a stage: the elimination was wrong, so the
    application goes on to the next stage's review as if it had advanced (DESIGN.md §3
    "Objections", docs/rule-book.md). Its result at the stage stays on record as it was (its
    stage score still counts in a weighted final score); a ``Reinstatement`` records the
    correction, the transition is logged with the decision, and the next stage's reviewers are
    assigned (by its panel; staff assign them otherwise). Refused when the next stage has
    already been decided by a confirmed advancement run: it would then join a stage whose
    ranking is over. The caller holds the objection's lock; the call's is taken here."""
    require_call_state(Call(pk=objection.application.call_id), "assignment", by=by)
    application = (
        Application.objects.select_for_update().select_related("call").get(pk=objection.application_id)
    )
    eliminated = (
        AdvancementResult.objects.filter(
            application=application, run__confirmed_at__isnull=False, outcome=AdvancementOutcome.ELIMINATED
        )
        .select_related("run__stage")
        .order_by("-run__stage__position", "-run__number")
        .first()
    )
    if eliminated is None:
        raise TransitionRefused([_("No confirmed advancement run eliminated this application.")])
    stage = eliminated.run.stage
    following = Stage.objects.filter(plan_id=stage.plan_id, position__gt=stage.position).order_by("position")
    next_stage = following.first()
    last = following.last()
    if next_stage != last and next_stage.advancement_runs.filter(confirmed_at__isnull=False).exists():
        raise TransitionRefused(
            [
                _(
                    "%(stage)s has already been decided by a confirmed advancement run; the application"
                    " cannot join it now."
                )
                % {"stage": next_stage}
            ]
        )
    Reinstatement.objects.create(objection=objection, application=application, stage=stage, created_by=by)
    workflow.bulk_transition(
        [application.pk],
        "reinstate",
        by=by,
        description=_("Objection upheld: goes on to %(stage)s. %(decision)s")
        % {"stage": next_stage, "decision": objection.decision},
    )
    _top_up(Application.objects.select_related("call").get(pk=application.pk), by=by, seed=seed)
    check_outcomes(application.call)
