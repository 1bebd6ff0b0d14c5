"""The duplicate-funding check (중복성 검토): what it found about an application, and the text
index it searches for near-identical proposals (projects.duplicates computes both).

A finding is never deleted: staff clear it with a reason, or reject the application citing it;
both are recorded with who and when.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .application import Application
from .award import Project
from .organisation import Sanction


class FindingKind(models.TextChoices):
    PROJECT = "project", _("Active or recent project in the same field")
    PENDING_APPLICATION = "pending_application", _("Other pending application")
    SANCTION = "sanction", _("Sanction history")
    SIMILAR_TEXT = "similar_text", _("Near-identical proposal text")


class FindingState(models.TextChoices):
    OPEN = "open", _("Open")
    CLEARED = "cleared", _("Cleared")
    UPHELD = "upheld", _("Upheld: application rejected")


class DuplicateFinding(models.Model):
    Kind = FindingKind
    State = FindingState

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="duplicate_findings",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=FindingKind.choices)
    # What it was found against: one key per (application, thing), so a re-run adds only new ones.
    key = models.CharField(max_length=60)
    other_application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("other application"),
    )
    other_project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("project")
    )
    sanction = models.ForeignKey(
        Sanction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sanction"),
    )
    score = models.FloatField(_("similarity"), null=True, blank=True)
    evidence = models.TextField(_("evidence"))
    state = models.CharField(
        _("state"), max_length=10, choices=FindingState.choices, default=FindingState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)

    class Meta:
        ordering = ["application", "kind", "pk"]
        verbose_name = _("duplicate-funding finding")
        verbose_name_plural = _("duplicate-funding findings")
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="unique_duplicate_finding_key"),
        ]
        indexes = [models.Index(fields=["application", "state"])]

    def __str__(self):
        return f"{self.application} · {self.get_kind_display()}"

    @property
    def is_open(self):
        return self.state == FindingState.OPEN


class ProposalBucket(models.Model):
    """One LSH band of an application's MinHash signature: applications sharing a (band,
    bucket) are candidates for near-identical text, found by index instead of comparing pairs."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    band = models.PositiveSmallIntegerField()
    bucket = models.BigIntegerField()

    class Meta:
        # Looked up by bucket value (projects.duplicates.similar_proposals: bucket IN the
        # proposal's 16 values, for the application ids): the index answers it alone.
        indexes = [models.Index(fields=["bucket", "application"], name="proposal_bucket_by_value")]
        constraints = [
            models.UniqueConstraint(fields=["application", "band"], name="unique_proposal_bucket_band"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.band}:{self.bucket}"
