"""Policy analytics (issue 17): applicants, awards and money broken down by region, city,
technology field, service type, size class, year and call, within one call or across calls.

Computed from the data, never from the reference figures (``Region.companies_2021`` and the
like), in a fixed number of grouped queries whatever the number of applications, awards or
ledger entries: the applications are grouped by every value of the partitioning tables at once
(region, city, size class, call), and the region, city, size class, year and call tables are
added up from those rows (as many as the combinations that occur, not the applications);
technology fields and service types, which an application may have several of, are grouped by
their own. Each grouping is two queries: the applications' own measures, then the measures of
the awarded ones (award, project, payments), read from the awards' side. Then one query each
for the calls' and the regions', cities' and size classes' labels. Analytics
read like ``audit/`` does (DESIGN.md §1), without importing it.

Definitions, each the project's own:
- applicants: applications submitted (``Application.objects.submitted()``), whatever became of
  them; drafts are not counted;
- selected: applications holding a place (``PLACE_STATES``);
- awards / projects: an Award made, a Project whose agreement is signed;
- requested: the national subsidy asked for by the submitted applications; awarded: the
  national subsidy of the awards; disbursed: payments net of their reversals
  (``projects.ledger_figures.PAID``), all in integer won.

An application with several technology fields (or service types) counts under each of them, so
those tables' rows may add up to more than the total; every other table partitions the
applications.
"""

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import rules
from django.db.models import BigIntegerField, Case, Count, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitions.models import Call, District, Region, SizeClass
from competitions.models.localized import pick_language
from projects.ledger_figures import PAID
from projects.models import Application, Award, DisbursementEntry
from projects.models.application import PLACE_STATES
from projects.rules import is_auditor, is_staff_member

SEOUL = ZoneInfo("Asia/Seoul")


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which applications are counted: one call, or every call whose reception opened in a
    year range (Asia/Seoul; either end may be open)."""

    call: Call | None = None
    year_from: int | None = None
    year_to: int | None = None

    @property
    def across_calls(self):
        return self.call is None

    def applications(self):
        applications = Application.objects.submitted()
        if self.call is not None:
            return applications.filter(call=self.call)
        # Bounds in time rather than the year of each row: the index on opens_at serves them.
        if self.year_from is not None:
            applications = applications.filter(call__opens_at__gte=new_year(self.year_from))
        if self.year_to is not None:
            applications = applications.filter(call__opens_at__lt=new_year(self.year_to + 1))
        return applications


def new_year(year):
    """The first instant of ``year`` in Asia/Seoul."""
    return datetime(year, 1, 1, tzinfo=SEOUL)


def call_year(call):
    """The year a call belongs to: the year its reception opened, in Asia/Seoul."""
    return timezone.localtime(call.opens_at, SEOUL).year


def disbursed_per_application():
    """Payments net of reversals of each application's project (OuterRef "pk"), 0 when none;
    looked up only for applications that have a project."""
    entries = (
        DisbursementEntry.objects.filter(PAID, project__award__application=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    return Case(
        When(award__project__isnull=False, then=Coalesce(Subquery(entries), Value(0))),
        default=Value(0),
        output_field=BigIntegerField(),
    )


# What each application counts for itself, and what its award (with the award's project and
# payments) adds: grouped in two queries, so that every submitted application is read without
# the joins that only the awarded ones need (at 20,000 applications and 2,000 awards, 0.06 s
# for one query became about 0.02 s for the two, on SQLite).
APPLICATION_MEASURES = {
    "applicants": lambda: Count("pk"),
    "selected": lambda: Count("pk", filter=Q(state__in=PLACE_STATES)),
    "requested": lambda: Coalesce(Sum("requested_subsidy"), Value(0), output_field=BigIntegerField()),
}
AWARD_MEASURES = {
    "awards": lambda: Count("award"),
    "projects": lambda: Count("award__project"),
    "awarded": lambda: Coalesce(Sum("award__national_subsidy"), Value(0), output_field=BigIntegerField()),
    "disbursed": lambda: Coalesce(Sum("disbursed"), Value(0), output_field=BigIntegerField()),
}
MEASURES = {  # in the tables' column order
    name: {**APPLICATION_MEASURES, **AWARD_MEASURES}[name]
    for name in ("applicants", "selected", "awards", "projects", "requested", "awarded", "disbursed")
}
MEASURE_LABELS = {
    "applicants": _("Applicants (applications submitted)"),
    "selected": _("Selected (holding a place)"),
    "awards": _("Awards"),
    "projects": _("Projects (agreement signed)"),
    "requested": _("Subsidy requested (KRW)"),
    "awarded": _("Subsidy awarded (KRW)"),
    "disbursed": _("Subsidy disbursed, net of reversals (KRW)"),
}
NOT_STATED = _("Not stated")


@dataclasses.dataclass
class Row:
    key: object
    label: str
    applicants: int = 0
    selected: int = 0
    awards: int = 0
    projects: int = 0
    requested: int = 0
    awarded: int = 0
    disbursed: int = 0
    order: object = None  # where the row goes when not by its label (a year, a call's opening)

    def add(self, values):
        """Add a grouped row's measures (a row of either query carries only its own)."""
        for measure in MEASURES:
            figure = values.get(f"m_{measure}")
            if figure:
                setattr(self, measure, getattr(self, measure) + int(figure))

    def values(self):
        return [getattr(self, measure) for measure in MEASURES]


