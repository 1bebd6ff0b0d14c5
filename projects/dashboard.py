"""The applicant's dashboard (/me/): my organisations, my applications with where they stand and
the next step, the deadlines that concern me with the time left, and my projects with the money
paid and what is still to report. Money comes from projects.ledger_figures; every list is one
query whatever its length."""

import dataclasses
from datetime import datetime, time, timedelta

from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from competitions.formatting import SEOUL, format_seoul
from competitions.models import Call

from .ledger_figures import with_money
from .models import Application, ApplicationState, Organisation, Project, Report


def end_of_day(day):
    """A due date means the whole day in Seoul: the deadline is the next midnight there."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=SEOUL)


def duration_words(delta):
    """'3 days 4 hours', '5 hours 20 minutes', '12 minutes' (the two largest units)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes and not days:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
    if not parts:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", 0) % {"count": 0})
    return " ".join(parts[:2])


def time_left(deadline, now):
    """'in 3 days 4 hours' before the deadline, '2 hours ago' after it."""
    if deadline > now:
        return _("in %(time)s") % {"time": duration_words(deadline - now)}
    return _("%(time)s ago") % {"time": duration_words(now - deadline)}


@dataclasses.dataclass(frozen=True)
class Step:
    text: str
    action_needed: bool = False


def next_step(application, now):
    """What the applicant does next, or waits for, given where the application stands."""
    state, call = application.state, application.call
    if state == ApplicationState.DRAFT:
        if now < call.opens_at:
            return Step(
                _("Reception opens %(when)s: you can prepare the draft.")
                % {"when": format_seoul(call.opens_at)}
            )
        if now >= call.closes_at:
            return Step(_("Reception has closed: this draft can no longer be submitted."))
        return Step(
            _("Complete the documents and the self-check, then submit before %(when)s.")
            % {"when": format_seoul(call.closes_at)},
            action_needed=True,
        )
    if state == ApplicationState.SUBMITTED:
        return Step(_("The ministry checks eligibility; you will be told the result by e-mail."))
    if state == ApplicationState.CORRECTION_REQUESTED:
        return Step(
            _(
                "The ministry asks for a correction: correct the named parts and resubmit before the deadline."
            ),
            action_needed=True,
        )
    if state in (ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW, ApplicationState.SCORED):
        return Step(_("Wait for the evaluation results; you will be told by e-mail."))
    if state == ApplicationState.SELECTED:
        if application.accepted_at is None:
            return Step(_("Accept or decline the award on the application page."), action_needed=True)
        return Step(_("The ministry prepares the agreement."))
    if state == ApplicationState.RESERVE:
        return Step(_("You are offered the place if a selected applicant declines."))
    if state == ApplicationState.AWARDED:
        return Step(_("Report spending and submit the reports on the project page."), action_needed=True)
    deadline = application.objection_deadline
    if deadline and deadline > now:
        return Step(
            _("You may object to this outcome until %(when)s.") % {"when": format_seoul(deadline)}, True
        )
    return Step(_("Nothing more to do."))


@dataclasses.dataclass(frozen=True)
class Deadline:
    when: datetime
    what: str
    url: str
    left: str
    passed: bool
    day: object = None  # for a due date: the day itself, which is what people read


@dataclasses.dataclass
class ApplicantDashboard:
    organisations: list
    applications: list  # (application, Step)
    deadlines: list  # Deadline, soonest first
    projects: list  # projects annotated by ledger_figures.with_money, with next_report_due
    open_calls: list


def my_applications(user):
    return (
        Application.objects.filter(lead__memberships__user=user)
        .select_related("call", "lead", "track", "award__project")
        .order_by("-created_at")
    )


def my_projects(user):
    pending = Q(reports__submitted_at__isnull=True)
    return with_money(
        Project.objects.filter(award__application__lead__memberships__user=user).select_related(
            "award__application__call"
        )
    ).annotate(next_report_due=Min("reports__due_on", filter=pending))


def applicant_dashboard(user, now=None):
    now = now or timezone.now()
    organisations = list(
        Organisation.objects.filter(memberships__user=user).select_related("region").order_by("name")
    )
    applications = list(my_applications(user))
    open_calls = list(Call.objects.receiving(now).select_related("programme").order_by("closes_at"))
    projects = list(my_projects(user).order_by("code"))
    deadlines = []

    def add(when, what, url, day=None):
        deadlines.append(Deadline(when, what, url, time_left(when, now), when <= now, day))

    for call in open_calls:
        add(
            call.closes_at,
            _("Reception closes: %(call)s") % {"call": call.display_title},
            reverse("competitions:call_detail", args=[call.slug]),
        )
    for application in applications:
        if application.objection_deadline and application.objection_deadline > now:
            add(
                application.objection_deadline,
                _("Objections close: %(title)s") % {"title": application.title},
                reverse("projects:application_detail", args=[application.pk]),
            )
    reports = (
        Report.objects.filter(project__in=[p.pk for p in projects], submitted_at__isnull=True)
        .select_related("project", "phase")
        .order_by("due_on")
    )
    for report in reports:
        add(
            end_of_day(report.due_on),
            _("%(report)s due: %(project)s")
            % {"report": report.get_kind_display(), "project": report.project.code},
            reverse("projects:my_project", args=[report.project_id]),
            day=report.due_on,
        )
    deadlines.sort(key=lambda d: d.when)
    return ApplicantDashboard(
        organisations=organisations,
        applications=[(a, next_step(a, now)) for a in applications],
        deadlines=deadlines,
        projects=projects,
        open_calls=open_calls,
    )
