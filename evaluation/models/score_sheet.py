"""An application's score sheet: its scores as the evaluation plan computes them from its
submitted reviews and granted bonuses, kept so that a selection ranks 20,000 applications
without re-reading their 100,000 reviews.

Written when the application's review completes (its scores lock then), rewritten when the
plan's scoring settings change (the fingerprint no longer matches) or a bonus is granted or
withdrawn. The reviews stay the record: a recorded selection run checks every sheet against
them and rewrites any that differs. Derived data, so it is overwritten in place.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models import Application


class ScoreSheet(models.Model):
    application = models.OneToOneField(
        Application,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="score_sheet",
        verbose_name=_("application"),
    )
    reviews = models.PositiveSmallIntegerField(_("reviews counted"))
    evaluation_score = models.DecimalField(_("evaluation score"), max_digits=7, decimal_places=2, null=True)
    bonus = models.DecimalField(_("bonus"), max_digits=5, decimal_places=2)
    final_score = models.DecimalField(_("final score"), max_digits=7, decimal_places=2, null=True)
    top_criterion_score = models.DecimalField(
        _("top criterion score"), max_digits=7, decimal_places=2, null=True
    )
    below_cutoff = models.BooleanField(_("below the cutoff"))
    # What the scores were computed under (evaluation.score_sheets.plan_fingerprint); empty
    # when something they depend on changed and they wait to be computed again.
    plan_fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")

    def __str__(self):
        return f"{self.application_id}: {self.final_score}"


class StageScoreSheet(models.Model):
    """An application's score in one stage of a call evaluated in stages, computed by
    ``evaluation.scoring.score`` from its current-round reviews in that stage (no bonus: bonus
    points are added to the final score only). Written when its review in the stage completes,
    computed on reading when missing or of other settings; the dashboards read the stage's score
    distribution from these. Derived data, like ScoreSheet: the reviews stay the record, and
    advancement runs read the reviews themselves."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="stage_score_sheets",
        verbose_name=_("application"),
    )
    stage = models.ForeignKey(
        "evaluation.Stage", on_delete=models.CASCADE, related_name="score_sheets", verbose_name=_("stage")
    )
    reviews = models.PositiveSmallIntegerField(_("reviews counted"))
    evaluation_score = models.DecimalField(_("stage score"), max_digits=7, decimal_places=2, null=True)
    top_criterion_score = models.DecimalField(
        _("top criterion score"), max_digits=7, decimal_places=2, null=True
    )
    below_cutoff = models.BooleanField(_("below the cutoff"))
    plan_fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("stage score sheet")
        verbose_name_plural = _("stage score sheets")
        constraints = [
            models.UniqueConstraint(fields=["application", "stage"], name="one_score_sheet_per_stage")
        ]

    def __str__(self):
        return f"{self.application_id} @ {self.stage_id}: {self.evaluation_score}"
