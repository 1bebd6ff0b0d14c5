"""Policy analytics (issue 17): every table's numbers against counts made here, in plain Python
over the objects the test created (and over the demo data for a few figures); one call or a
range of years; constant queries at two sizes; exports as CSV and XLSX with safe cells and
Korean headers; who may read it; the download in the access log."""

import csv
import io
import random
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.roles import Role
from competitions.models import CallState, District, Region, ServiceType, SizeClass, TechnologyField
from projects import ledger
from projects.models import Application, ApplicationState, Award, Project
from smartcity import analytics
from smartcity.analytics import Scope
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
    call_in_state,
    signed_project,
)

pytestmark = pytest.mark.django_db
M = 1_000_000
SEOUL = ZoneInfo("Asia/Seoul")
MEASURES = list(analytics.MEASURES)


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def auditor(role_groups):
    return UserFactory(is_staff=True, roles=[Role.AUDITOR])


class World:
    """What the test made, and what it paid and reversed, to count from."""

    def __init__(self):
        self.calls = []
        self.applications = []
        self.paid = defaultdict(int)  # application pk -> payments net of reversals


def build(count, staff, prefix="PC", calls=None):
    """``count`` applications over two calls (new ones, or ``calls``), their references
    ``prefix``-numbered."""
    world = World()
    regions = list(Region.objects.order_by("id")[:3])
    district = District.objects.filter(region=regions[0]).order_by("pk").first()
    techs = list(TechnologyField.objects.order_by("code")[:3])
    types = list(ServiceType.objects.order_by("code")[:2])
    world.calls = calls or [
        CallFactory(
            state=CallState.PUBLISHED,
            title=f"Pilot {year}",
            title_ko=f"실증 {year}",
            opens_at=datetime(year, 3, 2, 0, 30, tzinfo=SEOUL),  # 2 March in Seoul, 1 March in UTC
            closes_at=timezone.now() + timezone.timedelta(days=10),
        )
        for year in (2025, 2026)
    ]
    for i in range(count):
        lead = OrganisationFactory(region=regions[i % 3], size_class=("sme", "mid", "large", "")[i % 4])
        if i % 6 == 3:  # a basic local government: its city, county or district is recorded
            lead.kind, lead.government_level, lead.region, lead.district = (
                "local_government",
                "basic",
                district.region,
                district,
            )
            lead.save()
        application = ApplicationFactory(call=world.calls[i % 2], lead=lead, requested_subsidy=(100 + i) * M)
        if i % 4 == 0:
            Application.objects.filter(pk=application.pk).update(
                test_bed_region=district.region, test_bed_district=district
            )
        application.technology_fields.set(techs[: i % 3])
        application.service_types.set(types[i % 2 : i % 2 + 1])
        world.applications.append(application)
        if i % 5 == 0:
            continue  # a draft: not an applicant
        state = ApplicationState.SELECTED if i % 5 in (1, 2) else ApplicationState.SUBMITTED
        Application.objects.filter(pk=application.pk).update(
            state=state,
            submitted_at=timezone.now(),
            reference=f"{prefix}-{i:04d}",
            accepted_at=timezone.now(),
        )
        if i % 5 == 1:  # awarded, signed and paid; every other one has a payment reversed
            project = signed_project(application, by=staff)
            first = ledger.post_payment(project, by=staff, amount=(10 + i) * M, paid_on=date(2026, 5, 10))
            ledger.post_payment(project, by=staff, amount=5 * M, paid_on=date(2026, 5, 11))
            world.paid[application.pk] += (10 + i) * M + 5 * M
            if i % 10 == 1:
                ledger.reverse_entry(first, by=staff, reason="Paid twice by mistake")
                world.paid[application.pk] -= (10 + i) * M
    return world


