"""Correction requests (보완 요청): staff ask that a submitted application fix named parts by a
deadline. The rules live in projects.corrections; these are the records, never deleted.

A request names its parts as CorrectionItems, each of a kind (a document of a given kind, the
funding plan, or an answer to a call-specific question) and a target (the document kind or the
question's key; empty for the funding plan). What the applicant changes is recorded beside the
original, never over it: a new document version (the old one is marked superseded and kept),
a FundingPlanRevision holding the plan before and after, an AnswerRevision holding an answer
to a call question before and after (a file answer's old document superseded and kept).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import DocumentKind, Question

from .application import Application, Document
from .award import AppendOnly


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the applicant")
    RESUBMITTED = "resubmitted", _("Corrected and resubmitted")
    EXPIRED = "expired", _("Deadline passed without resubmission")
    WITHDRAWN = "withdrawn", _("Application withdrawn")


class CorrectionRequest(models.Model):
    Status = CorrectionStatus

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="correction_requests",
        verbose_name=_("application"),
    )
    message = models.TextField(_("what to correct, in words"))
    deadline = models.DateTimeField(_("correction deadline"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    status = models.CharField(
        _("status"), max_length=20, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["application", "requested_at", "pk"]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        constraints = [
            # One open request per application at a time.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(status=CorrectionStatus.OPEN),
                name="one_open_correction_request",
            )
        ]
        # The beat's sweep finds the overdue open requests by deadline.
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self):
        return f"{self.application} ({self.get_status_display()})"

    @property
    def is_open(self):
        return self.status == CorrectionStatus.OPEN


class CorrectionItemKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    FUNDING_PLAN = "funding_plan", _("Funding plan")
    ANSWER = "answer", _("Answer to a call question")


class CorrectionItem(models.Model):
    """One part the applicant may change: ``kind`` and ``target`` name it exactly."""

    Kind = CorrectionItemKind

    request = models.ForeignKey(CorrectionRequest, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(_("kind"), max_length=20, choices=CorrectionItemKind.choices)
    target = models.CharField(_("what exactly"), max_length=100, blank=True)
    label = models.CharField(_("name shown"), max_length=300, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True)
    # The latest document version uploaded for a document item (earlier ones stay, superseded).
    document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = _("part to correct")
        verbose_name_plural = _("parts to correct")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "target"], name="unique_correction_item")
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        """The part in the reader's language (a document kind or the funding plan by its
        translated name; an answer by the label recorded when the request was made)."""
        if self.kind == CorrectionItemKind.DOCUMENT:
            label = dict(DocumentKind.choices).get(self.target)
            return _("Document: %(kind)s") % {"kind": label or self.target}
        if self.kind == CorrectionItemKind.FUNDING_PLAN:
            return _("The funding plan")
        return _("Answer: %(question)s") % {"question": self.label or self.target}

    @property
    def corrected(self):
        return self.corrected_at is not None


FUNDING_PLAN_FIELDS = ("requested_subsidy", "local_government", "private_cash", "private_in_kind")


class FundingPlanRevision(AppendOnly):
    """A change of a submitted funding plan, made under a correction request: the plan as it
    was and as it became, in integer KRW. Never changed or deleted."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="funding_plan_revisions"
    )
    item = models.ForeignKey(CorrectionItem, on_delete=models.PROTECT, related_name="funding_plan_revisions")
    requested_subsidy_before = models.PositiveBigIntegerField()
    local_government_before = models.PositiveBigIntegerField()
    private_cash_before = models.PositiveBigIntegerField()
    private_in_kind_before = models.PositiveBigIntegerField()
    requested_subsidy_after = models.PositiveBigIntegerField()
    local_government_after = models.PositiveBigIntegerField()
    private_cash_after = models.PositiveBigIntegerField()
    private_in_kind_after = models.PositiveBigIntegerField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["application", "changed_at", "pk"]
        verbose_name = _("funding plan revision")
        verbose_name_plural = _("funding plan revisions")

    def __str__(self):
        return f"{self.application} {self.changed_at:%Y-%m-%d %H:%M}"

    def lines(self):
        """[(field label, before, after)] for the page."""
        return [
            (
                Application._meta.get_field(name).verbose_name,
                getattr(self, f"{name}_before"),
                getattr(self, f"{name}_after"),
            )
            for name in FUNDING_PLAN_FIELDS
        ]


class AnswerRevision(AppendOnly):
    """A change of a submitted application's answer to one of its call's questions, made under a
    correction request naming it: the answer as it was and as it became (the stored value, or a
    file question's document: the old one is kept, superseded). Never changed or deleted."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="answer_revisions")
    item = models.ForeignKey(CorrectionItem, on_delete=models.PROTECT, related_name="answer_revisions")
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answer_revisions", verbose_name=_("question")
    )
    value_before = models.JSONField(_("answer before"), null=True, blank=True)
    value_after = models.JSONField(_("answer after"), null=True, blank=True)
    document_before = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("file before"),
    )
    document_after = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("file after"),
    )
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["application", "changed_at", "pk"]
        verbose_name = _("answer revision")
        verbose_name_plural = _("answer revisions")

    def __str__(self):
        return f"{self.application}: {self.question.code} {self.changed_at:%Y-%m-%d %H:%M}"

    @property
    def before_text(self):
        """The answer as it was, as people read it ("" when it was unanswered)."""
        from competitions.questions import answer_text

        return answer_text(self.question, self.value_before, self.document_before)

    @property
    def after_text(self):
        from competitions.questions import answer_text

        return answer_text(self.question, self.value_after, self.document_after)
