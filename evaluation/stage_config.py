"""Configuring a call's evaluation stages (DESIGN.md §3 "Stages"): staff add stages in order,
give each its own criteria, and say how the final score is formed.

The configuration is the evaluation's input, so it changes only before the first reviewer is
assigned in the call: after that a change would score reviews already written against rules
they were not written for. The first stage added takes over the criteria the plan had before it
had stages (the document review usually keeps the call's published criteria).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused

from .models import Assignment, Criterion, EvaluationPlan


def _require_staff(user):
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff configure the evaluation stages."))


def _locked_plan(call):
    """The call's plan, locked, while the configuration may still change."""
    plan, _created = EvaluationPlan.objects.get_or_create(call=call)
    plan = EvaluationPlan.objects.select_for_update().get(pk=plan.pk)
    if Assignment.objects.filter(application__call=call).exists():
        raise TransitionRefused(
            [_("Reviewers have been assigned in this call: its stages and criteria can no longer change.")]
        )
    return plan


def add_stage(call, stage, *, by):
    """Add ``stage`` (an unsaved, validated Stage) after the call's last one. Returns it saved."""
    _require_staff(by)
    with transaction.atomic():
        plan = _locked_plan(call)
        last = plan.stages.aggregate(last=Max("position"))["last"] or 0
        stage.plan = plan
        stage.position = last + 1
        stage.save()
        if last == 0:
            Criterion.objects.filter(plan=plan, stage=None).update(stage=stage)
    return stage


def add_criterion(stage, criterion, *, by):
    """Add ``criterion`` (unsaved, validated) at the end of the stage's criteria."""
    _require_staff(by)
    with transaction.atomic():
        plan = _locked_plan(stage.plan.call)
        last = Criterion.objects.filter(plan=plan, stage=stage).aggregate(last=Max("position"))["last"]
        criterion.plan = plan
        criterion.stage = stage
        criterion.position = 0 if last is None else last + 1
        criterion.save()
    return criterion


def set_final_score(call, final_score, *, by):
    """How the final score is formed: the weighted sum of the stage scores or the last stage's."""
    _require_staff(by)
    with transaction.atomic():
        plan = _locked_plan(call)
        plan.final_score = final_score
        plan.full_clean()
        plan.save(update_fields=["final_score"])
    return plan
