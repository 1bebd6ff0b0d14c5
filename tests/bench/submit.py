"""`make bench`: what one submission costs in CPU, against a floor measured in the same run
(issue 19: submission ≤ 2.5 × a logged-in bare POST that writes one row).

Both go through the whole stack in this process (Django's test Client: every middleware,
session, user, roles, the view, the database on PostgreSQL, the outbox publish to Redis), with
production settings (DEBUG off, persistent database connection), on a fresh database seeded as
the deadline burst seeds it (tests/load/burst.py: an open call with the 2022 pilot's rules, one
applicant with a complete, eligible draft each). The floor is a view that exists only in the
bench's URLconf (tests/bench/submit_urls.py). Each round posts the floor, then a submission,
for the same logged-in applicant.

CPU of one request = this process's CPU time (time.process_time) + the CPU time of the
PostgreSQL backend serving our connection (/proc/<pid>/schedstat, nanoseconds; same machine).
The figures are medians over BENCH_SUBMIT_ROUNDS rounds (100) after a few unmeasured ones;
the statements are counted in one more round, not timed.

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres: the
database gongmo_bench_submit, or BENCH_SUBMIT_DATABASE, is created and dropped) and Redis
(BENCH_BROKER_URL, default redis://127.0.0.1:6379/12, the broker and the cache, emptied at the
start and the end). Prints a table and writes
bench-results/submit.json.
"""

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.burst import (  # noqa: E402
    BurstSettings,
    _broker,
    _child,
    _create_database,
    _drop_database,
    _environment,
)

BUDGET_RATIO = 2.5
ROUNDS = int(os.environ.get("BENCH_SUBMIT_ROUNDS", 100))
WARMUP = 5
VAR_DIR = ROOT / "var" / "bench-submit"


def backend_cpu_ns(pid):
    """CPU time the PostgreSQL backend ``pid`` has used so far, in nanoseconds."""
    with open(f"/proc/{pid}/schedstat") as stats:
        return int(stats.read().split()[0])


def backend_pid():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def measure(client, path, pid, expected_status):
    """(worker ms, database ms) of one POST to ``path``."""
    worker, database = time.process_time_ns(), backend_cpu_ns(pid)
    response = client.post(path, secure=True)
    worker, database = time.process_time_ns() - worker, backend_cpu_ns(pid) - database
    if response.status_code != expected_status:
        raise RuntimeError(f"POST {path} answered {response.status_code}, not {expected_status}")
    return worker / 1e6, database / 1e6


def statements(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.post(path, secure=True)
    return len(queries.captured_queries)


def figures_of(samples):
    worker = [w for w, _d in samples]
    database = [d for _w, d in samples]
    total = [w + d for w, d in samples]
    return {
        "worker_ms": round(statistics.median(worker), 2),
        "database_ms": round(statistics.median(database), 2),
        "total_ms": round(statistics.median(total), 2),
        "total_mean_ms": round(statistics.fmean(total), 2),
    }


def bench(seeded):
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from projects.models import Application, ApplicationState

    rows = seeded["on_time"]
    samples = {"submission": [], "floor": []}
    counted = {}
    with override_settings(ROOT_URLCONF="tests.bench.submit_urls"):
        pid = backend_pid()
        # One client, so one handler: a new one loads the middleware again (WhiteNoise scans
        # the static files) on its first request.
        client = Client()
        for index, row in enumerate(rows):
            client.cookies.clear()
            client.cookies[seeded["session_cookie"]] = row["session"]
            floor = reverse("bench_floor")
            submission = reverse("projects:application_submit", args=[row["application"]])
            if index == len(rows) - 1:
                counted = {"floor": statements(client, floor), "submission": statements(client, submission)}
                break
            measured = {
                "floor": measure(client, floor, pid, 204),
                "submission": measure(client, submission, pid, 302),
            }
            if index >= WARMUP:
                for name, sample in measured.items():
                    samples[name].append(sample)
        if backend_pid() != pid:
            raise RuntimeError("The database connection was replaced mid-run: the backend's CPU is not ours")
    submitted = Application.objects.filter(state=ApplicationState.SUBMITTED).count()
    if submitted != len(rows):
        raise RuntimeError(f"{submitted} of {len(rows)} drafts were submitted")
    return samples, counted


def main():
    settings = BurstSettings(
        database_url=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        # Another name for runs side by side (two checkouts compared on one server).
        database=os.environ.get("BENCH_SUBMIT_DATABASE", "gongmo_bench_submit"),
        broker_url=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
    )
    broker = _broker(settings)
    broker.flushdb()  # ours alone (the broker and the cache): an earlier run's keys gone
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True)
    _create_database(settings)
    try:
        env = _environment(settings, VAR_DIR)
        # One connection for the whole run: its backend's CPU is what is read.
        env["CONN_MAX_AGE"] = "3600"
        env["ALLOWED_HOSTS"] += ",testserver"  # the test Client's host
        # Migrating and seeding in children: a process that has run the migrations carries
        # their historical models' signal receivers, and every request would pay for them.
        _child(env, "manage.py", "migrate", "--noinput", "--verbosity", "0", capture=False)
        seeded = _child(
            env, "-m", "tests.load.burst", "seed", "--on-time", str(ROUNDS + WARMUP + 1), "--late", "0"
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.utils import translation

        translation.activate("ko")
        samples, counted = bench(seeded)
    finally:
        from django.db import connections

        connections.close_all()
        _drop_database(settings)
        broker.flushdb()
        shutil.rmtree(VAR_DIR, ignore_errors=True)

    submission, floor = figures_of(samples["submission"]), figures_of(samples["floor"])
    ratio = round(submission["total_ms"] / floor["total_ms"], 2)
    figures = {
        "rounds": ROUNDS,
        "budget_ratio": BUDGET_RATIO,
        "submission": {**submission, "statements": counted["submission"]},
        "floor": {**floor, "statements": counted["floor"]},
        "ratio": ratio,
        "met": ratio <= BUDGET_RATIO,
    }
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "submit.json").write_text(json.dumps(figures, indent=2))

    columns = ["worker_ms", "database_ms", "total_ms", "statements"]
    print(f"{'submission CPU (median of ' + str(ROUNDS) + ')':<40}" + "".join(f"{c:>14}" for c in columns))
    for name in ("submission", "floor"):
        print(f"{name:<40}" + "".join(f"{figures[name][c]:>14}" for c in columns))
    print(
        f"{'submission / floor':<40}{ratio:>14}{'≤ ' + str(BUDGET_RATIO) + ' ×':>14}"
        f"{'met' if figures['met'] else 'not met':>14}"
    )
    print(json.dumps(figures))
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
