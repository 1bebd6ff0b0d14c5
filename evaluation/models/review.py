"""Reviewers, panels, conflicts, assignments and the reviews with their scores."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Max, Q
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
    # Empty when the call's plan has no stages (the plan is its only stage).
    stage = models.ForeignKey(
        "evaluation.Stage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="panels",
        verbose_name=_("stage"),
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


class AssignmentQuerySet(models.QuerySet):
    def current_rounds(self):
        """{application id: its current review round} for the applications of these assignments,
        in one query. A round is superseded when an upheld objection marks its assignments
        PAST; the current round is the latest round with an assignment that is not superseded,
        or the round after the last superseded one (opened, perhaps still without reviewers)."""
        rows = (
            self.order_by()
            .values("application_id")
            .annotate(
                open=Max("round", filter=~Q(state=Assignment.State.PAST)),
                superseded=Max("round", filter=Q(state=Assignment.State.PAST)),
            )
        )
        return {row["application_id"]: max(row["open"] or 1, (row["superseded"] or 0) + 1) for row in rows}


class Assignment(models.Model):
    """A reviewer on an application in one review ROUND (DESIGN.md §2 "Round"): round 1 is the
    first review; an upheld objection supersedes the current round (its assignments become PAST,
    their reviews stay on record but no longer count) and opens the next."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Assigned")
        RECUSED = "recused", _("Recused")
        PAST = "past", _("Earlier round (replaced after an objection)")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(Reviewer, on_delete=models.PROTECT, related_name="assignments")
    # Empty when the call's plan has no stages (the plan is its only stage).
    stage = models.ForeignKey(
        "evaluation.Stage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("stage"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    recusal_reason = models.TextField(_("reason for recusal"), blank=True)
    round = models.PositiveSmallIntegerField(
        _("review round"), default=1, help_text=_("2 and later: re-reviews after an upheld objection.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["application", "reviewer"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], condition=Q(stage=None), name="unique_assignment"
            ),
            models.UniqueConstraint(
                fields=["application", "reviewer", "stage"],
                condition=Q(stage__isnull=False),
                name="unique_stage_assignment",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "state"]),
            # The call dashboard counts assignments per reviewer from these alone.
            models.Index(fields=["application", "state", "reviewer"], name="assignment_progress_idx"),
        ]

    def __str__(self):
        return f"{self.application} → {self.reviewer}"

    @property
    def hides_applicant(self):
        """Its reviewer may not learn who applied: a blind call, or a blind stage of this
        assignment (``evaluation.models.stage.hides_applicants``)."""
        from .stage import hides_applicants

        return hides_applicants(self.application.call, self.stage)

    @property
    def superseded(self):
        """Of a round an upheld objection replaced: on record, never counted."""
        return self.state == self.State.PAST


class ReviewerProgress(models.Model):
    """A reviewer's review progress in one call, kept so that a dashboard of a national call
    (500 reviewers, 100,000 assignments and reviews) reads 500 rows instead of counting them:
    the active assignments, and among them those whose review is submitted or a draft
    (``evaluation.review_progress``, the one definition). Derived data, never edited: rewritten
    from the assignments and reviews by ``review_progress.recount`` in the transaction of every
    write that changes them, and checked equal to a fresh count by the tests."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(Reviewer, on_delete=models.PROTECT, related_name="progress")
    assigned = models.PositiveIntegerField(_("reviews assigned"), default=0)
    submitted = models.PositiveIntegerField(_("reviews submitted"), default=0)
    drafts = models.PositiveIntegerField(_("reviews in draft"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "reviewer"], name="unique_reviewer_progress")]

    def __str__(self):
        return f"{self.reviewer} in {self.call}: {self.submitted}/{self.assigned}"


def counted_reviews_sql(review="r", assignment="a"):
    """``ReviewQuerySet.counted`` as an SQL condition on a review row ``review`` joined to its
    assignment ``assignment``, with its parameters: for the plain-SQL readers (score sheets,
    the funding workbook), tested equal to the queryset."""
    return (
        f"{review}.state = %s AND {assignment}.state = %s",
        [Review.State.SUBMITTED, Assignment.State.ACTIVE],
    )


class ReviewQuerySet(models.QuerySet):
    def counted(self):
        """The reviews that count (DESIGN.md §3 invariants): submitted, and of the current round
        of their application (their assignment neither superseded by a re-review nor recused).
        Completion, score sheets, selection runs and dashboards read reviews through this."""
        return self.filter(state=Review.State.SUBMITTED, assignment__state=Assignment.State.ACTIVE)


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

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        # Also the call dashboard's: reviews per reviewer reached without reading a review row.
        indexes = [models.Index(fields=["application", "state", "assignment"], name="review_progress_idx")]

    def __str__(self):
        return f"{self.assignment}"

    @property
    def round(self):
        """The review round it belongs to: its assignment's."""
        return self.assignment.round

    @property
    def superseded(self):
        return self.assignment.superseded


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
