"""A staff spreadsheet import confirmed in the admin and run in the background (issue 18).

Importable models live on every floor (taxonomies and calls here, organisations in projects,
reviewers in evaluation), so the job sits on the lowest floor and names its model by content
type. The file stays attached to the job: it is what the staff member submitted.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    # A big file is checked by the worker first (previewing → previewed, or failed with its bad
    # rows); the staff member's confirm then sends it on to be written (pending → running → done).
    class Status(models.TextChoices):
        PREVIEWING = "previewing", _("Checking the rows")
        PREVIEWED = "previewed", _("Ready to import")
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Import failed")
        # Previewed, never confirmed within IMPORT_PREVIEW_TTL_HOURS: its upload is deleted.
        EXPIRED = "expired", _("Preview expired")

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("imported into")
    )
    # Indexes into the model admin's import formats and resources, as its confirm form posts them.
    input_format = models.CharField(_("format"), max_length=10)
    resource = models.CharField(_("resource"), max_length=10, blank=True)
    file = models.FileField(_("file"), max_length=300)
    original_name = models.CharField(_("file name"), max_length=300)
    # The requester's language: the worker writes row errors in it.
    lang = models.CharField(_("language"), max_length=10, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    # [{"row": n, "message": "..."}], row counted from the first row below the header.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # The dry run's outcome: {"totals": {...}, "headers": [...], "rows": [{"row": n, "type": "new",
    # "cells": [[before, after], ...]}]}, only the first import_jobs.PREVIEW_ROWS_SHOWN rows.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    # When it was last handed to a worker (the upload, then the confirm): the stale-job sweeper's clock.
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # When the worker's preview was ready: the clock of its expiry (IMPORT_PREVIEW_TTL_HOURS).
    previewed_at = models.DateTimeField(_("previewed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self):
        return f"{self.original_name} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def model(self):
        return self.content_type.model_class()

    @property
    def is_live(self):
        """Whether a worker has still to go through the file (checking it or writing it)."""
        return self.status in (self.Status.PREVIEWING, self.Status.PENDING, self.Status.RUNNING)
