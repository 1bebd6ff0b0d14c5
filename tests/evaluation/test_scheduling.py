"""Presentation scheduling (issue 14): slots in bulk, seeded placement respecting conflicts, not
enough slots refused writing nothing, change requests, rescheduling without double booking, and
no-shows reaching the stage's advancement and the final selection."""

from datetime import date, time, timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.lifecycle import TransitionRefused
from evaluation import scheduling
from evaluation.models import (
    Assignment,
    ChangeRequest,
    DeclaredConflict,
    NoShowConsequence,
    Panel,
    Reviewer,
    ScheduleEntry,
    Slot,
    StageSchedule,
)
from evaluation.selection_runs import run_selection
from evaluation.stage_runs import confirm_advancement, record_advancement
from projects.models import Application, ApplicationState, Membership, OutboxMessage
from tests.evaluation.test_stage_runs import score_in_stage, staged  # noqa: F401
from tests.factories import OrganisationFactory, UserFactory

DAY = date(2026, 7, 1)


def new_reviewers(count, prefix):
    return [
        Reviewer.objects.create(
            user=UserFactory(email=f"{prefix}{n}@review.example"),
            affiliation=OrganisationFactory(kind="university"),
            code=f"{prefix.upper()}{n:03d}",
        )
        for n in range(count)
    ]


@pytest.fixture
def presenting(call, staff, staged):  # noqa: F811
    """The document review confirmed: three applications advanced to the presentation, whose
    panel has three reviewers."""
    document, presentation, applications, _reviewers = staged
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    panel = Panel.objects.create(call=call, stage=presentation, name="Presentation panel")
    panel.reviewers.add(*new_reviewers(3, "pres"))
    for n, application in enumerate(applications[:3]):
        Membership.objects.create(
            user=UserFactory(email=f"lead{n}@applicant.example"), organisation=application.lead
        )
    return presentation, panel, applications[:3]


def morning(panel, staff, until=time(10, 0)):
    return scheduling.create_slots(
        panel, day=DAY, start=time(9), until=until, every=20, duration=20, room="301", by=staff
    )


def test_slots_are_made_in_bulk_in_seoul_time_and_never_overlap(presenting, staff):
    _presentation, panel, _applications = presenting
    slots = morning(panel, staff)
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots] == ["09:00", "09:20", "09:40"]
    assert slots[0].starts_at.utcoffset() == timedelta(hours=9)
    with pytest.raises(TransitionRefused) as refused:
        scheduling.create_slots(
            panel, day=DAY, start=time(9, 30), until=time(10), every=30, duration=30, room="301", by=staff
        )
    assert refused.value.reasons == [
        "A slot at 2026-07-01 09:30 KST would overlap the panel's slot at 2026-07-01 09:20 KST."
    ]
    assert Slot.objects.count() == 3


def test_placement_is_seeded_and_notifies_each_applicant(presenting, staff):
    presentation, panel, applications = presenting
    morning(panel, staff)
    placed = scheduling.place(presentation, by=staff, seed=3)
    assert set(placed) == set(applications)
    assert Slot.objects.filter(application__isnull=False).count() == 3
    assert ScheduleEntry.objects.filter(kind="placed").count() == 3
    message = OutboxMessage.objects.filter(to__in=applications[0].lead.members.values("email")).last()
    assert "2026-07-01" in message.body and "301" in message.body
    assert scheduling.place(presentation, by=staff, seed=3) == {}  # nobody left to place


def test_not_enough_slots_is_refused_and_nothing_is_written(presenting, staff):
    presentation, panel, _applications = presenting
    morning(panel, staff, until=time(9, 40))  # two slots for three applications
    with pytest.raises(TransitionRefused) as refused:
        scheduling.place(presentation, by=staff)
    assert refused.value.reasons[0].startswith("1 applications cannot be placed: 2 free slots")
    assert not Slot.objects.filter(application__isnull=False).exists()
    assert not ScheduleEntry.objects.exists() and not OutboxMessage.objects.exists()


