"""Programme, Call, Track and ServiceField: what ministry staff configure.

The Call's lifecycle is a protected django-fsm-2 field; change it only through
``competitions.lifecycle.change_call_state`` (which checks permission, locks the row, explains
refusals and logs who, when and why). Whether reception is open is derived from the window.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from competitions.formatting import format_krw, format_seoul

from .document_kind import IDENTIFYING_DOCUMENT_KINDS, DocumentKind, default_reviewer_document_kinds
from .localized import LocalizedName, pick_language
from .results_notice import ResultsListing

MONEY_MIN = [MinValueValidator(0, message=_("Amounts cannot be negative."))]


class Programme(LocalizedName):
    """A standing policy instrument with one Call per year or round."""

    slug = models.SlugField(_("slug"), unique=True)
    ministry = models.CharField(_("ministry"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    EVALUATION = "evaluation", _("In evaluation")
    RESULTS_PUBLISHED = "results_published", _("Results published")
    CLOSED = "closed", _("Closed")


class ReceptionStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Opens soon")
    OPEN = "open", _("Open for applications")
    CLOSED = "closed", _("Reception closed")


class CallQuerySet(models.QuerySet):
    def public(self):
        """Calls anyone may see: everything but drafts."""
        return self.exclude(state=CallState.DRAFT)

    def receiving(self, now=None):
        now = now or timezone.now()
        return self.filter(state=CallState.PUBLISHED, opens_at__lte=now, closes_at__gte=now)

    def upcoming(self, now=None):
        now = now or timezone.now()
        return self.filter(state=CallState.PUBLISHED, opens_at__gt=now)

    def current(self, now=None):
        """Open and upcoming calls, the nearest deadline first."""
        now = now or timezone.now()
        return self.filter(state=CallState.PUBLISHED, closes_at__gte=now).order_by("closes_at", "slug")

    def past(self, now=None):
        """Public calls whose reception has closed, the most recent first."""
        now = now or timezone.now()
        return self.public().filter(closes_at__lt=now).order_by("-closes_at", "slug")


class Call(models.Model):
    """One announcement: a reception window, a budget, quotas, tracks and service fields."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="calls", verbose_name=_("programme")
    )
    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("title (English)"), max_length=300)
    title_ko = models.CharField(_("title (Korean)"), max_length=300, blank=True)
    summary = models.TextField(_("summary (English)"), blank=True)
    summary_ko = models.TextField(_("summary (Korean)"), blank=True)
    who_may_apply = models.TextField(_("who may apply (English)"), blank=True)
    who_may_apply_ko = models.TextField(_("who may apply (Korean)"), blank=True)
    reference_prefix = models.CharField(
        _("reference prefix"),
        max_length=8,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9]+$",
                message=_("Use capital letters and digits only, e.g. PC22."),
            )
        ],
        help_text=_("Application reference numbers start with it, e.g. PC22-0001."),
    )

    opens_at = models.DateTimeField(_("reception opens"))
    closes_at = models.DateTimeField(_("reception closes"))
    briefing_at = models.DateTimeField(_("briefing"), null=True, blank=True)

    budget_total = models.PositiveBigIntegerField(
        _("total budget (KRW)"),
        validators=[MinValueValidator(1, message=_("The total budget must be at least 1 won."))],
    )
    max_awards = models.PositiveIntegerField(
        _("maximum number of awards"),
        validators=[MinValueValidator(1, message=_("The maximum number of awards must be at least 1."))],
    )
    subsidy_min = models.PositiveBigIntegerField(
        _("minimum subsidy per award (KRW)"), default=0, validators=MONEY_MIN
    )
    subsidy_max = models.PositiveBigIntegerField(_("maximum subsidy per award (KRW)"), validators=MONEY_MIN)
    matching_national_ratio = models.PositiveSmallIntegerField(
        _("matching ratio: national part"),
        default=0,
        help_text=_(
            "With the local part, the national:local ratio the local government matches (the "
            "Smart City Challenge: 50:50). Leave both at 0 when the call requires no local match."
        ),
    )
    matching_local_ratio = models.PositiveSmallIntegerField(
        _("matching ratio: local government part"), default=0
    )
    matching_private_percent = models.PositiveSmallIntegerField(
        _("private match (won per 100 won of national subsidy)"),
        default=0,
        help_text=_(
            "The private sector's contribution (cash and in kind) required for every 100 won of "
            "national subsidy, re-checked at settlement on approved spending; the national subsidy "
            "it leaves unmatched is returned. 0: the call requires no private match."
        ),
    )
    previous_stage = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_stages",
        verbose_name=_("previous stage"),
        help_text=_("Only applicants selected in the previous stage may apply."),
    )
    min_awards = models.PositiveIntegerField(
        _("minimum number of awards"),
        default=0,
        help_text=_(
            "At least this many awards should be made (e.g. at least 4 sites a year); a selection "
            "run that cannot reach it says so. 0: no minimum."
        ),
    )
    one_application_per_lead = models.BooleanField(
        _("one application per lead organisation"),
        default=False,
        help_text=_("An organisation may lead only one application (draft or submitted) in this call."),
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from"),
        editable=False,
    )
    blind_review = models.BooleanField(
        _("blind review"),
        default=False,
        help_text=_("Reviewers do not see organisation or person names or registration numbers."),
    )
    budget_transfer_threshold_percent = models.PositiveSmallIntegerField(
        _("budget transfers needing approval above (%)"),
        default=20,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Money moved out of a budget category in a year beyond this share of the category's "
            "planned amount needs staff approval."
        ),
    )
    reviewer_document_kinds = models.JSONField(
        _("documents reviewers may open"),
        default=default_reviewer_document_kinds,
        blank=True,
        help_text=_(
            "The kinds of document reviewers may open. In a blind call the business registration "
            "certificate, financial statements and consortium agreement are never shown to reviewers."
        ),
    )

    results_listing = models.CharField(
        _("results on the call's page"),
        max_length=30,
        choices=ResultsListing.choices,
        default=ResultsListing.TITLES_AND_ORGANISATIONS,
        help_text=_("What the public page shows once staff publish the results; never any score."),
    )

    state = FSMField(_("state"), default=CallState.DRAFT, choices=CallState.choices, protected=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "slug"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["state", "opens_at", "closes_at"])]

    def __str__(self):
        return self.display_title

    def save(self, *args, **kwargs):
        """Saving a published call's deadline is checked here, inside the write's transaction with
        the row locked, whatever the path (a form, the admin, an import, code): never shortened,
        extended only with its record."""
        update_fields = kwargs.get("update_fields")
        if (
            self._state.adding
            or self.pk is None
            or (update_fields is not None and "closes_at" not in update_fields)
        ):
            return super().save(*args, **kwargs)
        with transaction.atomic():
            refusal = self._stored_deadline_refusal(lock=True)
            if refusal:
                raise ValidationError({"closes_at": refusal})
            return super().save(*args, **kwargs)

    # --- Presentation ---------------------------------------------------------------------
    @property
    def display_title(self):
        return pick_language(self.title, self.title_ko)

    @property
    def display_summary(self):
        return pick_language(self.summary, self.summary_ko)

    @property
    def display_who_may_apply(self):
        return pick_language(self.who_may_apply, self.who_may_apply_ko)

    # --- Reception window -----------------------------------------------------------------
    def reception_status(self, now=None):
        """Upcoming before ``opens_at``, open through ``closes_at`` to the second, then closed."""
        now = now or timezone.now()
        if now < self.opens_at:
            return ReceptionStatus.UPCOMING
        if now <= self.closes_at:
            return ReceptionStatus.OPEN
        return ReceptionStatus.CLOSED

    def is_receiving(self, now=None):
        """Applications are accepted only while published and inside the window."""
        return self.state == CallState.PUBLISHED and self.reception_status(now) == ReceptionStatus.OPEN

    # --- Quotas ---------------------------------------------------------------------------
    def field_places(self, fields=None):
        """Sum of the service fields' maximum awards (may exceed ``max_awards``: fields compete)."""
        fields = self.service_fields.all() if fields is None else fields
        return sum(field.max_awards for field in fields)

    # --- Validation -----------------------------------------------------------------------
    def clean_fields(self, exclude=None):
        # The protected state field refuses assignment, which clean_fields does; it only ever
        # changes through transitions, so there is nothing to validate there.
        super().clean_fields(exclude={*(exclude or ()), "state"})

    def clean(self):
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("Reception must close after it opens.")
        if self.briefing_at and self.closes_at and self.briefing_at >= self.closes_at:
            errors["briefing_at"] = _("The briefing must take place before reception closes.")
        if (
            self.subsidy_min is not None
            and self.subsidy_max is not None
            and self.subsidy_min > self.subsidy_max
        ):
            errors["subsidy_min"] = _(
                "The minimum subsidy (%(min)s) cannot exceed the maximum subsidy (%(max)s)."
            ) % {"min": format_krw(self.subsidy_min), "max": format_krw(self.subsidy_max)}
        if self.subsidy_max is not None and self.budget_total and self.subsidy_max > self.budget_total:
            errors["subsidy_max"] = _(
                "The maximum subsidy per award (%(max)s) cannot exceed the total budget (%(budget)s)."
            ) % {"max": format_krw(self.subsidy_max), "budget": format_krw(self.budget_total)}
        if self.min_awards and self.max_awards and self.min_awards > self.max_awards:
            errors["min_awards"] = _(
                "The minimum number of awards (%(min)s) cannot exceed the maximum (%(max)s)."
            ) % {"min": self.min_awards, "max": self.max_awards}
        if bool(self.matching_national_ratio) != bool(self.matching_local_ratio):
            errors["matching_local_ratio"] = _(
                "Give both parts of the national:local matching ratio, or leave both at 0."
            )
        errors.update(self._reviewer_document_errors())
        if self.pk and self.closes_at:
            refusal = self._stored_deadline_refusal(lock=False)
            if refusal:
                errors["closes_at"] = refusal
        if self.previous_stage_id:
            previous = self.previous_stage
            if self.pk and previous.pk == self.pk:
                errors["previous_stage"] = _("A call cannot be its own previous stage.")
            elif self.opens_at and previous.closes_at >= self.opens_at:
                errors["previous_stage"] = _(
                    "The previous stage must close (%(closes)s) before this stage opens."
                ) % {"closes": format_seoul(previous.closes_at)}
        if errors:
            raise ValidationError(errors)

    # --- The announced deadline (DESIGN.md §3: extended, never shortened) -------------------
    def deadline_change_refusal(self, stored_state, stored_closes_at, new_closes_at, recorded):
        """Why a call in ``stored_state`` whose stored deadline is ``stored_closes_at`` may not be
        saved with ``new_closes_at`` (None when it may). A draft's window is free; once announced,
        the deadline only moves later, and only through competitions.notices.extend_deadline
        (``recorded``: a DeadlineExtension from the stored to the new deadline exists)."""
        if stored_state == CallState.DRAFT or new_closes_at == stored_closes_at:
            return None
        if new_closes_at < stored_closes_at:
            return _(
                "A published call's deadline can be extended, never shortened: %(new)s is before the "
                "announced deadline %(old)s."
            ) % {"new": format_seoul(new_closes_at), "old": format_seoul(stored_closes_at)}
        if not recorded:
            return _(
                "A published call's deadline is extended on its notice page, with a reason, so that "
                "everyone who applied is told."
            )
        return None

    def _stored_deadline_refusal(self, lock):
        stored = Call.objects.filter(pk=self.pk)
        if lock:
            stored = stored.select_for_update()
        stored = stored.values_list("state", "closes_at").first()
        if stored is None:
            return None
        state, closes_at = stored
        refusal = self.deadline_change_refusal(state, closes_at, self.closes_at, recorded=True)
        if refusal or state == CallState.DRAFT or self.closes_at == closes_at:
            return refusal
        recorded = self.deadline_extensions.filter(
            previous_closes_at=closes_at, new_closes_at=self.closes_at
        ).exists()
        return self.deadline_change_refusal(state, closes_at, self.closes_at, recorded=recorded)

    # --- What reviewers may open -----------------------------------------------------------
    def reviewer_may_open(self, blind=False):
        """The document kinds this call's reviewers may open: those staff chose, never an
        identifying kind in a blind call (whatever was stored), nor for reviewers kept blind by
        their stage (``blind``)."""
        kinds = set(self.reviewer_document_kinds or ()) & set(DocumentKind.values)
        if self.blind_review or blind:
            kinds -= IDENTIFYING_DOCUMENT_KINDS
        return kinds

    def _reviewer_document_errors(self):
        kinds = self.reviewer_document_kinds
        if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
            return {"reviewer_document_kinds": _("Choose the kinds of document from the list.")}
        unknown = sorted(set(kinds) - set(DocumentKind.values))
        if unknown:
            return {
                "reviewer_document_kinds": _("Unknown kinds of document: %(kinds)s.")
                % {"kinds": ", ".join(unknown)}
            }
        identifying = [
            label for value, label in DocumentKind.choices if value in IDENTIFYING_DOCUMENT_KINDS & set(kinds)
        ]
        if self.blind_review and identifying:
            return {
                "reviewer_document_kinds": _(
                    "A blind call cannot let reviewers open documents that name the applicant: %(kinds)s."
                )
                % {"kinds": ", ".join(str(label) for label in identifying)}
            }
        return {}

    # --- Lifecycle (guards explain themselves; see competitions.lifecycle) ----------------
    def publish_blockers(self):
        blockers = []
        try:
            self.full_clean()
        except ValidationError as exc:
            blockers.extend(msg for msgs in exc.message_dict.values() for msg in msgs)
        if self.pk and not self.tracks.exists():
            blockers.append(_("Add at least one track before publishing."))
        return blockers

    def start_evaluation_blockers(self, now=None):
        if self.reception_status(now) != ReceptionStatus.CLOSED:
            return [
                _("Reception is open until %(closes)s; evaluation starts after it closes.")
                % {"closes": format_seoul(self.closes_at)}
            ]
        return []

    def _can_publish(self):
        return not self.publish_blockers()

    def _can_start_evaluation(self):
        return not self.start_evaluation_blockers()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CallState.DRAFT,
        target=CallState.PUBLISHED,
        conditions=[_can_publish],
        custom={"label": _("Publish")},
    )
    def publish(self, by=None, description=None):
        """Announce the call: it becomes public and receives applications in its window."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CallState.PUBLISHED,
        target=CallState.EVALUATION,
        conditions=[_can_start_evaluation],
        custom={"label": _("Start evaluation")},
    )
    def start_evaluation(self, by=None, description=None):
        """Reception has closed; eligibility checks and review begin."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CallState.EVALUATION,
        target=CallState.RESULTS_PUBLISHED,
        custom={"label": _("Publish results")},
    )
    def publish_results(self, by=None, description=None):
        """The selection has been confirmed and applicants are told."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CallState.RESULTS_PUBLISHED,
        target=CallState.CLOSED,
        custom={"label": _("Close")},
    )
    def close(self, by=None, description=None):
        """Nothing more happens in this call; its projects live on."""


class Quota(LocalizedName):
    """Common shape of a Track and a ServiceField: a named place inside a Call with a maximum."""

    max_awards = models.PositiveIntegerField(
        _("maximum number of awards"),
        validators=[MinValueValidator(1, message=_("The maximum number of awards must be at least 1."))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True

    def parent_call(self):
        """The call, also while it is unsaved in an admin inline; None when not set yet."""
        if self.call_id is None and not self._meta.get_field("call").is_cached(self):
            return None
        return self.call

    def clean(self):
        call = self.parent_call()
        if call is not None and call.max_awards and self.max_awards and self.max_awards > call.max_awards:
            raise ValidationError(
                {
                    "max_awards": _(
                        "%(name)s cannot have more awards (%(quota)s) than the call allows in all (%(max)s)."
                    )
                    % {"name": self.display_name, "quota": self.max_awards, "max": call.max_awards}
                }
            )


class Track(Quota):
    """A kind of participation inside a Call with its own maximum and optional subsidy cap."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="tracks", verbose_name=_("call"))
    subsidy_cap = models.PositiveBigIntegerField(
        _("maximum subsidy per award (KRW)"),
        null=True,
        blank=True,
        validators=MONEY_MIN,
        help_text=_("Leave empty to use the call's maximum."),
    )
    living_lab = models.BooleanField(
        _("living-lab track"),
        default=False,
        help_text=_(
            "The citizen-led living-lab track: only its funded projects may open a living lab, "
            "where citizens test the services and give feedback."
        ),
    )

    class Meta:
        ordering = ["call", "position", "id"]
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        constraints = [models.UniqueConstraint(fields=["call", "name"], name="unique_track_name_in_call")]

    @property
    def effective_subsidy_max(self):
        return self.subsidy_cap if self.subsidy_cap is not None else self.call.subsidy_max

    def clean(self):
        super().clean()
        call = self.parent_call()
        if call is None or self.subsidy_cap is None:
            return
        if call.subsidy_max is not None and self.subsidy_cap > call.subsidy_max:
            raise ValidationError(
                {
                    "subsidy_cap": _(
                        "The track's cap (%(cap)s) cannot exceed the call's maximum subsidy (%(max)s)."
                    )
                    % {"cap": format_krw(self.subsidy_cap), "max": format_krw(call.subsidy_max)}
                }
            )
        if call.subsidy_min is not None and self.subsidy_cap < call.subsidy_min:
            raise ValidationError(
                {
                    "subsidy_cap": _(
                        "The track's cap (%(cap)s) cannot be below the call's minimum subsidy (%(min)s)."
                    )
                    % {"cap": format_krw(self.subsidy_cap), "min": format_krw(call.subsidy_min)}
                }
            )


class ServiceField(Quota):
    """A service area inside a Call with a maximum number of awards (the field quota)."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="service_fields", verbose_name=_("call")
    )

    class Meta:
        ordering = ["call", "position", "id"]
        verbose_name = _("service field")
        verbose_name_plural = _("service fields")
        constraints = [
            models.UniqueConstraint(fields=["call", "name"], name="unique_service_field_name_in_call")
        ]
