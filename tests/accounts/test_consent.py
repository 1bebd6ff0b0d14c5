"""Personal-data consent (개인정보 수집·이용 동의): versioned, ticked at sign-up, recorded with who,
which version, when and the IP address; a new version is asked for again at the next log-in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.consent import current_consent, needs_consent
from accounts.models import ConsentAcceptance, ConsentText, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_up(client, **extra):
    data = {
        "email": "new@gongmo.example",
        "password1": "a-long-unusual-pass-7",
        "password2": "a-long-unusual-pass-7",
        **extra,
    }
    return client.post(reverse("accounts:signup"), data, REMOTE_ADDR="203.0.113.7")


def new_version(version="2", days_ago=0):
    return ConsentText.objects.create(
        version=version,
        text_ko="개정된 개인정보 수집·이용 동의",
        text_en="The revised consent to the collection and use of personal data",
        effective_at=timezone.now() - timedelta(days=days_ago, seconds=1),
    )


def test_the_first_version_is_in_force_after_migrating():
    consent = current_consent()
    assert consent.version == "1"
    assert "개인정보 수집·이용 동의" in consent.text_ko


def test_the_signup_page_shows_the_text_in_the_readers_language(client):
    page = client.get(reverse("accounts:signup"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "수집 항목" in page
    assert 'name="consent"' in page
    assert '<label for="id_consent">' in page


def test_signing_up_without_ticking_is_refused_keeps_what_was_typed_and_creates_nobody(client):
    response = sign_up(client, first_name="Jiwoo")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tick the consent to the collection and use of personal data to go on." in page
    assert 'value="Jiwoo"' in page
    assert not User.objects.exists()
    assert not ConsentAcceptance.objects.exists()


def test_signing_up_records_who_which_version_when_and_from_where(client):
    before = timezone.now()
    response = sign_up(client, consent="on")
    assert response.status_code == 302
    acceptance = ConsentAcceptance.objects.get()
    assert acceptance.user.email == "new@gongmo.example"
    assert acceptance.consent.version == "1"
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.accepted_at >= before


def log_in(client, user, **extra):
    return client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": PASSWORD, **extra},
        REMOTE_ADDR="198.51.100.2",
    )


def test_a_new_version_is_asked_at_the_next_log_in_and_recorded_once_ticked(client, role_groups):
    person = UserFactory()
    assert log_in(client, person)["Location"] == reverse("projects:dashboard")
    client.logout()
    revised = new_version()
    assert needs_consent(person) == revised
    response = log_in(client, person, next="/me/requests/")
    assert response["Location"].startswith(reverse("accounts:consent"))
    page = client.get(response["Location"]).content.decode()
    assert "The revised consent to the collection and use of personal data" in page
    # Not ticked: asked again, nothing recorded.
    refused = client.post(reverse("accounts:consent"), {"next": "/me/requests/"})
    assert refused.status_code == 200
    assert not ConsentAcceptance.objects.filter(consent=revised).exists()
    accepted = client.post(reverse("accounts:consent"), {"next": "/me/requests/", "consent": "on"})
    assert accepted["Location"] == "/me/requests/"
    record = ConsentAcceptance.objects.get(consent=revised)
    assert record.user == person and record.ip_address == "127.0.0.1"
    client.logout()
    assert log_in(client, person)["Location"] == reverse("projects:dashboard")


def test_a_version_not_yet_in_force_is_not_asked(client, role_groups):
    person = UserFactory()
    ConsentText.objects.create(
        version="3", text_ko="예정", text_en="Upcoming", effective_at=timezone.now() + timedelta(days=3)
    )
    assert needs_consent(person) is None
    assert log_in(client, person)["Location"] == reverse("projects:dashboard")


def test_people_who_never_consented_are_asked(client, role_groups):
    person = UserFactory(consented=False)
    assert log_in(client, person)["Location"].startswith(reverse("accounts:consent"))


def test_the_consent_page_refuses_an_off_site_next(client, role_groups):
    person = UserFactory(consented=False)
    client.force_login(person)
    response = client.post(reverse("accounts:consent"), {"next": "https://evil.example/", "consent": "on"})
    assert response["Location"] == reverse("projects:dashboard")
