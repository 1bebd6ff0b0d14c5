"""The database connection is lost (issue 7): mid-request, the request fails cleanly (an error
page, no traceback, no hang) and writes nothing, and the next requests succeed; between
requests, persistent connections the server dropped are replaced before they are used
(CONN_HEALTH_CHECKS), so no request fails at all.

gunicorn with production settings and persistent connections (CONN_MAX_AGE) on the test
database; the test holds a row lock the payment needs, then terminates the backend of the
request waiting for it (pg_terminate_backend), as a failover or an administrator would.
"""

import threading
import time
from datetime import date

import psycopg
from django.db import connection

from projects.models import DisbursementEntry, OutboxMessage
from tests.loopback import free_port
from tests.projects.test_ledger import project, selected, staff  # noqa: F401

from .browser import Browser
from .conftest import database_url_for_workers, gunicorn

LEAKS = ("Traceback", "OperationalError", "psycopg", "terminating connection", "/work/", 'File "')


def other_backends(exclude, **where):
    """Client backends on the test database other than ``exclude``, filtered by ``where``."""
    clauses = " ".join(f"AND {column} = %s" for column in where)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            f"AND backend_type = 'client backend' AND pid <> ALL(%s) {clauses}",
            [list(exclude), *where.values()],
        )
        return [row[0] for row in cursor.fetchall()]


def terminate(pids):
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def pay(browser, funded, amount):
    return browser.post(
        f"/staff/projects/{funded.pk}/",
        {"action": "pay", "amount": str(amount), "paid_on": date(2026, 5, 10).isoformat()},
        timeout=30,
    )


def test_database_connection_lost_mid_request_and_between_requests(processes, project, staff):  # noqa: F811
    web = free_port()
    gunicorn(processes, "web", web, CONN_MAX_AGE="60")
    browser = Browser(web, staff)
    assert pay(browser, project, 10_000_000)[0] == 302  # warm: the workers hold connections now
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]

    # 1. mid-request: the payment waits for the project row we hold, and its backend dies
    holder = psycopg.connect(database_url_for_workers())
    try:
        holder.execute("SELECT id FROM projects_project WHERE id = %s FOR UPDATE", [project.pk])
        answer = {}

        def request():
            started = time.monotonic()
            answer["response"] = pay(browser, project, 20_000_000)
            answer["took"] = time.monotonic() - started

        thread = threading.Thread(target=request)
        thread.start()
        deadline = time.monotonic() + 20
        waiting = []
        while not waiting and time.monotonic() < deadline:
            waiting = other_backends({mine, holder.info.backend_pid}, wait_event_type="Lock")
            time.sleep(0.05)
        assert len(waiting) == 1, "the payment request never waited for the row lock"
        terminate(waiting)
        thread.join(timeout=30)
        assert not thread.is_alive(), "the request hung after its connection was lost"
    finally:
        holder.rollback()
        holder.close()
    status, body, _headers = answer["response"]
    assert status == 500 and answer["took"] < 20
    # Gongmo's own 500 page (config/errors.py), in either language, and nothing of the failure
    assert ("Something went wrong" in body or "오류" in body) and not [leak for leak in LEAKS if leak in body]
    assert list(DisbursementEntry.objects.filter(project=project).values_list("amount", flat=True)) == [
        10_000_000
    ]  # nothing of the failed payment was written, its e-mail neither
    assert not OutboxMessage.objects.filter(subject__contains="20,000,000").exists()
    for _attempt in range(4):  # whichever worker answers, the next requests succeed
        assert Browser(web).get("/healthz")[0] == 200
    assert pay(browser, project, 20_000_000)[0] == 302

    # 2. between requests: every idle connection of the app is dropped by the server
    idle = other_backends({mine}, state="idle")
    assert idle, "gunicorn keeps persistent connections (CONN_MAX_AGE)"
    terminate(idle)
    for _attempt in range(4):
        status, body, _headers = Browser(web).get("/healthz")
        assert (status, '"database": "ok"' in body) == (200, True)
    assert pay(browser, project, 30_000_000)[0] == 302
    assert sorted(DisbursementEntry.objects.filter(project=project).values_list("amount", flat=True)) == [
        10_000_000,
        20_000_000,
        30_000_000,
    ]
