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


class AccessEventQuerySet(models.QuerySet):
    """Append-only: rows are never updated or deleted in bulk, except by ``prune``."""

    def update(self, **kwargs):
        raise AccessLogIsAppendOnly(_("The access log cannot be changed."))

    def delete(self):
        raise AccessLogIsAppendOnly(_("The access log cannot be changed."))

    def prune(self, older_than):
        """Delete the events recorded before ``older_than``: the retention sweep, the access
        log's only deletion (audit.access.prune_access_log). Returns how many went."""
        old = AccessEvent.objects.filter(at__lt=older_than)
        old._for_write = True
        return old._raw_delete(old.db)


class AccessLogIsAppendOnly(Exception):
    pass


class AccessEvent(models.Model):
    """Who opened which document, downloaded which workbook, exported which admin list, logged
    in or failed to, changed whose roles or a group's permissions, and made or revoked which
    personal access token (issue 18). Written by audit.access only; never
    changed, never deleted but by the retention sweep."""

    class Action(models.TextChoices):
        DOCUMENT_OPENED = "document_opened", _("Opened a document")
        WORKBOOK_DOWNLOADED = "workbook_downloaded", _("Downloaded a workbook")
        ADMIN_EXPORT = "admin_export", _("Exported an admin list")
        ADMIN_IMPORT = "admin_import", _("Imported an admin list")
        LOGGED_IN = "logged_in", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Log-in failed")
        ROLES_CHANGED = "roles_changed", _("Changed roles")
        GROUP_CHANGED = "group_changed", _("Changed a group's permissions")
        TOKEN_CREATED = "token_created", _("Made a personal access token")
        TOKEN_REVOKED = "token_revoked", _("Revoked a personal access token")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True, editable=False)
    action = models.CharField(_("what"), max_length=24, choices=Action.choices, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The e-mail address as typed for a failed log-in (no account may have it); else the actor's.
    actor_email = models.CharField(_("e-mail address"), max_length=254, blank=True, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("whose roles"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    target = models.CharField(_("what exactly"), max_length=500, blank=True, editable=False)
    path = models.CharField(_("address"), max_length=500, blank=True, editable=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True, editable=False)
    detail = models.JSONField(_("detail"), default=dict, blank=True, editable=False)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [models.Index(fields=["action", "-at"], name="audit_access_action_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AccessLogIsAppendOnly(_("The access log cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AccessLogIsAppendOnly(_("The access log cannot be changed."))
