"""The integrity and confidentiality pledge (청렴·보안 서약) a reviewer signs before their first
score in a call, and the per-application declaration of no conflict of interest.

Both are records an auditor may be shown: never edited or deleted (a new pledge text is a new
version; a reviewer who finds a conflict later recuses, which records it)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import Call
from competitions.models.localized import pick_language

from .review import Assignment, Reviewer


class AppendOnly(models.Model):
    """Rows that are written once and never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{type(self).__name__} records are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} records are never deleted.")


class PledgeText(AppendOnly):
    """One version of the pledge's wording; the latest is the one reviewers sign."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    body = models.TextField(_("text (English)"))
    body_ko = models.TextField(_("text (Korean)"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("pledge text")
        verbose_name_plural = _("pledge texts")

    def __str__(self):
        return f"v{self.version}"

    @property
    def display_body(self):
        return pick_language(self.body, self.body_ko)


class Pledge(AppendOnly):
    """A reviewer's signed pledge for one call: which text, the name signed, when, from where."""

    reviewer = models.ForeignKey(Reviewer, on_delete=models.PROTECT, related_name="pledges")
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="+", verbose_name=_("call"))
    text = models.ForeignKey(PledgeText, on_delete=models.PROTECT, related_name="+", verbose_name=_("text"))
    signed_name = models.CharField(_("signed with the name"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["call", "signed_at"]
        verbose_name = _("integrity and confidentiality pledge")
        verbose_name_plural = _("integrity and confidentiality pledges")
        constraints = [models.UniqueConstraint(fields=["reviewer", "call"], name="one_pledge_per_call")]

    def __str__(self):
        return f"{self.reviewer} · {self.call}"


class NoConflictDeclaration(AppendOnly):
    """A reviewer's declaration, before scoring an application, that they have no conflict of
    interest with it (one per assignment)."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="no_conflict")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("declared at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("declaration of no conflict of interest")
        verbose_name_plural = _("declarations of no conflict of interest")

    def __str__(self):
        return f"{self.assignment}"
