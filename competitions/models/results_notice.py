"""Results published on a call's public page (결과 공고): a notice frozen when staff publish it.

What the public may read is copied into the notice at publication, in the call's listing policy,
so the public page never reads applications (nor their scores: a notice has none) and a later
change (a decline, a promoted reserve) shows only when staff publish a new notice. Notices are
never deleted: the page shows the latest, and the earlier ones stay on record.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ResultsListing(models.TextChoices):
    """How much of the selection a call's public page shows (a setting of the call)."""

    TITLES_AND_ORGANISATIONS = (
        "titles_and_organisations",
        _("Selected applications by title and organisation"),
    )
    TITLES = "titles", _("Selected applications by title only")
    COUNTS = "counts", _("Only the number selected in each service field")


class ResultsNotice(models.Model):
    call = models.ForeignKey(
        "competitions.Call", on_delete=models.PROTECT, related_name="results_notices", verbose_name=_("call")
    )
    number = models.PositiveIntegerField(_("number"))
    listing = models.CharField(_("what is listed"), max_length=30, choices=ResultsListing.choices)
    note = models.TextField(_("note"), blank=True)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )

    class Meta:
        ordering = ["call", "-number"]
        verbose_name = _("results notice")
        verbose_name_plural = _("results notices")
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="unique_results_notice_number")
        ]

    def __str__(self):
        return f"{self.call.slug} #{self.number}"

    @property
    def shows_titles(self):
        return self.listing != ResultsListing.COUNTS

    @property
    def shows_organisations(self):
        return self.listing == ResultsListing.TITLES_AND_ORGANISATIONS


class ResultsNoticeEntry(models.Model):
    """One selected application as the notice shows it: blank where the listing hides it."""

    notice = models.ForeignKey(ResultsNotice, on_delete=models.PROTECT, related_name="entries")
    service_field = models.ForeignKey(
        "competitions.ServiceField", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=300, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)

    class Meta:
        ordering = ["notice", "position"]
        verbose_name = _("results notice entry")
        verbose_name_plural = _("results notice entries")

    def __str__(self):
        return self.title or str(self.position)
