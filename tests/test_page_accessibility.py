"""Issue 20's accessibility findings that the server renders: the error summary and the "Error:"
title after a failed submit, refusals in one alert region with their list intact, the KRDS
masthead inside the banner landmark, the narrow-screen menu button, no inline script."""

import lxml.html
import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db


def tree(response):
    return lxml.html.fromstring(response.content.decode())


@pytest.mark.parametrize(("lang", "prefix"), [("en", "Error:"), ("ko", "오류:")])
def test_a_failed_submit_titles_the_page_as_an_error_and_lists_each_error_with_a_link(client, lang, prefix):
    response = client.post(
        reverse("accounts:signup"), {"email": "not an address", "password1": "x"}, HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 200
    page = tree(response)
    title = page.findtext(".//title").strip()
    assert title.startswith(prefix), title
    summary = page.get_element_by_id("gongmo-error-summary")
    assert summary.get("tabindex") == "-1"  # gongmo.js moves the focus there
    assert summary.getparent().tag == "main" and summary.getprevious() is None  # at the top
    links = summary.xpath(".//li/a")
    assert len(links) >= 2
    for link in links:
        target = link.get("href")
        assert target.startswith("#")
        field = page.get_element_by_id(target[1:])
        assert field.tag in ("input", "select", "textarea")
    assert any("email" in link.get("href") for link in links)


def test_a_page_without_errors_has_no_summary_and_a_plain_title(client):
    page = tree(client.get(reverse("accounts:signup")))
    assert not page.xpath("//*[@id='gongmo-error-summary']")
    assert not page.findtext(".//title").strip().startswith("Error")


def test_refusals_share_one_alert_region_whose_list_keeps_its_items():
    request = RequestFactory().get("/")
    messages = [
        Message(constants.ERROR, "First refusal."),
        Message(constants.SUCCESS, "Saved."),
        Message(constants.ERROR, "Second refusal."),
    ]
    page = lxml.html.fromstring(render_to_string("base.html", {"messages": messages}, request=request))
    alerts = page.xpath("//*[@role='alert']")
    assert len(alerts) == 1
    assert alerts[0].tag == "div"
    items = alerts[0].xpath("./ul/li")
    assert [item.findtext(".//p") for item in items] == ["First refusal.", "Second refusal."]
    assert not page.xpath("//ul[@role]")
    assert [p.text_content() for p in page.xpath("//*[@role='status']")] == ["Saved."]


def test_the_masthead_is_inside_the_banner_landmark_and_the_menu_folds_on_narrow_screens(client):
    page = tree(client.get(reverse("competitions:call_list")))
    masthead = page.get_element_by_id("krds-masthead")
    assert [a.tag for a in masthead.iterancestors()][:1] == ["header"]
    button = page.xpath("//button[contains(@class, 'gongmo-menu-toggle')]")[0]
    assert button.get("aria-expanded") == "false" and button.get("aria-controls") == "gongmo-menu"
    assert page.get_element_by_id("gongmo-menu").tag == "nav"
    # No inline script anywhere (a strict CSP is coming): only files.
    assert all(script.get("src") for script in page.xpath("//script"))
