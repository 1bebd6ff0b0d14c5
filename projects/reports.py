"""Project reports (DESIGN.md §3, §4): the applicant submits each report, staff accept it or
return it with comments, a returned report is submitted again. Every submitted document is kept
(ReportSubmission); every decision is a logged transition of the report. Settlement needs the
final report accepted (projects.ledger.settle, projects.money_invariants)."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused

from .documents import safe_filename, validate_document
from .models import Project, ProjectState, Report, ReportStatus, ReportSubmission
from .outbox import tell


def _refuse(*reasons):
    raise TransitionRefused(list(reasons))


def submit_report(report, *, by, upload):
    """The applicant submits a report (a document checked by content), or submits again a
    report staff returned; the final report moves the project to its final-report stage."""
    project = report.project
    if not by.has_perm("projects.change_application", project.award.application):
        raise PermissionDenied(_("You may not submit reports for this project."))
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status == ReportStatus.SUBMITTED:
            _refuse(_("This report has already been submitted."))
        if report.status == ReportStatus.ACCEPTED:
            _refuse(_("This report has already been accepted."))
        # Follow-up reports come after the project ended, settled or not (projects.indicators).
        if report.kind != Report.Kind.FOLLOW_UP and project.state in (
            ProjectState.SETTLED,
            ProjectState.CLOSED,
        ):
            _refuse(_("The project is settled: reports are no longer submitted."))
        validate_document(upload, upload.name, size=upload.size)
        name = safe_filename(upload.name)
        submission = ReportSubmission(report=report, original_name=name, submitted_by=by)
        submission.document.save(name, upload, save=False)
        submission.save()
        report.document, report.original_name = submission.document.name, name
        report.submitted_by, report.submitted_at = by, submission.submitted_at
        report.submit(by=by, description=_("Report submitted: %(name)s") % {"name": name})
        report.save()
        if report.kind == Report.Kind.FINAL and project.state == ProjectState.ACTIVE:
            project.submit_final_report(by=by, description=_("Final report submitted."))
            project.save(update_fields=["state"])
    return report


def review_report(report, *, by, accept, comments=""):
    """Staff accept a submitted report, or return it with comments (required) for the applicant
    to submit again; logged, and the lead's members are told."""
    if not has_role(by, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff review reports."))
    comments = comments.strip()
    if not accept and not comments:
        _refuse(_("Say what must change before the report can be accepted."))
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=report.project_id)
        report = (
            Report.objects.select_for_update().select_related("project__award__application").get(pk=report.pk)
        )
        if report.status != ReportStatus.SUBMITTED:
            _refuse(_("Only a submitted report can be accepted or returned."))
        report.review_comments = comments
        if accept:
            report.accept(by=by, description=comments or _("Report accepted."))
        else:
            report.return_for_changes(by=by, description=comments)
            report.submitted_at = None  # due again; the returned document stays in its submission
        report.save()

        def decision():
            subject = (
                _("%(report)s for %(project)s was accepted")
                if accept
                else _("%(report)s for %(project)s was returned for changes")
            ) % {"report": report.get_kind_display(), "project": report.project.code}
            return subject, f"{subject}\n\n{comments}".strip()

        tell(report.project.award.application.lead.members.all(), decision)
    return report


def remind_due_reports(today=None, *, within=timedelta(days=7)):
    """E-mail (through the outbox) the lead's members about reports due within a week or
    overdue and not submitted; at most once a day per report. Returns the number reminded."""
    today = today or timezone.localdate()
    due = (
        Report.objects.filter(submitted_at__isnull=True, due_on__lte=today + within)
        .exclude(kind=Report.Kind.FOLLOW_UP)  # reminded by projects.indicators, in each reader's language
        .exclude(last_reminded_on=today)
        .select_related("project__award__application")
        .prefetch_related("project__award__application__lead__members")
    )
    count = 0
    for report in due:
        with transaction.atomic():
            # Claim the report for today before writing the e-mails: of two overlapping beats,
            # the second one's update finds the row already claimed and sends nothing.
            if (
                not Report.objects.filter(pk=report.pk)
                .exclude(last_reminded_on=today)
                .update(last_reminded_on=today)
            ):
                continue
            application = report.project.award.application

            def reminder(report=report):
                subject = _("%(report)s for %(project)s is due on %(due)s") % {
                    "report": report.get_kind_display(),
                    "project": report.project.code,
                    "due": report.due_on,
                }
                return subject, subject

            tell(application.lead.members.all(), reminder)
        count += 1
    return count
