"""The funding workbook's schedule sheets (issue 14): every time slot of a call's scheduled
stages with the application it holds and any no-show with the consequence the stage's schedule
states, and the schedule's log (placements, change requests and their answers, reschedules with
their reasons, no-shows), so that an auditor replays the log and finds the slots as listed.

Slots are a few hundred per call: read with the ORM. Reviewers never appear by name: whoever
acted is shown by e-mail, or by the pseudonymous code when that person is a reviewer.
"""

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.identities import pseudonyms
from config.safe_cells import safe_text
from evaluation.models import NoShowConsequence, ScheduleEntry, Slot, StageSchedule

TEXT, NUMBER, DATETIME = "text", "number", "datetime"  # audit.funding_workbook's column kinds

SLOT_COLUMNS = (
    (gettext_lazy("Call"), TEXT, 18),
    (gettext_lazy("Stage"), NUMBER, 7),
    (gettext_lazy("Panel"), TEXT, 20),
    (gettext_lazy("Slot"), NUMBER, 8),
    (gettext_lazy("Starts at"), DATETIME, 17),
    (gettext_lazy("Minutes"), NUMBER, 8),
    (gettext_lazy("Room or link"), TEXT, 24),
    (gettext_lazy("Reference"), TEXT, 13),
    (gettext_lazy("No-show recorded"), DATETIME, 17),
    (gettext_lazy("No-show consequence"), TEXT, 12),
    (gettext_lazy("No-show note"), TEXT, 30),
)
LOG_COLUMNS = (
    (gettext_lazy("Call"), TEXT, 18),
    (gettext_lazy("Stage"), NUMBER, 7),
    (gettext_lazy("Entry"), NUMBER, 8),
    (gettext_lazy("At"), DATETIME, 17),
    (gettext_lazy("Event"), TEXT, 16),
    (gettext_lazy("Reference"), TEXT, 13),
    (gettext_lazy("From slot"), NUMBER, 8),
    (gettext_lazy("To slot"), NUMBER, 8),
    (gettext_lazy("Reason"), TEXT, 40),
    (gettext_lazy("Consequence"), TEXT, 12),
    (gettext_lazy("By"), TEXT, 26),
)


def _text(value):
    return safe_text(value) if value else None


def _consequences(call):
    """{stage id: the no-show consequence its schedule states (the default when none)}."""
    return dict(
        StageSchedule.objects.filter(stage__plan__call=call).values_list("stage_id", "no_show_consequence")
    )


def slot_rows(info, seoul):
    """The Slots sheet's rows of one call (``info``: audit.funding_workbook's call info)."""
    if not info.stages:
        return
    consequences = _consequences(info.call)
    slots = (
        Slot.objects.filter(stage__plan__call=info.call)
        .select_related("stage", "panel", "application")
        .order_by("stage__position", "starts_at", "panel_id", "pk")
    )
    for slot in slots:
        absent = slot.no_show_at is not None
        yield [
            info.slug,
            slot.stage.position,
            _text(slot.panel.name),
            slot.pk,
            seoul(slot.starts_at),
            slot.duration_minutes,
            _text(slot.room or slot.video_link),
            _text(slot.application.reference) if slot.application_id else None,
            seoul(slot.no_show_at) if absent else None,
            consequences.get(slot.stage_id, NoShowConsequence.ELIMINATE) if absent else None,
            _text(slot.no_show_reason),
        ]


def log_rows(info, seoul):
    """The Schedule log sheet's rows of one call, in the order they happened."""
    if not info.stages:
        return
    consequences = _consequences(info.call)
    entries = list(
        ScheduleEntry.objects.filter(stage__plan__call=info.call)
        .select_related("stage", "application", "by")
        .order_by("at", "pk")
    )
    codes = pseudonyms({entry.by_id for entry in entries})
    for entry in entries:
        no_show = entry.kind == ScheduleEntry.Kind.NO_SHOW
        yield [
            info.slug,
            entry.stage.position,
            entry.pk,
            seoul(entry.at),
            entry.kind,
            _text(entry.application.reference),
            entry.from_slot_id,
            entry.to_slot_id,
            _text(entry.reason),
            consequences.get(entry.stage_id, NoShowConsequence.ELIMINATE) if no_show else None,
            codes.get(entry.by_id) or (_text(entry.by.email) if entry.by_id else None),
        ]


def replay(entries):
    """{slot id: the application id holding it} after the log's placements and reschedules."""
    held = {}
    for kind, application_id, from_slot, to_slot in entries:
        if kind == ScheduleEntry.Kind.RESCHEDULED and held.get(from_slot) == application_id:
            del held[from_slot]
        if kind in (ScheduleEntry.Kind.PLACED, ScheduleEntry.Kind.RESCHEDULED):
            held[to_slot] = application_id
    return held


def schedule_checks(info):
    """(text, expected, actual) checks of one call: the slots held as the log replays them are
    the slots held, and every no-show in the log is a slot marked no-show."""
    if not info.stages:
        return []
    slots = {
        pk: (application_id, absent)
        for pk, application_id, absent in Slot.objects.filter(stage__plan__call=info.call).values_list(
            "pk", "application_id", "no_show_at"
        )
    }
    log = list(
        ScheduleEntry.objects.filter(stage__plan__call=info.call)
        .order_by("at", "pk")
        .values_list("kind", "application_id", "from_slot_id", "to_slot_id")
    )
    held = {pk: application_id for pk, (application_id, _absent) in slots.items() if application_id}
    replayed = replay(log)
    agreeing = sum(held.get(pk) == application_id for pk, application_id in replayed.items())
    kinds = Counter(kind for kind, *_rest in log)
    names = {"call": info.slug}
    return [
        (
            _("%(call)s: slots held as the schedule log replays = slots held on Slots") % names,
            len(held),
            agreeing,
        ),
        (_("%(call)s: slots the schedule log holds but Slots does not") % names, 0, len(replayed) - agreeing),
        (
            _("%(call)s: no-shows in the schedule log = no-shows on Slots") % names,
            sum(1 for _application, absent in slots.values() if absent),
            kinds[ScheduleEntry.Kind.NO_SHOW],
        ),
    ]
