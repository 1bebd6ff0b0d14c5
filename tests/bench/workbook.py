"""The DESIGN.md §5 budget for the funding workbook, measured in one run on a fresh SQLite
database (the embedded default) under var/bench-workbook/.

Workload: one call with 20,000 scored applications (200 reviewers, 5 reviews each: 500,000
score rows), a confirmed selection of 2,000 (the call's quotas raised for the bench), 2,000
projects with 10,000 expenditures and 100,000 disbursement ledger rows.

(a) Time: ``write_funding_workbook`` (XlsxWriter in constant-memory mode, audit.xlsx_writer)
    against a raw openpyxl write-only baseline writing the same cells, budget 0.6x (issue 19:
    openpyxl, the writer before, spent about 8 µs a cell). To be fair, the baseline gets
    everything raw openpyxl can do:
    - its rows are produced while writing, from plain database cursors over the same tables
      (its own straightforward SQL), converting only what openpyxl needs (times to naive Seoul
      time, with the same small cache) and nothing else: no text sanitising, no checks, no
      summary queries, no translation, no progress;
    - it styles amount and date cells the cheapest way openpyxl allows (one reusable styled
      cell per column, as the export did when it was written with openpyxl);
    - the small sheets (all but the four large ones: a few thousand cells) it copies from the
      export's output, read before its clock starts.
    Both run in a fresh child process (the export's figure excludes only Django's start-up).
    "The same cells" is verified, not assumed: both files are read back with openpyxl and every
    cell of every sheet must hold the same value (floats to the 16 significant digits
    XlsxWriter writes, Excel keeping 15; times to the millisecond openpyxl reads), and the
    cells of the first rows of each sheet the same number format. (The worksheets can no
    longer be byte-identical: two writers, two XML dialects.)
(b) Memory: the export's peak RSS in a child process, read by a launcher process with
    ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (one launcher per run, so each figure
    is that run's own peak), at 10,000 and at 100,000 ledger rows; budget ≤ 120 MB and within
    10 % of each other.

Export and baseline alternate, three rounds each (BENCH_ROUNDS); their medians are compared.
Prints a table (each budget met or not met), writes bench-results/workbook.json and exits 1
when a budget is missed. Run: .venv/bin/python tests/bench/workbook.py (about 6 minutes on 2
cores). Size knobs for a quick run (the budgets are stated for the defaults): BENCH_APPLICATIONS,
BENCH_REVIEWERS, BENCH_PROJECTS, BENCH_LEDGER_ROWS (the small run takes a tenth), BENCH_ROUNDS,
e.g. ``BENCH_APPLICATIONS=400 BENCH_REVIEWERS=20 BENCH_PROJECTS=40 BENCH_LEDGER_ROWS=2000
BENCH_ROUNDS=1``.
"""