@dataclasses.dataclass
class Table:
    """One breakdown: its rows in order and, for a partition, the total."""

    slug: str
    title: str
    heading: str  # the first column's header
    rows: list
    overlapping: bool = False  # an application may count in several rows

    @property
    def total(self):
        if self.overlapping:
            return None
        total = Row(None, _("Total"))
        for row in self.rows:
            for measure in MEASURES:
                setattr(total, measure, getattr(total, measure) + getattr(row, measure))
        return total


@dataclasses.dataclass(frozen=True)
class Dimension:
    """A breakdown. ``key(values, calls)`` gives the row a grouped row adds to, ``label(key,
    values, calls)`` its label (None: looked up by ``labels(keys)`` for the whole table, in one
    query, or "not stated"). The overlapping ones are grouped by their own ``fields``."""

    slug: str
    title: object
    heading: object
    key: object
    label: object = None
    labels: object = None
    order: object = None  # fn(key, calls) -> sort key; default: by label, "not stated" last
    overlapping: bool = False
    fields: tuple = ()
    across_calls_only: bool = False


# The partitioning tables share one grouped query: their values, and what labels them.
SHARED_FIELDS = (
    "lead__region_id",
    "place",
    "lead__size_class",
    "call_id",
)


def _place():
    """Where the service is tested (the application's test bed), else the city, county or
    district the lead local government governs: companies record only their region."""
    return Coalesce("test_bed_district_id", "lead__district_id")


def _city_labels(keys):
    districts = District.objects.filter(pk__in=keys).select_related("region")
    return {district.pk: str(district) for district in districts}


def _region_labels(keys):
    # Labelled apart: grouping the applications by the region's names as well cost a join and
    # two text columns for each of them (about 0.01 s at 20,000 on SQLite).
    return {region.pk: region.display_name for region in Region.objects.filter(pk__in=keys)}


def _size_labels(keys):
    return {size.code: size.display_name for size in SizeClass.objects.filter(code__in=keys)}


def _named(prefix):
    def label(key, values, calls):
        return pick_language(values[f"{prefix}__name"], values[f"{prefix}__name_ko"])

    return label


