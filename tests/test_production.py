"""The production path's first checks: /healthz, and `check --deploy` clean with production
settings."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]


def test_healthz_reports_the_database_and_the_broker(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_healthz_reports_a_broker_that_is_down_without_failing(client, db, monkeypatch):
    from config.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"].startswith("down")


def production_env(tmp_path, **settings):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    env.update(
        # The tests' own settings module asks for debug: production is config.settings.
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="a" * 20 + "-production-secret-" + "b" * 30,
        GONGMO_VAR_DIR=str(tmp_path),
        ALLOWED_HOSTS="gongmo.example",
        **settings,
    )
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = production_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_each_server_process_loads_the_brokers_client_at_start_and_connects_to_nothing(tmp_path):
    """config.wsgi, as gunicorn loads it in each process: what the first submission would load
    mid-request (the tasks, kombu's Redis transport, redis-py) is loaded; the broker, down here,
    is not contacted (a process starts whatever the broker's state)."""
    env = production_env(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    probe = (
        "import sys, time; started = time.monotonic(); import config.wsgi; "
        "from config.celery import app; "
        "print(app.finalized, 'projects.tasks.after_submissions' in app.tasks, "
        "'kombu.transport.redis' in sys.modules, 'redis' in sys.modules, time.monotonic() - started < 30)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "True"], result.stdout + result.stderr
