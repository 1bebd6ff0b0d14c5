"""`make bench`: the deadline burst (DESIGN.md §5: 0 lost, 0 server errors; p95 <= 300 ms in the
last minute, <= 1.5 s when all 200 leave at once) through gunicorn on PostgreSQL, with Redis as the broker (tests/load/burst.py does the work).

Two shapes of the same 200 on-time submissions, each in a fresh database:
- last minute: each submit leaves at a random moment in the 50 seconds before the last ten
  seconds (the close is 60 s after the first may leave), overlapping as they come;
- spike: all 200 leave at the same instant (the worst case: every request queues at once).
Then 20 submissions one second after the close, which must all be refused.

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres: the
server; the database gongmo_burst is created and dropped) and Redis (BENCH_BROKER_URL, default
redis://127.0.0.1:6379/11). BENCH_BURST_WORKERS sets gunicorn's workers (default 3, as
`make serve`). Prints a table and writes bench-results/burst.json.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.burst import BurstSettings, run  # noqa: E402

# (name, seconds over which the submits leave, seconds from the last planned one to the close,
# the p95 budget in ms): either way the burst happens in the last minute before the close.
SHAPES = [("last minute", 50.0, 10.0, 300), ("spike", 0.0, 60.0, 1500)]


def main():
    figures = {"budget_p95_ms": {name: budget for name, *_shape, budget in SHAPES}, "runs": []}
    for name, spread, margin, _budget in SHAPES:
        report = run(
            BurstSettings(
                database_url=os.environ.get(
                    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
                ),
                database="gongmo_burst",
                broker_url=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11"),
                workers=int(os.environ.get("BENCH_BURST_WORKERS", 3)),
                spread_seconds=spread,
                seconds_before_close=margin,
            )
        )
        burst, late, stored = report["burst"], report["late"], report["database"]
        figures["runs"].append(
            {
                "shape": name,
                "spread_seconds": spread,
                "workers": report["settings"]["workers"],
                "on_time": burst["requests"],
                "peak_in_flight": burst["peak_in_flight"],
                "p50_ms": burst["p50_ms"],
                "p95_ms": burst["p95_ms"],
                "max_ms": burst["max_ms"],
                "stored_once": stored["on_time_states"].get("submitted", 0),
                "references_1_to_n": stored["reference_numbers_are_1_to_n"],
                "lost": burst["requests"] - stored["on_time_states"].get("submitted", 0),
                "server_errors": report["server_errors"],
                "late": late["requests"],
                "late_refused": stored["late_states"].get("draft", 0),
                "late_told_why": late["told_reception_closed"],
                "receipts_in_outbox": stored["receipt_emails_queued"],
                "load_average_before": report["load_average_before"],
                "load_average_after": report["load_average_after"],
            }
        )

    columns = ["p50_ms", "p95_ms", "max_ms", "stored_once", "lost", "server_errors", "late_refused"]
    print(
        f"{'deadline burst (200 on time, 20 late)':<40}"
        + "".join(f"{c:>14}" for c in columns)
        + f"{'budget':>16}"
    )
    for row in figures["runs"]:
        budget = figures["budget_p95_ms"][row["shape"]]
        met = row["p95_ms"] <= budget and row["lost"] == 0 and row["server_errors"] == 0
        row["met"] = met
        print(
            f"{row['shape'] + ' (peak ' + str(row['peak_in_flight']) + ' in flight)':<40}"
            + "".join(f"{row[c]:>14}" for c in columns)
            + f"{'p95 <= ' + str(budget) + ' ms: ' + ('met' if met else 'NOT met'):>28}"
        )
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "burst.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return 0 if all(row["met"] for row in figures["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
