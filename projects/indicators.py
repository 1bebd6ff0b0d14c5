"""Performance indicators (성과지표), DESIGN.md §2 and docs/rule-book.md.

- An application proposes its indicators on the draft (name, unit, baseline, a target for each
  project year the call asks for); they are kept with the draft (``save_indicators``, inside
  projects.workflow.save_draft) and frozen at submission (only a draft is edited).
- A call may require at least N indicators: the standing rule ``required_indicators`` in
  competitions.eligibility, fed by ``indicator_facts`` (the one place "can submit" is decided).
- Reports record an actual per indicator with its evidence (``record_actuals``); the report's
  project year is ``report_year``. A correction is a new record; the latest one counts.
- After the project ends, the call's follow-up reports are due yearly (``open_follow_up_reports``)
  and their writers reminded in their own language (``remind_follow_up_reports``), by beat.
- Target against actual: ``project_table`` (one project) and ``call_table`` (every project of a
  call, in a constant number of queries).
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused

from .documents import safe_filename, validate_document
from .models import (
    Indicator,
    IndicatorActual,
    IndicatorSettings,
    IndicatorTarget,
    Project,
    ProjectState,
    Report,
    ReportStatus,
)
from .outbox import tell

# Follow-up reports are reminded from this long before they are due (and while overdue).
FOLLOW_UP_REMINDER_WINDOW = timedelta(days=30)


def settings_for(call):
    """The call's indicator settings (defaults when staff set none: nothing required, targets
    for one year, no follow-up)."""
    try:
        return call.indicator_settings
    except IndicatorSettings.DoesNotExist:
        return IndicatorSettings(call=call)


# --- The draft ------------------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    """One indicator as the draft's form hands it over (values already cleaned)."""

    pk: int | None
    name: str
    name_ko: str
    unit: str
    baseline: Decimal
    targets: dict = field(default_factory=dict)  # year -> Decimal
    remove: bool = False


def current(application):
    """The application's indicators (not removed from the draft), in order."""
    return application.indicators.filter(removed=False).order_by("position", "pk")


def save_indicators(application, rows, *, by):
    """Store the draft's indicators: change the listed ones, add the new ones, mark the removed
    ones (kept, never deleted). Call it inside the draft's locked transaction."""
    existing = {indicator.pk: indicator for indicator in current(application)}
    targets = defaultdict(dict)
    for target in IndicatorTarget.objects.filter(indicator__in=list(existing)):
        targets[target.indicator_id][target.year] = target
    position = 0
    for row in rows:
        indicator = existing.get(row.pk) if row.pk else None
        if row.pk and indicator is None:
            continue  # not this draft's (or already removed): ignore rather than touch it
        if row.remove:
            if indicator is not None:
                indicator.removed = True
                indicator.updated_by = by
                indicator.save(update_fields=["removed", "updated_by", "updated_at"])
            continue
        position += 1
        indicator = indicator or Indicator(application=application)
        indicator.name, indicator.name_ko, indicator.unit = row.name, row.name_ko, row.unit
        indicator.baseline, indicator.position, indicator.updated_by = row.baseline, position, by
        indicator.save()
        kept = targets.get(indicator.pk, {})
        for year, value in row.targets.items():
            target = kept.get(year)
            if target is None:
                IndicatorTarget.objects.create(indicator=indicator, year=year, target=value)
            elif target.target != value:
                target.target = value
                target.save(update_fields=["target"])


def indicator_facts(applications):
    """({call id: indicators required}, {application id: indicators proposed}) for these
    applications, in at most two queries, none when their calls' settings were read with them and
    require nothing (what the standing rule ``required_indicators`` reads)."""
    required, unknown = {}, set()
    for application in applications:
        # Read with the application (projects.eligibility_check.with_eligibility_data) when it was.
        cached = application.call._state.fields_cache
        if "indicator_settings" not in cached:
            unknown.add(application.call_id)
        elif cached["indicator_settings"] is not None and cached["indicator_settings"].min_indicators:
            required[application.call_id] = cached["indicator_settings"].min_indicators
    if unknown:
        required.update(
            IndicatorSettings.objects.filter(call_id__in=unknown, min_indicators__gt=0).values_list(
                "call_id", "min_indicators"
            )
        )
    wanted = [a.pk for a in applications if a.call_id in required]
    if not wanted:
        return required, {}
    counts = dict(
        Indicator.objects.filter(application_id__in=wanted, removed=False)
        .values("application_id")
        .annotate(n=Count("pk"))
        .values_list("application_id", "n")
    )
    return required, counts


# --- Years --------------------------------------------------------------------------------------


