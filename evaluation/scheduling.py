"""Presentation scheduling (issue 14): staff create time slots for a panel of a presentation or
site-visit stage, the applications that advanced to the stage are placed into free slots
(seeded, never with a conflicted panel, one per slot), applicants may ask for a change before
the stage's deadline, staff reschedule with a reason, and no-shows are recorded with the
consequence the stage's schedule states (evaluation.no_shows). Every write locks the slots it
touches, logs a ScheduleEntry and tells the applicant through the outbox; the database refuses
double booking even if a path forgot to."""

import random
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.formatting import SEOUL, format_seoul
from competitions.lifecycle import TransitionRefused
from projects import workflow
from projects.models import Application, ApplicationState
from projects.outbox import tell

from .conflicts import conflicts_for
from .models import (
    ChangeRequest,
    NoShowConsequence,
    Panel,
    ScheduleEntry,
    Slot,
    Stage,
    StageKind,
    StageSchedule,
)
from .stage_runs import current_stages

SCHEDULED_KINDS = (StageKind.PRESENTATION, StageKind.SITE_VISIT)
WAITING_STATES = (ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW)


def settings_of(stage):
    """The stage's scheduling settings (defaults when staff set none)."""
    return StageSchedule.objects.filter(stage=stage).first() or StageSchedule(stage=stage)


def _require_scheduled(stage):
    if stage.kind not in SCHEDULED_KINDS:
        raise TransitionRefused(
            [
                _("Only a presentation or site-visit stage has time slots; %(stage)s is not one.")
                % {"stage": stage}
            ]
        )


# -- Slots ---------------------------------------------------------------------------------------


def slot_times(day, start, until, every, duration):
    """The start times (aware, Asia/Seoul) from ``start`` every ``every`` minutes while a slot of
    ``duration`` minutes still ends by ``until``."""
    first = datetime.combine(day, start, tzinfo=SEOUL)
    last_end = datetime.combine(day, until, tzinfo=SEOUL)
    times, at = [], first
    while at + timedelta(minutes=duration) <= last_end:
        times.append(at)
        at += timedelta(minutes=every)
    return times


def create_slots(panel, *, day, start, until, every, duration, room="", video_link="", by):
    """Create the panel's slots "from 09:00 every 20 minutes until 12:00 in room 301"; refused,
    creating none, when a slot would overlap one of the panel's slots or the settings make none."""
    reasons = []
    if not room and not video_link:
        reasons.append(_("Give a room or a video link."))
    if duration < 1 or every < 1:
        reasons.append(_("The duration and the interval must be at least one minute."))
    elif every < duration:
        reasons.append(_("Slots every %(every)d minutes cannot last %(duration)d minutes: they would overlap.")
                       % {"every": every, "duration": duration})  # fmt: skip
    if reasons:
        raise TransitionRefused(reasons)
    times = slot_times(day, start, until, every, duration)
    if not times:
        raise TransitionRefused([_("No slot of %(duration)d minutes fits between %(start)s and %(until)s.")
                                 % {"duration": duration, "start": start.strftime("%H:%M"),
                                    "until": until.strftime("%H:%M")}])  # fmt: skip
    with transaction.atomic():
        panel = Panel.objects.select_for_update(of=("self",)).select_related("stage").get(pk=panel.pk)
        if panel.stage is None:
            raise TransitionRefused(
                [_("This panel belongs to no stage; slots are made for a stage's panel.")]
            )
        _require_scheduled(panel.stage)
        length = timedelta(minutes=duration)
        existing = list(
            Slot.objects.filter(
                panel=panel, starts_at__lt=times[-1] + length, starts_at__gt=times[0] - timedelta(days=1)
            )
        )
        for at in times:
            for slot in existing:
                if slot.starts_at < at + length and at < slot.ends_at:
                    raise TransitionRefused(
                        [_("A slot at %(time)s would overlap the panel's slot at %(other)s.")
                         % {"time": format_seoul(at), "other": format_seoul(slot.starts_at)}]
                    )  # fmt: skip
        return Slot.objects.bulk_create(
            Slot(stage=panel.stage, panel=panel, starts_at=at, duration_minutes=duration, room=room,
                 video_link=video_link, created_by=by)
            for at in times
        )  # fmt: skip


