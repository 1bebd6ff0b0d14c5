"""Presentation (and site-visit) scheduling: the time slots of a stage's panels, the
application placed in each, the applicants' change requests and the schedule's log."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.models import Application

from .review import Panel
from .stage import Stage


class NoShowConsequence(models.TextChoices):
    ELIMINATE = "eliminate", _("Eliminated at the stage")
    ZERO = "zero", _("Scored 0 in the stage")


class StageSchedule(models.Model):
    """A stage's scheduling settings, as the call states them."""

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, related_name="schedule")
    changes_until = models.DateTimeField(
        _("change requests accepted until"),
        null=True,
        blank=True,
        help_text=_("Applicants may ask for another slot until then (Asia/Seoul)."),
    )
    no_show_consequence = models.CharField(
        _("consequence of a no-show"),
        max_length=12,
        choices=NoShowConsequence.choices,
        default=NoShowConsequence.ELIMINATE,
    )

    class Meta:
        verbose_name = _("stage schedule")
        verbose_name_plural = _("stage schedules")

    def __str__(self):
        return str(self.stage)


class Slot(models.Model):
    """One time slot of a panel in a stage; holds at most one application, and an application
    holds at most one slot of a stage (database constraints)."""

    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="slots", verbose_name=_("stage"))
    panel = models.ForeignKey(Panel, on_delete=models.PROTECT, related_name="slots", verbose_name=_("panel"))
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1)]
    )
    room = models.CharField(_("room"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="slots",
        verbose_name=_("application"),
    )
    no_show_at = models.DateTimeField(_("no-show recorded"), null=True, blank=True)
    no_show_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    no_show_reason = models.TextField(_("no-show note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stage", "starts_at", "panel", "pk"]
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "application"],
                condition=Q(application__isnull=False),
                name="one_slot_per_application_and_stage",
            ),
            models.UniqueConstraint(fields=["panel", "starts_at"], name="one_slot_per_panel_and_time"),
            models.CheckConstraint(condition=~Q(room="", video_link=""), name="slot_has_room_or_link"),
        ]

    def __str__(self):
        return f"{self.panel} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self):
        from datetime import timedelta

        return self.starts_at + timedelta(minutes=self.duration_minutes)


class ChangeRequest(models.Model):
    """An applicant's request for another slot, with its reason; staff answer it."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        DECLINED = "declined", pgettext_lazy("change request", "Declined")

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="change_requests")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="slot_change_requests"
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("slot change request")
        verbose_name_plural = _("slot change requests")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "slot"], condition=Q(state="open"), name="one_open_change_request"
            )
        ]

    def __str__(self):
        return f"{self.application} ({self.slot})"


class ScheduleEntry(models.Model):
    """The schedule's log: every placement, change request, reschedule and no-show, with who,
    when and why. Never edited."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("Placed")
        CHANGE_REQUESTED = "change_requested", _("Change requested")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CHANGE_DECLINED = "change_declined", _("Change declined")
        NO_SHOW = "no_show", _("No-show recorded")

    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="schedule_entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_slot = models.ForeignKey(Slot, on_delete=models.PROTECT, null=True, related_name="+")
    to_slot = models.ForeignKey(Slot, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("schedule log entry")
        verbose_name_plural = _("schedule log entries")

    def __str__(self):
        return f"{self.application}: {self.kind}"
