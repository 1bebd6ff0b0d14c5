"""Which reviewer was reminded of which call's pending reviews, and when (so the hourly beat
reminds nobody more than once a day)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.models import Call

from .review import Reviewer


class ReviewReminder(models.Model):
    reviewer = models.ForeignKey(
        Reviewer, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("reviewer")
    )
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="+", verbose_name=_("call"))
    sent_on = models.DateField(_("reminded on"), help_text=_("The day in Asia/Seoul."))
    pending = models.PositiveIntegerField(_("reviews pending"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "reviewer"]
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        constraints = [
            # At most one a day per reviewer and call, even when two beats overlap.
            models.UniqueConstraint(fields=["reviewer", "call", "sent_on"], name="one_review_reminder_a_day"),
        ]

    def __str__(self):
        return f"{self.reviewer} {self.sent_on}"
