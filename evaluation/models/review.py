"""Reviewers, panels, conflicts, assignments and the reviews with their scores."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import Call, ServiceField, TechnologyField, Track
from projects.models import Application, Organisation

from .plan import Criterion


class Reviewer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviewer")
    affiliation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewers",
        verbose_name=_("affiliation"),
    )
    expertise = models.ManyToManyField(TechnologyField, blank=True, verbose_name=_("expertise"))
    code = models.CharField(
        _("pseudonymous code"),
        max_length=12,
        unique=True,
        help_text=_("Shown instead of the name where identities are hidden."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("reviewer")
        verbose_name_plural = _("reviewers")

    def __str__(self):
        return self.code


class Panel(models.Model):
    """Reviewers for a Call, optionally only one Track or ServiceField of it."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="panels", verbose_name=_("call"))
    track = models.ForeignKey(Track, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("track"))
    service_field = models.ForeignKey(
        ServiceField, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("service field")
    )
    name = models.CharField(_("name"), max_length=200)
    reviewers = models.ManyToManyField(
        Reviewer, related_name="panels", blank=True, verbose_name=_("reviewers")
    )

    class Meta:
        ordering = ["call", "name"]
        verbose_name = _("panel")
        verbose_name_plural = _("panels")

    def __str__(self):
        return self.name

    def covers(self, application):
        return (self.track_id in (None, application.track_id)) and (
            self.service_field_id in (None, application.service_field_id)
        )

    @property
    def specificity(self):
        return (self.track_id is not None) + (self.service_field_id is not None)


class DeclaredConflict(models.Model):
    """A reviewer's declared conflict with an organisation (before or during the review)."""

    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="declared_conflicts")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    reason = models.TextField(_("reason"), blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "organisation"], name="unique_declared_conflict")
        ]

    def __str__(self):
        return f"{self.reviewer} × {self.organisation}"


class Assignment(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("Assigned")
        RECUSED = "recused", _("Recused")
        PAST = "past", _("Earlier round (replaced after an objection)")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(Reviewer, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    recusal_reason = models.TextField(_("reason for recusal"), blank=True)
    round = models.PositiveSmallIntegerField(
        _("review round"), default=1, help_text=_("2 and later: re-reviews after an upheld objection.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "reviewer"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="unique_assignment"),
        ]
        indexes = [models.Index(fields=["reviewer", "state"])]

    def __str__(self):
        return f"{self.application} → {self.reviewer}"


class Review(models.Model):
    """One reviewer's scores for one application; locked once submitted."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="review")
    # Denormalised for aggregation in one GROUP BY without joins.
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reviews")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    comment = models.TextField(_("overall comment"), blank=True)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2, default=0)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [models.Index(fields=["application", "state"])]

    def __str__(self):
        return f"{self.assignment}"


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    points = models.DecimalField(
        _("points"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="unique_score")]

    def __str__(self):
        return f"{self.criterion}: {self.points}"
