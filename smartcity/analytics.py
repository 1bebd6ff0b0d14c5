"""Policy analytics (issue 17): applicants, awards and money broken down by region, city,
technology field, service type, size class, year and call, within one call or across calls.

Computed from the data, never from the reference figures (``Region.companies_2021`` and the
like): one grouped query per breakdown, whatever the number of applications, awards or ledger
entries, plus one query for the labels of cities and one for size classes. Analytics read like
``audit/`` does (DESIGN.md §1), without importing it.

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
from zoneinfo import ZoneInfo

import rules
from django.db.models import BigIntegerField, Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext_lazy as _

from competitions.models import Call, District, SizeClass
from competitions.models.localized import pick_language
from projects.ledger_figures import PAID
from projects.models import Application, DisbursementEntry
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
        applications = applications.annotate(call_year=call_year())
        if self.year_from is not None:
            applications = applications.filter(call_year__gte=self.year_from)
        if self.year_to is not None:
            applications = applications.filter(call_year__lte=self.year_to)
        return applications


def call_year():
    """The year a call's reception opened, in Asia/Seoul: the year a call belongs to."""
    return ExtractYear("call__opens_at", tzinfo=SEOUL)


def disbursed_per_application():
    """Payments net of reversals of each application's project (OuterRef "pk"), 0 when none."""
    entries = (
        DisbursementEntry.objects.filter(PAID, project__award__application=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    return Coalesce(Subquery(entries), Value(0), output_field=BigIntegerField())


MEASURES = {
    "applicants": lambda: Count("pk"),
    "selected": lambda: Count("pk", filter=Q(state__in=PLACE_STATES)),
    "awards": lambda: Count("award"),
    "projects": lambda: Count("award__project"),
    "requested": lambda: Coalesce(Sum("requested_subsidy"), Value(0), output_field=BigIntegerField()),
    "awarded": lambda: Coalesce(Sum("award__national_subsidy"), Value(0), output_field=BigIntegerField()),
    "disbursed": lambda: Coalesce(Sum("disbursed"), Value(0), output_field=BigIntegerField()),
}
COUNT_MEASURES = ("applicants", "selected", "awards", "projects")
MONEY_MEASURES = ("requested", "awarded", "disbursed")
MEASURE_LABELS = {
    "applicants": _("Applicants (applications submitted)"),
    "selected": _("Selected (holding a place)"),
    "awards": _("Awards"),
    "projects": _("Projects (agreement signed)"),
    "requested": _("Subsidy requested (KRW)"),
    "awarded": _("Subsidy awarded (KRW)"),
    "disbursed": _("Subsidy disbursed, net of reversals (KRW)"),
}


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

    opens_at: object = None  # a call's row: when it opened, to order the calls

    def values(self):
        return [getattr(self, measure) for measure in MEASURES]


@dataclasses.dataclass
class Table:
    """One breakdown: its rows (in the dimension's order) and, for a partition, the total."""

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
    slug: str
    title: object
    heading: object
    fields: tuple  # what the rows are grouped by (values() names)
    label_of: object  # one grouped row's values -> (key, label or None)
    annotations: object = None  # fn() -> {name: expression} annotated before grouping
    labels: object = None  # fn(keys) -> {key: label}, one query for a whole table
    overlapping: bool = False  # an application may count in several rows
    across_calls_only: bool = False
    order: object = None  # sort key of a Row; default: by label, "not stated" last


NOT_STATED = _("Not stated")


def _named(prefix):
    """(key, label) from the ``<prefix>__id``, ``__name`` and ``__name_ko`` values."""

    def label(values):
        key = values[f"{prefix}__id"]
        if key is None:
            return None, None
        return key, pick_language(values[f"{prefix}__name"], values[f"{prefix}__name_ko"])

    return label


def _localized_fields(prefix):
    return (f"{prefix}__id", f"{prefix}__name", f"{prefix}__name_ko")


def _city_labels(keys):
    districts = District.objects.filter(pk__in=[key for key in keys if key is not None])
    return {district.pk: str(district) for district in districts.select_related("region")}


def _size_labels(keys):
    return {size.code: size.display_name for size in SizeClass.objects.filter(code__in=keys)}


DIMENSIONS = [
    Dimension(
        "region",
        _("By region (province)"),
        _("Region"),
        _localized_fields("lead__region"),
        _named("lead__region"),
    ),
    Dimension(
        "city",
        _("By city, county or district"),
        _("City, county or district"),
        ("place",),
        lambda values: (values["place"], None),
        # Where the service is tested (the application's test bed), else the city, county or
        # district the lead local government governs: companies record only their region.
        annotations=lambda: {"place": Coalesce("test_bed_district_id", "lead__district_id")},
        labels=_city_labels,
    ),
    Dimension(
        "technology",
        _("By technology field"),
        _("Technology field"),
        _localized_fields("technology_fields"),
        _named("technology_fields"),
        overlapping=True,
    ),
    Dimension(
        "service_type",
        _("By service type"),
        _("Service type"),
        _localized_fields("service_types"),
        _named("service_types"),
        overlapping=True,
    ),
    Dimension(
        "size_class",
        _("By size class of the lead"),
        _("Size class"),
        ("lead__size_class",),
        lambda values: (values["lead__size_class"] or None, None),
        labels=_size_labels,
    ),
    Dimension(
        "year",
        _("By year of the call"),
        _("Year"),
        ("year",),
        lambda values: (values["year"], str(values["year"])),
        annotations=lambda: {"year": call_year()},
        order=lambda row: row.key,
    ),
    Dimension(
        "call",
        _("By call"),
        _("Call"),
        ("call_id", "call__title", "call__title_ko", "call__opens_at"),
        lambda values: (values["call_id"], pick_language(values["call__title"], values["call__title_ko"])),
        across_calls_only=True,
        order=lambda row: row.opens_at,
    ),
]
DIMENSIONS_BY_SLUG = {dimension.slug: dimension for dimension in DIMENSIONS}


def dimensions_for(scope):
    return [d for d in DIMENSIONS if scope.across_calls or not d.across_calls_only]


def breakdown(scope, dimension):
    """One Table: the scope's applications grouped by ``dimension``, in one grouped query (and
    one for the labels of cities or size classes)."""
    applications = scope.applications().annotate(disbursed=disbursed_per_application())
    if dimension.annotations is not None:
        applications = applications.annotate(**dimension.annotations())
    grouped = (
        applications.order_by()
        .values(*dimension.fields)
        .annotate(**{f"m_{measure}": make() for measure, make in MEASURES.items()})
    )
    rows = []
    for values in grouped:
        key, label = dimension.label_of(values)
        row = Row(key, label, opens_at=values.get("call__opens_at"))
        for measure in MEASURES:
            setattr(row, measure, int(values[f"m_{measure}"] or 0))
        rows.append(row)
    if dimension.labels is not None:
        names = dimension.labels({row.key for row in rows if row.key is not None})
        for row in rows:
            row.label = names.get(row.key)
    for row in rows:
        if row.key is None or row.label is None:
            row.label = str(NOT_STATED)
    rows.sort(key=dimension.order or (lambda row: (row.key is None, row.label)))
    return Table(
        dimension.slug, str(dimension.title), str(dimension.heading), rows, overlapping=dimension.overlapping
    )


def tables(scope):
    """Every breakdown of the scope, in the page's order."""
    return [breakdown(scope, dimension) for dimension in dimensions_for(scope)]


def calls_for_choice():
    """The calls staff may pick, newest first (one query)."""
    return list(Call.objects.select_related("programme").order_by("-opens_at", "slug"))


# Who reads the analytics: staff and auditors (who read every call), nobody else.
rules.add_perm("smartcity.view_analytics", is_staff_member | is_auditor)