def test_a_panel_with_a_conflicted_reviewer_gets_no_slot_of_that_application(call, presenting, staff):
    presentation, panel, applications = presenting
    other = Panel.objects.create(call=call, stage=presentation, name="Second panel")
    conflicted = new_reviewers(1, "conf")[0]
    other.reviewers.add(conflicted)
    DeclaredConflict.objects.create(reviewer=conflicted, organisation=applications[0].lead)
    scheduling.create_slots(
        other, day=DAY, start=time(9), until=time(10), every=20, duration=20, room="302", by=staff
    )
    morning(panel, staff, until=time(9, 20))  # one slot of the first panel
    for seed in range(5):
        placed = scheduling.place(presentation, by=staff, seed=seed)
        assert placed[applications[0]].panel == panel
        Slot.objects.update(application=None)
        ScheduleEntry.objects.all().delete()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), order=st.permutations(range(3)))
def test_placement_depends_only_on_the_inputs_and_the_seed(presenting, staff, seed, order):
    """The matching of the same applications and slots given in any order, with one seed, is the same."""
    _presentation, panel, applications = presenting
    slots = list(Slot.objects.filter(panel=panel)) or morning(panel, staff, until=time(10, 20))
    options = {a.pk: slots for a in applications}
    ids = [a.pk for a in applications]

    def run(given_order):
        import random

        shuffled = sorted(given_order)
        random.Random(seed).shuffle(shuffled)
        return {pk: s.pk for pk, s in scheduling.match(shuffled, options).items()}

    assert run([ids[n] for n in order]) == run(ids)
    assert len(set(run(ids).values())) == 3


def test_the_database_refuses_double_booking(presenting, staff):
    presentation, panel, applications = presenting
    first, second, *_rest = morning(panel, staff)
    Slot.objects.filter(pk=first.pk).update(application=applications[0])
    with pytest.raises(IntegrityError):
        Slot.objects.filter(pk=second.pk).update(application=applications[0])


def test_change_request_then_reschedule_to_a_free_slot_only(presenting, staff):
    presentation, panel, applications = presenting
    slots = morning(panel, staff, until=time(10, 20))
    StageSchedule.objects.create(stage=presentation, changes_until=timezone.now() + timedelta(days=1))
    placed = scheduling.place(presentation, by=staff, seed=1)
    slot = placed[applications[0]]
    applicant = applications[0].lead.members.first()
    with pytest.raises(TransitionRefused) as refused:
        scheduling.request_change(slot, by=applicant, reason=" ")
    assert refused.value.reasons == ["Say why you need another slot."]
    scheduling.request_change(slot, by=applicant, reason="Our presenter is abroad that day.")
    taken = placed[applications[1]]
    with pytest.raises(TransitionRefused) as refused:
        scheduling.reschedule(slot, taken, by=staff, reason="Asked")
    assert refused.value.reasons[0].startswith("The slot at ") and "already taken" in refused.value.reasons[0]
    free = next(s for s in slots if not Slot.objects.get(pk=s.pk).application_id)
    scheduling.reschedule(slot, free, by=staff, reason="The presenter is abroad.")
    assert Slot.objects.get(pk=free.pk).application == applications[0]
    assert Slot.objects.get(pk=slot.pk).application is None
    assert ChangeRequest.objects.get().state == ChangeRequest.State.RESCHEDULED
    entry = ScheduleEntry.objects.get(kind="rescheduled")
    assert (entry.from_slot_id, entry.to_slot_id, entry.by) == (slot.pk, free.pk, staff)


def test_change_requests_are_refused_after_the_deadline(presenting, staff):
    presentation, panel, applications = presenting
    morning(panel, staff)
    deadline = timezone.now() + timedelta(hours=1)
    StageSchedule.objects.create(stage=presentation, changes_until=deadline)
    slot = scheduling.place(presentation, by=staff)[applications[0]]
    with pytest.raises(TransitionRefused) as refused:
        scheduling.request_change(slot, by=staff, reason="Late", now=deadline + timedelta(seconds=1))
    assert refused.value.reasons[0].startswith("Change requests closed at ")
    assert not ChangeRequest.objects.exists()


def _no_show(presenting, staff, consequence):
    presentation, panel, applications = presenting
    morning(panel, staff)
    StageSchedule.objects.create(stage=presentation, no_show_consequence=consequence)
    placed = scheduling.place(presentation, by=staff)
    for reviewer in panel.reviewers.all():  # assigned in the stage, never scored: nobody came
        Assignment.objects.create(application=applications[0], reviewer=reviewer, stage=presentation)
    scheduling.record_no_show(placed[applications[0]], by=staff, reason="Nobody came.")
    for application in applications[1:]:
        score_in_stage(application, presentation, new_reviewers(3, f"s{application.pk}"), 90)
    Application.objects.filter(pk__in=[a.pk for a in applications[1:]]).update(state=ApplicationState.SCORED)
    return applications


