"""A copied call takes its evaluation configuration along (competitions.call_copy sends
``call_copied`` inside its transaction): the plan with its settings, its stages, its criteria (a
stage's criteria stay with the copy of their stage) and its bonus rules. Not copied: panels and
reviewers, assignments, reviews, schedules, runs and every outcome, which belong to the earlier
call's evaluation. The review due date is cleared: the new call sets its own."""

from django.dispatch import receiver

from competitions.call_copy import clone
from competitions.signals import call_copied

from .models import BonusRule, Criterion, EvaluationPlan, Stage


@receiver(call_copied, dispatch_uid="evaluation.copy_evaluation_plan")
def copy_evaluation_plan(sender, source, copy, **kwargs):
    plan = EvaluationPlan.objects.filter(call=source).first()
    if plan is None:
        return None
    new_plan = clone(plan, call=copy, review_due_at=None)
    new_plan.save()
    stages = {}
    for stage in Stage.objects.filter(plan=plan).order_by("position", "pk"):
        stages[stage.pk] = clone(stage, plan=new_plan)
        stages[stage.pk].save()
    for criterion in Criterion.objects.filter(plan=plan):
        clone(criterion, plan=new_plan, stage=stages.get(criterion.stage_id)).save()
    for bonus in BonusRule.objects.filter(plan=plan):
        clone(bonus, plan=new_plan).save()
    return new_plan
