import os

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from accounts.roles import sync_role_groups

from .factories import CallFactory, StaffFactory, TrackFactory, UserFactory

# Row locks and concurrent transactions need a real server: tests/postgres runs when the suite
# runs on PostgreSQL (as .ci/run does), and is not collected on SQLite.
collect_ignore = [] if "postgresql" in django_settings.DATABASES["default"]["ENGINE"] else ["postgres"]
# tests/faults starts real workers, brokers and gunicorn against the test database: the same.
if collect_ignore:
    collect_ignore.append("faults")
    # tests/load: the deadline burst through gunicorn, in a PostgreSQL database of its own.
    collect_ignore.append("load")
# tests/office opens the workbook in LibreOffice: .ci/run installs it and asks for these tests
# with GONGMO_OFFICE_TESTS=1 (then a missing soffice fails them loudly).
if os.environ.get("GONGMO_OFFICE_TESTS") != "1":
    collect_ignore.append("office")
# tests/browser drives Chromium through the journeys (Playwright): .ci/run and `make tour` ask
# for them with GONGMO_BROWSER_TESTS=1.
if os.environ.get("GONGMO_BROWSER_TESTS") != "1":
    collect_ignore.append("browser")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttling counters live in the (process-memory) cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_by_default():
    """Tests read English unless they switch language themselves."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """A browser that asks for English; tests pass HTTP_ACCEPT_LANGUAGE="ko" for Korean."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def role_groups(db):
    sync_role_groups()


@pytest.fixture
def staff_user(role_groups):
    return StaffFactory()


@pytest.fixture
def applicant_user(role_groups):
    return UserFactory()


@pytest.fixture
def draft_call(db):
    call = CallFactory()
    TrackFactory(call=call, max_awards=14)
    return call


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
