"""An application's answers to its call's own questions (competitions.models.Question).

One row per application and question, changed with the draft (projects.answers.save_answers)
and never after submission. The question is protected: a call's questions are frozen once it
is published, so an answer is always read against the very text it answered.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import Question

from .application import Application, Document


class Answer(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="answers", verbose_name=_("application")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    # The stored value by the question's kind (competitions.questions.clean_answer).
    value = models.JSONField(_("answer"), null=True, blank=True)
    # A file question's answer: the uploaded document (kept when replaced, marked superseded).
    document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("document"),
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["application", "question__section__position", "question__position", "question_id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["application", "question"], name="unique_answer_per_question")
        ]

    def __str__(self):
        return f"{self.application}: {self.question.code}"

    @property
    def answered(self):
        if self.question.kind == "file":
            return self.document_id is not None
        return self.value not in (None, "", [])

    @property
    def text(self):
        """The answer as people read it, in the active language."""
        from competitions.questions import answer_text

        return answer_text(self.question, self.value, self.document)
