"""Service packages: a local government composes menu items × quantities (× months), sees the
estimated cost, attaches the package to one of its draft applications; lines are never deleted
once attached; only its own people see or change it, staff read it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.lifecycle import TransitionRefused
from projects.models import ApplicationState
from smartcity import menu
from smartcity.models import Package, PackageEvent, PackageLine, PackageState, UnitCost
from tests.factories import ApplicationFactory, OrganisationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def item(name):
    return UnitCost.objects.get(name=name)


@pytest.fixture
def package(city, city_person):
    return menu.create_package(city, "스마트 물관리 지구", by=city_person)


# --- Arithmetic ---------------------------------------------------------------------------


@given(
    unit_cost=st.integers(min_value=0, max_value=3_000_000_000),
    quantity=st.integers(min_value=1, max_value=menu.MAX_QUANTITY),
    months=st.integers(min_value=1, max_value=menu.MAX_MONTHS),
)
def test_a_line_costs_unit_cost_times_quantity_times_months_in_whole_won(unit_cost, quantity, months):
    cost = PackageLine.cost_of(unit_cost, quantity, months)
    assert isinstance(cost, int)
    assert cost == unit_cost * quantity * months
    assert cost // quantity // months == unit_cost


# Each example composes a package of its own, so the shared local government is harmless.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(st.sampled_from(range(11)), st.integers(1, 5000), st.integers(1, 36)),
        min_size=1,
        max_size=6,
    )
)
def test_the_estimated_cost_is_the_sum_of_the_current_lines(city, city_person, lines):
    items = list(UnitCost.objects.order_by("position"))
    package = menu.create_package(city, "합계 확인", by=city_person)
    expected = 0
    for index, quantity, months in lines:
        chosen = items[index]
        months = months if chosen.per_month else None
        menu.add_line(package, chosen, quantity, months, by=city_person)
        expected += chosen.unit_cost * quantity * (months or 1)
    assert package.estimated_cost == expected
    assert Package.objects.with_totals().get(pk=package.pk).total == expected
    assert PackageEvent.objects.filter(package=package).last().total_after == expected


def test_the_report_example_sizes_smart_metering_for_3649_households(package, city_person):
    """seeds/004, Table 3: ₩210,000 (construction per water tap) × 3,649 households = 766,290,000,
    and the operation at ₩1,350 per tap and month on top."""
    menu.add_line(package, item("Waterworks smart metering (construction)"), 3649, None, by=city_person)
    assert package.estimated_cost == 766_290_000
    menu.add_line(package, item("Waterworks smart metering (operation)"), 3649, 12, by=city_person)
    assert package.estimated_cost == 766_290_000 + 1_350 * 3_649 * 12


def test_the_unit_cost_of_a_line_is_the_one_in_force_when_it_was_chosen(package, city_person):
    parking = item("Smart parking")
    line = menu.add_line(package, parking, 20, None, by=city_person)
    UnitCost.objects.filter(pk=parking.pk).update(unit_cost=12_000_000)
    line.refresh_from_db()
    assert (line.unit_cost, line.amount, package.estimated_cost) == (10_000_000, 200_000_000, 200_000_000)


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "quantity", "months", "field"),
    [
        ("Smart parking", 0, None, "quantity"),
        ("Smart parking", menu.MAX_QUANTITY + 1, None, "quantity"),
        ("Smart parking", 5, 12, "months"),
        ("Waterworks smart metering (operation)", 5, None, "months"),
        ("Waterworks smart metering (operation)", 5, menu.MAX_MONTHS + 1, "months"),
    ],
)
def test_bad_quantities_are_refused_naming_the_field_and_nothing_is_saved(
    package, city_person, name, quantity, months, field
):
    with pytest.raises(ValidationError) as refused:
        menu.add_line(package, item(name), quantity, months, by=city_person)
    assert field in refused.value.error_dict
    assert not package.lines.exists()
    assert package.events.count() == 1  # created


def test_only_a_local_government_composes_a_package(role_groups):
    person = UserFactory()
    company = OrganisationFactory(owners=[person])
    with pytest.raises(ValidationError):
        menu.create_package(company, "x", by=person)
    assert not Package.objects.exists()


# --- Corrections and attachment --------------------------------------------------------------


def test_a_draft_package_changes_by_superseding_its_lines(package, city_person):
    line = menu.add_line(package, item("Smart parking"), 20, None, by=city_person)
    new = menu.change_line(line, 30, None, by=city_person)
    line.refresh_from_db()
    assert line.superseded_at and line.replaced_by == new and line.superseded_by == city_person
    assert package.estimated_cost == 300_000_000
    menu.remove_line(new, by=city_person)
    assert package.estimated_cost == 0
    assert PackageLine.objects.filter(package=package).count() == 2  # nothing deleted
    with pytest.raises(TransitionRefused):
        menu.change_line(line, 5, None, by=city_person)  # already superseded


def test_attached_to_its_own_draft_then_corrected_with_a_reason_and_frozen_once_submitted(
    package, city_person, city_draft
):
    line = menu.add_line(package, item("Smart parking"), 20, None, by=city_person)
    menu.attach(package, city_draft, by=city_person)
    package.refresh_from_db()
    assert (package.state, package.application, package.attached_by) == (
        PackageState.ATTACHED,
        city_draft,
        city_person,
    )
    with pytest.raises(ValidationError) as refused:
        menu.change_line(line, 25, None, by=city_person)
    assert "reason" in refused.value.error_dict
    new = menu.change_line(line, 25, None, by=city_person, reason="주차면 재산정")
    assert package.estimated_cost == 250_000_000
    line.refresh_from_db()
    assert line.reason == "주차면 재산정" and line.replaced_by == new

    type(city_draft).objects.filter(pk=city_draft.pk).update(state=ApplicationState.SUBMITTED)
    with pytest.raises(TransitionRefused):
        menu.add_line(package, item("Bimodal tram"), 1, None, by=city_person, reason="추가")
    with pytest.raises(TransitionRefused):
        menu.remove_line(new, by=city_person, reason="삭제")
    assert package.estimated_cost == 250_000_000
    kinds = list(package.events.values_list("kind", flat=True))
    assert kinds == ["created", "line_added", "attached", "line_changed"]


def test_attaching_is_refused_to_another_leads_application_a_submitted_one_or_twice(
    package, city, city_person, city_draft
):
    menu.add_line(package, item("Smart parking"), 1, None, by=city_person)
    others = ApplicationFactory()
    with pytest.raises(TransitionRefused):
        menu.attach(package, others, by=city_person)
    submitted = ApplicationFactory(lead=city, created_by=city_person, state=ApplicationState.SUBMITTED)
    with pytest.raises(TransitionRefused):
        menu.attach(package, submitted, by=city_person)
    menu.attach(package, city_draft, by=city_person)
    second = menu.create_package(city, "둘째", by=city_person)
    menu.add_line(second, item("Smart parking"), 1, None, by=city_person)
    with pytest.raises(TransitionRefused):
        menu.attach(second, city_draft, by=city_person)  # the application holds one already
    assert Package.objects.filter(application=city_draft).count() == 1


def test_an_empty_package_is_not_attached(package, city_person, city_draft):
    with pytest.raises(TransitionRefused):
        menu.attach(package, city_draft, by=city_person)
    package.refresh_from_db()
    assert package.state == PackageState.DRAFT


# --- Pages ---------------------------------------------------------------------------------


def test_a_local_government_composes_and_attaches_through_the_pages(city_client, city, city_draft):
    response = city_client.post(
        reverse("smartcity:menu_package_create"), {"organisation": city.pk, "name": "스마트 주차 지구"}
    )
    package = Package.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "smartcity:menu_package", args=[package.pk]
    )
    url = reverse("smartcity:menu_package", args=[package.pk])
    response = city_client.post(url, {"new-item": item("Smart parking").pk, "new-quantity": "20"})
    assert response.status_code == 302
    response = city_client.post(url, {"new-item": item("Smart parking").pk, "new-quantity": "0"})
    assert response.status_code == 400 and package.lines.count() == 1
    line = package.lines.get()
    response = city_client.post(
        reverse("smartcity:menu_package_line", args=[package.pk, line.pk]),
        {"action": "change", f"line-{line.pk}-quantity": "25"},
    )
    assert response.status_code == 302
    page = city_client.get(url).content.decode()
    assert "250,000,000 KRW" in page
    response = city_client.post(
        reverse("smartcity:menu_package_attach", args=[package.pk]), {"application": city_draft.pk}
    )
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.application == city_draft
    detail = city_client.get(reverse("projects:application_detail", args=[city_draft.pk])).content.decode()
    assert 'id="service-package"' in detail and "스마트 주차 지구" in detail and "250,000,000 KRW" in detail


def test_staff_read_the_package_on_the_application_page_and_cannot_change_it(
    client, package, city_person, city_draft, role_groups
):
    menu.add_line(package, item("Smart parking"), 20, None, by=city_person)
    menu.attach(package, city_draft, by=city_person)
    type(city_draft).objects.filter(pk=city_draft.pk).update(state=ApplicationState.SUBMITTED)
    staff = StaffFactory()
    client.force_login(staff)
    page = client.get(reverse("projects:staff_application", args=[city_draft.pk])).content.decode()
    assert 'id="service-package"' in page and "200,000,000 KRW" in page
    assert client.get(reverse("smartcity:menu_package", args=[package.pk])).status_code == 200
    url = reverse("smartcity:menu_package", args=[package.pk])
    assert client.post(url, {"new-item": item("Smart parking").pk, "new-quantity": "1"}).status_code == 404
    assert package.lines.count() == 1


def test_another_organisation_gets_404_and_changes_nothing(
    client, package, city_person, city_draft, role_groups
):
    line = menu.add_line(package, item("Smart parking"), 20, None, by=city_person)
    stranger = UserFactory()
    OrganisationFactory(kind="local_government", owners=[stranger])
    client.force_login(stranger)
    assert client.get(reverse("smartcity:menu_package", args=[package.pk])).status_code == 404
    for url, data in [
        (
            reverse("smartcity:menu_package", args=[package.pk]),
            {"new-item": line.item_id, "new-quantity": "1"},
        ),
        (
            reverse("smartcity:menu_package_line", args=[package.pk, line.pk]),
            {"action": "remove", f"line-{line.pk}-reason": "x"},
        ),
        (reverse("smartcity:menu_package_attach", args=[package.pk]), {"application": city_draft.pk}),
    ]:
        assert client.post(url, data).status_code == 404
    package.refresh_from_db()
    assert package.state == PackageState.DRAFT and package.current_lines().get() == line
    assert "스마트 물관리 지구" not in client.get(reverse("smartcity:menu_packages")).content.decode()


def test_a_member_cannot_attach_to_another_organisations_draft_through_the_page(
    city_client, package, city_person
):
    menu.add_line(package, item("Smart parking"), 1, None, by=city_person)
    others = ApplicationFactory()
    response = city_client.post(
        reverse("smartcity:menu_package_attach", args=[package.pk]), {"application": others.pk}
    )
    assert response.status_code == 400
    package.refresh_from_db()
    assert package.application is None


def _packages(city, person, count):
    for n in range(count):
        package = menu.create_package(city, f"패키지 {n}", by=person)
        menu.add_line(package, item("Smart parking"), n + 1, None, by=person)


def test_the_package_list_takes_the_same_queries_at_two_sizes(
    city_client, city, city_person, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _packages(city, city_person, 2)
    with CaptureQueriesContext(connection) as small:
        city_client.get(reverse("smartcity:menu_packages"))
    _packages(city, city_person, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = city_client.get(reverse("smartcity:menu_packages"))
    assert "32 packages" in response.content.decode()
    assert "10,000,000 KRW" in response.content.decode()


def test_the_package_pages_and_the_attached_package_read_in_korean(
    city_client, package, city_person, city_draft
):
    from tests.test_korean_pages import body_text, english_words, world_data_words

    menu.add_line(package, item("Waterworks smart metering (operation)"), 3649, 12, by=city_person)
    menu.add_line(package, item("Solar 1000 kW with ESS connection"), 1, None, by=city_person)
    menu.attach(package, city_draft, by=city_person)
    data_words = world_data_words(None)
    for url in (
        reverse("smartcity:menu_package", args=[package.pk]),
        reverse("smartcity:menu_packages"),
        reverse("projects:application_detail", args=[city_draft.pk]),
    ):
        html = city_client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
        assert "예상 사업비" in html
        assert english_words(body_text(html), data_words) == [], url


def test_the_database_refuses_a_line_whose_estimate_is_not_the_product(package, city_person):
    from django.db import IntegrityError, transaction

    parking = item("Smart parking")
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageLine.objects.create(
            package=package, item=parking, quantity=2, unit_cost=10_000_000, amount=1, created_by=city_person
        )
    assert not package.lines.exists()


def test_the_local_governments_draft_points_to_the_packages_until_one_is_attached(city_client, city_draft):
    page = city_client.get(reverse("projects:application_detail", args=[city_draft.pk])).content.decode()
    assert reverse("smartcity:menu_packages") in page and "No smart services package is attached" in page


def test_a_companys_application_says_nothing_of_packages(client, role_groups):
    person = UserFactory()
    draft = ApplicationFactory(lead=OrganisationFactory(owners=[person]), created_by=person)
    client.force_login(person)
    page = client.get(reverse("projects:application_detail", args=[draft.pk])).content.decode()
    assert 'id="service-package"' not in page
