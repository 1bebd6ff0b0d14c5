"""People set their own name and language on their account page (no admin needed); the language
is the one their e-mails and result letters are written in."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:account")


def test_the_account_page_needs_a_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_header_links_to_the_account_page(client):
    client.force_login(UserFactory())
    assert f'href="{URL}"' in client.get(reverse("competitions:call_list")).content.decode()


def test_people_choose_the_language_of_their_e_mails_and_the_pages_follow(client):
    user = UserFactory(language="ko", first_name="Minji")
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert 'value="ko" required id="id_language_0" checked' in page
    response = client.post(URL, {"first_name": "Minji", "last_name": "Kim", "language": "en"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.language, user.last_name) == ("en", "Kim")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_an_unknown_language_is_refused_and_nothing_changes(client):
    user = UserFactory(language="ko", first_name="Minji")
    client.force_login(user)
    response = client.post(URL, {"first_name": "Changed", "last_name": "", "language": "fr"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page and 'value="Changed"' in page  # what was typed is kept
    user.refresh_from_db()
    assert (user.language, user.first_name) == ("ko", "Minji")


def test_the_e_mail_address_cannot_be_changed_here(client):
    user = UserFactory(email="me@example.com")
    client.force_login(user)
    client.post(URL, {"first_name": "", "last_name": "", "language": "en", "email": "other@example.com"})
    assert User.objects.get(pk=user.pk).email == "me@example.com"
