"""The staff page of a call's evaluation stages: configure them (add a stage, its criteria, how
the final score is formed) before reviewers are assigned; then each stage with its settings and
progress, and its advancement run to record and confirm (like the selection page). Thin:
evaluation.stage_config and evaluation.stage_runs do the work."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from competitions.refusals import show_refusal
from config.krds import KRDSFormMixin
from projects.models import ApplicationState
from projects.views.staff import staff_only

from . import stage_config, stage_runs
from .models import AdvancementRun, Assignment, Criterion, EvaluationPlan, Stage
from .models.plan import FinalScore
from .stages import margin_text

RESULTS_SHOWN = 50


class StageForm(KRDSFormMixin, forms.ModelForm):
    prefix = "stage"

    class Meta:
        model = Stage
        fields = [
            "kind",
            "name",
            "name_ko",
            "weight",
            "reviews_per_application",
            "minimum_reviews",
            "cutoff",
            "advancement",
            "advance_count",
            "advance_multiple",
            "blind",
        ]


class CriterionForm(KRDSFormMixin, forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["name", "name_ko", "max_points"]


class FinalScoreForm(KRDSFormMixin, forms.ModelForm):
    prefix = "plan"

    class Meta:
        model = EvaluationPlan
        fields = ["final_score"]


@staff_only
def stages(request, slug):
    call = get_object_or_404(Call, slug=slug)
    forms_shown = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("add_stage", "add_criterion", "final_score"):
                done, forms_shown = _configure(request, call, action)
                if done:
                    messages.success(request, done)
                    return redirect("evaluation:stages", slug=slug)
            elif action == "confirm":
                run = get_object_or_404(
                    AdvancementRun, pk=_number(request.POST.get("run")), stage__plan__call=call
                )
                stage_runs.confirm_advancement(run, by=request.user)
                messages.success(
                    request,
                    _("Advancement run #%(number)d confirmed; applications moved on.")
                    % {"number": run.number},
                )
                return redirect("evaluation:stages", slug=slug)
            else:
                stage = get_object_or_404(Stage, pk=_number(request.POST.get("stage")), plan__call=call)
                run = stage_runs.record_advancement(stage, by=request.user)
                messages.success(
                    request,
                    _("Advancement run #%(number)d recorded. Check it, then confirm.")
                    % {"number": run.number},
                )
                return redirect("evaluation:stages", slug=slug)
        except TransitionRefused as exc:
            show_refusal(request, exc)
            return redirect("evaluation:stages", slug=slug)
    return _page(request, call, forms_shown)


def _configure(request, call, action):
    """Runs one configuration action; returns (success message or None, the forms to show again)."""
    if action == "add_stage":
        form = StageForm(request.POST)
        if form.is_valid() and _done(request, stage_config.add_stage, call, form.save(commit=False)):
            stage = form.instance
            return _("Stage %(position)d, %(name)s, added.") % {
                "position": stage.position,
                "name": stage,
            }, {}
        return None, {"stage_form": form}
    if action == "add_criterion":
        stage = get_object_or_404(Stage, pk=_number(request.POST.get("stage")), plan__call=call)
        form = CriterionForm(request.POST, prefix=f"criterion-{stage.pk}")
        if form.is_valid() and _done(request, stage_config.add_criterion, stage, form.save(commit=False)):
            criterion = form.instance
            return _("Criterion %(name)s added to %(stage)s.") % {"name": criterion, "stage": stage}, {}
        return None, {"criterion_forms": {stage.pk: form}}
    plan, _created = EvaluationPlan.objects.get_or_create(call=call)
    form = FinalScoreForm(request.POST, instance=plan)
    if form.is_valid() and _done(
        request, stage_config.set_final_score, call, form.cleaned_data["final_score"]
    ):
        return _("The final score is now: %(rule)s.") % {
            "rule": FinalScore(form.cleaned_data["final_score"]).label
        }, {}
    return None, {"final_score_form": form}


def _done(request, change, *args):
    """Runs a configuration change; a refusal is shown and the form keeps what was typed."""
    try:
        change(*args, by=request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
        return False
    return True


def _page(request, call, forms_shown):
    plan, _created = EvaluationPlan.objects.get_or_create(call=call)
    stage_list = list(Stage.objects.filter(plan=plan).order_by("position"))
    criteria = list(Criterion.objects.filter(plan=plan, stage__in=stage_list).order_by("position", "pk"))
    by_stage = {stage: [c for c in criteria if c.stage_id == stage.pk] for stage in stage_list}
    configurable = not Assignment.objects.filter(application__call=call).exists()
    progress = stage_runs.stage_progress(call, stage_list)
    criterion_forms = forms_shown.get("criterion_forms", {})
    rows = []
    for stage in stage_list:
        latest = stage.advancement_runs.order_by("-number").first()
        results = []
        if latest:
            results = [
                (result, margin_text(result))
                for result in latest.results.select_related("application__service_field")[:RESULTS_SHOWN]
            ]
        counts = progress[stage.pk]
        rows.append(
            {
                "stage": stage,
                "criteria": by_stage[stage],
                "points": plan.criteria_total(by_stage[stage]),
                "criterion_form": criterion_forms.get(stage.pk)
                or CriterionForm(prefix=f"criterion-{stage.pk}"),
                "under_review": counts[ApplicationState.UNDER_REVIEW],
                "scored": counts[ApplicationState.SCORED],
                "eliminated": counts[ApplicationState.ELIMINATED],
                "total": sum(counts.values()),
                "latest": latest,
                "results": results,
                "last": stage is stage_list[-1],
            }
        )
    return render(
        request,
        "evaluation/stages.html",
        {
            "call": call,
            "plan": plan,
            "rows": rows,
            "configurable": configurable,
            "problems": plan.stages_problems(stage_list, by_stage) if stage_list else [],
            "stage_form": forms_shown.get("stage_form") or StageForm(),
            "final_score_form": forms_shown.get("final_score_form") or FinalScoreForm(instance=plan),
        },
    )


def _number(raw):
    return int(raw) if (raw or "").isdigit() and len(raw) < 10 else 0
