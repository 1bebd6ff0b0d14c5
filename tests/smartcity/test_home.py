"""The smart-city schemes share one entry of the main menu; their front page links each scheme,
the analytics only for staff and auditors."""

import pytest
from django.urls import reverse

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def links(page):
    return {
        name: reverse(f"smartcity:{name}") in page
        for name in ("menu_board", "catalogue", "labs", "analytics")
    }


def test_one_menu_entry_leads_to_every_scheme(client, role_groups):
    page = client.get(reverse("smartcity:home"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert page.count(f'href="{reverse("smartcity:home")}"') == 1  # the main menu's one entry
    assert 'aria-current="page">스마트도시</a>' in page
    assert links(page) == {"menu_board": True, "catalogue": True, "labs": True, "analytics": False}
    client.force_login(UserFactory())
    assert not links(client.get(reverse("smartcity:home")).content.decode())["analytics"]
    client.force_login(StaffFactory())
    assert links(client.get(reverse("smartcity:home")).content.decode())["analytics"]


def test_a_scheme_page_marks_the_smart_city_entry_as_current(client):
    page = client.get(reverse("smartcity:menu_board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        f'href="{reverse("smartcity:home")}" class="gnb-main-trigger is-link active" aria-current="page"'
        in page
    )
    calls = client.get(reverse("competitions:call_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("smartcity:home")}" class="gnb-main-trigger is-link">' in calls