import io
import json
import math
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_VAR = ROOT / "var" / "bench-workbook"
SLUG = "bench-2022"  # tests.bench.calls.BENCH_SLUG
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", 20_000))
REVIEWERS = int(os.environ.get("BENCH_REVIEWERS", 200))
PROJECTS = int(os.environ.get("BENCH_PROJECTS", 2_000))
LEDGER_ROWS = int(os.environ.get("BENCH_LEDGER_ROWS", 100_000))
LEDGER_ROWS_SMALL = LEDGER_ROWS // 10
EXPENDITURES_PER_PROJECT = 5
# Export and baseline alternate; the medians are compared (the best runs are shown too: on a
# shared 2-core machine one disturbed run can be 40 % slower).
TIMING_ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
TIME_BUDGET, RSS_BUDGET_MB, RSS_SPREAD = 0.6, 120, 0.10
FORMAT_ROWS = 100  # rows of each sheet whose number formats are compared too


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ["GONGMO_VAR_DIR"] = str(BENCH_VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.utils import translation

    translation.activate("en")


# --- Building the data (parent) -----------------------------------------------------------------


def build():
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from competitions.models import Call
    from evaluation.generate import generate, system_user
    from evaluation.selection_runs import confirm_run, run_selection
    from projects.bulk import insert_rows
    from projects.models import Application, Award, Expenditure, Project

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    from tests.bench.calls import bench_call

    call = bench_call()
    staff = system_user()
    # Quotas for 2,000 awards, so that the selection confirms that many and every check passes.
    Call.objects.filter(pk=call.pk).update(max_awards=PROJECTS, budget_total=10**15)
    call.tracks.update(max_awards=PROJECTS)
    fields = list(call.service_fields.all())
    call.service_fields.update(max_awards=PROJECTS // len(fields))
    call = Call.objects.get(pk=call.pk)

    started = time.perf_counter()
    generate(call, count=APPLICATIONS, reviewers=REVIEWERS, seed=2022, by=staff)
    generated = time.perf_counter()
    run, _results = run_selection(call, by=staff)
    confirm_run(run, by=staff)
    print(
        f"setup: generate {generated - started:.1f} s, select and confirm"
        f" {time.perf_counter() - generated:.1f} s",
        file=sys.stderr,
    )
    selected = list(
        Application.objects.filter(call=call, state="selected")
        .order_by("reference")
        .values_list("pk", "reference", "requested_subsidy", "private_cash", "private_in_kind")[:PROJECTS]
    )
    with transaction.atomic():
        awards = Award.objects.bulk_create(
            Award(
                application_id=pk,
                national_subsidy=requested,
                private_cash=cash,
                private_in_kind=in_kind,
                created_by=staff,
            )
            for pk, _reference, requested, cash, in_kind in selected
        )
        projects = Project.objects.bulk_create(
            Project(
                award=award,
                code=f"P-{reference}",
                agreement_signed_on=date(2022, 4, 20),
                agreement_parties="MOLIT; KAIA; lead",
                starts_on=date(2022, 5, 1),
                ends_on=date(2022, 11, 30),
            )
            for award, (_pk, reference, *_rest) in zip(awards, selected, strict=True)
        )
        Application.objects.filter(pk__in=[row[0] for row in selected]).update(state="awarded")
        now = timezone.now()
        categories = [choice for choice, _label in Expenditure.Category.choices]
        insert_rows(
            Expenditure,
            [
                "project_id",
                "spent_on",
                "category",
                "amount",
                "description",
                "evidence",
                "reported_by_id",
                "reported_at",
                "state",
                "approved_amount",
                "decision_reason",
                "decided_by_id",
                "decided_at",
                "share",
                "change_reason",
            ],
            (
                (
                    project.pk,
                    date(2022, 5, 1) + timedelta(days=n * 20),
                    categories[n % len(categories)],
                    (n + 1) * 1_000_000,
                    "",
                    "expenditures/receipt.pdf",
                    staff.pk,
                    now,
                    "approved" if n < 4 else "reported",
                    (n + 1) * 900_000 if n < 4 else None,
                    "",
                    staff.pk if n < 4 else None,
                    now if n < 4 else None,
                    "national",
                    "",
                )
                for project in projects
                for n in range(EXPENDITURES_PER_PROJECT)
            ),
        )
    return call, projects, staff, time.perf_counter() - started


def add_ledger_rows(projects, staff, first, count):
    """Ledger rows ``first`` .. ``first + count - 1``, spread evenly over the projects:
    payments of 1 % of the award, every 10th of a project a reversal, every 25th a recovery."""
    from datetime import date, timedelta

    from django.db import transaction
    from django.utils import timezone

    from projects.bulk import insert_rows
    from projects.models import DisbursementEntry

    awards = {project.pk: project.award.national_subsidy for project in projects}
    now = timezone.now()

    def rows():
        for n in range(first, first + count):
            project = projects[n % len(projects)]
            step = n // len(projects)
            amount = awards[project.pk] // 100
            kind = "payment"
            # By the project's own count of rows (not n: with a project count divisible by 10,
            # every 10th row would fall on the same projects, paying them less than nothing).
            if step % 25 == 24:
                kind, amount = "recovery", 100_000
            elif step % 10 == 9:
                kind, amount = "reversal", -amount
            yield (
                project.pk,
                kind,
                amount,
                date(2022, 5, 1) + timedelta(days=step * 3),
                f"TX-{n:06d}",
                None,  # a tranche is paid once per project: these payments name none
                "",
                staff.pk,
                now,
                "recovery" if kind == "recovery" else "payment",  # the reversals reverse payments
            )

    columns = [
        "project_id",
        "kind",
        "amount",
        "entry_date",
        "reference",
        "tranche",
        "note",
        "posted_by_id",
        "posted_at",
        "counts_toward",
    ]
    with transaction.atomic():
        insert_rows(DisbursementEntry, columns, rows())


# --- Children -----------------------------------------------------------------------------------


def child_export(out):
    setup_django()
    from audit.funding_workbook import write_funding_workbook
    from competitions.models import Call

    calls = [Call.objects.get(slug=SLUG)]
    started, cpu = time.perf_counter(), cpu_seconds()
    summary = write_funding_workbook(calls, out)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu,
        "rows": summary["rows"],
        "passed": summary["passed"],
        "failed": [c["check"] for c in summary["checks"] if c["result"] == "FAIL"],
    }


def child_baseline(out, reference):
    """Raw openpyxl write-only: the same cells as the export, rows produced while writing."""
    setup_django()
    from datetime import UTC
    from functools import lru_cache

    from django.db import connection
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from audit.funding_workbook import DATE, DATETIME, NUMBER_FORMATS, SHEETS
    from competitions.formatting import SEOUL
    from competitions.models import Call, Region
    from evaluation.models import Criterion
    from projects.registration_number import format_registration_number

    # The small sheets, copied from the export's output (see small_sheets) before the clock
    # starts.
    copied = pickle.loads(Path(reference).read_bytes())
    call = Call.objects.get(slug=SLUG)

    started, cpu = time.perf_counter(), cpu_seconds()

    # Django's SQLite connection parses datetime and date columns (naive UTC datetimes).
    @lru_cache(maxsize=4096)
    def seoul(moment):
        if moment is None:
            return None
        return moment.replace(tzinfo=UTC).astimezone(SEOUL).replace(tzinfo=None)

    def day(value):
        return value

    regions = {r.pk: r.name for r in Region.objects.all()}
    tracks = {t.pk: t.name for t in call.tracks.all()}
    fields = {f.pk: f.name for f in call.service_fields.all()}
    criteria = {c.pk: (c.name, c.max_points) for c in Criterion.objects.filter(plan__call=call)}

    def query(sql, params):
        cursor = connection.cursor()
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(2000):
            yield from rows
        cursor.close()

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title, rows):
        columns = SHEETS[title]
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "A2"
        for index, column in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        styled = []
        for index, column in enumerate(columns):
            if column.kind in NUMBER_FORMATS:
                cell = WriteOnlyCell(ws)
                cell.number_format = NUMBER_FORMATS[column.kind]
                styled.append((index, cell))
        header = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=str(column.header))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            for index, cell in styled:
                value = row[index]
                if value is not None:
                    cell.value = value
                    row[index] = cell
            ws.append(row)

    # The small sheets come from the export's output; the four large ones (where the time
    # goes: 20,000 applications, 500,000 scores, 100,000 ledger rows, 10,000 expenditures) are
    # queried here with plain SQL and written with bare openpyxl, in the export's sheet order.
    from audit.funding_workbook import outcome_and_reason

    sheet_order = copied.pop("__order__")
    calls_row = copied["Calls"][0]
    # Times do not survive the round trip through the file to the microsecond: recomputed.
    run = call.selection_runs.order_by("-number").first()
    header = [str(column.header) for column in SHEETS["Calls"]]
    calls_row[header.index("Opens")] = call.opens_at.astimezone(SEOUL).replace(tzinfo=None)
    calls_row[header.index("Closes")] = call.closes_at.astimezone(SEOUL).replace(tzinfo=None)
    confirmed_at = run.confirmed_at.astimezone(SEOUL).replace(tzinfo=None)
    calls_row[header.index("Selection confirmed at")] = confirmed_at
    for row in copied["Runs"]:  # every result of the one run
        row[2] = confirmed_at
    for title, rows in copied.items():
        for index, column in enumerate(SHEETS[title]):
            if column.kind == DATE:  # read back as midnight datetimes
                for row in rows:
                    if row[index] is not None:
                        row[index] = row[index].date()
            elif column.kind == DATETIME and title not in ("Calls", "Runs"):
                assert all(row[index] is None for row in rows), f"{title}: a time to recompute"
    codes = {
        user_id: code
        for user_id, code in query(
            "SELECT v.user_id, v.code FROM evaluation_reviewer v WHERE v.id IN"
            " (SELECT a.reviewer_id FROM evaluation_assignment a JOIN projects_application p"
            "  ON p.id = a.application_id WHERE p.call_id = %s)",
            [call.pk],
        )
    }

    def applications():
        for (
            reference,
            track_id,
            field_id,
            lead,
            registration,
            size_class,
            region_id,
            state,
            submitted_at,
            requested,
            local,
            cash,
            in_kind,
            reviews,
            score,
            bonus,
            final,
            rank,
            run_outcome,
            run_reason,
            run_number,
        ) in query(
            "SELECT p.reference, p.track_id, p.service_field_id, o.name, o.registration_number,"
            " o.size_class, o.region_id, p.state, p.submitted_at, p.requested_subsidy,"
            " p.local_government, p.private_cash, p.private_in_kind, COALESCE(rc.n, 0),"
            " sr.evaluation_score, sr.bonus, sr.final_score, sr.rank, sr.outcome, sr.reason, sn.number"
            " FROM projects_application p JOIN projects_organisation o ON o.id = p.lead_id"
            " LEFT JOIN (SELECT application_id, COUNT(*) AS n FROM evaluation_review"
            "   WHERE state = 'submitted' GROUP BY application_id) rc ON rc.application_id = p.id"
            " LEFT JOIN evaluation_selectionresult sr ON sr.application_id = p.id AND sr.run_id = %s"
            " LEFT JOIN evaluation_selectionrun sn ON sn.id = sr.run_id"
            " WHERE p.call_id = %s AND p.state <> 'draft' ORDER BY p.reference, p.id",
            [run.pk, call.pk],
        ):
            outcome, reason = outcome_and_reason(state, run_outcome, run_reason)
            yield [
                reference,
                SLUG,
                tracks.get(track_id),
                fields.get(field_id),
                lead,
                format_registration_number(registration),
                size_class or None,
                regions.get(region_id),
                state,
                seoul(submitted_at),
                requested,
                local,
                cash,
                in_kind,
                reviews,
                score,
                bonus,
                final,
                rank,
                outcome or None,
                reason or None,
                run_number,
            ]

    def scores():
        for user_id, reference, criterion_id, points, submitted_at, round_, past in query(
            "SELECT v.user_id, p.reference, s.criterion_id, s.points, r.submitted_at, a.round,"
            " a.state = 'past'"
            " FROM evaluation_score s JOIN evaluation_review r ON r.id = s.review_id"
            " JOIN projects_application p ON p.id = r.application_id"
            " JOIN evaluation_assignment a ON a.id = r.assignment_id"
            " JOIN evaluation_reviewer v ON v.id = a.reviewer_id"
            " JOIN evaluation_criterion c ON c.id = s.criterion_id"
            " WHERE p.call_id = %s AND r.state = 'submitted' AND p.state <> 'draft'"
            " ORDER BY p.reference, p.id, a.round, v.code, r.id, c.position, c.id",
            [call.pk],
        ):
            yield [
                reference,
                codes[user_id],
                *criteria[criterion_id],
                points,
                seoul(submitted_at),
                round_,
                bool(past),
                None,
            ]

    project_join = (
        " JOIN projects_project pr ON pr.id = x.project_id"
        " JOIN projects_award aw ON aw.id = pr.award_id"
        " JOIN projects_application p ON p.id = aw.application_id"
    )

    def disbursements():
        for code, pk, entry_date, kind, amount, reference, email, reverses, counts in query(
            "SELECT pr.code, x.id, x.entry_date, x.kind, x.amount, x.reference, u.email,"
            " x.reverses_id, x.counts_toward"
            f" FROM projects_disbursemententry x{project_join}"
            " JOIN accounts_user u ON u.id = x.posted_by_id"
            " WHERE p.call_id = %s ORDER BY pr.code, x.id",
            [call.pk],
        ):
            yield [code, pk, day(entry_date), kind, amount, reference or None, email, reverses, counts]

    def expenditures():
        for code, pk, spent_on, category, amount, approved, state in query(
            "SELECT pr.code, x.id, x.spent_on, x.category, x.amount, x.approved_amount, x.state"
            f" FROM projects_expenditure x{project_join}"
            " WHERE p.call_id = %s ORDER BY pr.code, x.spent_on, x.id",
            [call.pk],
        ):
            yield [code, pk, day(spent_on), category, amount, approved, state]

    queried = {
        "Applications": applications,
        "Scores": scores,
        "Disbursements": disbursements,
        "Expenditures": expenditures,
    }
    for title in sheet_order:
        sheet(title, queried[title]() if title in queried else copied[title])
    workbook.save(out)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu}


