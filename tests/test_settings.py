"""Settings come from the environment: SQLite and eager Celery by default, PostgreSQL and Redis
when DATABASE_URL and CELERY_BROKER_URL say so; no production start without a SECRET_KEY."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.result import EagerResult
from django.test import Client

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]


def settings_in_subprocess(**env):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'debug': s.DEBUG, 'tz': s.TIME_ZONE, 'use_tz': s.USE_TZ, "
        "'languages': [c for c, _ in s.LANGUAGES]}))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_nothing_set_is_production_and_refuses_to_start_without_a_secret_key(tmp_path):
    """Fail closed: a forgotten DEBUG never brings the development key or cookies without Secure."""
    result = settings_in_subprocess(GONGMO_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
    result = settings_in_subprocess(GONGMO_VAR_DIR=str(tmp_path), SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False


def test_embedded_default_is_sqlite_under_var_and_eager_celery(tmp_path):
    result = settings_in_subprocess(GONGMO_VAR_DIR=str(tmp_path), DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "gongmo.sqlite3")
    assert values["eager"] is True
    assert (values["tz"], values["use_tz"]) == ("Asia/Seoul", True)
    assert values["languages"] == ["ko", "en"]


def test_production_urls_choose_postgres_and_a_real_broker(tmp_path):
    result = settings_in_subprocess(
        GONGMO_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/gongmo",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DEBUG="0",
        SECRET_KEY="x" * 50,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "gongmo"
    assert values["eager"] is False
    assert values["debug"] is False


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = settings_in_subprocess(GONGMO_VAR_DIR=str(tmp_path), DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "lang"), [("ko", "ko"), ("en", "en"), ("ko-KR,ko;q=0.9", "ko"), ("fr", "ko")]
)
def test_the_browsers_language_chooses_the_page_language(accept, lang):
    """Korean or English as the browser asks; Korean for anything else (the default language)."""
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response["Content-Language"] == lang
    assert f'<html lang="{lang}">' in response.content.decode()


def test_a_join_flag_left_set_by_concurrent_eager_tasks_does_not_outlive_its_test():
    # Set as two threads running eager tasks at once can leave it (see tests/conftest.py); the
    # next test (the one above, in any order) must still be able to join an eager result.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(True)


def test_a_task_runs_at_once_in_the_embedded_default():
    """Without a broker a task runs inside the request (eager), so a newcomer needs no worker."""

    @celery_app.task
    def double(value):
        return value * 2

    result = double.delay(21)
    assert isinstance(result, EagerResult)
    assert result.get(timeout=1) == 42
    assert celery_app.conf.timezone == "Asia/Seoul"  # beat's schedules are Seoul times


def test_the_embedded_sqlite_database_runs_in_write_ahead_log_mode(tmp_path):
    """Readers (a long export) and writers (submissions) do not block each other."""
    code = (
        "import django; django.setup(); from django.db import connection; "
        "print(connection.cursor().execute('PRAGMA journal_mode').fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GONGMO_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"