# -- Placement -----------------------------------------------------------------------------------


def waiting_for(stage):
    """The call's applications that advanced to ``stage`` (their current stage, still in review)."""
    call = stage.plan.call
    candidates = list(
        Application.objects.filter(call=call, state__in=WAITING_STATES).select_related("lead").order_by("pk")
    )
    now_in = current_stages(call, [a.pk for a in candidates])
    return [a for a in candidates if now_in.get(a.pk) and now_in[a.pk].pk == stage.pk]


def allowed_slots(applications, slots, panels, call):
    """{application id: [slots it may take]}: a slot of a panel covering it whose reviewers are
    none of them conflicted with it (evaluation.conflicts, the one definition)."""
    reviewers = {r.pk: r for panel in panels for r in panel.reviewers.all()}
    conflicts = conflicts_for(call, applications, list(reviewers.values())) if applications else {}
    members = {panel.pk: {r.pk for r in panel.reviewers.all()} for panel in panels}
    by_panel = {panel.pk: panel for panel in panels}
    return {
        a.pk: [
            s for s in slots
            if by_panel[s.panel_id].covers(a) and not (members[s.panel_id] & conflicts.get(a.pk, set()))
        ]
        for a in applications
    }  # fmt: skip


def match(order, options):
    """A maximum matching of applications (in ``order``) to slots (each one's ``options`` in
    preference order), by augmenting paths: {application id: slot}. Deterministic."""
    holder = {}  # slot pk -> application id
    placed = {}

    def augment(application_id, seen):
        for slot in options[application_id]:
            if slot.pk in seen:
                continue
            seen.add(slot.pk)
            other = holder.get(slot.pk)
            if other is None or augment(other, seen):
                holder[slot.pk] = application_id
                placed[application_id] = slot
                return True
        return False

    for application_id in order:
        augment(application_id, set())
    return placed


def place(stage, *, by, seed=0):
    """Place every application waiting in ``stage`` without a slot into a free slot; refused,
    writing nothing, when some cannot be placed. Returns {application: slot} of the new places."""
    _require_scheduled(stage)
    with transaction.atomic():
        stage = Stage.objects.select_related("plan__call").get(pk=stage.pk)
        call = stage.plan.call
        slots = list(
            Slot.objects.select_for_update().filter(stage=stage).order_by("starts_at", "panel_id", "pk")
        )
        held = {s.application_id for s in slots if s.application_id}
        applications = [a for a in waiting_for(stage) if a.pk not in held]
        if not applications:
            return {}
        free = [s for s in slots if s.application_id is None]
        panels = list(Panel.objects.filter(stage=stage).prefetch_related("reviewers"))
        options = allowed_slots(applications, free, panels, call)
        order = [a.pk for a in applications]
        random.Random(seed).shuffle(order)
        order.sort(key=lambda pk: len(options[pk]))  # the most constrained first; stable
        placed = match(order, options)
        missing = [a for a in applications if a.pk not in placed]
        if missing:
            raise TransitionRefused(
                [_("%(count)d applications cannot be placed: %(free)d free slots, none fit for %(references)s "
                   "(a slot of a panel covering its field without a conflicted reviewer). Add slots first.")
                 % {"count": len(missing), "free": len(free),
                    "references": ", ".join(a.reference for a in missing[:10])}]
            )  # fmt: skip
        by_pk = {a.pk: a for a in applications}
        for application_id, slot in sorted(placed.items(), key=lambda item: item[1].starts_at):
            slot.application_id = application_id
            slot.save(update_fields=["application"])
            ScheduleEntry.objects.create(
                stage=stage,
                application_id=application_id,
                kind=ScheduleEntry.Kind.PLACED,
                to_slot=slot,
                by=by,
            )
            _tell(by_pk[application_id], slot, _notice_placed)
    return {by_pk[pk]: slot for pk, slot in placed.items()}


