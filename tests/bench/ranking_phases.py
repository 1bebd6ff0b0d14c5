"""Where the selection dry run's time goes, against the database `tests/bench/run.py` built
(var/bench/, or GONGMO_VAR_DIR): not part of `make bench`, and it changes nothing.

Each phase and the score-sheet floor are timed interleaved in one process, in CPU time
(``time.process_time``, median of ROUNDS, the cyclic collector paused as the dry run pauses it),
so that their ratios hold on a machine other work shares:

- floor: ``run.bare_sheet_rows``, the considered applications' sheet rows fetched unsorted;
- ranking query: ``score_sheets._ranked_rows``, the same rows joined to the lead organisation
  and sorted by the ranking (final score, the plan's tie-breaks);
- ranking query, no ORDER BY: the same statement unsorted (what the sort costs);
- ranked(): the query and the rows turned into Decimals;
- walk: ``selection.select_ranked`` on ranked()'s rows;
- dry run: ``run_selection(dry_run=True)``, all of it;
- preview kept / read: pickling and unpickling the kept preview (what the ranking page adds).

With ``--stored-order``, on a copy of the database (sqlite3 itself, no Django; the copy gets a
call column and indexes of its own), what reading the ranking without sorting would cost: the
sheets read in the order of an index on (call, below the cutoff, final score) (what a stored,
indexed sort key would give: no sort at all), the same with an index covering every sheet
column read, and rows kept in rank order in a table clustered on (call, position) (a ranking
kept whole), each against the floor and the ranking query as they are, interleaved.

With ``--placing``: ``kept_ranking.placed`` of 10 to 5,000 changed applications (what a preview
after that many changes adds to reading the kept ranking), against the same floor: where placing
one by one stops being cheaper than ranking afresh (``NAMED_CHANGES``).

    DEBUG=1 .venv/bin/python tests/bench/ranking_phases.py [--stored-order] [--placing]
"""

import gc
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GONGMO_VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", 15))


def main():
    from competitions.models import Call
    from evaluation import score_sheets, selection_runs
    from evaluation.generate import system_user
    from evaluation.models import EvaluationPlan
    from evaluation.selection import select_ranked
    from tests.bench.calls import BENCH_SLUG
    from tests.bench.run import bare_sheet_rows

    call = Call.objects.filter(slug=BENCH_SLUG).first()
    if call is None:
        sys.exit(f"No call {BENCH_SLUG!r} in {os.environ['GONGMO_VAR_DIR']}: run tests/bench/run.py first.")
    staff = system_user()
    plan = EvaluationPlan.objects.get(call=call)
    scoring = score_sheets.scoring_plan(plan, list(plan.criteria.all()))
    fingerprint = score_sheets.plan_fingerprint(plan, scoring)
    quotas = selection_runs.quotas_for(call, plan)
    above, below, _ties = score_sheets.ranked(call, plan, scoring)  # writes any stale sheet first
    unsorted_sql = _without_order_by(call, scoring, fingerprint)
    preview = selection_runs.Preview("0" * 32, None, select_ranked(above, below, quotas, plain=True))
    kept = pickle.dumps(preview, pickle.HIGHEST_PROTOCOL)

    def unsorted():
        with connection.cursor() as cursor:
            cursor.execute(*unsorted_sql)
            return cursor.fetchall()

    phases = {
        "floor (sheet rows, unsorted)": lambda: bare_sheet_rows(call),
        "ranking query": lambda: score_sheets._ranked_rows(call, scoring, fingerprint),
        "ranking query, no ORDER BY": unsorted,
        "ranked(): query + Decimals": lambda: score_sheets.ranked(call, plan, scoring),
        "walk (select_ranked)": lambda: select_ranked(above, below, quotas),
        "dry run (run_selection)": lambda: selection_runs.run_selection(call, by=staff, dry_run=True),
        "preview kept (pickle)": lambda: pickle.dumps(preview, pickle.HIGHEST_PROTOCOL),
        "preview read (unpickle)": lambda: pickle.loads(kept),
    }
    times = {name: [] for name in phases}
    gc.disable()
    try:
        for _round in range(ROUNDS):
            for name, phase in phases.items():
                started = time.process_time()
                phase()
                times[name].append(time.process_time() - started)
    finally:
        gc.enable()
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    floor = medians["floor (sheet rows, unsorted)"]
    print(f"{len(above):,} ranked + {len(below):,} below the cutoff; CPU ms, median of {ROUNDS}")
    for name, ms in medians.items():
        print(f"{name:<30} {ms:7.1f} ms  {ms / floor:5.2f} x the floor")
    if "--stored-order" in sys.argv:
        stored_order(call, scoring, fingerprint)
    if "--placing" in sys.argv:
        placing(score_sheets.ranked(call, plan, scoring), tuple(scoring.tie_breaks), floor)


# How many changed applications are placed, against ranking afresh (kept_ranking.NAMED_CHANGES).
PLACED = (10, 100, 500, 1000, 2000, 5000)


