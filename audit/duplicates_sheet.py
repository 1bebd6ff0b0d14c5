"""The funding workbook's Duplicate check sheet (중복성 검토): every finding of the call's
applications (projects.duplicates), one row each, by reference: its kind, what it was found
against (an application's reference, a project's code or the sanctioned organisation), the
similarity score of near-identical text, the evidence, when it was found, and the decision:
open, cleared or upheld, by whom (e-mail, as the Disbursements sheet names who posted), when
(Asia/Seoul) and why."""

from django.utils.translation import gettext_lazy

from competitions.formatting import SEOUL
from config.safe_cells import safe_text
from projects.models import DuplicateFinding

COLUMNS = (
    # (header, kind, width) as the workbook's Column takes them
    (gettext_lazy("Reference"), "text", 13),
    (gettext_lazy("Kind"), "text", 28),
    (gettext_lazy("Found against"), "text", 18),
    (gettext_lazy("Similarity"), "number", 10),
    (gettext_lazy("Evidence"), "text", 60),
    (gettext_lazy("Found at"), "datetime", 17),
    (gettext_lazy("State"), "text", 16),
    (gettext_lazy("Decided by"), "text", 24),
    (gettext_lazy("Decided at"), "datetime", 17),
    (gettext_lazy("Reason"), "text", 40),
)


def _findings(**filters):
    return DuplicateFinding.objects.filter(**filters)


def finding_count(call_ids):
    """For the progress total: one row per finding."""
    return _findings(application__call_id__in=call_ids).count()


def _seoul(moment):
    return moment.astimezone(SEOUL).replace(tzinfo=None) if moment else None


def _against(finding):
    if finding.other_project_id:
        return finding.other_project.code
    if finding.other_application_id:
        return finding.other_application.reference or str(finding.other_application_id)
    if finding.sanction_id:
        return finding.sanction.organisation.name
    return ""


def finding_rows(info, totals=None):
    """The rows of one call (``info.call``), streamed, in one query."""
    findings = (
        _findings(application__call=info.call)
        .select_related(
            "application", "other_application", "other_project", "sanction__organisation", "decided_by"
        )
        .order_by("application__reference", "application_id", "kind", "pk")
    )
    for finding in findings.iterator(chunk_size=2000):
        yield [
            safe_text(finding.application.reference or str(finding.application_id)),
            str(finding.get_kind_display()),
            safe_text(_against(finding)) or None,
            finding.score,
            safe_text(finding.evidence),
            _seoul(finding.created_at),
            str(finding.get_state_display()),
            safe_text(finding.decided_by.email) if finding.decided_by_id else None,
            _seoul(finding.decided_at),
            safe_text(finding.reason) or None,
        ]
