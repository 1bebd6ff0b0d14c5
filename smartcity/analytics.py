"""Policy analytics (issue 17): applicants, awards and money broken down by region, city,
technology field, service type, size class, year and call, within one call or across calls.

Computed from the data, never from the reference figures (``Region.companies_2021`` and the
like), in a fixed number of grouped queries whatever the number of applications, awards or
ledger entries: the applications are grouped by every value of the partitioning tables at once
(region, city, size class, call), and the region, city, size class, year and call tables are
added up from those rows (as many as the combinations that occur, not the applications).
Technology fields and service types, which an application may have several of, are grouped from
the rows that link them to the applications, with the applications that have any of them; those
with none ("not stated") are every application less those, so that no query reads every
application for them. Each grouping is two queries: the applications' own measures, then the
measures of the awarded ones (award, project, payments), read from the awards' side (the two
link tables share theirs, a union). Then one query each for the calls' and the regions',
cities' and size classes' labels. The grouped queries' SQL is compiled once per process and
scope (``_statements``); the figures are read from the database on every call. Analytics
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
from functools import lru_cache
from zoneinfo import ZoneInfo

import rules
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitions.models import Call, District, Region, SizeClass
from competitions.models.localized import pick_language
from projects.ledger_figures import PAID
from projects.models import Application, Award, DisbursementEntry
from projects.models.application import PLACE_STATES, SUBMITTED
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

    def condition(self, through=""):
        """Which applications are counted, as a Q on the applications, or on a model that
        reaches them by ``through`` (``"application__"``)."""
        condition = SUBMITTED
        if self.call is not None:
            condition &= Q(call=self.call)
        # Bounds in time rather than the year of each row: the index on opens_at serves them.
        if self.year_from is not None:
            condition &= Q(call__opens_at__gte=new_year(self.year_from))
        if self.year_to is not None:
            condition &= Q(call__opens_at__lt=new_year(self.year_to + 1))
        return _prefixed(condition, through)

    def applications(self):
        return Application.objects.filter(self.condition())


def _prefixed(condition, through):
    """``condition`` (a Q on the applications) seen from a model that reaches them by ``through``."""
    if not through:
        return condition
    return Q.create(
        [
            _prefixed(child, through) if isinstance(child, Q) else (through + child[0], child[1])
            for child in condition.children
        ],
        connector=condition.connector,
        negated=condition.negated,
    )


def new_year(year):
    """The first instant of ``year`` in Asia/Seoul."""
    return datetime(year, 1, 1, tzinfo=SEOUL)


def call_year(call):
    """The year a call belongs to: the year its reception opened, in Asia/Seoul."""
    return timezone.localtime(call.opens_at, SEOUL).year


def disbursed_per_application(through=""):
    """Payments net of reversals of each application's project (the application reached by
    ``through`` from the rows grouped), 0 when none; looked up only for applications that
    have a project."""
    entries = (
        # By the project the grouped rows join already: one lookup of its entries.
        DisbursementEntry.objects.filter(PAID, project=OuterRef(f"{through}award__project"))
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    return Case(
        When(**{f"{through}award__project__isnull": False}, then=Coalesce(Subquery(entries), Value(0))),
        default=Value(0),
        output_field=BigIntegerField(),
    )


def _total(field):
    return Coalesce(Sum(field), Value(0), output_field=BigIntegerField())


# What each application counts for itself, and what its award (with the award's project and
# payments) adds: grouped in two queries, so that every submitted application is read without
# the joins that only the awarded ones need (at 20,000 applications and 2,000 awards, 0.06 s
# for one query became about 0.02 s for the two, on SQLite). Each takes the path to the
# application from the rows grouped ("" for the applications, "application__" for the rows
# linking them to their technology fields or service types).
APPLICATION_MEASURES = {
    "applicants": lambda through: Count(f"{through}pk"),
    "selected": lambda through: Count(f"{through}pk", filter=Q(**{f"{through}state__in": PLACE_STATES})),
    "requested": lambda through: _total(f"{through}requested_subsidy"),
}
AWARD_MEASURES = {
    "awards": lambda through: Count(f"{through}award"),
    "projects": lambda through: Count(f"{through}award__project"),
    "awarded": lambda through: _total(f"{through}award__national_subsidy"),
    "disbursed": lambda through: _total("disbursed"),
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
    query, or "not stated"). The overlapping ones are grouped from the rows of the
    many-to-many field ``link`` (the applications with none of them are "not stated")."""

    slug: str
    title: object
    heading: object
    key: object
    label: object = None
    labels: object = None
    order: object = None  # fn(key, calls) -> sort key; default: by label, "not stated" last
    overlapping: bool = False
    link: str = ""
    across_calls_only: bool = False


# The partitioning tables share one grouped query: their values, and what labels them.
SHARED_FIELDS = (
    "lead__region_id",
    "place",
    "lead__size_class",
    "call_id",
)
# The overlapping tables' rows: which table, the technology field (or service type), its names.
LINK_FIELDS = ("kind", "link_key", "link_name", "link_name_ko")


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


def _link_key(values, calls):
    return values["link_key"]


