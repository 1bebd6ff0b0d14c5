"""Performance indicators (성과지표): what an application promises (a name, a unit, a baseline
and a target per project year), what its reports record against them (an actual with its
evidence), and what a call asks of them (how many at least, how many follow-up years).

The rules: projects.indicators. Nothing here is hard-deleted: an indicator dropped from a draft
is marked removed; an actual is corrected by recording a new one (the latest counts).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import Call
from competitions.models.localized import pick_language

from .application import Application
from .award import AppendOnly, Report

MAX_DIGITS, DECIMAL_PLACES = 18, 2


class IndicatorSettings(models.Model):
    """A call's settings for indicators (one row per call; none: no indicator is required and
    no follow-up report is due)."""

    call = models.OneToOneField(
        Call, on_delete=models.CASCADE, related_name="indicator_settings", verbose_name=_("call")
    )
    min_indicators = models.PositiveSmallIntegerField(
        _("indicators required"),
        default=0,
        help_text=_("An application must propose at least this many indicators before it is submitted."),
    )
    project_years = models.PositiveSmallIntegerField(
        _("project years with targets"), default=1, help_text=_("Each indicator has a target for each year.")
    )
    follow_up_years = models.PositiveSmallIntegerField(
        _("follow-up years"),
        default=0,
        help_text=_("After the project ends, a follow-up report is due every year for this many years."),
    )

    class Meta:
        verbose_name = _("indicator settings")
        verbose_name_plural = _("indicator settings")

    def __str__(self):
        return str(self.call)


class Indicator(models.Model):
    """One indicator an application proposes; frozen once the application is submitted."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("application")
    )
    name = models.CharField(_("indicator (English)"), max_length=200, blank=True)
    name_ko = models.CharField(_("indicator (Korean)"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=40)
    baseline = models.DecimalField(_("baseline"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    removed = models.BooleanField(_("removed from the draft"), default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application", "position", "pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return pick_language(self.name, self.name_ko) or self.name_ko or self.name


class IndicatorTarget(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    year = models.PositiveSmallIntegerField(_("project year"))
    target = models.DecimalField(_("target"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)

    class Meta:
        ordering = ["indicator", "year"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="one_target_per_year")]

    def __str__(self):
        return f"{self.indicator} {self.year}: {self.target}"


class IndicatorActual(AppendOnly):
    """What a report records for one indicator, with its evidence; a correction is a new record
    (the latest one of an indicator in a report counts), the earlier ones stay on record."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="actuals")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="indicator_actuals")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("actual"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    evidence = models.FileField(_("evidence"), upload_to="indicators/")
    original_name = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["indicator", "year", "pk"]
        verbose_name = _("indicator actual")
        verbose_name_plural = _("indicator actuals")

    def __str__(self):
        return f"{self.indicator} {self.year}: {self.value}"
