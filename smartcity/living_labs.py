"""Living labs (issue 17): opening a lab on a funded project, approving its managers, citizens
joining with consent and withdrawing, feedback per service and phase, the phases, and the
results per phase. Every change is logged (django-fsm-log's StateLog: who, when, why)."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused

from . import labs_rules  # noqa: F401  (registers the permissions)
from .models import (
    Feedback,
    LabManager,
    LabPhase,
    LabService,
    LivingLab,
    Participant,
    QuestionKind,
    SurveyAnswer,
    SurveyQuestion,
)
from .models.living_lab import FEEDBACK_PHASES

# The transition that leaves each phase, in order.
NEXT_PHASE = {
    LabPhase.EXPLORE: "start_co_design",
    LabPhase.CO_DESIGN: "start_test",
    LabPhase.TEST: "start_evaluation",
    LabPhase.EVALUATE: "close",
}
RATINGS = (1, 2, 3, 4, 5)


def _log(obj, *, by, transition, description="", state=""):
    StateLog.objects.create(
        by=by,
        source_state=state,
        state=state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        description=description or None,
    )


def runs_on_living_lab_track(project):
    """A living lab is the citizen-led track's own: only a project funded on a living-lab track
    (``Track.living_lab``, set by staff where tracks are configured) opens one."""
    return project.award.application.track.living_lab


def projects_that_may_open_a_lab():
    """The funded projects of a living-lab track that run no lab yet (what staff may choose)."""
    from projects.models import Project

    return Project.objects.filter(
        living_lab__isnull=True, award__application__track__living_lab=True
    ).select_related("award__application")


def open_lab(project, *, name, description, consent_version, consent_text, services, by, **english):
    """Open the living lab of ``project`` testing ``services`` ((name, name_en, menu item or None)).
    Staff only; one lab per project, funded on a living-lab track."""
    if not by.has_perm("smartcity.approve_livinglab_manager", None):
        raise PermissionDenied(_("Only staff open a living lab."))
    if not runs_on_living_lab_track(project):
        raise TransitionRefused(
            [_("A living lab opens only on a project funded on a citizen-led living-lab track.")]
        )
    if not services:
        raise ValidationError(_("Name at least one service the lab tests."))
    if LivingLab.objects.filter(project=project).exists():
        raise ValidationError(_("This project already runs a living lab."))
    with transaction.atomic():
        lab = LivingLab.objects.create(
            project=project,
            name=name,
            description=description,
            consent_version=consent_version,
            consent_text=consent_text,
            created_by=by,
            **english,
        )
        LabService.objects.bulk_create(
            LabService(lab=lab, name=service_name, name_en=service_en, menu_item=menu_item, position=position)
            for position, (service_name, service_en, menu_item) in enumerate(services)
        )
        _log(lab, by=by, transition="open", state=lab.phase)
    return lab


def approve_manager(lab, user, *, by):
    """Make ``user`` a manager of ``lab`` (staff only): from then on they see participants."""
    if not by.has_perm("smartcity.approve_livinglab_manager", lab):
        raise PermissionDenied(_("Only staff approve a living lab's managers."))
    manager, created = LabManager.objects.get_or_create(
        lab=lab, user=user, defaults={"approved_by": by, "approved_at": timezone.now()}
    )
    if created:
        _log(lab, by=by, transition="approve_manager", description=user.email, state=lab.phase)
    return manager


def advance(lab, *, by, reason):
    """Move ``lab`` to its next phase, with the reason (the lab's managers or staff)."""
    if not by.has_perm("smartcity.run_livinglab", lab):
        raise PermissionDenied(_("Only the lab's managers and staff move its phase."))
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused([_("Give the reason.")])
    with transaction.atomic():
        locked = LivingLab.objects.select_for_update().get(pk=lab.pk)
        name = NEXT_PHASE.get(locked.phase)
        method = getattr(locked, name) if name else None
        if method is None or not can_proceed(method):
            raise TransitionRefused([_("A closed living lab has no next phase.")])
        method(by=by, description=reason)
        locked.save()
    return locked


def participant_of(lab, user):
    """``user``'s participation in ``lab`` (withdrawn or not), or None."""
    if not user.is_authenticated:
        return None
    return Participant.objects.filter(lab=lab, user=user).first()


def join(lab, user, *, name, contact, age_band, consent_given):
    """Register ``user`` as a participant: explicit consent to the lab's consent text, whose
    version and words are stored with the time."""
    if not lab.takes_feedback:
        raise ValidationError(_("This living lab is closed: it takes no new participants."))
    if not consent_given:
        raise ValidationError(
            {"consent": _("Agree to the collection and use of your personal data to take part.")}
        )
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                lab=lab,
                user=user,
                name=name.strip(),
                contact=contact.strip(),
                age_band=age_band,
                consent_version=lab.consent_version,
                consent_text=lab.consent_text,
                consented_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(_("You have already registered for this living lab.")) from None
    _log(participant, by=user, transition="join", description=lab.consent_version)
    return participant


def withdraw(participant, *, by, reason=""):
    """The participant leaves: the row is kept, marked withdrawn; their feedback stays."""
    if participant.user_id != by.pk:
        raise PermissionDenied(_("Only the participant withdraws."))
    if not participant.active:
        raise ValidationError(_("You have already withdrawn from this living lab."))
    participant.withdrawn_at = timezone.now()
    participant.withdrawal_reason = (reason or "").strip()
    participant.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    _log(participant, by=by, transition="withdraw", description=participant.withdrawal_reason)
    return participant


def give_feedback(participant, service, *, rating, comment=""):
    """The participant's rating and comment on ``service`` in the lab's current phase; a second
    one in the same phase corrects the first (kept, marked replaced)."""
    if service.lab_id != participant.lab_id:
        raise ValidationError({"service": _("Choose a service this living lab tests.")})
    if rating not in RATINGS:
        raise ValidationError({"rating": _("Give a rating from 1 to 5.")})
    now = timezone.now()
    with transaction.atomic():
        # The phase as stored now, not as the caller last saw it: the lab may have moved on.
        lab = LivingLab.objects.select_for_update().get(pk=participant.lab_id)
        # Withdrawn as stored now too: a withdrawal in another tab counts.
        if not Participant.objects.get(pk=participant.pk).active:
            raise ValidationError(_("You have withdrawn from this living lab."))
        if not lab.takes_feedback:
            raise ValidationError(_("This living lab is closed: it takes no more feedback."))
        Feedback.objects.select_for_update().filter(
            participant=participant, service=service, phase=lab.phase, replaced_at__isnull=True
        ).update(replaced_at=now)
        return Feedback.objects.create(
            participant=participant,
            service=service,
            phase=lab.phase,
            rating=rating,
            comment=(comment or "").strip(),
            given_at=now,
        )


# --- Short surveys ----------------------------------------------------------------------------


def add_question(lab, *, phase, kind, text, by, text_en=""):
    """A question of ``phase``'s survey (the lab's managers or staff)."""
    if not by.has_perm("smartcity.run_livinglab", lab):
        raise PermissionDenied(_("Only the lab's managers and staff set its surveys."))
    if phase not in FEEDBACK_PHASES:
        raise ValidationError({"phase": _("Choose a phase of the living lab.")})
    if not (text or "").strip():
        raise ValidationError({"text": _("Write the question.")})
    position = lab.questions.filter(phase=phase).count()
    return SurveyQuestion.objects.create(
        lab=lab,
        phase=phase,
        kind=kind,
        text=text.strip(),
        text_en=(text_en or "").strip(),
        position=position,
        created_by=by,
    )


def current_questions(lab):
    return lab.questions.filter(phase=lab.phase).order_by("position", "pk")


def answer_survey(participant, answers):
    """Record the participant's answers to the current phase's survey: ``answers`` maps a
    question to a rating (1–5) or a text; empty answers are skipped; answering again corrects."""
    if not participant.active:
        raise ValidationError(_("You have withdrawn from this living lab."))
    now = timezone.now()
    with transaction.atomic():
        lab = LivingLab.objects.select_for_update().get(pk=participant.lab_id)
        if not lab.takes_feedback:
            raise ValidationError(_("This living lab is closed: it takes no more feedback."))
        saved = []
        for question, value in answers.items():
            if question.lab_id != lab.pk or question.phase != lab.phase:
                raise ValidationError(_("This question is not in the current phase's survey."))
            if value in (None, ""):
                continue
            if question.kind == QuestionKind.RATING and value not in RATINGS:
                raise ValidationError(_("Give a rating from 1 to 5."))
            SurveyAnswer.objects.filter(
                question=question, participant=participant, replaced_at__isnull=True
            ).update(replaced_at=now)
            saved.append(
                SurveyAnswer.objects.create(
                    question=question,
                    participant=participant,
                    rating=value if question.kind == QuestionKind.RATING else None,
                    text=str(value).strip() if question.kind == QuestionKind.TEXT else "",
                    answered_at=now,
                )
            )
    return saved


@dataclass
class QuestionResult:
    question: SurveyQuestion
    count: int = 0
    total: int = 0
    distribution: dict = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))
    texts: list = field(default_factory=list)

    @property
    def average(self):
        return (
            round(self.total / self.count, 2)
            if self.count and self.question.kind == QuestionKind.RATING
            else None
        )