def expected(world, key_of):
    """{label: [measures]} counted here, one application at a time; ``key_of(application)``
    gives the labels it counts under."""
    table = defaultdict(lambda: [0] * len(MEASURES))
    for application in Application.objects.filter(pk__in=[a.pk for a in world.applications]):
        if application.state == ApplicationState.DRAFT or (
            application.state == ApplicationState.WITHDRAWN and application.submitted_at is None
        ):
            continue  # not an applicant: never submitted
        award = Award.objects.filter(application=application).first()
        project = Project.objects.filter(award=award).first() if award else None
        figures = [
            1,
            int(application.state in (ApplicationState.SELECTED, ApplicationState.AWARDED)),
            int(award is not None),
            int(project is not None),
            application.requested_subsidy,
            award.national_subsidy if award else 0,
            world.paid[application.pk],
        ]
        for label in key_of(application):
            table[label] = [a + b for a, b in zip(table[label], figures, strict=True)]
    return dict(table)


def shown(table):
    return {row.label: row.values() for row in table.rows}


NOT_STATED = "Not stated"
KEYS = {
    "region": lambda a: [a.lead.region.display_name],
    "city": lambda a: [
        str(a.test_bed_district)
        if a.test_bed_district
        else str(a.lead.district)
        if a.lead.district
        else NOT_STATED
    ],
    "technology": lambda a: [t.display_name for t in a.technology_fields.all()] or [NOT_STATED],
    "service_type": lambda a: [t.display_name for t in a.service_types.all()] or [NOT_STATED],
    "size_class": lambda a: [
        SizeClass.objects.get(code=a.lead.size_class).display_name if a.lead.size_class else NOT_STATED
    ],
    "year": lambda a: [str(timezone.localtime(a.call.opens_at, SEOUL).year)],
    "call": lambda a: [a.call.display_title],
}


@pytest.mark.parametrize("slug", list(KEYS))
def test_every_table_across_calls_agrees_with_counts_made_here(staff, slug):
    world = build(20, staff)
    table = analytics.breakdown(Scope(), analytics.DIMENSIONS_BY_SLUG[slug])
    assert shown(table) == expected(world, KEYS[slug])
    if not table.overlapping:  # a partition: its total is every applicant once
        everyone = expected(world, lambda a: ["all"])["all"]
        assert table.total.values() == everyone


def test_the_tables_of_one_call_and_of_a_range_of_years(staff):
    world = build(16, staff)
    first, second = world.calls
    in_first = Scope(call=first)
    assert [d.slug for d in analytics.dimensions_for(in_first)] == [s for s in KEYS if s != "call"]
    region = analytics.DIMENSIONS_BY_SLUG["region"]
    only_first = expected(world, lambda a: [a.lead.region.display_name] if a.call_id == first.pk else [])
    assert shown(analytics.breakdown(in_first, region)) == only_first
    only_second = expected(world, lambda a: [a.lead.region.display_name] if a.call_id == second.pk else [])
    assert shown(analytics.breakdown(Scope(year_from=2026), region)) == only_second
    assert shown(analytics.breakdown(Scope(year_to=2025), region)) == only_first
    assert shown(analytics.breakdown(Scope(year_from=2027), region)) == {}
    # The call of 2 March 2025 in Seoul opened on 1 March in UTC: its year is Seoul's.
    assert [row.key for row in analytics.breakdown(Scope(), analytics.DIMENSIONS_BY_SLUG["year"]).rows] == [
        2025,
        2026,
    ]


def test_the_page_shows_every_table_with_its_chart_and_figures(client, staff):
    world = build(12, staff)
    client.force_login(staff)
    response = client.get(reverse("smartcity:analytics"))
    assert response.status_code == 200
    tables = [table for table, *_charts in response.context["tables"]]
    assert [t.slug for t in tables] == list(KEYS)
    regions = expected(world, KEYS["region"])
    html = response.content.decode()
    for label, values in regions.items():
        assert f'<th scope="row">{label}</th><td>{values[0]}</td><td>{values[1]}</td>' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 2 * len(tables)
    assert "<script>" not in html  # no inline script (the CSP refuses it)
    assert ' style="' not in html
    # Within one call: its tables only, and the export links keep the choice.
    response = client.get(reverse("smartcity:analytics"), {"call": world.calls[0].slug})
    assert [t.slug for t, *_c in response.context["tables"]] == [s for s in KEYS if s != "call"]
    assert f"region.csv?call={world.calls[0].slug}" in response.content.decode()


