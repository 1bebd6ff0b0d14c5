"""Issue 19's row "recorded run, peak memory": a recorded selection run's peak memory, flat
within 10 % from 5,000 to 80,000 applications (it read every review, scored, ranked and hashed
the whole call in one list: 115 MB at 20,000, 264 MB at 80,000).

Workload: for each size a fresh SQLite database under var/bench-memory/<size>/ (the demo, and
the bench's single-stage call as tests/bench/run.py builds it: ``create_applications``, reviewers
assigned, ``score_all``: 5 reviews × 5 criteria an application). The reviewers stay 500 at every
size (the run's memory does not depend on how many there are; 2,000 would only lengthen the
assignment): 800 reviews each at 80,000.

Measured: ``run_selection(call, by=staff)`` (the recorded run: every review read in chunks and
scored, every sheet checked, the inputs hashed, the ranking walked, every result written) in a
fresh child process per size, after Django's start-up and a first query. The figure is the
child's whole-process peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``), as the issue's figures
were: it counts what Python's allocator does not see (SQLite's page cache and sorter, the
database driver's buffers) and what Python keeps after freeing (its arenas), which a
tracemalloc peak would miss, and a fresh process makes the peak the run's own (building the
call would dominate it otherwise). Also shown, to explain the figure: the increase over the RSS
before the run (``/proc/self/statm``), the run's time (wall and CPU), and, as the figure before,
the whole-list path (``candidates_for`` the whole call, ``select`` and ``inputs_hash``: every candidate in one list, as a recorded
run read them before) in its own fresh child.

Prints the table (the budget met or not met), writes bench-results/recorded_memory.json and
exits 1 when the budget is missed. Sizes: BENCH_MEMORY_SIZES (default "5000,80000"; the budget
compares the smallest with the largest). About 10 minutes on 2 cores, most of it building the
80,000 applications.
"""

import io
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.bench.table import print_table, row  # noqa: E402

BENCH_VAR = ROOT / "var" / "bench-memory"
SIZES = [int(n) for n in os.environ.get("BENCH_MEMORY_SIZES", "5000,80000").split(",")]
REVIEWERS = int(os.environ.get("BENCH_REVIEWERS", 500))
SPREAD_BUDGET = 0.10  # issue 19: flat within 10 %
SLUG = "bench-2022"  # tests.bench.calls.BENCH_SLUG


