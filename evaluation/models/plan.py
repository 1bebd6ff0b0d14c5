"""A Call's evaluation plan: criteria, aggregation, cutoff, bonus rules, tie-breaks, reserves."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import Call
from competitions.models.localized import LocalizedName

DEFAULT_TIE_BREAKS = ["top_criterion", "sme_lead", "lower_subsidy", "earlier_submission", "lower_reference"]


def default_tie_breaks():
    return list(DEFAULT_TIE_BREAKS)


class FinalScore(models.TextChoices):
    WEIGHTED = "weighted", _("Weighted sum of the stage scores")
    LAST_STAGE = "last_stage", _("The last stage's score alone")


class LetterComments(models.TextChoices):
    """What the result letters show of the committee's comments (never who wrote them)."""

    NONE = "none", _("No comments")
    ANONYMISED = "anonymised", _("The comments, without names, in a shuffled order")


class EvaluationPlan(models.Model):
    class Aggregation(models.TextChoices):
        TRIMMED_MEAN = "trimmed_mean", _("Trimmed mean (drop one highest and one lowest)")
        MEAN = "mean", _("Mean")
        MEDIAN = "median", _("Median")

    call = models.OneToOneField(
        Call, on_delete=models.CASCADE, related_name="evaluation_plan", verbose_name=_("call")
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=20, choices=Aggregation.choices, default=Aggregation.TRIMMED_MEAN
    )
    trim_at = models.PositiveSmallIntegerField(
        _("trim from this many reviews"), default=5, validators=[MinValueValidator(3)]
    )
    reviews_per_application = models.PositiveSmallIntegerField(
        _("reviews per application"),
        default=5,
        validators=[MinValueValidator(3, message=_("Each application needs at least 3 reviews."))],
    )
    minimum_reviews = models.PositiveSmallIntegerField(
        _("minimum reviews"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_(
            "An application is scored only with at least this many submitted reviews of its current round."
        ),
    )
    cutoff = models.DecimalField(_("cutoff"), max_digits=5, decimal_places=2, default=Decimal("70.00"))
    bonus_cap = models.DecimalField(_("bonus cap"), max_digits=5, decimal_places=2, default=Decimal("5"))
    reserve_per_field = models.PositiveSmallIntegerField(_("reserve places per field"), default=1)
    tie_breaks = models.JSONField(_("tie-break order"), default=default_tie_breaks)
    review_due_at = models.DateTimeField(_("reviews due"), null=True, blank=True)
    final_score = models.CharField(
        _("final score"),
        max_length=20,
        choices=FinalScore.choices,
        default=FinalScore.LAST_STAGE,
        help_text=_("How the final score is formed when the call is evaluated in more than one stage."),
    )
    letter_comments = models.CharField(
        _("comments in the result letters"),
        max_length=20,
        choices=LetterComments.choices,
        default=LetterComments.NONE,
        help_text=_("What the applicants' result letters show of the reviewers' overall comments."),
    )

    class Meta:
        verbose_name = _("evaluation plan")
        verbose_name_plural = _("evaluation plans")

    def __str__(self):
        return str(self.call)

    def clean(self):
        from evaluation.scoring import TIE_BREAKS

        errors = {}
        unknown = [name for name in self.tie_breaks or [] if name not in TIE_BREAKS]
        if unknown:
            errors["tie_breaks"] = _("Unknown tie-breaks: %(names)s. Use: %(known)s.") % {
                "names": ", ".join(unknown),
                "known": ", ".join(TIE_BREAKS),
            }
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

    def criteria_total(self, criteria=None):
        criteria = list(self.criteria.all()) if criteria is None else criteria
        return sum((c.max_points * c.weight for c in criteria), Decimal(0))

    def criteria_problem(self, criteria=None):
        """Why the criteria cannot be used (None when their maximum points sum to 100)."""
        total = self.criteria_total(criteria)
        if total != 100:
            return _(
                "The criteria's maximum points (times their weights) add up to %(total)s; they must add up to 100."
            ) % {"total": f"{total.normalize():f}"}
        return None

    def stages_problems(self, stages, criteria_by_stage):
        """Why these stages cannot be used together (an empty list when they can): positions
        distinct, weights adding up to 100 when the final score is weighted, and each stage's
        criteria adding up to 100 points. ``criteria_by_stage`` maps a stage to its criteria."""
        problems = []
        positions = [stage.position for stage in stages]
        if len(set(positions)) != len(positions):
            problems.append(_("Two stages have the same position; give each stage its own."))
        if stages and self.final_score == FinalScore.WEIGHTED:
            total = sum((stage.weight or 0 for stage in stages), Decimal(0))
            if total != 100:
                problems.append(
                    _("The stages' weights add up to %(total)s; they must add up to 100.")
                    % {"total": f"{Decimal(total).normalize():f}"}
                )
        for stage in stages:
            total = self.criteria_total(criteria_by_stage.get(stage, []))
            if total != 100:
                problems.append(
                    _(
                        "The criteria of the stage %(stage)s add up to %(total)s points; they must add up to 100."
                    )
                    % {"stage": stage, "total": f"{total.normalize():f}"}
                )
        return problems

    def top_criterion(self, criteria=None):
        """The criterion with the most points; the first such in the plan's order."""
        criteria = list(self.criteria.all()) if criteria is None else criteria
        best = None
        for criterion in criteria:
            if best is None or criterion.weighted_max > best.weighted_max:
                best = criterion
        return best


class CriterionQuerySet(models.QuerySet):
    def for_assignment(self, assignment):
        """The criteria a reviewer scores on this assignment: those of its stage (of the plan,
        when the plan has no stages)."""
        return self.filter(plan__call_id=assignment.application.call_id, stage_id=assignment.stage_id)


class Criterion(LocalizedName):
    plan = models.ForeignKey(EvaluationPlan, on_delete=models.CASCADE, related_name="criteria")
    # Empty when the plan has no stages (the plan is its only stage).
    stage = models.ForeignKey(
        "evaluation.Stage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="criteria",
        verbose_name=_("stage"),
    )
    max_points = models.DecimalField(_("maximum points"), max_digits=6, decimal_places=2)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=3, default=Decimal("1"))
    threshold = models.DecimalField(
        _("minimum (threshold)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "An application whose aggregated points on this criterion fall below it is below the cutoff."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = CriterionQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    @property
    def weighted_max(self):
        return self.max_points * self.weight


class BonusRule(models.Model):
    plan = models.ForeignKey(EvaluationPlan, on_delete=models.CASCADE, related_name="bonus_rules")
    code = models.SlugField(_("code"))
    label = models.CharField(_("label (English)"), max_length=200)
    label_ko = models.CharField(_("label (Korean)"), max_length=200, blank=True)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    evidence_required = models.BooleanField(_("evidence required"), default=True)

    class Meta:
        ordering = ["plan", "code"]
        verbose_name = _("bonus rule")
        verbose_name_plural = _("bonus rules")
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="unique_bonus_code")]

    def __str__(self):
        return f"{self.code} (+{self.points})"


