import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from accounts.roles import sync_role_groups

from .factories import CallFactory, StaffFactory, TrackFactory, UserFactory

ON_POSTGRES = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]
PG = "DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongmo_ci .venv/bin/pytest"

# Folders that need what a plain `make test` does not have. They are not collected here, but
# each is reported as one skipped test with the reason and the command that runs it (so that
# `make test` never drops tests without saying so); .ci/run runs every one of them.
# Under pytest-xdist (`make test` on several cores) the folders that commit their rows are run
# by a plain pytest after: each of their tests ends with a flush, and on a worker the next test
# file (which could be any) would find the migrations' reference data gone; they also start
# servers and time a burst against a deadline, better alone on the machine.
IN_A_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))
ONE_PROCESS = "commits its rows (a flush after each test), so runs in one process, not beside other tests"


def _on_postgres_only(needs, folder):
    if not ON_POSTGRES:
        return (needs, f"{PG} tests/{folder}")
    if IN_A_WORKER:
        return (ONE_PROCESS, f"{PG} tests/{folder}")
    return None


NOT_RUN_HERE = {
    # Row locks and concurrent transactions need a real server.
    "postgres": _on_postgres_only("needs PostgreSQL (row locks, concurrent transactions)", "postgres"),
    # Real workers, brokers and gunicorn against the test database.
    "faults": _on_postgres_only("needs PostgreSQL and Redis (real workers, brokers, gunicorn)", "faults"),
    # The deadline burst through gunicorn, in a PostgreSQL database of its own.
    "load": _on_postgres_only("needs PostgreSQL and Redis (the deadline burst through gunicorn)", "load"),
    # LibreOffice opens the workbook; a missing soffice then fails these loudly.
    "office": None
    if os.environ.get("GONGMO_OFFICE_TESTS") == "1"
    else ("needs LibreOffice (soffice)", "GONGMO_OFFICE_TESTS=1 .venv/bin/pytest tests/office"),
    # Chromium through the journeys (Playwright).
    "browser": None
    if os.environ.get("GONGMO_BROWSER_TESTS") == "1"
    else (
        "needs Chromium (/usr/bin/chromium) for the browser journeys",
        "GONGMO_BROWSER_TESTS=1 .venv/bin/pytest tests/browser",
    ),
}
HERE = Path(__file__).resolve().parent


class FolderNotRunHere(pytest.Item):
    def __init__(self, *, reason, command, **kwargs):
        super().__init__(**kwargs)
        self.reason, self.command = reason, command

    def runtest(self):
        pytest.skip(f"{self.parent.path.name}/ not run here: {self.reason}; run it with: {self.command}")

    def reportinfo(self):
        return self.path, None, f"{self.parent.path.name}/"


class SkippedFolder(pytest.Directory):
    def collect(self):
        reason, command = NOT_RUN_HERE[self.path.name]
        yield FolderNotRunHere.from_parent(self, name="not-run-here", reason=reason, command=command)


def pytest_collect_directory(path, parent):
    if path.parent == HERE and NOT_RUN_HERE.get(path.name):
        return SkippedFolder.from_parent(parent, path=path)
    return None


FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _celery_join_flag_reset():
    """Celery's "a result may not be joined here" flag is one process-wide global, set and reset
    around every eager task: two threads running eager tasks at once (the concurrent submissions
    of tests/postgres) can leave it set, and a later test's ``result.get()`` is then refused as if
    it ran inside a task. Each test starts with it cleared."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttling counters live in the (process-memory) cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _forced_logins_pass_the_second_step(monkeypatch):
    """``client.force_login(user)`` stands for a finished log-in: for staff and auditors (who must
    use two-factor) that includes the second step, so it gives them a confirmed authenticator
    and marks the session verified with it. Tests of the second step itself log in through the
    log-in page (tests/accounts/test_two_factor.py)."""
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.two_factor import requires_two_factor

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if requires_two_factor(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


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


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo (`seed_demo`), seeded once for a module's tests instead of once a test.

    It is written inside a transaction held open for the whole module and rolled back at its
    end; each test's own transaction is a savepoint inside it, so what one test changes is gone
    before the next, as with a per-test seed. It is seeded as a test would seed it (in English,
    with the tests' password hasher), its uploads in a folder of the module's own."""
    import io

    from django.core.management import call_command
    from django.db import connections, transaction
    from django.test import override_settings

    as_a_test = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"), PASSWORD_HASHERS=FAST_PASSWORD_HASHERS
    )
    with django_db_blocker.unblock(), as_a_test, translation.override("en"):
        atomics = {alias: transaction.atomic(using=alias) for alias in connections}
        for atomic in atomics.values():
            atomic.__enter__()
        try:
            call_command("seed_demo", stdout=io.StringIO())
            yield
        finally:
            for alias, atomic in atomics.items():
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


@pytest.fixture
def demo(seeded_demo, db):
    """The demo's data, for a test (per-test changes are rolled back)."""
