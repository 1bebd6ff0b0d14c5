"""Immutable, reproducible records of one ranking and selection for a Call (and what every
recorded run shares: the advancement runs of stages are recorded the same way)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import Call, ServiceField
from projects.models import Application


class RecordedRun(models.Model):
    """What every recorded run shares (selection, advancement): numbered, its parameters
    and inputs' hash, who ran it and who confirmed it."""

    number = models.PositiveIntegerField(_("run"))
    parameters = models.JSONField(_("parameters"))
    inputs_hash = models.CharField(_("inputs hash"), max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("run at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        abstract = True


class SelectionRun(RecordedRun):
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="selection_runs", verbose_name=_("call")
    )

    class Meta:
        ordering = ["call", "-number"]
        verbose_name = _("selection run")
        verbose_name_plural = _("selection runs")
        constraints = [models.UniqueConstraint(fields=["call", "number"], name="unique_run_number")]

    def __str__(self):
        return f"{self.call.slug} #{self.number}"

    @property
    def shortfall(self):
        """Why this run selects fewer than the call's minimum number of awards (None when it
        does not), as recorded with the run."""
        from evaluation.selection import Shortfall

        recorded = (self.parameters or {}).get("shortfall")
        return Shortfall(recorded["minimum"], recorded["selected"]) if recorded else None


class SelectionResult(models.Model):
    run = models.ForeignKey(SelectionRun, on_delete=models.PROTECT, related_name="results")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="selection_results")
    evaluation_score = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    bonus = models.DecimalField(max_digits=5, decimal_places=2)
    final_score = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    # A call evaluated in stages: the last stage's own score (its cutoff applies to it), which the
    # weighted final score (``evaluation_score``) cannot be read back into. Empty otherwise.
    stage_score = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    rank = models.PositiveIntegerField(null=True)
    outcome = models.CharField(max_length=20)
    reason = models.CharField(max_length=30)
    requested_subsidy = models.PositiveBigIntegerField()
    # The service field the run counted the application under (its quota), recorded with the
    # result: the call dashboard groups a run's scores per field from this table alone, not
    # joined to the 20,000 applications. (No index of its own: result_field_score_idx leads with
    # the run.)
    service_field = models.ForeignKey(
        ServiceField,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("service field"),
    )

    class Meta:
        ordering = ["run", "rank", "pk"]
        verbose_name = _("selection result")
        verbose_name_plural = _("selection results")
        constraints = [models.UniqueConstraint(fields=["run", "application"], name="unique_result_per_run")]
        # The call dashboard's score distribution: a run's scores per field, from the index.
        indexes = [
            models.Index(fields=["run", "service_field", "evaluation_score"], name="result_field_score_idx"),
        ]

    def __str__(self):
        return f"{self.application}: {self.outcome}"
