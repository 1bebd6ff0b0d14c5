"""The results as the call's public page shows them, read from the latest results notice
(competitions/models/results_notice.py; evaluation.public_results publishes them)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import CallState


@dataclass(frozen=True)
class PublicField:
    """One service field as the public page shows it."""

    name: str
    selected: int
    entries: list  # of ResultsNoticeEntry (empty when the listing shows counts only)


def latest_notice(call):
    """The notice the call's page shows (None before results are published: then no query)."""
    if call.state not in (CallState.RESULTS_PUBLISHED, CallState.CLOSED):
        return None
    return call.results_notices.order_by("-number").first()


def public_fields(notice, fields):
    """The notice per service field, in the call's order (``fields``), each with its number
    selected and, when the listing shows them, its entries. Fields with none selected show 0."""
    entries = list(notice.entries.all())
    by_field = {}
    for entry in entries:
        by_field.setdefault(entry.service_field_id, []).append(entry)
    shown = [
        PublicField(field.display_name, len(by_field.get(field.pk, [])), by_field.get(field.pk, []))
        for field in fields
    ]
    if None in by_field:  # a call without service fields
        shown.append(PublicField(_("All applications"), len(by_field[None]), by_field[None]))
    if not notice.shows_titles:
        shown = [PublicField(f.name, f.selected, []) for f in shown]
    return shown