# -- Change requests, rescheduling, no-shows -------------------------------------------------------


def request_change(slot, *, by, reason, now=None):
    """The applicant asks for another slot, with a reason, before the stage's deadline."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused([_("Say why you need another slot.")])
    with transaction.atomic():
        slot = (
            Slot.objects.select_for_update(of=("self",))
            .select_related("stage", "application")
            .get(pk=slot.pk)
        )
        deadline = settings_of(slot.stage).changes_until
        if slot.application_id is None or slot.no_show_at:
            raise TransitionRefused([_("This slot can no longer be changed.")])
        if deadline is None or now > deadline:
            raise TransitionRefused(
                [_("Change requests closed at %(deadline)s.") % {"deadline": format_seoul(deadline)}]
                if deadline
                else [_("This stage accepts no change requests; contact the ministry.")]
            )
        if ChangeRequest.objects.filter(
            slot=slot, application=slot.application, state=ChangeRequest.State.OPEN
        ).exists():
            raise TransitionRefused([_("You have already asked for a change; staff will answer it.")])
        request = ChangeRequest.objects.create(
            slot=slot, application=slot.application, reason=reason, requested_by=by
        )
        ScheduleEntry.objects.create(stage=slot.stage, application=slot.application,
                                     kind=ScheduleEntry.Kind.CHANGE_REQUESTED, from_slot=slot, reason=reason, by=by)  # fmt: skip
    return request


def reschedule(slot, to_slot, *, by, reason):
    """Move the application of ``slot`` to the free ``to_slot`` of the same stage, with a reason;
    both rows locked in a fixed order, so two moves racing to one slot cannot both win."""
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused([_("Give the reason for the new slot.")])
    with transaction.atomic():
        locked = {
            s.pk: s
            for s in Slot.objects.select_for_update().filter(pk__in=[slot.pk, to_slot.pk]).order_by("pk")
        }
        slot, to_slot = locked[slot.pk], locked[to_slot.pk]
        application = slot.application
        if application is None:
            raise TransitionRefused([_("Nobody is placed in this slot.")])
        if slot.no_show_at:
            raise TransitionRefused([_("A no-show was recorded for this slot; it cannot be moved.")])
        if to_slot.pk == slot.pk or to_slot.stage_id != slot.stage_id:
            raise TransitionRefused([_("Choose another slot of the same stage.")])
        if to_slot.application_id is not None:
            raise TransitionRefused(
                [_("The slot at %(time)s is already taken.") % {"time": format_seoul(to_slot.starts_at)}]
            )
        panel = Panel.objects.prefetch_related("reviewers").get(pk=to_slot.panel_id)
        if not allowed_slots([application], [to_slot], [panel], application.call)[application.pk]:
            raise TransitionRefused(
                [_("The panel of the slot at %(time)s does not cover %(reference)s or has a reviewer conflicted with it.")
                 % {"time": format_seoul(to_slot.starts_at), "reference": application.reference}]
            )  # fmt: skip
        slot.application = None
        slot.save(update_fields=["application"])
        to_slot.application = application
        try:
            with transaction.atomic():
                to_slot.save(update_fields=["application"])
        except IntegrityError as exc:  # the constraint behind the locks
            raise TransitionRefused([_("The slot was taken meanwhile; choose another.")]) from exc
        ChangeRequest.objects.filter(application=application, state=ChangeRequest.State.OPEN).update(
            state=ChangeRequest.State.RESCHEDULED, answer=reason, answered_by=by, answered_at=timezone.now()
        )
        ScheduleEntry.objects.create(stage_id=slot.stage_id, application=application, kind=ScheduleEntry.Kind.RESCHEDULED,
                                     from_slot=slot, to_slot=to_slot, reason=reason, by=by)  # fmt: skip
        _tell(application, to_slot, _notice_rescheduled, reason)
    return to_slot


def decline_change(change, *, by, reason):
    """Staff decline an applicant's open change request, with the reason the applicant is told;
    the application keeps its slot. Refused, changing nothing, without a reason or when the
    request was answered meanwhile (the request's row is locked)."""
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused([_("Give the reason for declining the request; the applicant is told it.")])
    with transaction.atomic():
        change = (
            ChangeRequest.objects.select_for_update(of=("self",))
            .select_related("slot__stage", "application__lead")
            .get(pk=change.pk)
        )
        if change.state != ChangeRequest.State.OPEN:
            raise TransitionRefused(
                [_("This request was already answered (%(state)s).") % {"state": change.get_state_display()}]
            )
        change.state = ChangeRequest.State.DECLINED
        change.answer, change.answered_by, change.answered_at = reason, by, timezone.now()
        change.save(update_fields=["state", "answer", "answered_by", "answered_at"])
        ScheduleEntry.objects.create(stage=change.slot.stage, application=change.application,
                                     kind=ScheduleEntry.Kind.CHANGE_DECLINED, from_slot=change.slot,
                                     reason=reason, by=by)  # fmt: skip
        _tell(change.application, change.slot, _notice_declined, reason)
    return change


def change_requests_of(*, stage=None, application=None):
    """The change requests of a stage or of an application, the open ones first, then the
    answered ones, the latest first: one query."""
    requests = ChangeRequest.objects.select_related("slot__panel", "slot__stage", "application")
    if stage is not None:
        requests = requests.filter(slot__stage=stage)
    if application is not None:
        requests = requests.filter(application=application)
    requests = list(requests.order_by("-requested_at", "-pk"))
    requests.sort(key=lambda change: change.state != ChangeRequest.State.OPEN)  # stable
    return requests


def record_no_show(slot, *, by, reason=""):
    """Staff record that the applicant did not attend: its review in the stage ends (logged) and
    the stage's consequence (evaluation.no_shows) applies in the stage's advancement or selection."""
    with transaction.atomic():
        slot = Slot.objects.select_for_update(of=("self",)).select_related("stage").get(pk=slot.pk)
        if slot.application_id is None:
            raise TransitionRefused([_("Nobody is placed in this slot.")])
        if slot.no_show_at:
            raise TransitionRefused([_("A no-show is already recorded for this slot.")])
        application = Application.objects.select_for_update().get(pk=slot.application_id)
        if application.state != ApplicationState.UNDER_REVIEW:
            raise TransitionRefused(
                [_("%(reference)s is not under review in this stage.") % {"reference": application.reference}]
            )
        consequence = NoShowConsequence(
            settings_of(slot.stage).no_show_consequence
        ).label  # lazy: each reader's language
        slot.no_show_at, slot.no_show_by, slot.no_show_reason = timezone.now(), by, (reason or "").strip()
        slot.save(update_fields=["no_show_at", "no_show_by", "no_show_reason"])
        ScheduleEntry.objects.create(stage=slot.stage, application=application, kind=ScheduleEntry.Kind.NO_SHOW,
                                     from_slot=slot, reason=slot.no_show_reason, by=by)  # fmt: skip
        workflow.bulk_transition(
            [application.pk], "complete_review", by=by,
            description=_("No-show at %(stage)s (%(time)s): %(consequence)s.")
            % {"stage": slot.stage, "time": format_seoul(slot.starts_at), "consequence": consequence},
        )  # fmt: skip
        _tell(application, slot, _notice_no_show, consequence)
    return slot


# -- Notices (each member's in their own language) -------------------------------------------------


def _where(slot):
    return slot.room or slot.video_link


def _notice_placed(application, slot, _extra):
    return (
        _("Your presentation slot for %(reference)s") % {"reference": application.reference},
        _("%(reference)s is scheduled at %(time)s (%(minutes)d minutes), %(where)s.")
        % {"reference": application.reference, "time": format_seoul(slot.starts_at),
           "minutes": slot.duration_minutes, "where": _where(slot)},
    )  # fmt: skip


def _notice_rescheduled(application, slot, reason):
    return (
        _("New presentation slot for %(reference)s") % {"reference": application.reference},
        _("%(reference)s is now scheduled at %(time)s (%(minutes)d minutes), %(where)s. Reason: %(reason)s")
        % {"reference": application.reference, "time": format_seoul(slot.starts_at),
           "minutes": slot.duration_minutes, "where": _where(slot), "reason": reason},
    )  # fmt: skip


def _notice_declined(application, slot, reason):
    return (
        _("Change request declined for %(reference)s") % {"reference": application.reference},
        _("Your request for another slot was declined; %(reference)s stays scheduled at %(time)s "
          "(%(minutes)d minutes), %(where)s. Reason: %(reason)s")
        % {"reference": application.reference, "time": format_seoul(slot.starts_at),
           "minutes": slot.duration_minutes, "where": _where(slot), "reason": reason},
    )  # fmt: skip


def _notice_no_show(application, slot, consequence):
    return (
        _("No-show recorded for %(reference)s") % {"reference": application.reference},
        _("Nobody attended the slot of %(reference)s at %(time)s. As the call states: %(consequence)s.")
        % {"reference": application.reference, "time": format_seoul(slot.starts_at), "consequence": consequence},
    )  # fmt: skip


def _tell(application, slot, notice, extra=None):
    """One e-mail to each member of the lead organisation, in the member's own language
    (accounts.User.language, which they set on their account page)."""
    tell(
        application.lead.members.only("email", "language"),
        lambda: notice(application, slot, str(extra) if extra is not None else None),
    )


# -- What people see -------------------------------------------------------------------------------


def slots_of_application(application):
    """The application's slots (one per scheduled stage), for its own page."""
    return list(Slot.objects.filter(application=application).select_related("stage").order_by("starts_at"))


def reviewer_schedule(reviewer):
    """The slots of the reviewer's panels, with the application placed and, where the reviewer is
    assigned to it in that stage, the assignment its review form is reached from."""
    from .models import Assignment

    slots = list(
        Slot.objects.filter(panel__reviewers=reviewer)
        .select_related("stage__plan__call", "panel", "application__lead")
        .order_by("starts_at", "pk")
    )
    assignments = {
        (a.application_id, a.stage_id): a.pk
        for a in Assignment.objects.filter(
            reviewer=reviewer,
            state=Assignment.State.ACTIVE,
            application_id__in={s.application_id for s in slots},
        ).only("application_id", "stage_id")
    }
    for slot in slots:
        slot.assignment_pk = assignments.get((slot.application_id, slot.stage_id))
    return slots


# -- Demo ------------------------------------------------------------------------------------------


def demo_slots(call, *, by, day=None, seed=0):
    """For a seeder: slots for every panel of the call's first presentation stage (from 09:00
    every 20 minutes, in a room named for the panel), enough for the applications waiting in it,
    then placement. Returns the placements ({} when the call has no presentation stage)."""
    stage = Stage.objects.filter(plan__call=call, kind=StageKind.PRESENTATION).order_by("position").first()
    if stage is None:
        return {}
    panels = list(Panel.objects.filter(stage=stage).order_by("pk"))
    if not panels:
        return {}
    waiting = len(waiting_for(stage))
    day = day or (timezone.now().astimezone(SEOUL) + timedelta(days=14)).date()
    from datetime import time

    per_panel = max(1, waiting)  # each panel can take everyone it covers
    hours = (per_panel * 20) // 60 + 1
    for number, panel in enumerate(panels, 1):
        if not Slot.objects.filter(panel=panel).exists():
            create_slots(panel, day=day, start=time(9), until=time(min(23, 9 + hours)), every=20, duration=20,
                         room=_("Room %(number)d") % {"number": 300 + number}, by=by)  # fmt: skip
    StageSchedule.objects.get_or_create(
        stage=stage, defaults={"changes_until": timezone.now() + timedelta(days=7)}
    )
    return place(stage, by=by, seed=seed)
