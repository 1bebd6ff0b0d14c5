"""Public pages: the call list (open and upcoming; past) and the call page, in English and Korean."""

import re

import pytest
from django.urls import reverse

from competitions.models import CallState
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def get(client, url, language):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def test_list_shows_the_open_demo_call_but_not_past_or_draft(client, demo):
    CallFactory(slug="secret-draft", title="Secret draft call")
    page = get(client, reverse("competitions:call_list"), "en").content.decode()
    assert "Demo: national pilot smart city innovation technology contest" in page
    assert "Open for applications" in page
    assert "2022 national pilot smart city" not in page
    assert "Secret draft call" not in page


def test_past_tab_lists_the_2022_calls(client, demo):
    page = get(client, reverse("competitions:call_list") + "?tab=past", "en").content.decode()
    for title in [
        "2022 national pilot smart city innovation technology contest",
        "2022 smart city innovation technology exploration",
        "2022 Smart City Challenge: preliminary stage",
        "2022 Smart City Challenge: main stage",
    ]:
        assert title in page
    assert "Reception closed" in page


def test_list_in_korean(client, demo):
    response = get(client, reverse("competitions:call_list"), "ko")
    page = response.content.decode()
    assert response["Content-Language"] == "ko"
    assert '<html lang="ko">' in page
    assert "데모: 국가시범도시 스마트시티 혁신기술 공모" in page
    assert "37억 9,000만 원" in page


def test_pilot_call_page_in_english(client, demo):
    response = get(client, reverse("competitions:call_detail", args=["pilot-city-2022"]), "en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "3,790,000,000 KRW" in page
    assert "from 50,000,000 KRW to 300,000,000 KRW" in page
    assert "억" not in page  # the 억/만 reading is for Korean readers
    assert "2022-03-14 09:00 KST" in page and "2022-03-25 17:00 KST" in page
    assert "2022-03-04 14:00 KST" in page  # briefing
    assert "Reception has closed." in page
    for name in [
        "Smart infrastructure",
        "Transportation / logistics",
        "Health / education",
        "Energy / environment",
        "Safety / living",
    ]:
        assert name in page
    assert "The service fields offer 22 places, but at most 14 awards are made in all" in page
    assert "the lead must be an SME" in page


def test_pilot_call_page_in_korean(client, demo):
    page = get(client, reverse("competitions:call_detail", args=["pilot-city-2022"]), "ko").content.decode()
    assert "2022년 국가시범도시(세종·부산) 스마트시티 혁신기술 공모" in page
    assert "3,790,000,000원 (37억 9,000만 원)" in page
    assert "50,000,000원 (5,000만 원)" in page and "300,000,000원 (3억 원)" in page
    assert "스마트 인프라" in page and "교통·물류" in page
    assert "한국시간 2022-03-25 17:00" in page
    assert "Reception has closed." not in page


def test_open_call_page_says_it_is_open_now(client, demo):
    page = get(client, reverse("competitions:call_detail", args=["pilot-city-demo"]), "en").content.decode()
    assert "Open now. Applications submitted after" in page


def test_stage_two_page_names_the_first_stage(client, demo):
    page = get(
        client, reverse("competitions:call_detail", args=["challenge-2022-main"]), "en"
    ).content.decode()
    assert "This is a second stage: only applicants selected in" in page
    assert reverse("competitions:call_detail", args=["challenge-2022-preliminary"]) in page


def test_innovation_tech_page_shows_track_caps(client, demo):
    page = get(
        client, reverse("competitions:call_detail", args=["innovation-tech-2022"]), "en"
    ).content.decode()
    assert "Enterprise-led" in page and "1,500,000,000 KRW" in page
    assert "Citizen-led living lab" in page and "1,000,000,000 KRW" in page


def test_draft_call_page_is_not_found(client):
    call = CallFactory(state=CallState.DRAFT)
    assert client.get(reverse("competitions:call_detail", args=[call.slug])).status_code == 404


def test_language_switcher_sets_the_language(client, demo):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert response.status_code == 302
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="en">' in page


def test_krds_assets_are_served_locally(client, demo):
    """Every stylesheet and script the page links is a local /static/ path that answers with the
    file itself (served by the application, as in production), and nothing comes from elsewhere."""
    page = client.get("/").content.decode()
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', page)
    assert "/static/krds/css/component/output.css" in assets
    assert "/static/krds/js/component/ui-script.js" in assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, asset
    assert "//cdn" not in page and "https://" not in page.split("<body")[0]
