"""An applicant's objection to an outcome: filed within the window, decided by staff."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models import Application

DECISION_WINDOW = timedelta(days=30)


class Objection(models.Model):
    class State(models.TextChoices):
        FILED = "filed", _("Filed")
        UPHELD = "upheld", _("Upheld: re-review")
        DISMISSED = "dismissed", _("Dismissed")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    outcome = models.CharField(_("outcome objected to"), max_length=20)
    grounds = models.TextField(_("grounds"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.FILED)
    decision = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self):
        return f"{self.application} ({self.get_state_display()})"

    @property
    def decision_due(self):
        """Staff decide within 30 days of filing (DESIGN.md §3)."""
        return self.filed_at + DECISION_WINDOW if self.filed_at else None


class Reinstatement(models.Model):
    """An upheld objection to an elimination at ``stage``: the application goes on to the next
    stage as if it had advanced (its recorded result at ``stage`` stays as it was, never edited;
    this record is the correction). Read by ``evaluation.stage_runs.current_stages``."""

    objection = models.OneToOneField(Objection, on_delete=models.PROTECT, related_name="reinstatement")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reinstatements")
    stage = models.ForeignKey(
        "evaluation.Stage", on_delete=models.PROTECT, related_name="reinstatements", verbose_name=_("stage")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("reinstated"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reinstatement after an objection")
        verbose_name_plural = _("reinstatements after an objection")

    def __str__(self):
        return f"{self.application} ({self.stage})"
