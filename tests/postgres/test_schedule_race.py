"""Presentation scheduling under concurrency on PostgreSQL: two staff moving two applications
into the same free slot at the same moment, and an applicant's change request racing a staff
reschedule of the same slot. Exactly one move wins; every slot holds at most one application and
every placed application exactly one slot; the log agrees with the slots."""

from datetime import time, timedelta

from django.utils import timezone

from competitions.lifecycle import TransitionRefused
from evaluation import scheduling
from evaluation.models import ChangeRequest, ScheduleEntry, Slot, StageSchedule
from tests.evaluation.conftest import call  # noqa: F401
from tests.evaluation.test_scheduling import morning, presenting  # noqa: F401
from tests.evaluation.test_stage_runs import staged  # noqa: F401

from .test_concurrency import race


def _placed(presenting, staff):  # noqa: F811
    presentation, panel, applications = presenting
    morning(panel, staff, until=time(10, 20))  # four slots for three applications: one free
    StageSchedule.objects.create(stage=presentation, changes_until=timezone.now() + timedelta(days=1))
    placed = scheduling.place(presentation, by=staff, seed=1)
    free = Slot.objects.get(stage=presentation, application__isnull=True)
    return presentation, applications, placed, free


def _capacity_holds(presentation, applications):
    held = list(
        Slot.objects.filter(stage=presentation, application__isnull=False).values_list(
            "application_id", flat=True
        )
    )
    assert sorted(held) == sorted(a.pk for a in applications)  # each placed once, none lost


def test_two_staff_moving_into_the_same_slot_at_once_one_wins(presenting, staff):  # noqa: F811
    presentation, applications, placed, free = _placed(presenting, staff)
    first, second = placed[applications[0]], placed[applications[1]]
    for _attempt in range(3):  # released together; whichever locks first wins
        outcomes = race(
            [
                lambda: scheduling.reschedule(first, free, by=staff, reason="Staff A").pk,
                lambda: scheduling.reschedule(second, free, by=staff, reason="Staff B").pk,
            ]
        )
        kinds = sorted(kind for kind, _value in outcomes)
        assert kinds == ["error", "ok"], outcomes
        error = next(value for kind, value in outcomes if kind == "error")
        assert isinstance(error, TransitionRefused) and "already taken" in error.reasons[0]
        _capacity_holds(presentation, applications)
        winner = Slot.objects.get(pk=free.pk).application_id
        assert winner in (applications[0].pk, applications[1].pk)
        moves = ScheduleEntry.objects.filter(kind=ScheduleEntry.Kind.RESCHEDULED, to_slot=free)
        assert moves.count() == _attempt + 1 and moves.order_by("-pk").first().application_id == winner
        # Back where they were, for the next attempt (a move like any other, logged).
        origin = first if winner == applications[0].pk else second
        scheduling.reschedule(Slot.objects.get(pk=free.pk), origin, by=staff, reason="Undo")


def test_a_change_request_racing_a_reschedule_of_the_same_slot_never_leaves_an_open_request_behind(
    presenting,  # noqa: F811
    staff,
):
    presentation, applications, placed, free = _placed(presenting, staff)
    slot = placed[applications[0]]
    applicant = applications[0].lead.members.first()
    outcomes = race(
        [
            lambda: scheduling.request_change(slot, by=applicant, reason="Abroad that day.").pk,
            lambda: scheduling.reschedule(slot, free, by=staff, reason="Staff moved it").pk,
        ]
    )
    request_outcome, move_outcome = outcomes
    assert move_outcome[0] == "ok", outcomes
    assert Slot.objects.get(pk=free.pk).application_id == applications[0].pk
    _capacity_holds(presentation, applications)
    if request_outcome[0] == "ok":  # the request came first: the reschedule answered it
        assert ChangeRequest.objects.get().state == ChangeRequest.State.RESCHEDULED
    else:  # the move came first: the request found the slot no longer the applicant's
        assert request_outcome[1].reasons == ["This slot can no longer be changed."]
        assert not ChangeRequest.objects.exists()
    assert not ChangeRequest.objects.filter(state=ChangeRequest.State.OPEN).exists()
