"""The one entry point for changing a Call's lifecycle state.

guard (permission, explained blockers) -> lock the row -> transition -> save -> log
(django-fsm-log records who, when, from, to and the reason given).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .formatting import format_seoul
from .models import Call, CallState

TRANSITIONS = ("publish", "start_evaluation", "publish_results", "close")


class TransitionRefused(Exception):
    """The transition is not allowed now; ``reasons`` says why, in the user's language."""

    def __init__(self, reasons):
        self.reasons = [str(reason) for reason in reasons]
        super().__init__("; ".join(self.reasons))


def transition_label(name):
    return {
        "publish": _("Publish"),
        "start_evaluation": _("Start evaluation"),
        "publish_results": _("Publish results"),
        "close": _("Close"),
    }.get(name, name)


def blockers_for(call, transition_name):
    """Why ``transition_name`` cannot run now (an empty list when it can)."""
    if transition_name not in TRANSITIONS:
        return [_("Unknown transition: %(name)s.") % {"name": transition_name}]
    method = getattr(call, transition_name)
    if can_proceed(method, check_conditions=False):
        explain = getattr(call, f"{transition_name}_blockers", None)
        reasons = list(explain()) if explain else []
        if reasons or can_proceed(method):
            return reasons
    return [
        _("A call that is “%(state)s” cannot “%(action)s”.")
        % {"state": call.get_state_display(), "action": transition_label(transition_name)}
    ]


def change_call_state(call, transition_name, *, by, reason=""):
    """Run a lifecycle transition as ``by``, record it, and return the updated call.

    Raises PermissionDenied or TransitionRefused; a refused transition leaves the call as it was.
    """
    if not by.has_perm("competitions.change_call"):
        raise PermissionDenied(_("You may not change the state of calls."))
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        reasons = blockers_for(locked, transition_name)
        if reasons:
            raise TransitionRefused(reasons)
        getattr(locked, transition_name)(by=by, description=reason or None)
        locked.save(update_fields=["state", "updated_at"])
    return locked


# Process gates (DESIGN.md §4): the call's states in which each step of the evaluation may run.
# Eligibility is decided and reviewers are assigned once reception has closed; a selection is
# recorded and published in evaluation, and again after results are published (a re-run after
# an upheld objection); agreements are signed once results are published.
STEP_STATES = {
    "eligibility": (CallState.EVALUATION,),
    # A correction request (보완 요청) is part of checking eligibility.
    "correction": (CallState.EVALUATION,),
    "assignment": (CallState.EVALUATION, CallState.RESULTS_PUBLISHED),
    "selection": (CallState.EVALUATION, CallState.RESULTS_PUBLISHED),
    "advancement": (CallState.EVALUATION,),
    "publication": (CallState.EVALUATION, CallState.RESULTS_PUBLISHED),
    "decline": (CallState.RESULTS_PUBLISHED,),
    "agreement": (CallState.RESULTS_PUBLISHED,),
}


def step_label(step):
    return {
        "eligibility": _("decide eligibility"),
        "correction": _("request a correction"),
        "assignment": _("assign reviewers"),
        "selection": _("record a selection run"),
        "advancement": _("decide who advances to the next stage"),
        "publication": _("publish results"),
        "decline": _("decline an award"),
        "agreement": _("sign an agreement"),
    }[step]


def require_call_state(call, step, *, by, now=None):
    """The call (locked) when its state allows ``step``; raises TransitionRefused otherwise.

    A published call whose reception has closed first moves into evaluation, logged as ``by``
    (the first step after reception closed moves it on). Call it inside the step's transaction:
    the call row stays locked until the step commits, and a refusal changes nothing.
    """
    locked = Call.objects.select_for_update().get(pk=call.pk)
    allowed = STEP_STATES[step]
    if locked.state == CallState.PUBLISHED and CallState.EVALUATION in allowed:
        blockers = locked.start_evaluation_blockers(now)
        if blockers:
            raise TransitionRefused(
                [
                    _("Reception is open until %(closes)s: staff can %(step)s only after it closes.")
                    % {"closes": format_seoul(locked.closes_at), "step": step_label(step)}
                ]
            )
        locked.start_evaluation(
            by=by,
            description=_("Reception closed; evaluation began when staff went on to %(step)s.")
            % {"step": step_label(step)},
        )
        locked.save(update_fields=["state", "updated_at"])
    if locked.state not in allowed:
        raise TransitionRefused(
            [
                _("This call is “%(state)s”: staff cannot %(step)s now.")
                % {"state": locked.get_state_display(), "step": step_label(step)}
            ]
        )
    return locked


def close_ended_receptions(now=None):
    """Move every published call whose reception window has ended into evaluation, as the
    system account, with the reason logged. Returns the slugs moved.

    Idempotent, and safe when two beats overlap: each call is claimed with a row lock that the
    other run skips (SKIP LOCKED on PostgreSQL), and a call already moved is no longer a
    candidate; change_call_state re-checks the state under the lock.
    """
    from accounts.system import system_user

    now = now or timezone.now()
    due = Call.objects.filter(state=CallState.PUBLISHED, closes_at__lt=now).order_by("closes_at", "pk")
    if not due.exists():
        return []
    system = system_user()
    moved = []
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            call = (
                Call.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=CallState.PUBLISHED, closes_at__lt=now)
                .first()
            )
            if call is None:  # moved meanwhile, or another run holds it
                continue
            reason = _("Reception closed automatically: the window ended at %(closes)s.") % {
                "closes": format_seoul(call.closes_at)
            }
            try:
                change_call_state(call, "start_evaluation", by=system, reason=reason)
            except TransitionRefused:
                continue
            moved.append(call.slug)
    return moved


def lock_draft_call(call, *, by, perm, not_allowed, frozen_refusal):
    """The call, row-locked, for a change of what was announced with it (its questions, its
    eligibility rules): refused when ``by`` lacks ``perm`` (``not_allowed``) or once the call is
    no longer a draft (``frozen_refusal(call)`` says why). Call it inside the write's
    transaction."""
    if not by.has_perm(perm):
        raise TransitionRefused([not_allowed])
    locked = Call.objects.select_for_update().get(pk=call.pk)
    refusal = frozen_refusal(locked)
    if refusal:
        raise TransitionRefused([refusal])
    return locked
