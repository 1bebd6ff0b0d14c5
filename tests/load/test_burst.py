"""The deadline burst against a real server (issue 7): 200 submit POSTs released at the same
instant through gunicorn on PostgreSQL in the last minute before the close, then 20 one second
after it. Every on-time one is stored once with its own sequential reference and a receipt
e-mail in the outbox; every late one is refused with the reason; no answer is a server error.

The latency budget (p95 <= 300 ms) is reported by `make bench` (tests/bench/burst.py), not
asserted here: this machine's timings depend on what else runs on it.
"""

import json
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.load.burst import BurstSettings, run

ON_TIME = 200
LATE = 20


def server_url():
    """The PostgreSQL server the suite runs on (the burst makes its own database there)."""
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'] or 'postgres', safe='')}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


@pytest.mark.parametrize("instances", [1, 2], ids=["one instance", "two instances behind HAProxy"])
def test_deadline_burst_stores_every_on_time_submission_once_and_refuses_late_ones(instances):
    report = run(
        BurstSettings(
            database_url=server_url(),
            database="gongmo_burst_ci" if instances == 1 else "gongmo_burst_ci_balanced",
            instances=instances,
            broker_url="redis://127.0.0.1:6379/12",
            on_time=ON_TIME,
            late=LATE,
        )
    )
    print(
        json.dumps(
            {
                k: report[k]
                for k in ("setup_seconds", "burst", "late", "load_average_before", "load_average_after")
            }
        )
    )
    burst, late, stored = report["burst"], report["late"], report["database"]

    assert report["healthz"] == {"database": "ok", "broker": "ok"}
    assert report["server_errors"] == 0 and report["lost"] == 0, report
    # On time: all answered with the redirect to the application page, before the close.
    assert burst["statuses"] == {"302": ON_TIME}, burst
    assert burst["redirects_to_application"] == ON_TIME
    assert burst["peak_in_flight"] > 1
    assert burst["seconds_before_close_at_end"] > 0, "the burst did not end before the close"
    # ... and each stored exactly once, with a unique reference, numbered 1..200 without gaps.
    assert stored["on_time_states"] == {"submitted": ON_TIME}
    assert stored["on_time_with_reference"] == stored["unique_references"] == ON_TIME
    assert stored["reference_numbers_are_1_to_n"] is True
    assert stored["reference_counter"] == ON_TIME
    assert stored["submitted_before_close"] == ON_TIME
    assert stored["submit_log_entries_per_application"] == {"1": ON_TIME}
    # The receipt e-mail of each is in the outbox, and the task that sends them and runs the
    # duplicate-funding checks reached the broker: once for the burst, through either instance
    # (the shared cache knows one is on its way; no worker runs here to take it).
    assert stored["receipt_emails_queued"] == stored["outbox_messages"] == ON_TIME
    assert report["tasks_enqueued"] == 1

    # One second after the close: every late one refused, told why, and still a draft.
    assert late["seconds_after_close_at_start"] >= 1.0
    assert late["statuses"] == {"302": LATE}, late
    assert late["told_reception_closed"] == LATE
    assert stored["late_states"] == {"draft": LATE}
    assert stored["late_with_reference"] == 0
    assert stored["late_submit_log_entries"] == 0