def placing(ranking, tie_breaks, floor):
    """``kept_ranking.placed`` of n of the ranked applications taken out and placed again (what a
    preview after n changes adds to reading the kept ranking), a different random n each round;
    each placing checked equal to the ranking."""
    import random

    from evaluation.kept_ranking import placed
    from evaluation.score_sheets import Ranking

    times = {n: [] for n in PLACED}
    gc.disable()
    try:
        for _round in range(ROUNDS):
            for n in PLACED:
                picked = random.sample(range(len(ranking.above)), n)
                named = {ranking.above[i][0] for i in picked}
                changed = Ranking([ranking.above[i] for i in picked], [], [ranking.ties[i] for i in picked])
                started = time.process_time()
                again = placed(ranking, named, changed, tie_breaks)
                times[n].append(time.process_time() - started)
                assert again == ranking
    finally:
        gc.enable()
    print(f"Placing n changed applications in the kept ranking (CPU ms, median of {ROUNDS}):")
    for n, seconds in times.items():
        ms = statistics.median(seconds) * 1000
        print(f"placing {n:>5,} changed           {ms:7.1f} ms  {ms / floor:5.2f} x the floor")


def stored_order(call, scoring, fingerprint):
    import sqlite3
    import tempfile

    from django.test.utils import CaptureQueriesContext

    from evaluation import score_sheets
    from tests.bench.run import bare_sheet_rows

    with CaptureQueriesContext(connection) as queries:
        bare_sheet_rows(call)
        score_sheets._ranked_rows(call, scoring, fingerprint)
    floor_sql, ranking_sql = (q["sql"] for q in queries.captured_queries[-2:])
    with tempfile.TemporaryDirectory() as folder:
        copy = sqlite3.connect(Path(folder) / "copy.sqlite3")
        connection.ensure_connection()
        connection.connection.backup(copy)
        expected = [row[0] for row in copy.execute(ranking_sql)]
        copy.executescript(
            """
            ALTER TABLE evaluation_scoresheet ADD COLUMN call_id bigint;
            UPDATE evaluation_scoresheet SET call_id =
                (SELECT call_id FROM projects_application WHERE id = application_id);
            CREATE INDEX sheet_order ON evaluation_scoresheet (call_id, below_cutoff, final_score DESC);
            CREATE INDEX sheet_order_covering ON evaluation_scoresheet (call_id, below_cutoff,
                final_score DESC, top_criterion_score DESC, evaluation_score, bonus, plan_fingerprint,
                application_id);
            CREATE TABLE kept_ranking (call_id bigint, position int, id bigint, reference text,
                track_id bigint, field_id bigint, subsidy bigint, evaluation bigint, bonus bigint,
                final bigint, below bool, PRIMARY KEY (call_id, position)) WITHOUT ROWID;
            ANALYZE;
            """
        )
        copy.executemany(
            "INSERT INTO kept_ranking VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((call.pk, n, *row[:9]) for n, row in enumerate(copy.execute(ranking_sql).fetchall())),
        )
        copy.commit()
        columns = ranking_sql[: ranking_sql.index(" FROM ")]
        considered = ranking_sql[
            ranking_sql.index(" WHERE ") + len(" WHERE ") : ranking_sql.index(" ORDER BY ")
        ]
        considered = considered.replace("p.call_id", "g.call_id")
        from_sheets = (
            " FROM evaluation_scoresheet g INDEXED BY {index} JOIN projects_application p ON p.id = g.application_id"
            f" JOIN projects_organisation o ON o.id = p.lead_id WHERE {considered}"
            " ORDER BY g.below_cutoff, g.final_score DESC"
        )
        statements = {
            "floor (sheet rows, unsorted)": floor_sql,
            "ranking query": ranking_sql,
            "index order, no sort": columns + from_sheets.format(index="sheet_order"),
            "covering index order": columns + from_sheets.format(index="sheet_order_covering"),
            "kept in rank order": "SELECT id, reference, track_id, field_id, subsidy, evaluation, bonus, final,"
            f" below FROM kept_ranking WHERE call_id = {call.pk} ORDER BY position",
        }
        for name, sql in statements.items():
            if name != "ranking query":  # the others read in order: no sorting step in their plans
                plan = [row[3] for row in copy.execute(f"EXPLAIN QUERY PLAN {sql}")]
                assert not any("ORDER BY" in step for step in plan), (name, plan)
        times = {name: [] for name in statements}
        for _round in range(ROUNDS):
            for name, sql in statements.items():
                started = time.process_time()
                copy.execute(sql).fetchall()
                times[name].append(time.process_time() - started)
        kept = [row[0] for row in copy.execute(statements["kept in rank order"])]
        assert kept == expected
        copy.close()
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    floor = medians["floor (sheet rows, unsorted)"]
    print(f"Reading without a sort (sqlite3 on a copy, no Django; CPU ms, median of {ROUNDS}):")
    for name, ms in medians.items():
        print(f"{name:<30} {ms:7.1f} ms  {ms / floor:5.2f} x the floor")


def _without_order_by(call, scoring, fingerprint):
    """The ranking statement as it was executed, its ORDER BY cut off (and no parameters: the
    debug log holds it with its values in place)."""
    from django.test.utils import CaptureQueriesContext

    from evaluation import score_sheets

    with CaptureQueriesContext(connection) as queries:
        score_sheets._ranked_rows(call, scoring, fingerprint)
    sql = queries.captured_queries[-1]["sql"]
    return sql[: sql.index(" ORDER BY ")], None


if __name__ == "__main__":
    main()
