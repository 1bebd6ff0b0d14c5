"""A Call's evaluation stages (DESIGN.md §3 "Stages") and the recorded advancement runs.

A plan without stages has one implicit stage: the plan itself (its criteria, panels,
reviews per application, minimum, cutoff), exactly as before stages existed. A plan with
stages has each criterion, panel and assignment pointing at its stage.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models.localized import LocalizedName
from projects.models import Application

from .plan import EvaluationPlan, LetterComments
from .selection_run import RecordedRun


class StageKind(models.TextChoices):
    DOCUMENT = "document", _("Document review")
    PRESENTATION = "presentation", _("Presentation evaluation")
    SITE_VISIT = "site_visit", _("Site visit")
    SCREENING = "screening", _("Pass/fail screening")


class AdvancementRule(models.TextChoices):
    TOP_N = "top_n", _("The top N in each service field")
    MULTIPLE = "multiple", _("A multiple of the field's places, rounded up")
    CUTOFF = "cutoff", _("Everyone at or above the cutoff")


def hides_applicants(call, stage=None) -> bool:
    """Whether reviewers are kept from knowing who applied (names of organisations and people,
    registration numbers, identifying documents): the one definition. A blind call hides them in
    every stage; in a call that is not blind, each stage's own setting decides for its reviewers
    (a blind document review, then a presentation where the committee meets the applicant)."""
    return bool(call.blind_review or (stage is not None and stage.blind))


class Stage(LocalizedName):
    plan = models.ForeignKey(
        EvaluationPlan, on_delete=models.CASCADE, related_name="stages", verbose_name=_("evaluation plan")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=StageKind.choices, default=StageKind.DOCUMENT)
    weight = models.DecimalField(
        _("weight in the final score (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_(
            "Used when the final score is the weighted sum of the stage scores; the weights add up to 100."
        ),
    )
    reviews_per_application = models.PositiveSmallIntegerField(
        _("reviews per application"),
        default=5,
        validators=[
            MinValueValidator(1, message=_("Each application needs at least one review in a stage."))
        ],
    )
    minimum_reviews = models.PositiveSmallIntegerField(
        _("minimum reviews"), default=3, validators=[MinValueValidator(1)]
    )
    blind = models.BooleanField(
        _("blind"), default=False, help_text=_("Reviewers of this stage do not see who applied.")
    )
    cutoff = models.DecimalField(_("cutoff"), max_digits=5, decimal_places=2, default=Decimal("70.00"))
    advancement = models.CharField(
        _("advancement rule"),
        max_length=20,
        choices=AdvancementRule.choices,
        default=AdvancementRule.MULTIPLE,
    )
    advance_count = models.PositiveSmallIntegerField(
        _("N advancing per field"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    advance_multiple = models.DecimalField(
        _("multiple of the field's places"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    letter_comments = models.CharField(
        _("comments in the result letters"),
        max_length=20,
        choices=LetterComments.choices,
        blank=True,
        help_text=_("Empty: as the evaluation plan says."),
    )

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("evaluation stage")
        verbose_name_plural = _("evaluation stages")
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="unique_stage_position")]

    @property
    def hides_applicants(self):
        return hides_applicants(self.plan.call, self)

    def clean(self):
        errors = {}
        if self.advancement == AdvancementRule.TOP_N and not self.advance_count:
            errors["advance_count"] = _("Say how many applications of each field advance.")
        if self.advancement == AdvancementRule.MULTIPLE and not self.advance_multiple:
            errors["advance_multiple"] = _("Say which multiple of the field's places advances (e.g. 2).")
        if (
            self.minimum_reviews is not None
            and self.reviews_per_application is not None
            and self.minimum_reviews > self.reviews_per_application
        ):
            errors["minimum_reviews"] = _(
                "The minimum number of reviews cannot be above the reviews per application (%(count)d)."
            ) % {"count": self.reviews_per_application}
        if errors:
            raise ValidationError(errors)


class AdvancementRun(RecordedRun):
    """One recorded, reproducible ranking of a stage deciding who advances to the next."""

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="advancement_runs", verbose_name=_("stage")
    )

    class Meta:
        ordering = ["stage", "-number"]
        verbose_name = _("advancement run")
        verbose_name_plural = _("advancement runs")
        constraints = [
            models.UniqueConstraint(fields=["stage", "number"], name="unique_advancement_run_number")
        ]

    def __str__(self):
        return f"{self.stage} #{self.number}"


class AdvancementOutcome(models.TextChoices):
    ADVANCED = "advanced", _("Advanced")
    ELIMINATED = "eliminated", _("Eliminated")


class AdvancementResult(models.Model):
    """One application's outcome at a stage, with the figures its margin is told from."""

    run = models.ForeignKey(AdvancementRun, on_delete=models.PROTECT, related_name="results")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="advancement_results")
    stage_score = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    top_criterion_score = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    field_rank = models.PositiveIntegerField(null=True)
    outcome = models.CharField(max_length=20, choices=AdvancementOutcome.choices)
    reason = models.CharField(max_length=30)
    # below_cutoff: the cutoff minus the score; not_advanced: the last advancing score minus it.
    margin = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    field_advancing = models.PositiveIntegerField(null=True)
    last_advancing_score = models.DecimalField(max_digits=7, decimal_places=2, null=True)

    class Meta:
        ordering = ["run", "field_rank", "pk"]
        verbose_name = _("advancement result")
        verbose_name_plural = _("advancement results")
        constraints = [
            models.UniqueConstraint(fields=["run", "application"], name="unique_advancement_result_per_run")
        ]

    def __str__(self):
        return f"{self.application}: {self.outcome}"