DIMENSIONS = [
    Dimension(
        "region",
        _("By region (province)"),
        _("Region"),
        key=lambda values, calls: values["lead__region_id"],
        labels=_region_labels,
    ),
    Dimension(
        "city",
        _("By city, county or district"),
        _("City, county or district"),
        key=lambda values, calls: values["place"],
        labels=_city_labels,
    ),
    Dimension(
        "technology",
        _("By technology field"),
        _("Technology field"),
        key=lambda values, calls: values["technology_fields__id"],
        label=_named("technology_fields"),
        overlapping=True,
        fields=("technology_fields__id", "technology_fields__name", "technology_fields__name_ko"),
    ),
    Dimension(
        "service_type",
        _("By service type"),
        _("Service type"),
        key=lambda values, calls: values["service_types__id"],
        label=_named("service_types"),
        overlapping=True,
        fields=("service_types__id", "service_types__name", "service_types__name_ko"),
    ),
    Dimension(
        "size_class",
        _("By size class of the lead"),
        _("Size class"),
        key=lambda values, calls: values["lead__size_class"] or None,
        labels=_size_labels,
    ),
    Dimension(
        "year",
        _("By year of the call"),
        _("Year"),
        key=lambda values, calls: call_year(calls[values["call_id"]]),
        label=lambda key, values, calls: str(key),
        order=lambda key, calls: key,
    ),
    Dimension(
        "call",
        _("By call"),
        _("Call"),
        key=lambda values, calls: values["call_id"],
        label=lambda key, values, calls: calls[key].display_title,
        order=lambda key, calls: (calls[key].opens_at, calls[key].slug),
        across_calls_only=True,
    ),
]
DIMENSIONS_BY_SLUG = {dimension.slug: dimension for dimension in DIMENSIONS}


def dimensions_for(scope):
    return [d for d in DIMENSIONS if scope.across_calls or not d.across_calls_only]


def _grouped(scope, fields):
    """The scope's applications grouped by ``fields``, with every measure: the rows of the
    applications' own measures, then those of the awarded applications' (two queries)."""
    applications = scope.applications()
    if "place" in fields:
        applications = applications.annotate(place=_place())
    own = applications.order_by().values(*fields)
    awarded = (
        # Read from the awards' side: a few hundred rows, where a join would read every application.
        applications.filter(pk__in=Award.objects.values("application_id"))
        .annotate(disbursed=disbursed_per_application())
        .order_by()
        .values(*fields)
    )
    return [
        *own.annotate(**{f"m_{measure}": make() for measure, make in APPLICATION_MEASURES.items()}),
        *awarded.annotate(**{f"m_{measure}": make() for measure, make in AWARD_MEASURES.items()}),
    ]


def _table(dimension, grouped, calls):
    rows = {}
    for values in grouped:
        key = dimension.key(values, calls)
        if key not in rows:
            label = dimension.label(key, values, calls) if dimension.label and key is not None else None
            rows[key] = Row(key, label)
        rows[key].add(values)
    if dimension.labels is not None:
        names = dimension.labels([key for key in rows if key is not None])
        for row in rows.values():
            row.label = names.get(row.key)
    for row in rows.values():
        if row.key is None or row.label is None:
            row.label = str(NOT_STATED)
        elif dimension.order is not None:
            row.order = dimension.order(row.key, calls)
    ordered = sorted(
        rows.values(),
        key=lambda row: (row.key is None, row.order if dimension.order else row.label),
    )
    return Table(
        dimension.slug,
        str(dimension.title),
        str(dimension.heading),
        ordered,
        overlapping=dimension.overlapping,
    )


def tables(scope, only=None):
    """The breakdowns of the scope (or the one named ``only``), in the page's order."""
    dimensions = [d for d in dimensions_for(scope) if only is None or d.slug == only]
    shared = None
    if any(not d.overlapping for d in dimensions):
        shared = _grouped(scope, SHARED_FIELDS)
    calls = {}
    if any(d.slug in ("year", "call") for d in dimensions):
        calls = Call.objects.in_bulk({values["call_id"] for values in shared})
    return [
        _table(dimension, _grouped(scope, dimension.fields) if dimension.overlapping else shared, calls)
        for dimension in dimensions
    ]


def breakdown(scope, dimension):
    """One Table: the scope's applications broken down by ``dimension``."""
    return tables(scope, only=dimension.slug)[0]


# Who reads the analytics: staff and auditors (who read every call), nobody else.
rules.add_perm("smartcity.view_analytics", is_staff_member | is_auditor)
