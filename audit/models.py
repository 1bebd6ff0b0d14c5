"""The auditors' room: export jobs for the funding workbook.

A job is built by a Celery task (in process when no broker is configured); the file is
downloadable only by the user who asked, only once the job is done, and for 24 hours.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitions.models import Call

DOWNLOAD_LIFETIME = timedelta(hours=24)


class ExportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Build failed")

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs"
    )
    calls = models.ManyToManyField(Call, related_name="+", verbose_name=_("calls"))
    lang = models.CharField(_("headers"), max_length=5, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("workbook"), upload_to="exports/", blank=True)
    checks = models.JSONField(_("checks"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    # Written with every progress report: a running job whose worker died stops beating, and
    # the sweeper (audit.exports.sweep_stale_jobs) marks it failed.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("build attempts"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")

    def __str__(self):
        return f"{self.requested_by} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def expires_at(self):
        return (self.finished_at or self.created_at) + DOWNLOAD_LIFETIME

    def downloadable_by(self, user, now=None):
        now = now or timezone.now()
        return (
            self.requested_by_id == user.pk
            and self.status == self.Status.DONE
            and bool(self.file)
            and now < self.expires_at
        )
