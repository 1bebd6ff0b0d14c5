"""Faults against real processes on loopback: a Celery worker killed mid-export, a broker that
goes down and comes back, a database connection lost mid-request.

tests/conftest.py collects this folder only on PostgreSQL (as .ci/run runs the suite). The
tests commit their data (transactional, as tests/postgres does) so that the worker and gunicorn
processes, which connect to the test database by name, see it. Every process a test starts is
stopped at the end, also when the test fails.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.committed import assert_on_postgresql, commit_tests_in
from tests.evaluation.conftest import call, staff  # noqa: F401
from tests.loopback import HOST, stop_group
from tests.projects.conftest import _media_in_tmp, applicant, draft, open_call, organisation  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.hookimpl(tryfirst=True)  # before pytest-django orders transactional tests last
def pytest_collection_modifyitems(items):
    commit_tests_in(Path(__file__).parent, items)


@pytest.fixture(autouse=True)
def _on_postgresql(db):
    assert_on_postgresql("tests/faults")


def wait_for_port(port, timeout=20.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {HOST}:{port} after {timeout} s")


def database_url_for_workers():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """Start processes in their own process group; stop them all at the end (SIGKILL if needed)."""

    def __init__(self, folder):
        self.folder = folder
        self.started = []

    def env(self, **extra):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST", "CELERY_", "DJANGO_")) and key != "DATABASE_URL"
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database_url_for_workers(),
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            GONGMO_VAR_DIR=str(self.folder / "var"),
            SECRET_KEY=settings.SECRET_KEY,
            PYTHONUNBUFFERED="1",
        )
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def start(self, name, command, **env):
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            [str(part) for part in command],
            cwd=ROOT,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log, process.log_path, process.name = log, self.folder / f"{name}.log", name
        self.started.append(process)
        return process

    def log_of(self, process):
        process.log.flush()
        return process.log_path.read_text(errors="replace")

    def stop(self, process, sig=signal.SIGTERM, timeout=10):
        stop_group(process, sig, timeout)
        process.log.close()

    def stop_all(self):
        for process in reversed(self.started):
            if not process.log.closed:
                self.stop(process, timeout=5)


@pytest.fixture
def processes(tmp_path):
    running = Processes(tmp_path)
    yield running
    running.stop_all()


def celery_worker(processes, name, broker_url, *, queue="celery", pool="solo", concurrency=1, **env):
    return processes.start(
        name,
        [
            BIN / "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
        ],
        CELERY_BROKER_URL=broker_url,
        **env,
    )


def gunicorn(processes, name, port, **env):
    process = processes.start(
        name,
        [
            BIN / "gunicorn",
            "config.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
            "--graceful-timeout",
            "2",
        ],
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS=HOST,
        **env,
    )
    wait_for_port(port, process=process)
    return process
