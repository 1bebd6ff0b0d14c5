"""Issue 20: a Korean name is shown in Korean order (family name first, no space); on pages not in
Korean the English name the person gives is shown beside it, and the demo's people have one."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from accounts.models import User, _is_hangul
from evaluation.demo_journey import OWNERS, PROFESSORS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_english_pages_show_the_english_name_beside_the_korean_one():
    user = User(email="kim@gongmo.example", first_name="민수", last_name="김", name_en="Minsu Kim")
    with translation.override("en"):
        assert str(user) == "김민수 (Minsu Kim)"
    with translation.override("ko"):
        assert str(user) == "김민수"


def test_without_an_english_name_or_with_a_latin_name_nothing_is_repeated():
    with translation.override("en"):
        assert str(User(email="a@gongmo.example", first_name="민수", last_name="김")) == "김민수"
        latin = User(email="b@gongmo.example", first_name="Jane", last_name="Doe", name_en="Jane Doe")
        assert str(latin) == "Jane Doe"
        assert str(User(email="c@gongmo.example")) == "c@gongmo.example"


def test_people_give_their_english_name_on_their_account_page(client):
    user = UserFactory(first_name="민지", last_name="이", language="ko")
    client.force_login(user)
    page = client.get(reverse("accounts:account"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert 'name="name_en"' in page and "영문 이름" in page
    response = client.post(
        reverse("accounts:account"),
        {"first_name": "민지", "last_name": "이", "name_en": "Minji Lee", "language": "ko"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name_en == "Minji Lee"


def test_every_korean_person_of_the_demo_has_an_english_name(settings):
    people = [(a.last_name, a.first_name, a.name_en) for a in DEMO_ACCOUNTS] + PROFESSORS + OWNERS
    for last, first, english in people:
        assert _is_hangul(last + first)
        assert english and not _is_hangul(english) and len(english.split()) == 2, (last, first, english)
    settings.DEMO_LOGINS_ALLOWED = True
    users = ensure_demo_accounts()
    with translation.override("en"):
        shown = {str(user) for user in users.values()}
    assert "김민수 (Minsu Kim)" in shown and "이서연 (Seoyeon Lee)" in shown
