"""Log-in throttling (django-axes), sign-up throttling (django-ratelimit), and the session, CSRF
and password settings."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def person(db):
    return UserFactory(email="person@gongmo.example")


def log_in(client, email, password, ip="203.0.113.7"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def logged_in_as(client):
    return client.session.get("_auth_user_id")


def fail(client, email, times, ip="203.0.113.7"):
    for n in range(1, times + 1):
        response = log_in(client, email, "wrong-password", ip=ip)
        # Failures below the limit show the form again; the one that reaches it, the lockout.
        assert response.status_code == (429 if n >= LIMIT else 200)


def test_the_settings_lock_after_a_few_failures_per_email_and_address():
    assert 3 <= LIMIT <= 10
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_COOLOFF_TIME.total_seconds() >= 5 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_failures_up_to_the_limit_lock_the_pair_out_with_a_clear_429_page(client, person):
    fail(client, person.email, LIMIT - 1)
    response = log_in(client, person.email, "wrong-password")
    assert response.status_code == 429
    assert "Too many failed log-in attempts for this e-mail address. Try again in 15 minutes." in (
        response.content.decode()
    )
    assert "krds-btn" in response.content.decode(), "the lockout page is the KRDS layout"
    assert AccessAttempt.objects.get(username=person.email).failures_since_start == LIMIT


def test_the_right_password_is_refused_during_the_lockout(client, person):
    fail(client, person.email, LIMIT - 1)
    log_in(client, person.email, "wrong-password")
    response = log_in(client, person.email, PASSWORD)
    assert response.status_code == 429
    assert not logged_in_as(client)


def test_the_lockout_ignores_the_case_and_spaces_of_the_email(client, person):
    fail(client, "  PERSON@gongmo.example", LIMIT)
    response = log_in(client, person.email, PASSWORD)
    assert response.status_code == 429
    assert not logged_in_as(client)


def test_the_page_is_in_korean_for_a_korean_browser(client, person):
    fail(client, person.email, LIMIT)
    response = client.post(
        reverse("accounts:login"),
        {"username": person.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 429
    assert '<html lang="ko">' in response.content.decode()


def test_a_success_before_the_limit_resets_the_count(client, person):
    fail(client, person.email, LIMIT - 1)
    response = log_in(client, person.email, PASSWORD)
    assert response.status_code == 302
    assert logged_in_as(client) == str(person.pk)
    assert not AccessAttempt.objects.filter(username=person.email).exists()
    client.logout()
    fail(client, person.email, LIMIT - 1)
    assert log_in(client, person.email, PASSWORD).status_code == 302


def test_other_people_and_other_addresses_are_not_locked_out(client, person):
    other = UserFactory(email="colleague@gongmo.example")
    fail(client, person.email, LIMIT)
    assert log_in(client, other.email, PASSWORD).status_code == 302
    client.logout()
    # The same person from another address (their phone) is not blocked by a guesser elsewhere.
    assert log_in(client, person.email, PASSWORD, ip="198.51.100.20").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, person):
    fail(client, person.email, LIMIT)
    assert log_in(client, person.email, PASSWORD).status_code == 429
    AccessAttempt.objects.filter(username=person.email).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME
    )
    assert log_in(client, person.email, PASSWORD).status_code == 302


@override_settings(
    AXES_HANDLER="axes.handlers.cache.AxesCacheHandler",
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "axes"}},
)
def test_the_cache_handler_used_with_redis_locks_out_the_same_way(client, person):
    # Process memory stands in for Redis here: the handler only speaks the cache API.
    fail(client, person.email, LIMIT - 1)
    assert log_in(client, person.email, "wrong-password").status_code == 429
    assert log_in(client, person.email, PASSWORD).status_code == 429
    assert not AccessAttempt.objects.exists(), "counted in the cache, not the database"
    assert log_in(client, "colleague@gongmo.example", "wrong-password").status_code == 200


def test_the_admin_login_is_throttled_too(client, db):
    admin = UserFactory(email="admin@gongmo.example", is_staff=True, is_superuser=True)
    for _ in range(LIMIT):
        client.post(
            reverse("admin:login"), {"username": admin.email, "password": "nope"}, REMOTE_ADDR="203.0.113.9"
        )
    response = client.post(
        reverse("admin:login"), {"username": admin.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 429


# --- sign-up ---------------------------------------------------------------------------------


def sign_up(client, n, ip="203.0.113.50", password="a-long-unusual-pass-7"):
    return client.post(
        reverse("accounts:signup"),
        {"email": f"new{n}@gongmo.example", "password1": password, "password2": password, "consent": "on"},
        REMOTE_ADDR=ip,
    )


@override_settings(SIGNUP_RATE="3/h")
def test_signups_from_one_address_are_limited(client, db):
    for n in range(3):
        assert sign_up(client, n).status_code == 302
        client.logout()
    response = sign_up(client, 99)
    assert response.status_code == 429
    assert "Too many sign-up attempts from your network." in response.content.decode()
    assert not User.objects.filter(email="new99@gongmo.example").exists()
    # Another address is not affected.
    assert sign_up(client, 100, ip="198.51.100.1").status_code == 302


@override_settings(SIGNUP_RATE="2/h")
def test_refused_signups_count_too_so_existing_emails_cannot_be_probed_at_will(client, db):
    UserFactory(email="new0@gongmo.example")
    for _ in range(2):
        response = sign_up(client, 0)
        assert "An account with this e-mail address already exists." in response.content.decode()
    assert sign_up(client, 0).status_code == 429


# --- passwords, session and CSRF cookies -----------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-1x", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("4829103746", "This password is entirely numeric."),
        ("person@gongmo", "The password is too similar to the e-mail address."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, message, db):
    user = User(email="person@gongmo.example")
    with pytest.raises(ValidationError) as error:
        password_validation.validate_password(password, user)
    assert message in error.value.messages


def test_signup_refuses_a_short_password_and_creates_nobody(client, db):
    response = sign_up(client, 1, password="Sh0rt-pw!")
    assert response.status_code == 200
    assert "at least 10 characters" in response.content.decode()
    assert not User.objects.exists()


def test_session_and_csrf_cookies_are_guarded(client, person):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    log_in(client, person.email, PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE


def test_forms_refuse_a_post_without_the_csrf_token(person):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:login"), {"username": person.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session