def survey_results(lab):
    """Per phase, each question's current answers: count, average and distribution of ratings,
    or the texts, without who gave them. Two queries."""
    questions = list(lab.questions.order_by("phase", "position", "pk"))
    table = {question.pk: QuestionResult(question) for question in questions}
    for answer in SurveyAnswer.objects.filter(question__lab=lab, replaced_at__isnull=True).only(
        "question_id", "rating", "text"
    ):
        result = table[answer.question_id]
        result.count += 1
        if answer.rating:
            result.total += answer.rating
            result.distribution[answer.rating] += 1
        elif answer.text:
            result.texts.append(answer.text)
    return {phase: [table[q.pk] for q in questions if q.phase == phase] for phase in FEEDBACK_PHASES}


# --- Results ----------------------------------------------------------------------------------


@dataclass
class ServiceResult:
    service: LabService
    count: int = 0
    total: int = 0
    distribution: dict = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))

    @property
    def average(self):
        return round(self.total / self.count, 2) if self.count else None


@dataclass
class PhaseResult:
    phase: str
    label: str
    services: list

    @property
    def count(self):
        return sum(result.count for result in self.services)


def results(lab):
    """Per phase and service: the number of current feedback, the average rating and how many
    gave each rating. Two queries whatever the number of participants; no one is named."""
    services = list(lab.services.order_by("position", "pk"))
    counts = (
        Feedback.objects.filter(service__lab=lab, replaced_at__isnull=True)
        .values("phase", "service_id", "rating")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table = {(phase, service.pk): ServiceResult(service) for phase in FEEDBACK_PHASES for service in services}
    for row in counts:
        result = table[(row["phase"], row["service_id"])]
        result.count += row["n"]
        result.total += row["n"] * row["rating"]
        result.distribution[row["rating"]] += row["n"]
    return [
        PhaseResult(phase, LabPhase(phase).label, [table[(phase, service.pk)] for service in services])
        for phase in FEEDBACK_PHASES
    ]


def comments(lab, phase):
    """The phase's current comments, without who wrote them (results are anonymous)."""
    return _current_comments(lab).filter(phase=phase)


def all_comments(lab):
    """Every phase's current comments, phase by phase, without who wrote them. One query."""
    order = {phase: position for position, phase in enumerate(FEEDBACK_PHASES)}
    return sorted(_current_comments(lab), key=lambda feedback: order.get(feedback.phase, len(order)))


def _current_comments(lab):
    return (
        Feedback.objects.filter(service__lab=lab, replaced_at__isnull=True)
        .exclude(comment="")
        .select_related("service")
        .order_by("service__position", "-given_at")
    )
