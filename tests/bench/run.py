"""`make bench`: the DESIGN.md §5 budgets for evaluation, measured in one run on a fresh
SQLite database (the embedded default) under var/bench/.

- assignment: 20,000 eligible applications, 500 reviewers, 2 % of them conflicted (their
  organisations apply too) -> assign_reviewers(), budget 5 s;
- selection: 20,000 applications x 5 reviews x 5 criteria (500,000 score rows) -> a dry run
  of run_selection() against the bare GROUP BY over the same score rows fetched into Python,
  budget 1.5 x (median of 5 runs each). The dry run ranks the score sheets written when each
  review completed (outside the timing, as in real use); also reported: a recorded run (reads
  every review, hashes the inputs, checks every sheet, writes 20,000 results) and rewriting all
  20,000 sheets (what the first preview after a change of the plan's scoring settings costs).

Prints a table and writes bench-results/evaluation.json.
"""

import io
import json
import os
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BENCH_VAR = ROOT / "var" / "bench"
shutil.rmtree(BENCH_VAR, ignore_errors=True)
BENCH_VAR.mkdir(parents=True)
os.environ.setdefault("GONGMO_VAR_DIR", str(BENCH_VAR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import translation  # noqa: E402

APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", 20_000))
REVIEWERS = int(os.environ.get("BENCH_REVIEWERS", 500))
REPEATS = 5


def timed(function, repeats=1):
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main():
    translation.activate("en")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    from evaluation.assigning import assign_reviewers
    from evaluation.generate import create_applications, score_all, system_user
    from evaluation.models import Reviewer
    from evaluation.selection_runs import run_selection
    from projects.models import Application, ConsortiumMember
    from tests.bench.calls import bench_call

    call = bench_call()
    staff = system_user()
    rng = random.Random(2022)
    started = time.perf_counter()
    applications = create_applications(
        call, count=APPLICATIONS, reviewers=REVIEWERS, seed=2022, by=staff, rng=rng
    )
    # 2 % of reviewers' institutes also join a consortium in this call: conflicted everywhere.
    conflicted = list(
        Reviewer.objects.filter(affiliation__isnull=False).order_by("pk")[: max(1, REVIEWERS // 50)]
    )
    ConsortiumMember.objects.bulk_create(
        ConsortiumMember(
            application=applications[n], organisation=r.affiliation, budget_share_percent=5, state="accepted"
        )
        for n, r in enumerate(conflicted)
    )
    setup_seconds = time.perf_counter() - started

    assignment_seconds, created = timed(lambda: assign_reviewers(call, by=staff, seed=2022))
    score_all(call, applications, by=staff, rng=rng)
    score_rows = connection.cursor().execute("SELECT COUNT(*) FROM evaluation_score").fetchone()[0]

    def bare_group_by():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.application_id, SUM(s.points) FROM evaluation_score s "
                "JOIN evaluation_review r ON r.id = s.review_id GROUP BY r.application_id"
            )
            return cursor.fetchall()

    floor_seconds, _rows = timed(bare_group_by, REPEATS)
    selection_seconds, (_run, results) = timed(lambda: run_selection(call, by=staff, dry_run=True), REPEATS)
    recorded_seconds, _recorded = timed(lambda: run_selection(call, by=staff))
    sheets_seconds, _written = timed(lambda: rewrite_sheets(call))
    pages = staff_pages(call, staff)

    figures = {
        "applications": Application.objects.filter(call=call).count(),
        "reviewers": REVIEWERS,
        "score_rows": score_rows,
        "setup_seconds": round(setup_seconds, 2),
        "assignment_seconds": round(assignment_seconds, 3),
        "assignments": created,
        "assignment_budget_seconds": 5.0,
        "group_by_floor_seconds": round(floor_seconds, 3),
        "selection_seconds": round(selection_seconds, 3),
        "selection_ratio": round(selection_seconds / floor_seconds, 2),
        "recorded_run_seconds": round(recorded_seconds, 3),
        "sheets_rewrite_seconds": round(sheets_seconds, 3),
        "selection_budget_ratio": 1.5,
        "selected": sum(r.outcome == "selected" for r in results),
        "staff_pages": pages,
        "staff_page_budget": {"queries": 15, "median_ms": 60},
    }
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(figures, indent=2))
    print(f"{'what':<34}{'measured':>14}{'budget':>14}")
    print(f"{'assignment (s)':<34}{figures['assignment_seconds']:>14}{'<= 5.0':>14}")
    print(f"{'bare GROUP BY floor (s)':<34}{figures['group_by_floor_seconds']:>14}{'':>14}")
    print(f"{'selection dry run (s)':<34}{figures['selection_seconds']:>14}{'':>14}")
    print(f"{'selection / floor':<34}{figures['selection_ratio']:>14}{'<= 1.5':>14}")
    print(f"{'recorded run incl. hash, 20k rows (s)':<34}{figures['recorded_run_seconds']:>14}{'':>14}")
    print(f"{'all 20k score sheets rewritten (s)':<34}{figures['sheets_rewrite_seconds']:>14}{'':>14}")
    for name, page in pages.items():
        print(
            f"{name + ' page (ms, queries)':<34}{page['median_ms']:>9}, {page['queries']:>3}{'<= 60, 15':>14}"
        )
    print(json.dumps(figures))


def rewrite_sheets(call):
    from evaluation.models import EvaluationPlan
    from evaluation.score_sheets import scoring_plan, write_sheets

    plan = EvaluationPlan.objects.get(call=call)
    return write_sheets(call, plan, scoring_plan(plan, list(plan.criteria.all())))


def staff_pages(call, staff):
    """DESIGN.md §5 staff list pages on the 20,000-application call, 50 rows a page: median
    wall time of 5 GETs through the test client (no network) and the queries of one."""
    from django.db import reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(headers={"accept-language": "en"})
    client.force_login(staff)
    ranking = reverse("evaluation:selection", args=[call.slug])
    token = re.search(r"preview=([0-9a-f]{32})", client.get(ranking).content.decode()).group(1)
    urls = {
        "eligibility queue": reverse("projects:eligibility_queue") + f"?call={call.slug}&state=scored",
        # The first view computes the dry run (the selection figure above); paging keeps it.
        "ranking, new preview": ranking,
        "ranking, next page": f"{ranking}?preview={token}&page=2",
        "projects": reverse("projects:project_list"),
    }
    figures = {}
    for name, url in urls.items():
        assert client.get(url).status_code == 200, url
        seconds, _ = timed(lambda url=url: client.get(url), REPEATS)
        reset_queries()  # the log holds 9,000 queries: a full one would hide these
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        figures[name] = {"median_ms": round(seconds * 1000, 1), "queries": len(queries.captured_queries)}
    return figures


if __name__ == "__main__":
    main()
