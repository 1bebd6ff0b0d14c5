"""The staff page of a call's evaluation stages: each stage with its settings and progress, and
its advancement run to record and confirm (like the selection page). Thin: evaluation.stage_runs
does the work."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from competitions.refusals import show_refusal
from projects.models import ApplicationState
from projects.views.staff import staff_only

from . import stage_runs
from .models import AdvancementRun, Stage
from .stages import margin_text

RESULTS_SHOWN = 50


@staff_only
def stages(request, slug):
    call = get_object_or_404(Call, slug=slug)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                run = get_object_or_404(
                    AdvancementRun, pk=_number(request.POST.get("run")), stage__plan__call=call
                )
                stage_runs.confirm_advancement(run, by=request.user)
                messages.success(
                    request,
                    _("Advancement run #%(number)d confirmed; applications moved on.")
                    % {"number": run.number},
                )
            else:
                stage = get_object_or_404(Stage, pk=_number(request.POST.get("stage")), plan__call=call)
                run = stage_runs.record_advancement(stage, by=request.user)
                messages.success(
                    request,
                    _("Advancement run #%(number)d recorded. Check it, then confirm.")
                    % {"number": run.number},
                )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        return redirect("evaluation:stages", slug=slug)
    stage_list = list(Stage.objects.filter(plan__call=call).order_by("position"))
    progress = stage_runs.stage_progress(call, stage_list)
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
                "under_review": counts[ApplicationState.UNDER_REVIEW],
                "scored": counts[ApplicationState.SCORED],
                "eliminated": counts[ApplicationState.ELIMINATED],
                "total": sum(counts.values()),
                "latest": latest,
                "results": results,
                "last": stage is stage_list[-1],
            }
        )
    return render(request, "evaluation/stages.html", {"call": call, "rows": rows})


def _number(raw):
    return int(raw) if (raw or "").isdigit() and len(raw) < 10 else 0
