"""The public menu board: the eight areas and their services with the application unit costs
loaded from smartcity/data/unit_costs.csv, in Korean and in English, in constant queries."""

import csv
import re

import pytest
from django.urls import reverse

from competitions.models import SmartService, SmartServiceArea
from smartcity.links import certified_services_for
from smartcity.models import UnitCost
from smartcity.unit_costs import DATA_FILE, load_unit_costs

pytestmark = pytest.mark.django_db


def csv_rows():
    with open(DATA_FILE, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def won(amount):
    return f"{int(amount):,}"


def test_every_unit_cost_of_the_csv_is_loaded_with_its_amount_unit_and_korean_name():
    rows = csv_rows()
    assert len(rows) == 11  # the shared reference table's rows
    assert UnitCost.objects.count() == len(rows)
    for row in rows:
        item = UnitCost.objects.get(name=row["item"])
        assert item.unit_cost == int(row["unit_cost_krw"])
        assert item.unit == row["unit"]
        assert item.name_ko and item.unit_ko
        assert not re.search(r"[a-z]{2,}", item.name_ko + item.unit_ko), "Korean texts in Korean"


def test_items_link_to_the_menu_service_they_price_and_the_others_to_none():
    linked = {
        "Smart parking": "Smart parking service",
        "Waterworks smart metering (construction)": "Smart metering service",
        "Waterworks smart metering (operation)": "Smart metering service",
        "Self-diagnosis sewage treatment plant": "Self-diagnosis technology for sewage treatment plants",
        "CCTV comprehensive situation center": "Real-time crime monitoring system",
        "Community-based smart platform app": "Community-based online participation platform",
    }
    for item, service in linked.items():
        assert UnitCost.objects.get(name=item).menu_item.name == service
    for item in (
        "Bimodal tram",
        "IoT wall pad (home automation)",
        "Smart factory basic step (government subsidy)",
    ):
        assert UnitCost.objects.get(name=item).menu_item is None
    # Only the operation of smart metering is priced per month.
    assert list(UnitCost.objects.filter(per_month=True).values_list("name", flat=True)) == [
        "Waterworks smart metering (operation)"
    ]


def test_loading_again_changes_nothing():
    before = list(UnitCost.objects.order_by("pk").values())
    load_unit_costs(lambda label, name: __import__("django.apps").apps.apps.get_model(label, name))
    assert list(UnitCost.objects.order_by("pk").values()) == before


def test_the_board_shows_every_area_service_and_cost_in_english(client):
    response = client.get(reverse("smartcity:menu_board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<h2 class="heading-medium" id="area-') == SmartServiceArea.objects.count() == 8
    for service in SmartService.objects.all():
        assert service.name in html
    rows = csv_rows()
    for row in rows:
        assert row["item"] in html
        assert f"{won(row['unit_cost_krw'])} KRW" in html
        assert row["unit"] in html
    assert f"{len(rows)} unit costs" in html
    # Items that price no menu service are still on the board, under their own heading.
    other = html[html.index('id="other-costs"') :]
    for row in rows:
        if not row["menu_service"]:
            assert row["item"] in other


def test_the_board_reads_in_korean(client):
    response = client.get(reverse("smartcity:menu_board"), HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert "스마트 서비스 메뉴판" in html
    for area in SmartServiceArea.objects.all():
        assert area.name_ko in html
    for row in csv_rows():
        assert row["item_ko"] in html
        assert row["unit_ko"] in html
        assert row["item"] not in html
    assert "(21만 원)" in html  # 210,000 KRW read the Korean way


def test_the_board_links_the_certified_services_of_each_menu_item(client, monkeypatch):
    parking = SmartService.objects.get(name="Smart parking service")

    class Certified:
        def __str__(self):
            return "Parking guidance certified"

        def get_absolute_url(self):
            return "/smart-city/catalogue/7/"

    monkeypatch.setattr("smartcity.menu.certified_services_for", lambda items: {parking.pk: [Certified()]})
    html = client.get(reverse("smartcity:menu_board")).content.decode()
    assert '<a href="/smart-city/catalogue/7/">Parking guidance certified</a>' in html


def test_the_board_links_each_menu_item_to_its_currently_certified_services(client, role_groups):
    from smartcity import certification
    from tests.factories import StaffFactory, UserFactory

    from .certification_world import certified, service_round

    assert certified_services_for(SmartService.objects.all()) == {}
    staff, owner = StaffFactory(), UserFactory()
    item = SmartService.objects.order_by("pk").first()
    _application, certificate = certified(service_round(staff), staff, owner, menu_item=item)
    service = certificate.certified_service
    assert certified_services_for(SmartService.objects.all()) == {item.pk: [service]}
    html = client.get(reverse("smartcity:menu_board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="{service.get_absolute_url()}">Smart parking guide</a>' in html
    # A suspended certificate takes the service off the board.
    certification.suspend(certificate, by=staff, reason="Evidence under review")
    assert certified_services_for(SmartService.objects.all()) == {}
    html = client.get(reverse("smartcity:menu_board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert service.get_absolute_url() not in html


def test_the_board_takes_the_same_queries_however_large_the_menu(client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("smartcity:menu_board"))
    area = SmartServiceArea.objects.create(name="Culture", name_ko="문화")
    for n in range(30):
        service = SmartService.objects.create(
            area=area, name=f"Culture service {n}", name_ko=f"문화 서비스 {n}"
        )
        UnitCost.objects.create(
            name=f"Culture cost {n}", unit_cost=1000 + n, unit="per unit", menu_item=service
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("smartcity:menu_board"))
    assert "Culture cost 29" in response.content.decode()
