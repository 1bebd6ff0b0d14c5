"""An agreement's years (DESIGN.md §2, §3): a project is funded year by year, each year with its
national subsidy (paid in tranches of that year), its whole cost and, when the call defines
budget categories, its plan split by category. Each year has an annual report; the next year's
money needs it accepted (refused here with the reason, and a money invariant checked in the
payment's locked transaction, projects.money_invariants)."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from accounts.roles import Role, has_role
from competitions.formatting import format_krw
from competitions.lifecycle import TransitionRefused
from competitions.models import BudgetCategory

from . import money_invariants
from .models import BudgetLine, Project, ProjectState, ProjectYear, Report, ReportStatus

ANNUAL_REPORT_DUE = timedelta(days=30)  # after the year ends


def _refuse(*reasons):
    raise TransitionRefused(list(reasons))


def log_project(project, *, by, transition, description):
    """A logged event of a project that changes no state (who, when, why), in its history."""
    StateLog.objects.create(
        by=by,
        source_state=project.state,
        state=project.state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(Project),
        object_id=project.pk,
        description=description,
    )


def categories_of(project):
    """The budget categories of the project's call, in order."""
    return list(
        BudgetCategory.objects.filter(call_id=project.award.application.call_id).order_by("position", "pk")
    )


def add_year(project, *, by, starts_on, ends_on, national_subsidy, total_cost, plan=None):
    """Staff add the agreement's next year: its dates (after the previous year's), its national
    subsidy and whole cost, and, when the call has budget categories, the plan ``{category:
    amount}`` splitting the subsidy (it must add up; caps hold). Creates the year's annual
    report. The years' subsidies never exceed the award."""
    if not has_role(by, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff change awards and ledgers."))
    if ends_on <= starts_on:
        _refuse(_("A year must end after it starts."))
    if national_subsidy < 0 or total_cost < 0:
        _refuse(_("Amounts cannot be negative."))
    if total_cost < national_subsidy:
        _refuse(_("The year's whole cost cannot be below its national subsidy."))
    with transaction.atomic():
        project = Project.objects.select_for_update().select_related("award__application").get(pk=project.pk)
        if project.state != ProjectState.ACTIVE:
            _refuse(_("Years are added only to active projects."))
        previous = project.years.order_by("-number").first()
        if previous is not None and starts_on <= previous.ends_on:
            _refuse(
                _("Year %(number)s must start after year %(previous)s ends on %(end)s.")
                % {"number": previous.number + 1, "previous": previous.number, "end": previous.ends_on}
            )
        categories = categories_of(project)
        plan = {getattr(category, "pk", category): amount for category, amount in (plan or {}).items()}
        unknown = set(plan) - {category.pk for category in categories}
        if unknown:
            _refuse(_("The plan names a category the call does not define."))
        if categories and sum(plan.values()) != national_subsidy:
            _refuse(
                _("The plan adds up to %(planned)s; it must add up to the year's subsidy of %(subsidy)s.")
                % {"planned": format_krw(sum(plan.values())), "subsidy": format_krw(national_subsidy)}
            )
        if any(amount < 0 for amount in plan.values()):
            _refuse(_("Amounts cannot be negative."))
        year = ProjectYear.objects.create(
            project=project,
            number=(previous.number + 1) if previous else 1,
            starts_on=starts_on,
            ends_on=ends_on,
            national_subsidy=national_subsidy,
            total_cost=total_cost,
            created_by=by,
        )
        BudgetLine.objects.bulk_create(
            BudgetLine(year=year, category=category, amount=plan.get(category.pk, 0))
            for category in categories
        )
        Report.objects.create(
            project=project, year=year, kind=Report.Kind.ANNUAL, due_on=ends_on + ANNUAL_REPORT_DUE
        )
        log_project(
            project,
            by=by,
            transition="add_year",
            description=_("Year %(number)s added: %(start)s to %(end)s, subsidy %(subsidy)s.")
            % {
                "number": year.number,
                "start": starts_on,
                "end": ends_on,
                "subsidy": format_krw(national_subsidy),
            },
        )
        money_invariants.require(project)
    return year


def year_to_pay(project, number):
    """The year a payment of a locked ``project`` goes to: None for a project without years;
    refused when it has years and none is named, the year does not exist, or the previous year's
    annual report is not accepted (the reason says which)."""
    years = {year.number: year for year in project.years.all()}
    if not years:
        if number is not None:
            _refuse(_("This project has no agreement years; pay it without naming one."))
        return None
    if number is None:
        _refuse(_("Say which year of the agreement the payment is for."))
    if number not in years:
        _refuse(_("The agreement has no year %(number)s.") % {"number": number})
    if number > 1:
        report = Report.objects.filter(year=years[number - 1], kind=Report.Kind.ANNUAL).first()
        if report is None or report.status != ReportStatus.ACCEPTED:
            status = report.get_status_display() if report else _("Not submitted")
            _refuse(
                _(
                    "Year %(number)s is paid only once the annual report of year %(previous)s is "
                    "accepted; it is: %(status)s."
                )
                % {"number": number, "previous": number - 1, "status": status}
            )
    return years[number]


def year_of_date(project, on):
    """The agreement year a date falls in (None when the project has no years); refused when it
    has years and the date falls in none."""
    years = list(project.years.all())
    if not years:
        return None
    for year in years:
        if year.starts_on <= on <= year.ends_on:
            return year
    _refuse(_("%(date)s falls in no year of the agreement.") % {"date": on})