def test_a_no_show_eliminated_at_the_last_stage_is_not_ranked_and_says_why(presenting, staff):
    applications = _no_show(presenting, staff, NoShowConsequence.ELIMINATE)
    assert Application.objects.get(pk=applications[0].pk).state == ApplicationState.SCORED
    _run, results = run_selection(applications[0].call, by=staff, dry_run=True)
    by_id = {r.application_id: r for r in results}
    assert (by_id[applications[0].pk].reason, by_id[applications[0].pk].rank) == ("no_show", None)
    assert by_id[applications[1].pk].outcome == "selected"


def test_a_no_show_scored_zero_is_scored_zero_in_the_stage(presenting, staff):
    applications = _no_show(presenting, staff, NoShowConsequence.ZERO)
    _run, results = run_selection(applications[0].call, by=staff, dry_run=True)
    result = {r.application_id: r for r in results}[applications[0].pk]
    # 30 % of its document review (90) + 70 % of 0.
    assert (result.evaluation_score, result.reason) == (27, "below_cutoff")


def test_a_no_show_is_recorded_once(presenting, staff):
    presentation, panel, applications = presenting
    morning(panel, staff)
    slot = scheduling.place(presentation, by=staff)[applications[0]]
    scheduling.record_no_show(slot, by=staff)
    with pytest.raises(TransitionRefused) as refused:
        scheduling.record_no_show(slot, by=staff)
    assert refused.value.reasons == ["A no-show is already recorded for this slot."]


def _asked(presenting, staff, language="en"):
    presentation, panel, applications = presenting
    morning(panel, staff)
    StageSchedule.objects.create(stage=presentation, changes_until=timezone.now() + timedelta(days=1))
    slot = scheduling.place(presentation, by=staff, seed=1)[applications[0]]
    applicant = applications[0].lead.members.first()
    applicant.language = language
    applicant.save(update_fields=["language"])
    change = scheduling.request_change(slot, by=applicant, reason="Our presenter is abroad that day.")
    return slot, applicant, change


def test_staff_decline_a_change_request_with_a_reason_and_the_applicant_keeps_its_slot(presenting, staff):
    slot, applicant, change = _asked(presenting, staff)
    with pytest.raises(TransitionRefused) as refused:
        scheduling.decline_change(change, by=staff, reason="  ")
    assert refused.value.reasons == ["Give the reason for declining the request; the applicant is told it."]
    assert ChangeRequest.objects.get().state == ChangeRequest.State.OPEN
    scheduling.decline_change(change, by=staff, reason="Every other slot is taken.")
    change.refresh_from_db()
    assert (change.state, change.answer, change.answered_by) == (
        "declined",
        "Every other slot is taken.",
        staff,
    )
    assert Slot.objects.get(pk=slot.pk).application_id == change.application_id
    entry = ScheduleEntry.objects.get(kind=ScheduleEntry.Kind.CHANGE_DECLINED)
    assert (entry.from_slot_id, entry.reason, entry.by) == (slot.pk, "Every other slot is taken.", staff)
    message = OutboxMessage.objects.filter(to=applicant.email).last()
    assert message.subject == f"Change request declined for {change.application.reference}"
    assert "Every other slot is taken." in message.body and "2026-07-01" in message.body
    with pytest.raises(TransitionRefused) as refused:
        scheduling.decline_change(change, by=staff, reason="Again")
    assert refused.value.reasons == ["This request was already answered (Declined)."]
    assert ScheduleEntry.objects.filter(kind=ScheduleEntry.Kind.CHANGE_DECLINED).count() == 1


def test_schedule_e_mails_follow_each_readers_language(presenting, staff):
    _slot, applicant, change = _asked(presenting, staff, language="ko")
    scheduling.decline_change(change, by=staff, reason="빈 시간이 없습니다.")
    message = OutboxMessage.objects.filter(to=applicant.email).last()
    assert "Change request declined" not in message.subject
    assert change.application.reference in message.subject and "빈 시간이 없습니다." in message.body
