"""Issue 18's log-in attacks: failures spread over many accounts from one address, a spoofed
X-Forwarded-For, e-mail addresses in another case, and an off-site or unencoded ``next``."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.http import QueryDict
from django.test import RequestFactory, override_settings
from django.urls import reverse

from accounts.client_address import client_address
from accounts.models import User
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
ATTACKER = "203.0.113.66"


def log_in(client, email, password, ip=ATTACKER, **headers):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip, **headers
    )


@pytest.fixture
def eight_people(db):
    return [UserFactory(email=f"person{n}@gongmo.example") for n in range(8)]


def test_the_address_limit_sits_below_32_failures_and_above_the_pair_limit():
    assert settings.AXES_FAILURE_LIMIT < settings.LOGIN_ADDRESS_FAILURE_LIMIT < 32


def test_32_failed_log_ins_over_8_accounts_from_one_address_are_throttled(client, eight_people):
    statuses = []
    for attempt in range(32):
        person = eight_people[attempt % 8]  # 4 failures each: below the per-pair lockout
        statuses.append(log_in(client, person.email, "wrong-password").status_code)
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert statuses[:limit] == [200] * limit
    assert set(statuses[limit:]) == {429}
    response = log_in(client, eight_people[0].email, PASSWORD)
    assert response.status_code == 429, "the right password is refused too while the block holds"
    assert "Too many failed log-in attempts from your network. Try again in 15 minutes." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    # Another address is not blocked.
    assert log_in(client, eight_people[0].email, PASSWORD, ip="198.51.100.20").status_code == 302


def test_the_admin_log_in_counts_towards_and_obeys_the_address_limit(client, eight_people):
    for attempt in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        person = eight_people[attempt % 8]
        client.post(reverse("admin:login"), {"username": person.email, "password": "x"}, REMOTE_ADDR=ATTACKER)
    response = client.post(
        reverse("admin:login"),
        {"username": eight_people[0].email, "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
    )
    assert response.status_code == 429


def test_a_spoofed_x_forwarded_for_without_a_trusted_proxy_changes_nothing(client, eight_people):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    for attempt in range(limit):
        # A new invented address each time: ignored, the throttle counts REMOTE_ADDR.
        log_in(client, eight_people[attempt % 8].email, "nope", HTTP_X_FORWARDED_FOR=f"10.9.{attempt}.1")
    response = log_in(client, eight_people[0].email, PASSWORD, HTTP_X_FORWARDED_FOR="10.200.0.1")
    assert response.status_code == 429


def test_a_spoofed_header_cannot_lock_someone_else_out(client, eight_people):
    victim_address = "198.51.100.77"
    for attempt in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        log_in(client, eight_people[attempt % 8].email, "nope", HTTP_X_FORWARDED_FOR=victim_address)
    assert log_in(client, eight_people[0].email, PASSWORD, ip=victim_address).status_code == 302


def addr(remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


def test_x_forwarded_for_is_read_only_from_a_trusted_proxy():
    assert addr("203.0.113.5", "1.2.3.4") == "203.0.113.5"
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8"]):
        # From the proxy: the client it reports (the right-most untrusted entry).
        assert addr("10.0.0.2", "1.2.3.4") == "1.2.3.4"
        # A client that sends its own header: the proxy appends the real address; only that counts.
        assert addr("10.0.0.2", "6.6.6.6, 1.2.3.4") == "1.2.3.4"
        # Two trusted hops.
        assert addr("10.0.0.2", "1.2.3.4, 10.0.0.9") == "1.2.3.4"
        # Not from the proxy: the header is ignored.
        assert addr("203.0.113.5", "1.2.3.4") == "203.0.113.5"
        # Garbage: nothing left of it is believed.
        assert addr("10.0.0.2", "1.2.3.4, not-an-address") == "10.0.0.2"
        assert addr("10.0.0.2") == "10.0.0.2"


@override_settings(TRUSTED_PROXIES=["10.0.0.2"])
def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own_address(client, eight_people):
    for attempt in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        log_in(client, eight_people[attempt % 8].email, "nope", ip="10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert (
        log_in(
            client, eight_people[0].email, PASSWORD, ip="10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER
        ).status_code
        == 429
    )
    # Another client behind the same proxy logs in.
    response = log_in(
        client, eight_people[0].email, PASSWORD, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert response.status_code == 302


# --- e-mail addresses in any case ------------------------------------------------------------


def test_an_upper_case_email_logs_in(client, db):
    person = UserFactory(email="foo@gongmo.example")
    response = log_in(client, "  FOO@Gongmo.Example ", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_signing_up_with_an_existing_email_in_another_case_is_refused(client, db):
    UserFactory(email="foo@x.kr")
    password = "a-long-unusual-pass-7"
    response = client.post(
        reverse("accounts:signup"),
        {"email": "Foo@X.kr", "password1": password, "password2": password, "consent": "on"},
    )
    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="foo@x.kr").count() == 1


def test_the_database_refuses_two_accounts_differing_only_in_case(db):
    from django.db import IntegrityError, transaction

    UserFactory(email="foo@x.kr")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="FOO@x.kr")])


# --- next ------------------------------------------------------------------------------------


def test_next_is_encoded_in_the_redirect_to_log_in(client, db):
    response = client.get("/me/?a=1&next=//evil.example")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(reverse("accounts:login") + "?next=")
    # The whole path with its query is one encoded value: its own "&next=" is not a second key.
    query = QueryDict(urlsplit(location).query)
    assert query.getlist("next") == ["/me/?a=1&next=//evil.example"]


def test_an_off_site_next_after_log_in_lands_on_the_own_page(client, db):
    UserFactory(email="foo@gongmo.example")
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "foo@gongmo.example", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