def test_bad_choices_are_refused_with_the_reason_and_every_call_is_shown(client, staff):
    build(4, staff)
    client.force_login(staff)
    response = client.get(reverse("smartcity:analytics"), {"year_from": "2027", "year_to": "2025"})
    assert response.status_code == 200
    assert "The last year must not be before the first year." in response.content.decode()
    assert response.context["scope"] == Scope()
    response = client.get(reverse("smartcity:analytics"), {"call": "no-such-call"})
    assert response.context["form"].errors["call"]


@pytest.mark.parametrize("count", [5, 40])
def test_the_page_runs_a_constant_number_of_queries(client, staff, count, django_assert_max_num_queries):
    build(count, staff)
    client.force_login(staff)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("smartcity:analytics"))
    total = response.context["tables"][0][0].total
    assert total.applicants == sum(1 for i in range(count) if i % 5)


def test_the_same_queries_at_two_sizes_and_new_figures_after_every_write(client, staff):
    """The page's queries do not grow with the applications, their fields and types, the awards
    or the payments; and the statements compiled once per scope read the figures afresh: what
    is written between two views shows in the second."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measured():
        with CaptureQueriesContext(connection) as page:
            response = client.get(reverse("smartcity:analytics"))
        with CaptureQueriesContext(connection) as alone:
            computed = analytics.tables(Scope())
        return len(page.captured_queries), len(alone.captured_queries), computed, response

    world = build(6, staff)
    client.force_login(staff)
    small_page, small_tables, _tables, _response = measured()
    more = build(30, staff, prefix="PD", calls=world.calls)
    world.applications += more.applications
    world.paid.update(more.paid)
    page, alone, computed, response = measured()
    assert (page, alone) == (small_page, small_tables)
    assert page <= 15 and alone <= 8
    assert {t.slug: shown(t) for t in computed} == {slug: expected(world, KEYS[slug]) for slug in KEYS}

    # Writes between two views of the same scope: a new field, a payment, a lead that moved.
    application = next(a for a in world.applications if Project.objects.filter(award__application=a).exists())
    application.technology_fields.add(TechnologyField.objects.order_by("code")[5])
    ledger.post_payment(application.award.project, by=staff, amount=7 * M, paid_on=date(2026, 6, 1))
    world.paid[application.pk] += 7 * M
    lead = application.lead
    lead.region = Region.objects.order_by("id")[7]
    lead.save()
    response = client.get(reverse("smartcity:analytics"))
    shown_now = {table.slug: shown(table) for table, *_charts in response.context["tables"]}
    assert shown_now == {slug: expected(world, KEYS[slug]) for slug in KEYS}
    assert lead.region.display_name in shown_now["region"]


# --- Random data against the plain count -----------------------------------------------------


def build_random(seed, count, staff):
    """Applications drawn at random: leads shared or not, in several regions and size classes,
    some local governments with their district, test beds, zero to three technology fields and
    service types, every state (drafts and withdrawn ones among them), awards with and without
    a project, lowered subsidies, payments and reversals, over three calls of three years."""
    rng = random.Random(seed)
    world = World()
    regions = list(Region.objects.order_by("id")[:5])
    districts = list(District.objects.order_by("pk")[:4])
    techs = list(TechnologyField.objects.order_by("code")[:4])
    types = list(ServiceType.objects.order_by("code")[:3])
    sizes = [*SizeClass.objects.values_list("code", flat=True)[:3], ""]
    world.calls = [
        CallFactory(
            state=CallState.PUBLISHED,
            opens_at=datetime(year, 1, 1, 0, 30, tzinfo=SEOUL)
            if year == 2025
            else datetime(year, 6, 1, tzinfo=SEOUL),
            closes_at=timezone.now() + timezone.timedelta(days=10),
        )
        for year in (2024, 2025, 2026)
    ]
    leads = []
    for i in range(count):
        if leads and rng.random() < 0.3:
            lead = rng.choice(leads)
        elif rng.random() < 0.25:
            district = rng.choice(districts)
            lead = OrganisationFactory(
                kind="local_government",
                government_level="basic",
                region=district.region,
                district=district,
                size_class=rng.choice(sizes),
            )
        else:
            lead = OrganisationFactory(region=rng.choice(regions), size_class=rng.choice(sizes))
        leads.append(lead)
        application = ApplicationFactory(
            call=rng.choice(world.calls), lead=lead, requested_subsidy=rng.randint(60, 290) * M
        )
        if rng.random() < 0.3:
            district = rng.choice(districts)
            Application.objects.filter(pk=application.pk).update(
                test_bed_region=district.region, test_bed_district=district
            )
        application.technology_fields.set(rng.sample(techs, rng.choice([0, 0, 1, 2, 3])))
        application.service_types.set(rng.sample(types, rng.choice([0, 1, 1, 2])))
        world.applications.append(application)
        fate = rng.choice(
            ["draft", "withdrawn before", "withdrawn after", "submitted", "not selected"] + ["selected"] * 3
        )
        if fate == "draft":
            continue
        state = {
            "withdrawn before": ApplicationState.WITHDRAWN,
            "withdrawn after": ApplicationState.WITHDRAWN,
            "not selected": ApplicationState.NOT_SELECTED,
            "submitted": ApplicationState.SUBMITTED,
        }.get(fate, ApplicationState.SELECTED)
        Application.objects.filter(pk=application.pk).update(
            state=state,
            submitted_at=None if fate == "withdrawn before" else timezone.now(),
            reference=f"R{seed}-{i:04d}",
            accepted_at=timezone.now(),
        )
        if state != ApplicationState.SELECTED or rng.random() < 0.25:
            continue  # selected, not awarded yet
        if rng.random() < 0.4:  # an award, its agreement not signed: no project
            call_in_state(application.call, CallState.RESULTS_PUBLISHED)
            lowered = rng.choice([0, 5 * M])
            ledger.create_award(
                application,
                by=staff,
                national_subsidy=application.requested_subsidy - lowered,
                reason="Budget" if lowered else "",
            )
            continue
        project = signed_project(application, by=staff)
        for _payment in range(rng.choice([0, 1, 2])):
            amount = rng.randint(1, 20) * M
            entry = ledger.post_payment(project, by=staff, amount=amount, paid_on=date(2026, 5, 10))
            world.paid[application.pk] += amount
            if rng.random() < 0.3:
                ledger.reverse_entry(entry, by=staff, reason="Paid in error")
                world.paid[application.pk] -= amount
    return world


@pytest.mark.parametrize("seed", [1, 2])
def test_every_table_of_every_scope_agrees_with_counts_made_here_on_random_data(staff, seed):
    world = build_random(seed, 28, staff)
    first, second, third = world.calls
    scopes = {
        Scope(): lambda a: True,
        Scope(call=second): lambda a: a.call_id == second.pk,
        Scope(year_from=2025): lambda a: a.call_id in (second.pk, third.pk),
        Scope(year_to=2025): lambda a: a.call_id in (first.pk, second.pk),
        Scope(year_from=2025, year_to=2025): lambda a: a.call_id == second.pk,
    }
    for scope, within in scopes.items():
        computed = {table.slug: table for table in analytics.tables(scope)}
        assert list(computed) == [d.slug for d in analytics.dimensions_for(scope)]
        for slug, table in computed.items():
            keys = KEYS[slug]
            assert shown(table) == expected(
                world, lambda a, keys=keys, within=within: keys(a) if within(a) else []
            ), (
                scope,
                slug,
            )
            assert table == analytics.breakdown(scope, analytics.DIMENSIONS_BY_SLUG[slug])
            if not table.overlapping:
                assert table.total.values() == expected(
                    world, lambda a, within=within: ["all"] if within(a) else []
                ).get("all", [0] * len(MEASURES))
    everyone = expected(world, lambda a: ["all"])["all"]
    assert everyone[2] > everyone[3] > 0, "awards without a project, and projects, among them"
    assert everyone[6] > 0, "payments net of reversals"
    techs = shown(analytics.breakdown(Scope(), analytics.DIMENSIONS_BY_SLUG["technology"]))
    assert NOT_STATED in techs and len(techs) > 2


def test_no_not_stated_row_when_every_application_has_one(staff):
    world = build(10, staff)
    for application in world.applications:
        application.service_types.set([ServiceType.objects.order_by("code")[1]])
    table = analytics.breakdown(Scope(), analytics.DIMENSIONS_BY_SLUG["service_type"])
    assert NOT_STATED not in shown(table)
    assert shown(table) == expected(world, KEYS["service_type"])


def test_csv_and_xlsx_exports_carry_the_table_with_safe_cells_and_korean_headers(client, staff):
    world = build(10, staff)
    world.calls[0].__class__.objects.filter(pk=world.calls[0].pk).update(
        title='=HYPERLINK("http://evil.example")', title_ko='=HYPERLINK("http://evil.example")'
    )
    client.force_login(staff)
    url = reverse("smartcity:analytics_export", args=["call", "csv"])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
    assert response["Content-Disposition"] == 'attachment; filename="analytics-call-calls.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    with translation.override("ko"):
        assert lines[0][0] == "공모"
        assert lines[0][1] == str(analytics.MEASURE_LABELS["applicants"])
        counted = expected(world, KEYS["call"])
    assert lines[0][1] != "Applicants (applications submitted)"
    assert [
        "'" + '=HYPERLINK("http://evil.example")',
        *map(str, counted['=HYPERLINK("http://evil.example")']),
    ] in lines
    assert lines[-1][1:] == [str(v) for v in expected(world, lambda a: ["all"])["all"]]

    response = client.get(reverse("smartcity:analytics_export", args=["region", "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Region"
    for label, values in expected(world, KEYS["region"]).items():
        assert (label, *values) in rows
    assert all(isinstance(value, int) for row in rows[1:] for value in row[1:])
    assert not any(str(c).startswith("=") for row in rows for c in row if c is not None)


def test_exports_of_unknown_tables_or_kinds_are_not_found(client, staff):
    client.force_login(staff)
    assert client.get(reverse("smartcity:analytics_export", args=["colour", "csv"])).status_code == 404
    assert client.get(reverse("smartcity:analytics_export", args=["region", "pdf"])).status_code == 404
    call = CallFactory()
    # The call table exists only across calls.
    response = client.get(reverse("smartcity:analytics_export", args=["call", "csv"]), {"call": call.slug})
    assert response.status_code == 404


def test_staff_and_auditors_read_it_applicants_and_visitors_do_not(client, staff, auditor):
    from audit.models import AccessEvent

    page = reverse("smartcity:analytics")
    assert client.get(page)["Location"].startswith(reverse("accounts:login"))
    client.force_login(UserFactory())
    assert client.get(page).status_code == 403
    assert client.get(reverse("smartcity:analytics_export", args=["region", "csv"])).status_code == 403
    client.force_login(auditor)
    assert client.get(page).status_code == 200
    before = AccessEvent.objects.count()
    assert client.get(reverse("smartcity:analytics_export", args=["region", "xlsx"])).status_code == 200
    event = AccessEvent.objects.order_by("pk").last()
    assert AccessEvent.objects.count() == before + 1
    assert event.actor == auditor and "analytics-region-calls.xlsx" in event.target + str(event.detail)


# --- The demo data --------------------------------------------------------------------------


def test_the_demo_figures_agree_with_counts_made_from_its_rows(demo):
    submitted = [a for a in Application.objects.select_related("lead__region", "call") if a.state != "draft"]
    submitted = [a for a in submitted if not (a.state == "withdrawn" and a.submitted_at is None)]
    assert submitted, "the demo has submitted applications"
    by_region = defaultdict(int)
    awarded_by_year = defaultdict(int)
    for application in submitted:
        by_region[application.lead.region.display_name] += 1
        award = Award.objects.filter(application=application).first()
        if award:
            awarded_by_year[timezone.localtime(application.call.opens_at, SEOUL).year] += (
                award.national_subsidy
            )
    region = analytics.breakdown(Scope(), analytics.DIMENSIONS_BY_SLUG["region"])
    assert {row.label: row.applicants for row in region.rows} == dict(by_region)
    year = analytics.breakdown(Scope(), analytics.DIMENSIONS_BY_SLUG["year"])
    assert {row.key: row.awarded for row in year.rows if row.awarded} == dict(awarded_by_year)
    assert sum(awarded_by_year.values()) > 0, "the demo's 2022 call has awards"
