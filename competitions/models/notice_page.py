"""A call's notice page (공고 페이지): the announcement and forms to download, notices, questions
and answers, the contact, and the record of deadline extensions.

Fields and small methods only; the rules (who may post, what is refused, who is told) live in
``competitions.notices``. Nothing here is ever hard-deleted: a replaced document and an edited
notice keep their earlier versions, and a deadline extension is a record of its own.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.files import DocumentFormat

from .call import Call
from .localized import pick_language


def call_document_path(document, filename):
    # Never the uploader's name on disk: a random name inside the call's folder.
    return f"calls/{document.call_id}/{uuid.uuid4().hex}"


class CallDocumentKind(models.TextChoices):
    ANNOUNCEMENT = "announcement", _("Announcement (공고문)")
    FORM = "form", _("Form to fill in (서식)")
    GUIDE = "guide", _("Guide")
    OTHER = "other", _("Other document")


class CallDocumentQuerySet(models.QuerySet):
    def current(self):
        """What the public page lists: documents neither replaced nor withdrawn."""
        return self.filter(retired_at__isnull=True)


class CallDocument(models.Model):
    """A file staff attach to a call. Replacing it (a corrected form) retires the old one, which
    is kept with who retired it, when and why; it is never deleted."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="documents", verbose_name=_("call"))
    kind = models.CharField(_("kind"), max_length=20, choices=CallDocumentKind.choices)
    title = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_ko = models.CharField(_("title (Korean)"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=call_document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=10, choices=DocumentFormat.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retired by"),
    )
    retire_reason = models.TextField(_("why it was retired"), blank=True)

    objects = CallDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("call document")
        verbose_name_plural = _("call documents")
        indexes = [models.Index(fields=["call", "retired_at"])]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self):
        return pick_language(self.title or self.title_ko, self.title_ko)

    @property
    def is_current(self):
        return self.retired_at is None


class Notice(models.Model):
    """A notice staff post on the call's page; the text shown is the latest revision's, and every
    revision (the first included) is kept in NoticeRevision with who wrote it and when."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="notices", verbose_name=_("call"))
    title = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_ko = models.CharField(_("title (Korean)"), max_length=200, blank=True)
    body = models.TextField(_("text (English)"), blank=True)
    body_ko = models.TextField(_("text (Korean)"), blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("posted by")
    )
    posted_at = models.DateTimeField(_("posted"))
    edited_at = models.DateTimeField(_("last edited"), null=True, blank=True)

    class Meta:
        ordering = ["-posted_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["call", "-posted_at"])]

    def __str__(self):
        return self.display_title

    @property
    def display_title(self):
        return pick_language(self.title or self.title_ko, self.title_ko)

    @property
    def display_body(self):
        return pick_language(self.body or self.body_ko, self.body_ko)


class NoticeRevision(models.Model):
    """One version of a notice as it was published: append-only."""

    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("notice")
    )
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_ko = models.CharField(_("title (Korean)"), max_length=200, blank=True)
    body = models.TextField(_("text (English)"), blank=True)
    body_ko = models.TextField(_("text (Korean)"), blank=True)
    reason = models.TextField(_("why it was edited"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["notice", "number"]
        verbose_name = _("notice revision")
        verbose_name_plural = _("notice revisions")
        constraints = [models.UniqueConstraint(fields=["notice", "number"], name="unique_notice_revision")]

    def __str__(self):
        return f"{self.notice} ({self.number})"


class Inquiry(models.Model):
    """A question a signed-in applicant asks on a call's page. Until staff answer it only the
    asker and staff see it; once answered it is public, never naming the asker."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="inquiries", verbose_name=_("call"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    text = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(fields=["call", "answered_at"]),
            models.Index(fields=["asked_by", "asked_at"]),
        ]

    def __str__(self):
        return self.text[:60]

    @property
    def is_answered(self):
        return self.answered_at is not None


class CallContact(models.Model):
    """Whom applicants call about the call: shown on its page, set by staff."""

    call = models.OneToOneField(
        Call, on_delete=models.PROTECT, related_name="contact", verbose_name=_("call")
    )
    department = models.CharField(_("department (English)"), max_length=200, blank=True)
    department_ko = models.CharField(_("department (Korean)"), max_length=200, blank=True)
    person = models.CharField(_("person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("call contact")
        verbose_name_plural = _("call contacts")

    def __str__(self):
        return self.display_department

    @property
    def display_department(self):
        return pick_language(self.department or self.department_ko, self.department_ko)


class DeadlineExtension(models.Model):
    """A published call's reception deadline moved later: who, when, why, from and to. The call's
    save refuses any other change of a published deadline (Call.save)."""

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="deadline_extensions", verbose_name=_("call")
    )
    previous_closes_at = models.DateTimeField(_("previous deadline"))
    new_closes_at = models.DateTimeField(_("new deadline"))
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    notified = models.PositiveIntegerField(_("people told"), default=0)

    class Meta:
        ordering = ["call", "-at", "-pk"]
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(new_closes_at__gt=models.F("previous_closes_at")),
                name="deadline_extension_moves_later",
            )
        ]

    def __str__(self):
        return f"{self.call}: {self.previous_closes_at:%Y-%m-%d %H:%M} → {self.new_closes_at:%Y-%m-%d %H:%M}"
