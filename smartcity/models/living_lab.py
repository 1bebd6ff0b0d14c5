"""Living labs (issue 17): a funded project's citizen-led track where citizens test pilot
services through phases (explore, co-design, test, evaluate) and leave feedback on each.

The rules (who may join, give feedback, move the phase, see personal data) live in
smartcity.living_labs; here are the fields, the phases and their logged transitions."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from competitions.models.localized import pick_language


class LabPhase(models.TextChoices):
    EXPLORE = "explore", _("Explore")
    CO_DESIGN = "co_design", _("Co-design")
    TEST = "test", _("Test")
    EVALUATE = "evaluate", _("Evaluate")
    CLOSED = "closed", _("Closed")


# The phases citizens give feedback in, in their order (a closed lab takes none).
FEEDBACK_PHASES = [LabPhase.EXPLORE, LabPhase.CO_DESIGN, LabPhase.TEST, LabPhase.EVALUATE]


class LivingLab(models.Model):
    """A living lab run by a funded project. ``consent_*`` is the lab's own personal-data consent
    citizens agree to when they join; a new version is a new text, each participant keeps the
    text they agreed to."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.PROTECT, related_name="living_lab", verbose_name=_("project")
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    description_en = models.TextField(_("description in English"), blank=True)
    consent_version = models.CharField(_("consent version"), max_length=20)
    consent_text = models.TextField(_("consent text"))
    consent_text_en = models.TextField(_("consent text in English"), blank=True)
    phase = FSMField(_("phase"), default=LabPhase.EXPLORE, choices=LabPhase.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("living lab")
        verbose_name_plural = _("living labs")

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return pick_language(self.name_en or self.name, self.name)

    @property
    def display_description(self):
        return pick_language(self.description_en or self.description, self.description)

    @property
    def display_consent(self):
        return pick_language(self.consent_text_en or self.consent_text, self.consent_text)

    @property
    def takes_feedback(self):
        return self.phase in FEEDBACK_PHASES

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude={*(exclude or ()), "phase"})

    @fsm_log_by
    @fsm_log_description
    @transition(field=phase, source=LabPhase.EXPLORE, target=LabPhase.CO_DESIGN)
    def start_co_design(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=phase, source=LabPhase.CO_DESIGN, target=LabPhase.TEST)
    def start_test(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=phase, source=LabPhase.TEST, target=LabPhase.EVALUATE)
    def start_evaluation(self, by=None, description=None):
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=phase, source=LabPhase.EVALUATE, target=LabPhase.CLOSED)
    def close(self, by=None, description=None):
        pass


class LabService(models.Model):
    """A pilot service the lab tests, optionally a service of the menu board."""

    lab = models.ForeignKey(
        LivingLab, on_delete=models.PROTECT, related_name="services", verbose_name=_("living lab")
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    menu_item = models.ForeignKey(
        "competitions.SmartService",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="living_lab_services",
        verbose_name=_("service on the menu board"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["lab_id", "position", "pk"]
        verbose_name = _("tested service")
        verbose_name_plural = _("tested services")

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return pick_language(self.name_en or self.name, self.name)


class LabManager(models.Model):
    """A person staff approved to manage the lab: only they see participants' personal data."""

    lab = models.ForeignKey(
        LivingLab, on_delete=models.PROTECT, related_name="managers", verbose_name=_("living lab")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_labs",
        verbose_name=_("manager"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("approved at"))

    class Meta:
        ordering = ["lab_id", "approved_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "user"], name="one_manager_row_per_lab_and_user")
        ]
        verbose_name = _("living lab manager")
        verbose_name_plural = _("living lab managers")

    def __str__(self):
        return str(self.user)


class AgeBand(models.TextChoices):
    UNDER_20 = "under_20", _("Under 20")
    TWENTIES = "20s", _("20–29")
    THIRTIES = "30s", _("30–39")
    FORTIES = "40s", _("40–49")
    FIFTIES = "50s", _("50–59")
    SIXTY_PLUS = "60_plus", _("60 and over")


class Participant(models.Model):
    """A citizen taking part, with the consent they agreed to. Never deleted: withdrawal marks
    the row, the feedback stays (shown in results without the person)."""

    lab = models.ForeignKey(
        LivingLab, on_delete=models.PROTECT, related_name="participants", verbose_name=_("living lab")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="lab_participations",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact (phone or e-mail)"), max_length=200)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices)
    consent_version = models.CharField(_("consent version"), max_length=20)
    consent_text = models.TextField(_("consent text agreed"))
    consented_at = models.DateTimeField(_("consented at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("why withdrawn"), blank=True)

    class Meta:
        ordering = ["lab_id", "consented_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "user"], name="one_participation_per_lab_and_user")
        ]
        verbose_name = _("living lab participant")
        verbose_name_plural = _("living lab participants")

    def __str__(self):
        return f"{self.lab} · {self.pk}"

    @property
    def active(self):
        return self.withdrawn_at is None


class Feedback(models.Model):
    """A participant's rating (1–5) and comment on a service in a phase. One current per
    participant, service and phase: a new one is a correction, the old is kept, marked replaced."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("participant")
    )
    service = models.ForeignKey(
        LabService, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("service")
    )
    phase = models.CharField(_("phase"), max_length=10, choices=LabPhase.choices)
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    given_at = models.DateTimeField(_("given at"))
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        ordering = ["participant_id", "service_id", "phase", "-given_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "service", "phase"],
                condition=Q(replaced_at__isnull=True),
                name="one_current_feedback_per_participant_service_phase",
            ),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
        ]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self):
        return f"{self.service} · {self.phase} · {self.rating}"


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating from 1 to 5")
    TEXT = "text", _("Short text")


class SurveyQuestion(models.Model):
    """A question of a phase's short survey, set by the lab's managers or staff."""

    lab = models.ForeignKey(
        LivingLab, on_delete=models.PROTECT, related_name="questions", verbose_name=_("living lab")
    )
    phase = models.CharField(_("phase"), max_length=10, choices=LabPhase.choices)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["lab_id", "phase", "position", "pk"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")

    def __str__(self):
        return self.text

    @property
    def display_text(self):
        return pick_language(self.text_en or self.text, self.text)


class SurveyAnswer(models.Model):
    """A participant's answer to a survey question; answering again corrects it (the old is kept)."""

    question = models.ForeignKey(
        SurveyQuestion, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="answers", verbose_name=_("participant")
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"))
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        ordering = ["question_id", "-answered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "participant"],
                condition=Q(replaced_at__isnull=True),
                name="one_current_answer_per_question_and_participant",
            ),
        ]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")

    def __str__(self):
        return f"{self.question} · {self.pk}"
