"""The funding workbook's schedule sheets: every slot with the application it holds and any
no-show with its consequence, and the schedule's log (placements, change requests, declines,
reschedules with reasons, no-shows), read back with openpyxl and compared with the database;
replaying the log gives the slots as listed, and the Checks sheet says so."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from audit.schedule_sheets import replay
from evaluation import scheduling
from evaluation.models import NoShowConsequence, ScheduleEntry, Slot, StageSchedule
from tests.audit.test_funding_workbook import by_header, export, seoul_naive
from tests.evaluation.conftest import call, staff  # noqa: F401
from tests.evaluation.test_scheduling import morning, presenting  # noqa: F401
from tests.evaluation.test_stage_runs import staged  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(presenting, staff):  # noqa: F811
    """Three applications placed; one asked for a change and was moved, one asked and was
    declined, one did not come (scored 0, as the stage says)."""
    presentation, panel, applications = presenting
    morning(panel, staff, until=time(10, 40))  # five slots for three applications
    StageSchedule.objects.create(
        stage=presentation,
        changes_until=timezone.now() + timedelta(days=1),
        no_show_consequence=NoShowConsequence.ZERO,
    )
    placed = scheduling.place(presentation, by=staff, seed=2)
    first, second, third = (placed[a] for a in applications)
    for slot, application in ((first, applications[0]), (second, applications[1])):
        scheduling.request_change(slot, by=application.lead.members.first(), reason="Abroad that day.")
    free = Slot.objects.filter(stage=presentation, application__isnull=True).order_by("starts_at").first()
    scheduling.reschedule(first, free, by=staff, reason="The presenter is abroad.")
    scheduling.decline_change(second.change_requests.get(), by=staff, reason="No other slot suits the panel.")
    applications[2].__class__.objects.filter(pk=applications[2].pk).update(state="under_review")
    scheduling.record_no_show(third, by=staff, reason="Nobody came.")
    return presentation, applications


def test_the_slots_sheet_lists_every_slot_as_the_database_holds_it(scheduled, tmp_path):
    presentation, applications = scheduled
    _summary, book = export([presentation.plan.call], tmp_path)
    sheet = {row["Slot"]: row for row in by_header(book["Slots"])}
    slots = list(Slot.objects.filter(stage=presentation).select_related("application", "panel"))
    assert set(sheet) == {slot.pk for slot in slots} and len(slots) == 5
    for slot in slots:
        row = sheet[slot.pk]
        assert row["Call"] == presentation.plan.call.slug and row["Stage"] == presentation.position
        assert row["Starts at"] == seoul_naive(slot.starts_at)
        assert (row["Minutes"], row["Room or link"], row["Panel"]) == (20, "301", slot.panel.name)
        assert row["Reference"] == (slot.application.reference if slot.application_id else None)
        if slot.no_show_at:
            # Excel keeps milliseconds.
            assert abs(row["No-show recorded"] - seoul_naive(slot.no_show_at)) < timedelta(milliseconds=1)
            assert (row["No-show consequence"], row["No-show note"]) == ("zero", "Nobody came.")
        else:
            assert row["No-show consequence"] is None
    absent = [row for row in sheet.values() if row["No-show consequence"]]
    assert [row["Reference"] for row in absent] == [applications[2].reference]


def test_the_schedule_log_lists_each_event_with_its_reason_and_replays_to_the_slots(scheduled, tmp_path):
    presentation, applications = scheduled
    summary, book = export([presentation.plan.call], tmp_path)
    log = by_header(book["Schedule log"])
    entries = list(ScheduleEntry.objects.filter(stage=presentation).order_by("at", "pk"))
    assert [row["Entry"] for row in log] == [entry.pk for entry in entries]
    assert [row["Event"] for row in log] == [
        "placed",
        "placed",
        "placed",
        "change_requested",
        "change_requested",
        "rescheduled",
        "change_declined",
        "no_show",
    ]
    moved = next(row for row in log if row["Event"] == "rescheduled")
    entry = ScheduleEntry.objects.get(kind="rescheduled")
    assert (moved["Reference"], moved["From slot"], moved["To slot"], moved["Reason"]) == (
        applications[0].reference,
        entry.from_slot_id,
        entry.to_slot_id,
        "The presenter is abroad.",
    )
    declined = next(row for row in log if row["Event"] == "change_declined")
    assert (declined["Reference"], declined["Reason"]) == (
        applications[1].reference,
        "No other slot suits the panel.",
    )
    absent = next(row for row in log if row["Event"] == "no_show")
    assert (absent["Reference"], absent["Consequence"], absent["Reason"]) == (
        applications[2].reference,
        "zero",
        "Nobody came.",
    )
    assert all(row["By"] for row in log)
    # The auditor's reconciliation, from the workbook alone: replay the log, compare with Slots.
    by_reference = {row["Slot"]: row["Reference"] for row in by_header(book["Slots"]) if row["Reference"]}
    replayed = replay((row["Event"], row["Reference"], row["From slot"], row["To slot"]) for row in log)
    assert replayed == by_reference
    checks = [row for row in by_header(book["Checks"]) if "schedule log" in row["Check"]]
    assert len(checks) == 3 and {row["Result"] for row in checks} == {"PASS"}
    assert summary["passed"], [c for c in summary["checks"] if c["result"] == "FAIL"]


def test_a_slot_changed_outside_the_log_fails_the_check(scheduled, tmp_path):
    presentation, applications = scheduled
    free = Slot.objects.filter(stage=presentation, application__isnull=True).first()
    held = Slot.objects.get(application=applications[1])
    Slot.objects.filter(pk=held.pk).update(application=None)  # a path that forgot to log
    Slot.objects.filter(pk=free.pk).update(application=applications[1])
    summary, _book = export([presentation.plan.call], tmp_path)
    failed = [c["check"] for c in summary["checks"] if c["result"] == "FAIL"]
    assert any("slots held as the schedule log replays" in text for text in failed)
    assert any("slots the schedule log holds but Slots does not" in text for text in failed)
