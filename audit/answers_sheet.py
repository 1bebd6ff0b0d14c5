"""The funding workbook's Answers sheet: every submitted application's answers to its call's
own questions (competitions.models.Question), one row per answer, in the question's order,
each answer as people read it in the workbook's language and, for a number or an amount, as a
number too. Auditors read identifying answers (they read the applicants' names anyway)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy

from competitions.models import Question, QuestionKind
from competitions.questions import answer_text
from config.safe_cells import safe_text
from projects.models import Answer, Application

COLUMNS = (
    # (header, kind, width) as the workbook's Column takes them
    (gettext_lazy("Reference"), "text", 13),
    (gettext_lazy("Call"), "text", 18),
    (gettext_lazy("Section"), "text", 24),
    (gettext_lazy("Code"), "text", 10),
    (gettext_lazy("Question"), "text", 50),
    (gettext_lazy("Kind"), "text", 14),
    (gettext_lazy("Answer"), "text", 50),
    (gettext_lazy("Number"), "number", 16),
)
NUMERIC_KINDS = (QuestionKind.NUMBER, QuestionKind.AMOUNT)


def answer_count(call_ids):
    return Answer.objects.filter(application__in=_submitted(call__in=call_ids)).count()


def _submitted(**filters):
    """Submitted applications (the one definition: Application.objects.submitted)."""
    return Application.objects.filter(**filters).submitted().values("pk")


def answer_rows(info, totals=None):
    """The rows of one call (``info.call``, ``info.slug``), streamed."""
    questions = {q.pk: q for q in Question.objects.filter(call=info.call).select_related("section")}
    if not questions:
        return
    texts = {
        pk: (
            safe_text(q.section.display_title),
            safe_text(q.code),
            safe_text(q.display_label),
            str(q.get_kind_display()),
        )
        for pk, q in questions.items()
    }
    answers = (
        Answer.objects.filter(application__in=_submitted(call=info.call))
        .select_related("application", "document")
        .order_by(
            "application__reference",
            "application_id",
            "question__section__position",
            "question__section_id",
            "question__position",
            "question_id",
        )
    )
    for answer in answers.iterator(chunk_size=2000):
        question = questions[answer.question_id]
        section, code, label, kind = texts[answer.question_id]
        text = answer_text(question, answer.value, answer.document)
        number = None
        if question.kind in NUMERIC_KINDS and answer.value not in (None, ""):
            number = (
                int(answer.value) if question.kind == QuestionKind.AMOUNT else float(Decimal(answer.value))
            )
        yield [
            safe_text(answer.application.reference),
            info.slug,
            section,
            code,
            label,
            kind,
            safe_text(text) if text else None,
            number,
        ]