def setup_django(size):
    os.environ["GONGMO_VAR_DIR"] = str(BENCH_VAR / str(size))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def rss_mb():
    """The resident set now (MB)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_build(size):
    """A fresh database with the bench call of ``size`` applications, scored."""
    import random

    from django.core.management import call_command
    from django.utils import translation

    translation.activate("en")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    from evaluation.assigning import assign_reviewers
    from evaluation.generate import create_applications, score_all, system_user
    from tests.bench.calls import bench_call

    call, staff, rng = bench_call(), system_user(), random.Random(2022)
    applications = create_applications(call, count=size, reviewers=REVIEWERS, seed=2022, by=staff, rng=rng)
    assign_reviewers(call, by=staff, seed=2022)
    score_all(call, applications, by=staff, rng=rng)
    return {"build_seconds": round(time.perf_counter() - started, 1)}


def child_measure(size, path):
    """One run in this fresh process: ``recorded`` (run_selection) or ``whole-list``."""
    import gc

    from django.db import connection, transaction

    from competitions.models import Call
    from evaluation import selection_runs
    from evaluation.generate import system_user
    from evaluation.models import SelectionResult
    from evaluation.score_sheets import CONSIDERED_STATES, candidates_for, check_sheets
    from evaluation.selection import inputs_hash, select
    from projects.models import Application

    call, staff = Call.objects.get(slug=SLUG), system_user()
    applications = Application.objects.filter(call=call, state__in=CONSIDERED_STATES).count()
    connection.queries_log.clear()
    gc.collect()
    before = rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    if path == "recorded":
        run, _results = selection_runs.run_selection(call, by=staff)
        results = SelectionResult.objects.filter(run=run).count()
    else:  # what a recorded run held before: every candidate, result and the hashed text at once
        with transaction.atomic():
            settings = selection_runs.settings_of(call)
            candidates = candidates_for(call, settings.scoring)
            check_sheets(call, settings.plan, settings.scoring, candidates)
            whole = select(candidates, settings.scoring, settings.quotas)
            inputs_hash(candidates, settings.scoring, settings.quotas)
            results = len(whole)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    return {
        "size": size,
        "path": path,
        "applications": applications,
        "results": results,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak, 1),
        "increase_mb": round(peak - before, 1),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
    }


def child(kind, *args):
    """Run this script as a child: ``kind`` and its arguments; its figures from its last line."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(completed.returncode)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main():
    bench_started = time.perf_counter()
    shutil.rmtree(BENCH_VAR, ignore_errors=True)
    builds, recorded, whole = {}, {}, {}
    for size in SIZES:
        (BENCH_VAR / str(size)).mkdir(parents=True)
        builds[size] = child("build", size)["build_seconds"]
        # The whole-list path first: it only reads (the sheets already agree), so the recorded
        # run after it measures the same database.
        whole[size] = child("measure", size, "whole-list")
        recorded[size] = child("measure", size, "recorded")
        assert recorded[size]["results"] == recorded[size]["applications"] == whole[size]["results"], (
            recorded[size],
            whole[size],
        )
    small, large = min(SIZES), max(SIZES)
    low, high = recorded[small]["peak_rss_mb"], recorded[large]["peak_rss_mb"]
    spread = abs(high - low) / min(high, low)
    met = spread <= SPREAD_BUDGET
    figures = {
        "sizes": SIZES,
        "reviewers": REVIEWERS,
        "build_seconds": builds,
        "recorded": recorded,
        "whole_list": whole,
        "peak_rss_spread": round(spread, 3),
        "spread_budget": SPREAD_BUDGET,
        "met": met,
        "bench_seconds": round(time.perf_counter() - bench_started, 1),
    }
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "recorded_memory.json").write_text(json.dumps(figures, indent=2))
    print_table(rows(figures))
    print(json.dumps(figures))
    return 0 if met else 1


def rows(figures):
    """The table's rows, as tests/bench/run.py writes them: what, measured, budget, met (None:
    no budget of its own, there to explain the others)."""

    sizes = figures["sizes"]
    small, large = min(sizes), max(sizes)
    recorded, whole = figures["recorded"], figures["whole_list"]
    result = [
        row(
            f"recorded run, peak memory {small:,} -> {large:,} applications (whole-process RSS)",
            f"{recorded[small]['peak_rss_mb']} -> {recorded[large]['peak_rss_mb']} MB"
            f" ({figures['peak_rss_spread']:.1%})",
            f"flat within {SPREAD_BUDGET:.0%}",
            figures["met"],
        )
    ]
    for size in sizes:
        r, w = recorded[size], whole[size]
        result += [
            row(
                f"recorded run at {size:,}: increase over the RSS before it ({r['rss_before_mb']} MB)",
                f"{r['increase_mb']} MB",
            ),
            row(f"recorded run at {size:,}: time (wall, CPU)", f"{r['seconds']} s, {r['cpu_seconds']} s CPU"),
            row(
                f"before: the whole-list path at {size:,} (peak RSS, increase)",
                f"{w['peak_rss_mb']} MB, +{w['increase_mb']} MB",
            ),
            row(f"building the call of {size:,} applications", f"{figures['build_seconds'][size]} s"),
        ]
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, size, *rest = sys.argv[2:]
        setup_django(int(size))
        result = child_build(int(size)) if kind == "build" else child_measure(int(size), *rest)
        print(json.dumps(result))
    else:
        sys.exit(main())