def add_years(day, years):
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def project_year(project, day):
    """The project year (1, 2, ...) that ``day`` falls in, counted from the start."""
    year = 1
    while add_years(project.starts_on, year) <= day:
        year += 1
    return year


def report_year(report):
    """The year a report's actuals count for: a progress report's phase (or its due date), the
    final report's last project year, a follow-up report's year after the last."""
    project = report.project
    if report.kind == Report.Kind.FOLLOW_UP:
        return project_year(project, project.ends_on) + report.follow_up_year
    if report.kind == Report.Kind.FINAL:
        return project_year(project, project.ends_on)
    day = report.phase.ends_on if report.phase_id else report.due_on
    return project_year(project, min(day, project.ends_on))


# --- Actuals ------------------------------------------------------------------------------------


def reportable(report):
    """Whether the report still takes actuals: not yet submitted (or returned), and for a
    progress or final report, the project not yet settled."""
    if report.status not in (ReportStatus.DUE, ReportStatus.RETURNED):
        return False
    if report.kind == Report.Kind.FOLLOW_UP:
        return True
    return report.project.state not in (ProjectState.SETTLED, ProjectState.CLOSED)


def record_actuals(report, entries, *, by):
    """Record ``entries`` [(indicator, value, evidence upload), ...] against ``report``: each
    indicator must be the project's, each value a number, each evidence a document checked by
    content. Refused as a whole, changing nothing, with every reason. Returns the new records."""
    application = report.project.award.application
    if not by.has_perm("projects.change_application", application):
        raise PermissionDenied(_("You may not report on this project."))
    if not entries:
        raise TransitionRefused([_("Enter at least one indicator's result.")])
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=report.project_id)
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("project", "phase")
            .get(pk=report.pk)
        )
        if not reportable(report):
            raise TransitionRefused(
                [
                    _(
                        "This report no longer takes results: it is submitted, accepted, or the project is settled."
                    )
                ]
            )
        own = set(current(application).values_list("pk", flat=True))
        reasons, checked = [], []
        for indicator, value, upload in entries:
            name = indicator.display_name
            if indicator.pk not in own:
                reasons.append(_("“%(name)s” is not an indicator of this project.") % {"name": name})
                continue
            if upload is None:
                reasons.append(_("Attach the evidence for “%(name)s”.") % {"name": name})
                continue
            try:
                validate_document(upload, upload.name, size=upload.size)
            except ValidationError as error:
                reasons.append(
                    _("Evidence for “%(name)s”: %(reason)s")
                    % {"name": name, "reason": " ".join(error.messages)}
                )
                continue
            checked.append((indicator, value, upload))
        if reasons:
            raise TransitionRefused(reasons)
        year = report_year(report)
        recorded = []
        for indicator, value, upload in checked:
            name = safe_filename(upload.name)
            actual = IndicatorActual(
                indicator=indicator, report=report, year=year, value=value, original_name=name, recorded_by=by
            )
            actual.evidence.save(name, upload, save=False)
            actual.save()
            recorded.append(actual)
    return recorded


def latest_actuals(indicator_ids):
    """{(indicator id, year): the latest IndicatorActual} for these indicators, in one query."""
    latest = {}
    for actual in IndicatorActual.objects.filter(indicator_id__in=indicator_ids).order_by("pk"):
        latest[(actual.indicator_id, actual.year)] = actual
    return latest


# --- Target against actual ----------------------------------------------------------------------


@dataclass
class YearCell:
    year: int
    target: Decimal | None
    actual: IndicatorActual | None

    @property
    def met(self):
        if self.target is None or self.actual is None:
            return None
        return self.actual.value >= self.target


@dataclass
class IndicatorLine:
    indicator: Indicator
    cells: list


@dataclass
class ProjectIndicators:
    project: Project
    lines: list


def _years(settings, targets, latest):
    last = max([settings.project_years, *(y for _i, y in targets), *(y for _i, y in latest)], default=1)
    return list(range(1, last + 1))


def _lines(indicators, targets, latest, years):
    return [
        IndicatorLine(
            indicator,
            [YearCell(y, targets.get((indicator.pk, y)), latest.get((indicator.pk, y))) for y in years],
        )
        for indicator in indicators
    ]


def _targets(indicator_ids):
    return {
        (t.indicator_id, t.year): t.target
        for t in IndicatorTarget.objects.filter(indicator_id__in=indicator_ids)
    }


def proposed_table(application):
    """(years, [IndicatorLine]) of an application's proposed indicators (targets only). Three
    queries."""
    indicators = list(current(application))
    targets = _targets([i.pk for i in indicators])
    years = _years(settings_for(application.call), targets, {})
    return years, _lines(indicators, targets, {}, years)