def _link_label(key, values, calls):
    return pick_language(values["link_name"], values["link_name_ko"])


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
        key=_link_key,
        label=_link_label,
        overlapping=True,
        link="technology_fields",
    ),
    Dimension(
        "service_type",
        _("By service type"),
        _("Service type"),
        key=_link_key,
        label=_link_label,
        overlapping=True,
        link="service_types",
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


def _own(rows, fields, through=""):
    """``rows`` grouped by ``fields``, with the applications' own measures (the applications
    reached by ``through`` from the rows)."""
    return (
        rows.order_by()
        .values(*fields)
        .annotate(**{f"m_{name}": make(through) for name, make in APPLICATION_MEASURES.items()})
    )


def _awarded(rows, fields, through=""):
    """``rows`` of awarded applications grouped by ``fields``, with the measures of the awards."""
    return (
        # Each application's payments are summed before the grouping: annotated before values().
        rows.annotate(disbursed=disbursed_per_application(through))
        .order_by()
        .values(*fields)
        .annotate(**{f"m_{name}": make(through) for name, make in AWARD_MEASURES.items()})
    )


def _awarded_only():
    return Award.objects.values("application_id")


def _shared(scope):
    """The scope's applications grouped by SHARED_FIELDS, with every measure: the applications'
    own measures, then those of the awarded applications (two querysets)."""
    applications = scope.applications().annotate(place=_place())
    return [
        _own(applications, SHARED_FIELDS),
        # Read from the awards' side: a few hundred rows, where a join would read every application.
        _awarded(applications.filter(pk__in=_awarded_only()), SHARED_FIELDS),
    ]


def _linked(scope, links):
    """For each many-to-many field in ``links`` (technology fields, service types): the scope's
    applications grouped by each value they have, read from the rows that link them (kind: the
    field's name), and the applications that have any, in one row (kind: the name and
    ":any"), from the same side: the applications with none are the others, not read at all.
    Every row with every measure, in two querysets (each a union: the applications' own
    measures, then the awards')."""
    own, awarded = [], []
    for link in links:
        through = getattr(Application, link).through
        target = getattr(Application, link).field.m2m_reverse_field_name()
        rows = through.objects.filter(scope.condition("application__")).annotate(
            kind=Value(link),
            link_key=F(f"{target}_id"),
            link_name=F(f"{target}__name"),
            link_name_ko=F(f"{target}__name_ko"),
        )
        having_any = scope.applications().filter(pk__in=through.objects.values("application_id"))
        having_any = having_any.annotate(
            kind=Value(f"{link}:any"),
            link_key=Value(None, output_field=IntegerField()),
            link_name=Value(None, output_field=CharField()),
            link_name_ko=Value(None, output_field=CharField()),
        )
        own += [_own(rows, LINK_FIELDS, "application__"), _own(having_any, LINK_FIELDS)]
        awarded += [
            _awarded(rows.filter(application_id__in=_awarded_only()), LINK_FIELDS, "application__"),
            _awarded(having_any.filter(pk__in=_awarded_only()), LINK_FIELDS),
        ]
    if not own:
        return []
    return [own[0].union(*own[1:], all=True), awarded[0].union(*awarded[1:], all=True)]


# Building and compiling those querysets costs Django more CPU than running them (about 15 ms of
# the 40 ms at 20,000 applications), and their SQL depends on nothing but the scope: compiled
# once per process, database and scope, the statements (text and parameters, no figures) run
# afresh on every call, so that every figure is read from the database each time.
MAX_COMPILED_SCOPES = 64


@lru_cache(maxsize=MAX_COMPILED_SCOPES)
def _statements(alias, scope, links):
    """The SQL and parameters of the scope's grouped querysets: ``_shared``'s, then ``_linked``'s
    (None: a queryset that matches nothing, as Django says without asking the database)."""
    statements = []
    for queryset in [*_shared(scope), *_linked(scope, links)]:
        try:
            statements.append(queryset.query.get_compiler(using=alias).as_sql())
        except EmptyResultSet:
            statements.append(None)
    return tuple(statements)


def _grouped(scope, links):
    """The rows of ``_shared`` and of ``_linked`` (each a dict by column name), read now."""
    alias = router.db_for_read(Application)
    results = []
    with connections[alias].cursor() as cursor:
        for statement in _statements(alias, scope, tuple(links)):
            if statement is None:
                results.append([])
                continue
            cursor.execute(*statement)
            names = [column[0] for column in cursor.description]
            results.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    return [*results[0], *results[1]], [row for rows in results[2:] for row in rows]


def _not_stated(shared, linked, link):
    """The grouped row of the applications with no value of ``link``: every application (the
    shared rows) less those that have one (the ":any" rows); None when there are none. Every
    measure adds up over applications, so the difference is theirs exactly."""
    everyone, having_any = Row(None, ""), Row(None, "")
    for values in shared:
        everyone.add(values)
    for values in linked:
        if values["kind"] == f"{link}:any":
            having_any.add(values)
    if everyone.applicants == having_any.applicants:
        return None
    values = {"link_key": None}
    for measure in MEASURES:
        values[f"m_{measure}"] = getattr(everyone, measure) - getattr(having_any, measure)
    return values


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
    shared, linked = _grouped(scope, [d.link for d in dimensions if d.overlapping])
    calls = {}
    if any(d.slug in ("year", "call") for d in dimensions):
        calls = Call.objects.only("slug", "title", "title_ko", "opens_at").in_bulk(
            {values["call_id"] for values in shared}
        )
    result = []
    for dimension in dimensions:
        grouped = shared
        if dimension.overlapping:
            grouped = [values for values in linked if values["kind"] == dimension.link]
            not_stated = _not_stated(shared, linked, dimension.link)
            if not_stated is not None:
                grouped.append(not_stated)
        result.append(_table(dimension, grouped, calls))
    return result


def breakdown(scope, dimension):
    """One Table: the scope's applications broken down by ``dimension``."""
    return tables(scope, only=dimension.slug)[0]


# Who reads the analytics: staff and auditors (who read every call), nobody else.
rules.add_perm("smartcity.view_analytics", is_staff_member | is_auditor)
