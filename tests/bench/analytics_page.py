"""The policy analytics page (every call) against the database `tests/bench/run.py` built
(var/bench/, or GONGMO_VAR_DIR): not part of `make bench`, and it changes nothing.

Times, in one process, ROUNDS rounds of: the page through the test client (wall and CPU time of
one GET, as run.py's staff pages), ``analytics.tables`` alone (CPU) and the page's queries.

- ``--root DIR``: the code of another checkout is timed (the same script, the same database),
  so that two checkouts can be compared in interleaved runs;
- ``--before FILE``: another version of ``smartcity/analytics.py`` (another checkout's, whose
  other modules must be the same as this one's) is loaded beside this one, and each round times
  the page and the tables with it, then with this one's, in the same process (the fairest
  comparison on a machine other work shares).

    DEBUG=1 GONGMO_VAR_DIR=/tmp/bench-copy .venv/bin/python tests/bench/analytics_page.py \
        [--root DIR] [--before /work/main/smartcity/analytics.py]

Prints one JSON line per version: medians in milliseconds and the query count.
"""

import importlib.util
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


def load_before(path):
    """``path`` (an analytics.py) as a module of its own; its permission is this one's."""
    import rules

    spec = importlib.util.spec_from_file_location("smartcity.analytics_before", path)
    module = importlib.util.module_from_spec(spec)
    add_perm, rules.add_perm = rules.add_perm, lambda *args: None
    try:
        spec.loader.exec_module(module)
    finally:
        rules.add_perm = add_perm
    return module


def main():
    from evaluation.generate import system_user
    from smartcity import analytics, views_analytics
    from tests.bench.run import verified_login

    assert Path(analytics.__file__).is_relative_to(ROOT), analytics.__file__
    versions = {str(ROOT): analytics}
    if "--before" in sys.argv:
        path = sys.argv[sys.argv.index("--before") + 1]
        versions = {path: load_before(path), **versions}
    translation.activate("en")
    client = Client(headers={"accept-language": "en"})
    verified_login(client, system_user())
    url = reverse("smartcity:analytics")
    figures = {name: {"wall": [], "cpu": [], "tables": []} for name in versions}
    for module in versions.values():  # each version's first view (and compiling) untimed
        views_analytics.analytics = module
        assert client.get(url).status_code == 200
    for _ in range(ROUNDS):
        for name, module in versions.items():
            views_analytics.analytics = module
            reset_queries()
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            figures[name]["wall"].append(time.perf_counter() - started)
            figures[name]["cpu"].append(time.process_time() - started_cpu)
            started_cpu = time.process_time()
            module.tables(analytics.Scope())
            figures[name]["tables"].append(time.process_time() - started_cpu)
    for name, module in versions.items():
        views_analytics.analytics = module
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            json.dumps(
                {
                    "version": name,
                    "page_wall_ms": round(statistics.median(figures[name]["wall"]) * 1000, 1),
                    "page_cpu_ms": round(statistics.median(figures[name]["cpu"]) * 1000, 1),
                    "tables_cpu_ms": round(statistics.median(figures[name]["tables"]) * 1000, 1),
                    "queries": len(queries.captured_queries),
                }
            )
        )
    views_analytics.analytics = analytics


if __name__ == "__main__":
    main()