def small_sheets(workbook, out):
    """Every sheet of the export's output but the four large ones, as JSON for the baseline
    (read here: opening a 17 MB workbook would cost the baseline's process 45 MB), and the
    order of the sheets."""
    from openpyxl import load_workbook

    source = load_workbook(workbook, read_only=True)
    large = {"Applications", "Scores", "Disbursements", "Expenditures"}
    copied = {
        title: [list(row) for row in source[title].iter_rows(min_row=2, values_only=True)]
        for title in source.sheetnames
        if title not in large
    }
    copied["__order__"] = source.sheetnames
    source.close()
    Path(out).write_bytes(pickle.dumps(copied))


def launch(args):
    """Run one child and report its result with its peak RSS (this launcher's only child)."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if completed.returncode:
        sys.stderr.write(completed.stderr)
        raise SystemExit(completed.returncode)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def measured(*args):
    """A launcher per run, so that RUSAGE_CHILDREN's maximum is this run's own."""
    completed = subprocess.run(
        [sys.executable, __file__, "--launch", *args], capture_output=True, text=True, check=False
    )
    if completed.returncode:
        sys.stderr.write(completed.stderr)
        raise SystemExit(completed.returncode)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def same_value(a, b):
    """Equal as read back: floats to 15 significant digits (XlsxWriter writes 16, openpyxl 17;
    Excel keeps 15), times to the millisecond openpyxl rounds them to."""
    if a == b:
        return True
    if isinstance(a, float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-15)
    if isinstance(b, float) and isinstance(a, int):
        return math.isclose(a, b, rel_tol=1e-15)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs(a - b) <= timedelta(milliseconds=1)
    return False


def compare_cells(export, baseline):
    """(cells compared, the first differences) of two workbooks read back with openpyxl: the
    same sheets in the same order, every cell the same value, and the first FORMAT_ROWS rows of
    each sheet the same number formats."""
    from itertools import zip_longest

    from openpyxl import load_workbook

    ours, theirs = load_workbook(export, read_only=True), load_workbook(baseline, read_only=True)
    differences, cells = [], 0
    if ours.sheetnames != theirs.sheetnames:
        differences.append(f"sheets: {ours.sheetnames} != {theirs.sheetnames}")
    for title in ours.sheetnames:
        if title not in theirs.sheetnames:
            continue
        rows = zip_longest(ours[title].iter_rows(), theirs[title].iter_rows(), fillvalue=())
        for number, (mine, other) in enumerate(rows, 1):
            # A row's trailing empty cells may or may not be there (the writers differ).
            mine, other = list(mine), list(other)
            width = max(len(mine), len(other))
            mine += [None] * (width - len(mine))
            other += [None] * (width - len(other))
            for column, (a, b) in enumerate(zip(mine, other, strict=True), 1):
                a_value, b_value = _value(a), _value(b)
                cells += a_value is not None
                if not same_value(a_value, b_value) or (
                    number <= FORMAT_ROWS and a_value is not None and _format(a) != _format(b)
                ):
                    differences.append(
                        f"{title}!R{number}C{column}: {a_value!r} ({_format(a)}) !="
                        f" {b_value!r} ({_format(b)})"
                    )
                    if len(differences) >= 20:
                        return cells, differences
    ours.close()
    theirs.close()
    return cells, differences


def _value(cell):
    return None if cell is None else cell.value


def _format(cell):
    return None if cell is None or cell.value is None else cell.number_format


# --- Main ---------------------------------------------------------------------------------------


def main():
    shutil.rmtree(BENCH_VAR, ignore_errors=True)
    BENCH_VAR.mkdir(parents=True)
    setup_django()
    bench_started = time.perf_counter()
    call, projects, staff, setup_seconds = build()
    from projects.models import Application, DisbursementEntry

    add_ledger_rows(projects, staff, 0, LEDGER_ROWS_SMALL)
    small = measured("export", str(BENCH_VAR / "funding-10k.xlsx"))
    add_ledger_rows(projects, staff, LEDGER_ROWS_SMALL, LEDGER_ROWS - LEDGER_ROWS_SMALL)
    # The demo's own projects have ledger rows too: count the benchmark call's.
    assert DisbursementEntry.objects.filter(project__award__application__call=call).count() == LEDGER_ROWS

    exports, baselines = [], []
    export_path, baseline_path = BENCH_VAR / "funding.xlsx", BENCH_VAR / "baseline.xlsx"
    copied = BENCH_VAR / "small-sheets.pickle"
    for round_ in range(TIMING_ROUNDS):
        exports.append(measured("export", str(export_path)))
        if round_ == 0:
            small_sheets(export_path, copied)
        baselines.append(measured("baseline", str(baseline_path), str(copied)))
    large = exports[0]
    compared_cells, differences = compare_cells(export_path, baseline_path)
    identical = not differences
    for difference in differences:
        print("differs:", difference, file=sys.stderr)

    export_seconds = statistics.median(run["seconds"] for run in exports)
    baseline_seconds = statistics.median(run["seconds"] for run in baselines)
    ratio = export_seconds / baseline_seconds
    best_ratio = min(run["seconds"] for run in exports) / min(run["seconds"] for run in baselines)
    cpu_ratio = statistics.median(run["cpu_seconds"] for run in exports) / statistics.median(
        run["cpu_seconds"] for run in baselines
    )
    rss_small, rss_large = small["peak_rss_mb"], max(run["peak_rss_mb"] for run in exports)
    spread = abs(rss_large - rss_small) / min(rss_large, rss_small)
    figures = {
        "applications": Application.objects.filter(call=call).count(),
        "reviewers": REVIEWERS,
        "projects": len(projects),
        "ledger_rows": LEDGER_ROWS,
        "sheet_rows": large["rows"],
        "cells": sum(
            rows * len(columns)
            for (title, rows), columns in zip(large["rows"].items(), _sheet_columns(), strict=True)
        ),
        "checks_passed": all(run["passed"] for run in [small, *exports]),
        "failed_checks": large["failed"],
        "setup_seconds": round(setup_seconds, 1),
        "timing_rounds": TIMING_ROUNDS,
        "export_seconds": [round(run["seconds"], 2) for run in exports],
        "baseline_seconds": [round(run["seconds"], 2) for run in baselines],
        "export_median_seconds": round(export_seconds, 2),
        "baseline_median_seconds": round(baseline_seconds, 2),
        "time_ratio": round(ratio, 3),
        "time_budget_ratio": TIME_BUDGET,
        "best_of_ratio": round(best_ratio, 3),
        "export_cpu_seconds": [round(run["cpu_seconds"], 2) for run in exports],
        "baseline_cpu_seconds": [round(run["cpu_seconds"], 2) for run in baselines],
        "cpu_time_ratio": round(cpu_ratio, 3),
        "same_cells_verified": identical,
        "cells_compared": compared_cells,
        "ledger_rows_small": LEDGER_ROWS_SMALL,
        "peak_rss_mb_10k_ledger_rows": round(rss_small, 1),
        "peak_rss_mb_100k_ledger_rows": round(rss_large, 1),
        "baseline_peak_rss_mb": round(max(run["peak_rss_mb"] for run in baselines), 1),
        "rss_spread": round(spread, 3),
        "rss_budget_mb": RSS_BUDGET_MB,
        "rss_spread_budget": RSS_SPREAD,
        "workbook_mb": round(export_path.stat().st_size / 2**20, 1),
        "bench_seconds": round(time.perf_counter() - bench_started, 1),
    }
    figures["within_budget"] = (
        ratio <= TIME_BUDGET
        and max(rss_small, rss_large) <= RSS_BUDGET_MB
        and spread <= RSS_SPREAD
        and identical
        and figures["checks_passed"]
    )
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "workbook.json").write_text(json.dumps(figures, indent=2))

    def line(what, measured, budget="", met=None):
        verdict = "" if met is None else ("met" if met else "NOT MET")
        print(f"{what:<44}{measured!s:>14}{budget:>12}  {verdict}")

    rss_budget = f"<= {RSS_BUDGET_MB}"
    line("what", "measured", "budget")
    line(f"export, {LEDGER_ROWS:,} ledger rows (s, median)", figures["export_median_seconds"])
    line("raw openpyxl, same cells (s, median)", figures["baseline_median_seconds"])
    line("export / raw openpyxl", figures["time_ratio"], f"<= {TIME_BUDGET}", ratio <= TIME_BUDGET)
    line("export / raw openpyxl, best runs", figures["best_of_ratio"])
    line("export / raw openpyxl, CPU time", figures["cpu_time_ratio"])
    line(f"same cells (read back, {compared_cells:,} cells)", identical, "True", identical)
    line(
        f"peak RSS, {LEDGER_ROWS_SMALL:,} ledger rows (MB)",
        round(rss_small, 1),
        rss_budget,
        rss_small <= RSS_BUDGET_MB,
    )
    line(
        f"peak RSS, {LEDGER_ROWS:,} ledger rows (MB)",
        round(rss_large, 1),
        rss_budget,
        rss_large <= RSS_BUDGET_MB,
    )
    line("RSS spread small vs large", f"{spread:.1%}", f"<= {RSS_SPREAD:.0%}", spread <= RSS_SPREAD)
    line("raw openpyxl peak RSS (MB)", figures["baseline_peak_rss_mb"])
    line("checks all PASS", figures["checks_passed"], "True", figures["checks_passed"])
    line("all budgets", figures["within_budget"], "True", figures["within_budget"])
    print(json.dumps(figures))
    return 0 if figures["within_budget"] else 1


def _sheet_columns():
    from audit.funding_workbook import SHEETS

    return list(SHEETS.values())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, *paths = sys.argv[2:]
        result = child_export(*paths) if kind == "export" else child_baseline(*paths)
        print(json.dumps(result))
    elif sys.argv[1:2] == ["--launch"]:
        print(json.dumps(launch(sys.argv[2:])))
    else:
        sys.exit(main())