def project_table(project):
    """(years, [IndicatorLine]) of one project: each indicator's target and latest actual per
    year (follow-up years included once reported). Four queries."""
    application = project.award.application
    indicators = list(current(application))
    ids = [i.pk for i in indicators]
    targets, latest = _targets(ids), latest_actuals(ids)
    years = _years(settings_for(application.call), targets, latest)
    return years, _lines(indicators, targets, latest, years)


def call_table(call):
    """(years, [ProjectIndicators]) for every project of ``call``, by project code, in a
    constant number of queries whatever the number of projects and indicators."""
    projects = list(
        Project.objects.filter(award__application__call=call)
        .select_related("award__application__lead")
        .order_by("code")
    )
    by_application = defaultdict(list)
    indicators = Indicator.objects.filter(
        application_id__in=[p.award.application_id for p in projects], removed=False
    ).order_by("position", "pk")
    for indicator in indicators:
        by_application[indicator.application_id].append(indicator)
    ids = [i.pk for rows in by_application.values() for i in rows]
    targets, latest = _targets(ids), latest_actuals(ids)
    years = _years(settings_for(call), targets, latest)
    return years, [
        ProjectIndicators(p, _lines(by_application[p.award.application_id], targets, latest, years))
        for p in projects
    ]


# --- Follow-up reports ----------------------------------------------------------------------------


def open_follow_up_reports(today=None):
    """Create the follow-up reports of every project that has ended, as its call says (one a
    year after the end, for the call's follow-up years; once each). Returns how many."""
    today = today or timezone.localdate()
    projects = (
        Project.objects.filter(
            ends_on__lt=today, award__application__call__indicator_settings__follow_up_years__gt=0
        )
        .annotate(opened=Count("reports", filter=Q(reports__kind=Report.Kind.FOLLOW_UP)))
        .filter(opened__lt=F("award__application__call__indicator_settings__follow_up_years"))
        .select_related("award__application__call__indicator_settings")
    )
    created = 0
    for project in projects:
        years = project.award.application.call.indicator_settings.follow_up_years
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            have = set(
                locked.reports.filter(kind=Report.Kind.FOLLOW_UP).values_list("follow_up_year", flat=True)
            )
            for year in range(1, years + 1):
                if year in have:
                    continue
                Report.objects.create(
                    project=locked,
                    kind=Report.Kind.FOLLOW_UP,
                    follow_up_year=year,
                    due_on=add_years(locked.ends_on, year),
                )
                created += 1
    return created


def remind_follow_up_reports(today=None, *, within=FOLLOW_UP_REMINDER_WINDOW):
    """E-mail the lead's members, each in their own language, about follow-up reports due within
    ``within`` or overdue and not submitted; at most once a day per report. Returns how many
    reports were reminded."""
    today = today or timezone.localdate()
    due = (
        Report.objects.filter(
            kind=Report.Kind.FOLLOW_UP,
            status__in=[ReportStatus.DUE, ReportStatus.RETURNED],
            due_on__lte=today + within,
        )
        .exclude(last_reminded_on=today)
        .select_related("project__award__application__lead")
        .prefetch_related("project__award__application__lead__members")
    )
    count = 0
    for report in due:
        with transaction.atomic():
            # Claim the report for today first: an overlapping beat then sends nothing.
            if (
                not Report.objects.filter(pk=report.pk)
                .exclude(last_reminded_on=today)
                .update(last_reminded_on=today)
            ):
                continue
            tell(
                report.project.award.application.lead.members.all(),
                functools.partial(_follow_up_message, report, today),
            )
        count += 1
    return count


def _follow_up_message(report, today):
    values = {
        "project": report.project.code,
        "year": report.follow_up_year,
        "due": report.due_on.isoformat(),
    }
    if report.due_on < today:
        subject = _("Follow-up report %(year)s for %(project)s was due on %(due)s") % values
    else:
        subject = _("Follow-up report %(year)s for %(project)s is due on %(due)s") % values
    body = (
        _(
            "%(project)s has ended; the call follows its performance indicators. Record each indicator's"
            " result with its evidence and submit follow-up report %(year)s by %(due)s."
        )
        % values
    )
    return subject, f"{subject}\n\n{body}"


def follow_up_reports(today=None):
    """Beat: open the follow-up reports now due to exist, then remind their writers."""
    today = today or timezone.localdate()
    return {"opened": open_follow_up_reports(today), "reminded": remind_follow_up_reports(today)}
