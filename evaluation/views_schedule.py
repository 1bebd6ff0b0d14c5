"""Scheduling pages: the staff's schedule of a stage (slots in bulk, placement, reschedule,
no-shows, settings) and the applicant's change request. Thin: evaluation.scheduling decides."""

from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.formatting import SEOUL
from competitions.lifecycle import TransitionRefused
from competitions.refusals import show_refusal
from projects.views.staff import staff_only

from . import scheduling
from .models import ChangeRequest, NoShowConsequence, Panel, Slot, Stage, StageSchedule


def _number(raw):
    return int(raw) if (raw or "").isdigit() and len(raw) < 10 else 0


def _parse(kind, raw):
    try:
        return kind.fromisoformat((raw or "").strip())
    except ValueError:
        return None


@staff_only
def schedule(request, slug, pk):
    stage = get_object_or_404(Stage.objects.select_related("plan__call"), pk=pk, plan__call__slug=slug)
    typed = {}
    if request.method == "POST":
        try:
            _act(request, stage)
        except TransitionRefused as exc:
            show_refusal(request, exc)
            typed = request.POST  # the page again, each form keeping what was typed
        else:
            return redirect("evaluation:schedule", slug=slug, pk=pk)
    slots = list(
        Slot.objects.filter(stage=stage)
        .select_related("panel", "application")
        .order_by("starts_at", "panel", "pk")
    )
    requests = scheduling.change_requests_of(stage=stage)
    return render(
        request,
        "evaluation/schedule/staff.html",
        {
            "call": stage.plan.call,
            "stage": stage,
            "settings": scheduling.settings_of(stage),
            "consequences": NoShowConsequence.choices,
            "panels": list(Panel.objects.filter(stage=stage)),
            "slots": slots,
            "free": [s for s in slots if s.application_id is None],
            "requests": requests,
            "open_requests": sum(change.state == ChangeRequest.State.OPEN for change in requests),
            "typed": typed,
        },
    )


def _act(request, stage):
    action = request.POST.get("action")
    if action == "create":
        panel = get_object_or_404(Panel, pk=_number(request.POST.get("panel")), stage=stage)
        day, start, until = (
            _parse(date, request.POST.get("day")),
            _parse(time, request.POST.get("start")),
            _parse(time, request.POST.get("until")),
        )
        every, duration = _number(request.POST.get("every")), _number(request.POST.get("duration"))
        if not (day and start and until):
            raise TransitionRefused([_("Give the date (YYYY-MM-DD) and the times (HH:MM).")])
        created = scheduling.create_slots(
            panel,
            day=day,
            start=start,
            until=until,
            every=every,
            duration=duration,
            room=request.POST.get("room", "").strip()[:200],
            video_link=request.POST.get("video_link", "").strip()[:200],
            by=request.user,
        )
        messages.success(request, _("%(count)d slots created.") % {"count": len(created)})
    elif action == "place":
        placed = scheduling.place(stage, by=request.user, seed=_number(request.POST.get("seed")))
        messages.success(request, _("%(count)d applications placed and told.") % {"count": len(placed)})
    elif action == "reschedule":
        slot = get_object_or_404(Slot, pk=_number(request.POST.get("slot")), stage=stage)
        to_slot = get_object_or_404(Slot, pk=_number(request.POST.get("to_slot")), stage=stage)
        scheduling.reschedule(slot, to_slot, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Rescheduled; the applicant is told."))
    elif action == "decline":
        change = get_object_or_404(ChangeRequest, pk=_number(request.POST.get("request")), slot__stage=stage)
        scheduling.decline_change(change, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Request declined; the applicant is told why."))
    elif action == "no_show":
        slot = get_object_or_404(Slot, pk=_number(request.POST.get("slot")), stage=stage)
        scheduling.record_no_show(slot, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("No-show recorded; the applicant is told."))
    elif action == "settings":
        raw = request.POST.get("changes_until", "").strip()
        until = _parse(datetime, raw) if raw else None
        consequence = request.POST.get("no_show_consequence")
        if (raw and until is None) or consequence not in NoShowConsequence.values:
            raise TransitionRefused([_("Give the deadline as YYYY-MM-DD HH:MM and choose a consequence.")])
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=SEOUL)
        StageSchedule.objects.update_or_create(
            stage=stage, defaults={"changes_until": until, "no_show_consequence": consequence}
        )
        messages.success(request, _("Schedule settings saved."))
    else:
        raise TransitionRefused([_("Unknown action.")])


@login_required
@require_POST
def request_change(request, pk):
    """The applicant asks for another slot (only a member of the lead organisation may)."""
    slot = get_object_or_404(Slot.objects.select_related("application"), pk=pk, application__isnull=False)
    application = slot.application
    if not request.user.has_perm("projects.change_application", application):
        raise Http404
    try:
        scheduling.request_change(slot, by=request.user, reason=request.POST.get("reason", ""))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Your request was sent; the ministry will answer it."))
    return redirect("projects:application_detail", pk=application.pk)
