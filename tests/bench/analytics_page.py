"""The policy analytics page (every call) against the database `tests/bench/run.py` built
(var/bench/, or GONGMO_VAR_DIR): not part of `make bench`, and it changes nothing.

Times, in one process, ROUNDS rounds of: the page through the test client (wall and CPU time of
one GET, as run.py's staff pages), ``analytics.tables`` alone (CPU) and the page's queries. With
``--root DIR`` the code of another checkout is timed (the same script, the same database), so
that two checkouts can be compared side by side, in interleaved runs:

    DEBUG=1 GONGMO_VAR_DIR=/tmp/bench-copy .venv/bin/python tests/bench/analytics_page.py [--root DIR]

Prints one JSON line: medians in milliseconds and the query count.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if "--root" in sys.argv:
    ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # Celery puts the working directory first on the path when Django starts
os.environ.setdefault("GONGMO_VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", 15))


def main():
    from evaluation.generate import system_user
    from smartcity import analytics
    from tests.bench.run import verified_login

    assert Path(analytics.__file__).is_relative_to(ROOT), analytics.__file__
    translation.activate("en")
    client = Client(headers={"accept-language": "en"})
    verified_login(client, system_user())
    url = reverse("smartcity:analytics")
    assert client.get(url).status_code == 200
    wall, cpu, tables_cpu = [], [], []
    for _ in range(ROUNDS):
        reset_queries()
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        started_cpu = time.process_time()
        analytics.tables(analytics.Scope())
        tables_cpu.append(time.process_time() - started_cpu)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(
        json.dumps(
            {
                "root": str(ROOT),
                "page_wall_ms": round(statistics.median(wall) * 1000, 1),
                "page_cpu_ms": round(statistics.median(cpu) * 1000, 1),
                "tables_cpu_ms": round(statistics.median(tables_cpu) * 1000, 1),
                "queries": len(queries.captured_queries),
            }
        )
    )


if __name__ == "__main__":
    main()