class BonusAward(models.Model):
    """A bonus rule granted to an application, with its evidence."""

    application = models.ForeignKey(
        "projects.Application", on_delete=models.CASCADE, related_name="bonus_awards"
    )
    rule = models.ForeignKey(BonusRule, on_delete=models.PROTECT, related_name="awards")
    evidence = models.TextField(_("evidence"), blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bonus awarded")
        verbose_name_plural = _("bonuses awarded")
        constraints = [models.UniqueConstraint(fields=["application", "rule"], name="unique_bonus_award")]

    def __str__(self):
        return f"{self.application} {self.rule}"

    def save(self, *args, **kwargs):
        from evaluation.score_sheets import bonus_changed

        super().save(*args, **kwargs)
        bonus_changed([self.application_id])

    def delete(self, *args, **kwargs):
        from evaluation.score_sheets import bonus_changed

        result = super().delete(*args, **kwargs)
        bonus_changed([self.application_id])
        return result

    def clean(self):
        if self.rule_id and self.rule.evidence_required and not self.evidence.strip():
            raise ValidationError({"evidence": _("This bonus needs its evidence.")})
        if self.rule_id and self.application_id and self.rule.plan.call_id != self.application.call_id:
            raise ValidationError({"rule": _("This bonus rule belongs to another call's evaluation plan.")})
