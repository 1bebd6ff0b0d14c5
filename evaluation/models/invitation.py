"""Invitations of external reviewers: staff invite a person by e-mail; the link in the e-mail
(signed, expiring, single-use: evaluation.committee) lets them set their password. Kept as the
record of who invited whom, when, and how often the link was sent."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .review import Reviewer


class ReviewerInvitation(models.Model):
    reviewer = models.ForeignKey(
        Reviewer, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("reviewer")
    )
    email = models.EmailField(_("e-mail address"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    invited_at = models.DateTimeField(_("invited at"))
    sends = models.PositiveSmallIntegerField(
        _("times sent"), default=1, help_text=_("A new sending replaces the links sent before.")
    )
    last_sent_at = models.DateTimeField(_("last sent at"))
    last_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("last sent by")
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        ordering = ["-invited_at"]
        verbose_name = _("reviewer invitation")
        verbose_name_plural = _("reviewer invitations")

    def __str__(self):
        return f"{self.email} ({self.reviewer})"
