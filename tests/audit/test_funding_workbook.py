"""The funding workbook: sheets and headers, real numeric and date cells, totals that reconcile
with the database and the ledger, checks that pass on consistent data and fail on broken data,
safe text cells, Korean headers, and the export_funding command."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from audit import code_labels
from audit.funding_workbook import SHEETS, code_columns, sheet_title, write_funding_workbook
from competitions.formatting import SEOUL
from competitions.models import CallState
from config.safe_cells import safe_text
from evaluation import selection_runs
from evaluation.generate import generate, system_user
from evaluation.models import Reviewer, Score
from projects import ledger
from projects.models import (
    Application,
    ApplicationState,
    DisbursementEntry,
    Expenditure,
    Organisation,
    Project,
)
from projects.money_invariants import INVARIANTS
from tests.evaluation.conftest import evaluation_call
from tests.factories import ApplicationFactory, CallFactory, TrackFactory, UserFactory, signed_project

pytestmark = pytest.mark.django_db

M = 1_000_000
ENGLISH_HEADERS = {
    "Calls": [
        "Call",
        "Title",
        "Programme",
        "Opens",
        "Closes",
        "Budget (KRW)",
        "Max awards",
        "Subsidy min (KRW)",
        "Subsidy max (KRW)",
        "Cutoff",
        "Aggregation",
        "Trim at reviews",
        "Bonus cap",
        "Reserve per field",
        "Selection run",
        "Selection confirmed at",
        "Reviews per application",
        "Minimum reviews",
        "Tie-break order",
        "Final score rule",
    ],
    "Quotas": ["Call", "Kind", "Name", "Max awards"],
    "Criteria": ["Call", "Order", "Criterion", "Max points", "Weight", "Threshold", "Stage"],
    "Stages": [
        "Call",
        "Stage",
        "Name",
        "Kind",
        "Weight (%)",
        "Cutoff",
        "Reviews per application",
        "Minimum reviews",
        "Blind",
        "Advancement rule",
        "N advancing per field",
        "Multiple of the field's places",
    ],
    "Applications": [
        "Reference",
        "Call",
        "Track",
        "Field",
        "Lead organisation",
        "Registration no.",
        "Size class",
        "Region",
        "Status",
        "Submitted at",
        "Requested subsidy (KRW)",
        "Local government (KRW)",
        "Private cash (KRW)",
        "Private in-kind (KRW)",
        "Reviews",
        "Evaluation score",
        "Bonus",
        "Final score",
        "Rank",
        "Outcome",
        "Reason",
        "Run",
    ],
    "Answers": ["Reference", "Call", "Section", "Code", "Question", "Kind", "Answer", "Number"],
    "Runs": [
        "Call",
        "Run",
        "Confirmed at",
        "Reference",
        "Rank",
        "Evaluation score",
        "Bonus",
        "Final score",
        "Requested subsidy (KRW)",
        "Outcome",
        "Reason",
    ],
    "Advancement": [
        "Call",
        "Stage",
        "Run",
        "Confirmed at",
        "Reference",
        "Field",
        "Stage score",
        "Top criterion score",
        "Rank in field",
        "Outcome",
        "Reason",
        "Margin",
        "Advanced in field",
        "Last advancing score",
    ],
    "Slots": [
        "Call",
        "Stage",
        "Panel",
        "Slot",
        "Starts at",
        "Minutes",
        "Room or link",
        "Reference",
        "No-show recorded",
        "No-show consequence",
        "No-show note",
    ],
    "Schedule log": [
        "Call",
        "Stage",
        "Entry",
        "At",
        "Event",
        "Reference",
        "From slot",
        "To slot",
        "Reason",
        "Consequence",
        "By",
    ],
    "Scores": [
        "Reference",
        "Reviewer",
        "Criterion",
        "Max points",
        "Points",
        "Submitted at",
        "Round",
        "Superseded",
        "Stage",
    ],
    "Awards": [
        "Project",
        "Reference",
        "Call",
        "Lead organisation",
        "Awarded subsidy (KRW)",
        "Local government (KRW)",
        "Private cash (KRW)",
        "Private in-kind (KRW)",
        "Agreement signed",
        "Status",
        "Disbursed (KRW)",
        "Approved spending (KRW)",
        "Recovery due (KRW)",
        "Matching ratio (national:local)",
        "Local government spent (KRW)",
        "Matching shortfall to return (KRW)",
        "Private sector spent (KRW)",
        "Of which the private shortfall (KRW)",
    ],
    "Disbursements": [
        "Project",
        "Entry",
        "Date",
        "Kind",
        "Amount (KRW)",
        "Reference",
        "Posted by",
        "Reverses entry",
        "Counts toward",
    ],
    "Expenditures": ["Project", "Entry", "Date", "Category", "Amount (KRW)", "Approved (KRW)", "Status"],
    "Budget": [
        "Project",
        "Year",
        "From",
        "Until",
        "Year subsidy (KRW)",
        "Paid into the year (KRW)",
        "Annual report accepted",
        "Category",
        "Cap (%)",
        "Planned (KRW)",
        "Transfers in (KRW)",
        "Transfers out (KRW)",
        "Holds now (KRW)",
        "Approved spending (KRW)",
        "Disallowed (KRW)",
        "Settled: unspent (KRW)",
        "Settled: interest (KRW)",
        "Settled: to recover (KRW)",
    ],
    "Indicators": ["Project", "Indicator", "Unit", "Baseline", "Year", "Target", "Actual", "Evidence"],
    "Duplicate check": [
        "Reference",
        "Kind",
        "Found against",
        "Similarity",
        "Evidence",
        "Found at",
        "State",
        "Decided by",
        "Decided at",
        "Reason",
    ],
    "Summary": [
        "Call",
        "Field",
        "Max awards",
        "Applications",
        "Eligible",
        "Selected",
        "Reserve",
        "Requested (KRW)",
        "Awarded (KRW)",
        "Disbursed (KRW)",
        "Approved spending (KRW)",
        "Recovery due (KRW)",
    ],
    "Checks": ["Check", "Expected", "Actual", "Result"],
}
INJECTION = '=HYPERLINK("http://x.example","Click")'


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(role_groups):
    return system_user()


@pytest.fixture
def call(db):
    return evaluation_call("audit-2026", "AU26")


def spend(project, staff, amount, approved=None, reason=""):
    spent = Expenditure.objects.create(
        project=project,
        spent_on=date(2026, 6, 1),
        category=Expenditure.Category.EQUIPMENT,
        amount=amount,
        evidence="expenditures/receipt.pdf",
        reported_by=staff,
    )
    return ledger.decide_expenditure(spent, by=staff, approved_amount=approved, reason=reason)


@pytest.fixture
def funded(call, staff):
    """24 scored applications, a confirmed selection, three projects with payments, a reversal,
    spending and one settlement with a partial recovery; plus a draft that is never exported."""
    applications = generate(call, count=24, reviewers=8, seed=11, by=staff)
    Organisation.objects.filter(pk=applications[0].lead_id).update(name=INJECTION)
    Organisation.objects.filter(pk=applications[1].lead_id).update(name="bad\x07name")
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    selected = list(
        Application.objects.filter(call=call, state=ApplicationState.SELECTED).order_by("reference")
    )
    Application.objects.filter(pk__in=[a.pk for a in selected[:3]]).update(accepted_at=timezone.now())
    first, second, third = (signed_project(a, by=staff, parties="MOLIT; KAIA") for a in selected[:3])

    ledger.post_payment(
        first, by=staff, amount=100 * M, paid_on=date(2026, 5, 10), tranche=1, reference="TX-1"
    )
    wrong = ledger.post_payment(second, by=staff, amount=70 * M, paid_on=date(2026, 5, 11), reference="TX-2")
    ledger.reverse_entry(wrong, by=staff, reason="Wrong account", on=date(2026, 5, 12))
    ledger.post_payment(second, by=staff, amount=60 * M, paid_on=date(2026, 5, 13), reference="-TX-3")
    ledger.post_payment(third, by=staff, amount=50 * M, paid_on=date(2026, 5, 14))

    spend(first, staff, 40 * M, approved=40 * M)
    spend(first, staff, 30 * M, approved=25 * M, reason="Over the unit cost")
    spend(second, staff, 10 * M, reason="No evidence")  # rejected
    spend(third, staff, 45 * M, approved=45 * M)
    accept_final_report(third, staff)
    ledger.settle(third, by=staff, interest_earned=200_000)  # 50 − 45 + 0.2 = 5.2 M to recover
    ledger.post_recovery(third, by=staff, amount=2 * M, received_on=date(2026, 12, 1))

    ApplicationFactory(call=call, reference="", title="Not submitted yet")  # a draft
    return {"call": call, "projects": [first, second, third]}


PAID_WITHIN_AWARD = "Payments net of their reversals never exceed the award."


def accept_final_report(project, staff):
    """The lead's final report, submitted and accepted: settlement needs it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects import reports
    from tests.projects.samples import pdf_bytes

    applicant = UserFactory()
    project.award.application.lead.memberships.create(user=applicant, role="owner")
    final = project.reports.get(kind="final")
    reports.submit_report(final, by=applicant, upload=SimpleUploadedFile("final.pdf", pdf_bytes()))
    return reports.review_report(final, by=staff, accept=True)


def export(calls, tmp_path, name="funding.xlsx", **options):
    path = tmp_path / name
    summary = write_funding_workbook(calls, path, **options)
    return summary, load_workbook(path)


def rows(sheet):
    """The data rows (without the header) as lists of values."""
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def by_header(sheet):
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in rows(sheet)]


def seoul_naive(moment):
    return moment.astimezone(SEOUL).replace(tzinfo=None)


def close_in_time(a, b):
    return abs(a - b) < timedelta(seconds=1)


# --- Layout -------------------------------------------------------------------------------------


def test_sheets_in_order_with_exact_headers_and_frozen_header_row(funded, tmp_path):
    summary, book = export([funded["call"]], tmp_path)
    assert book.sheetnames == list(ENGLISH_HEADERS)
    for title, headers in ENGLISH_HEADERS.items():
        sheet = book[title]
        assert [cell.value for cell in sheet[1]] == headers, title
        assert sheet.freeze_panes == "A2"
    assert summary["rows"] == {title: book[title].max_row - 1 for title in ENGLISH_HEADERS}
    assert summary["calls"] == ["audit-2026"]


def test_the_calls_and_quotas_sheets(funded, tmp_path):
    call = funded["call"]
    _summary, book = export([call], tmp_path)
    (row,) = by_header(book["Calls"])
    plan = call.evaluation_plan
    assert row["Call"] == "audit-2026" and row["Title"] == call.title
    assert row["Programme"] == call.programme.name
    assert close_in_time(row["Opens"], seoul_naive(call.opens_at))
    assert (row["Budget (KRW)"], row["Max awards"], row["Subsidy min (KRW)"], row["Subsidy max (KRW)"]) == (
        1_000 * M,
        4,
        50 * M,
        300 * M,
    )
    assert (row["Cutoff"], row["Aggregation"], row["Trim at reviews"]) == (70, plan.aggregation, plan.trim_at)
    assert (row["Bonus cap"], row["Reserve per field"], row["Selection run"]) == (5, 1, 1)
    run = call.selection_runs.get()
    assert close_in_time(row["Selection confirmed at"], seoul_naive(run.confirmed_at))
    assert rows(book["Quotas"]) == [
        ["audit-2026", "track", "SME-led", 4],
        ["audit-2026", "field", "Mobility", 2],
        ["audit-2026", "field", "Safety", 2],
    ]


def test_cells_are_real_numbers_and_seoul_times(funded, tmp_path):
    call = funded["call"]
    _summary, book = export([call], tmp_path)
    sheet = book["Applications"]
    submitted = {a.reference: a for a in Application.objects.filter(call=call).exclude(state="draft")}
    for row in sheet.iter_rows(min_row=2):
        values = {header: cell for header, cell in zip(ENGLISH_HEADERS["Applications"], row, strict=True)}
        application = submitted[values["Reference"].value]
        for header in ("Requested subsidy (KRW)", "Local government (KRW)", "Private cash (KRW)"):
            assert type(values[header].value) is int and values[header].number_format == "#,##0"
        assert values["Requested subsidy (KRW)"].value == application.requested_subsidy
        when = values["Submitted at"]
        assert isinstance(when.value, datetime) and when.number_format == "yyyy-mm-dd hh:mm"
        assert close_in_time(when.value, seoul_naive(application.submitted_at))
        assert isinstance(values["Final score"].value, int | float)
        assert values["Reviews"].value == 5
    for row in book["Scores"].iter_rows(min_row=2, max_row=20):
        assert isinstance(row[3].value, int | float) and isinstance(row[4].value, int | float)
        assert isinstance(row[5].value, datetime)
    for row in book["Disbursements"].iter_rows(min_row=2):
        assert isinstance(row[2].value, datetime) and row[2].number_format == "yyyy-mm-dd"
        assert type(row[4].value) is int and row[4].number_format == "#,##0"


def test_only_submitted_applications_with_the_latest_run(funded, tmp_path):
    call = funded["call"]
    _summary, book = export([call], tmp_path)
    listed = by_header(book["Applications"])
    assert len(listed) == 24 and "Not submitted yet" not in str(rows(book["Applications"]))
    run = call.selection_runs.get()
    results = {r.application.reference: r for r in run.results.select_related("application")}
    for row in listed:
        result = results[row["Reference"]]
        assert (row["Rank"], row["Outcome"], row["Reason"]) == (result.rank, result.outcome, result.reason)
        assert Decimal(str(row["Final score"])) == result.final_score
    states = {row["Status"] for row in listed}
    assert "awarded" in states and "draft" not in states


def test_scores_name_reviewers_only_by_their_code(funded, tmp_path):
    _summary, book = export([funded["call"]], tmp_path)
    scores = rows(book["Scores"])
    assert len(scores) == Score.objects.count() == 24 * 5 * 5
    codes = set(Reviewer.objects.values_list("code", flat=True))
    assert {row[1] for row in scores} <= codes
    everything = str([rows(book[title]) for title in book.sheetnames])
    for reviewer in Reviewer.objects.select_related("user"):
        assert reviewer.user.email not in everything
        assert reviewer.user.first_name not in everything


# --- Reconciliation -----------------------------------------------------------------------------


def test_totals_reconcile_with_the_database_and_the_ledger(funded, tmp_path):
    call = funded["call"]
    summary, book = export([call], tmp_path)
    total = next(row for row in by_header(book["Summary"]) if row["Field"] == "TOTAL")
    submitted = Application.objects.filter(call=call).exclude(state="draft")
    assert total["Requested (KRW)"] == submitted.aggregate(s=Sum("requested_subsidy"))["s"]
    assert total["Applications"] == 24 and total["Max awards"] == 4
    assert total["Selected"] == submitted.filter(state__in=["selected", "awarded"]).count() == 4
    assert total["Eligible"] == 24
    assert total["Reserve"] == submitted.filter(state="reserve").count()
    assert total["Awarded (KRW)"] == sum(p.award.national_subsidy for p in funded["projects"])
    assert total["Disbursed (KRW)"] == 100 * M + 60 * M + 50 * M
    assert total["Approved spending (KRW)"] == 40 * M + 25 * M + 45 * M
    assert total["Recovery due (KRW)"] == 5_200_000 - 2 * M

    awards = {row["Project"]: row for row in by_header(book["Awards"])}
    for project in funded["projects"]:
        row = awards[project.code]
        paid, recovered = ledger.totals(project.pk)
        assert row["Disbursed (KRW)"] == paid
        assert row["Approved spending (KRW)"] == ledger.approved_spending(project.pk)
        assert row["Awarded subsidy (KRW)"] == project.award.national_subsidy
        assert row["Agreement signed"] == datetime(2026, 5, 1)
        settlement = project.settlements.first()
        expected_due = settlement.to_recover - recovered if settlement else None
        assert row["Recovery due (KRW)"] == expected_due
    ledger_rows = by_header(book["Disbursements"])
    assert len(ledger_rows) == DisbursementEntry.objects.count() == 6
    assert sum(r["Amount (KRW)"] for r in ledger_rows if r["Kind"] != "recovery") == total["Disbursed (KRW)"]
    assert {r["Posted by"] for r in ledger_rows} == {"system@gongmo.local"}
    assert any(r["Amount (KRW)"] == -70 * M and r["Kind"] == "reversal" for r in ledger_rows)
    spent = by_header(book["Expenditures"])
    assert sorted(r["Status"] for r in spent) == ["approved", "approved", "approved", "rejected"]
    assert next(r for r in spent if r["Status"] == "rejected")["Approved (KRW)"] is None

    per_field = [row for row in by_header(book["Summary"]) if row["Field"] != "TOTAL"]
    assert [row["Field"] for row in per_field] == ["Mobility", "Safety"]
    for key in ("Applications", "Requested (KRW)", "Awarded (KRW)", "Disbursed (KRW)"):
        assert sum(row[key] for row in per_field) == total[key]


def test_every_check_passes_on_consistent_data(funded, tmp_path):
    summary, book = export([funded["call"]], tmp_path)
    checks = by_header(book["Checks"])
    assert checks and {row["Result"] for row in checks} == {"PASS"}
    assert summary["passed"] and summary["failed"] == 0
    assert [c["check"] for c in summary["checks"]] == [row["Check"] for row in checks]
    texts = " | ".join(row["Check"] for row in checks)
    for expected in ("requested subsidy", "field Mobility", "track SME-led", "maximum"):
        assert expected in texts
    for invariant in INVARIANTS:  # every money invariant is checked, in the rule book's words
        assert f"audit-2026: projects breaking the rule: {invariant.statement}" in texts


def test_checks_catch_overpayment_and_quota_breaches(funded, staff, tmp_path):
    call, project = funded["call"], funded["projects"][0]
    # Written past projects.ledger, as a faulty import would: 400 M paid on a 300 M award at most.
    DisbursementEntry.objects.create(
        project=project, kind="payment", amount=400 * M, entry_date=date(2026, 6, 1), posted_by=staff
    )
    mobility = call.service_fields.get(name="Mobility")
    extra = Application.objects.filter(call=call, service_field=mobility, state="not_selected")
    Application.objects.filter(pk__in=list(extra.values_list("pk", flat=True)[:2])).update(state="selected")
    summary, book = export([call], tmp_path)
    failed = {c["check"]: c for c in summary["checks"] if c["result"] == "FAIL"}
    assert failed[f"audit-2026: projects breaking the rule: {PAID_WITHIN_AWARD}"]["actual"] == 1
    assert failed["audit-2026: places held in field Mobility at most its maximum"]["expected"] == 2
    assert "audit-2026: places held at most the call's maximum" in failed
    assert not summary["passed"]
    assert {row["Result"] for row in by_header(book["Checks"])} == {"PASS", "FAIL"}
    # Detail and summary still agree with each other: only the limits fail.
    assert not [text for text in failed if "=" in text]


# --- Safe cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Haeundae Smart Mobility", "Haeundae Smart Mobility"),
        (INJECTION, "'" + INJECTION),
        ("+82 2 123", "'+82 2 123"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("bad\x07name", "badname"),
        ("\x00\x1f=1+1", "'=1+1"),  # removed characters do not hide a formula
        ("line\nbreak\ttab", "line\nbreak\ttab"),
        ("스마트시티 = 미래", "스마트시티 = 미래"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_safe_text(value, expected):
    assert safe_text(value) == expected


def test_text_cells_are_never_formulas_and_lose_illegal_characters(funded, tmp_path):
    call = funded["call"]
    call.title = "+SUM(1;2)"
    call.save(update_fields=["title"])
    _summary, book = export([call], tmp_path)
    leads = {}
    for row in book["Applications"].iter_rows(min_row=2):
        cell = row[4]
        assert cell.data_type != "f"
        leads[cell.value] = cell
    assert leads["'" + INJECTION].data_type == "s"
    assert "badname" in leads and not any("\x07" in name for name in leads)
    title = book["Calls"]["B2"]
    assert (title.value, title.data_type) == ("'+SUM(1;2)", "s")
    for title in book.sheetnames:
        for row in book[title].iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    reference = next(
        r for r in by_header(book["Disbursements"]) if r["Reference"] and "TX-3" in r["Reference"]
    )
    assert reference["Reference"] == "'-TX-3"


# --- Languages, output, progress, queries --------------------------------------------------------


def test_korean_headers_keep_the_layout(funded, tmp_path):
    """The Korean edition: the same sheets in the same order, named and headed in Korean, the
    same rows; a column whose codes a person reads shows their labels, and its codes follow at
    the end of the row (audit.code_labels)."""
    call = funded["call"]
    _en, english = export([call], tmp_path, "en.xlsx")
    summary, korean = export([call], tmp_path, "ko.xlsx", lang="ko")
    assert korean.sheetnames == [sheet_title(title, "ko") for title in english.sheetnames]
    with translation.override("ko"):
        for title in ENGLISH_HEADERS:
            sheet = korean[sheet_title(title, "ko")]
            coded = code_columns(title, SHEETS[title])
            expected = [str(column.header) for column in SHEETS[title]]
            expected += [f"{SHEETS[title][index].header} (코드)" for index, _kind in coded]
            assert [cell.value for cell in sheet[1]] == expected
            assert (sheet.max_row, sheet.max_column) == (
                english[title].max_row,
                english[title].max_column + len(coded),
            )
            # The codes, moved to the end of the row, are the English edition's cells.
            width = len(SHEETS[title])
            for korean_row, english_row in zip(rows(sheet), rows(english[title]), strict=True):
                assert korean_row[width:] == [english_row[index] for index, _kind in coded]
        assert korean["공모"]["B2"].value == call.title_ko  # names follow the language too
    assert summary["passed"] and summary["lang"] == "ko"
    applications = by_header(korean["신청 현황"])
    assert {row["상태"] for row in applications} >= {"선정", "예비 후보"}
    assert {row["상태 (코드)"] for row in applications} >= {"selected", "reserve"}
    assert translation.get_language() == "en"


# Columns of identifiers a person copies as they are (codes of questions the staff wrote).
IDENTIFIER_COLUMNS = {("Answers", "Code")}


def test_the_korean_edition_shows_no_code_where_a_person_reads(funded, tmp_path):
    """Issue 20: no `sme`, `awarded`, `trimmed_mean`, `payment`, `equipment`, `selected`, `Y` or
    `PASS` in a cell a person reads; the codes stay in their own columns."""
    _summary, korean = export([funded["call"]], tmp_path, "ko.xlsx", lang="ko")
    with translation.override("ko"):
        known = {str(code) for labels in code_labels.labels().values() for code in labels}
    snake = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
    found = []
    for title, columns in SHEETS.items():
        coded = dict(code_columns(title, columns))
        with translation.override("en"):
            headers = [str(column.header) for column in columns]
        for row in rows(korean[sheet_title(title, "ko")]):
            for index, value in enumerate(row[: len(columns)]):
                if (
                    index in coded
                    or (title, headers[index]) in IDENTIFIER_COLUMNS
                    or not isinstance(value, str)
                ):
                    continue
                parts = value.split(", ")
                if any(part in known or (snake.fullmatch(part) and "_" in part) for part in parts):
                    found.append((title, headers[index], value))
        assert all(
            isinstance(v, str) or v is None
            for row in rows(korean[sheet_title(title, "ko")])
            for v in row[len(columns) :]
        )
    assert found == []
    applications = by_header(korean["신청 현황"])
    sizes = {(row["기업 규모 (코드)"], row["기업 규모"]) for row in applications if row["기업 규모 (코드)"]}
    assert ("sme", "중소기업") in sizes and all(code != label for code, label in sizes)


def test_headers_are_declared_for_translation():
    assert {title: [str(c.header) for c in columns] for title, columns in SHEETS.items()} == ENGLISH_HEADERS


def test_writes_to_a_file_object_and_reports_progress(funded, tmp_path):
    seen = []
    buffer = BytesIO()
    summary = write_funding_workbook(
        [funded["call"]], buffer, progress=lambda done, total: seen.append((done, total))
    )
    book = load_workbook(BytesIO(buffer.getvalue()))
    assert book.sheetnames == list(ENGLISH_HEADERS)
    assert len(seen) >= len(ENGLISH_HEADERS)
    assert seen[0][0] == 0
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert all(done <= total for done, total in seen)
    assert seen[-1][0] == seen[-1][1] == sum(summary["rows"].values())


def test_a_snapshot_reads_everything_in_one_transaction(funded, tmp_path):
    summary = write_funding_workbook([funded["call"]], tmp_path / "snapshot.xlsx", snapshot=True)
    assert summary["passed"]
    assert summary["rows"] == write_funding_workbook([funded["call"]], tmp_path / "plain.xlsx")["rows"]


def test_a_call_without_plan_or_run_and_two_calls_in_order(funded, tmp_path, django_assert_max_num_queries):
    bare = CallFactory(slug="bare-2026", state=CallState.PUBLISHED)
    TrackFactory(call=bare, name="Open", max_awards=3)
    ApplicationFactory(
        call=bare, reference="BA-0001", state=ApplicationState.SUBMITTED, submitted_at=timezone.now()
    )
    with django_assert_max_num_queries(
        54
    ):  # a few queries a call (the Answers sheet: the questions, then the answers; the Budget
        # sheet: the projects and their years; the Indicators sheet: projects, indicators,
        # targets, actuals; the Duplicate check sheet: the findings, and their count for the
        # progress total), none a row
        summary, book = export([bare, funded["call"]], tmp_path)
    assert summary["calls"] == ["bare-2026", "audit-2026"] and summary["passed"]
    calls = by_header(book["Calls"])
    assert [row["Call"] for row in calls] == ["bare-2026", "audit-2026"]
    assert calls[0]["Cutoff"] is None and calls[0]["Selection run"] is None
    first = by_header(book["Applications"])[0]
    assert (first["Reference"], first["Field"], first["Outcome"], first["Rank"]) == (
        "BA-0001",
        None,
        None,
        None,
    )
    summary_rows = by_header(book["Summary"])
    assert [(r["Call"], r["Field"]) for r in summary_rows[:2]] == [
        ("bare-2026", "(no field)"),
        ("bare-2026", "TOTAL"),
    ]


def test_the_number_of_queries_does_not_grow_with_the_data(funded, tmp_path):
    from django.db import connection

    with CaptureQueriesContext(connection) as small:
        export([funded["call"]], tmp_path, "a.xlsx")
    more = Application.objects.filter(call=funded["call"], state="not_selected")
    project = Project.objects.first()
    staff = system_user()
    for _n in range(20):
        DisbursementEntry.objects.create(
            project=project, kind="recovery", amount=M, entry_date=date(2026, 7, 1), posted_by=staff
        )
    for application in more[:3]:
        ApplicationFactory(call=funded["call"], reference=f"{application.reference}-B", state="not_selected")
    with CaptureQueriesContext(connection) as large:
        export([funded["call"]], tmp_path, "b.xlsx")
    assert len(large) == len(small)


# --- The command --------------------------------------------------------------------------------


def test_the_command_writes_the_workbook_and_prints_the_checks(funded, tmp_path):
    path = tmp_path / "out.xlsx"
    out = StringIO()
    call_command("export_funding", "audit-2026", "--output", str(path), stdout=out)
    text = out.getvalue()
    assert "PASS" in text and "FAIL" not in text
    assert f"Wrote {path}: 1 call(s)" in text
    assert load_workbook(path).sheetnames == list(ENGLISH_HEADERS)


def test_the_command_exports_every_call_and_in_korean(funded, tmp_path):
    path = tmp_path / "all.xlsx"
    call_command("export_funding", "--all", "--output", str(path), "--lang", "ko", stdout=StringIO())
    assert [row[0] for row in rows(load_workbook(path)["공모"])] == ["audit-2026"]


def test_the_command_refuses_unknown_calls_and_fails_on_failed_checks(funded, staff, tmp_path):
    path = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match="No call with slug 'nope'"):
        call_command("export_funding", "audit-2026", "nope", "--output", str(path))
    with pytest.raises(CommandError, match="SLUG"):
        call_command("export_funding", "--output", str(path))
    with pytest.raises(CommandError, match="not both"):
        call_command("export_funding", "audit-2026", "--all", "--output", str(path))
    assert not path.exists()
    DisbursementEntry.objects.create(
        project=funded["projects"][0],
        kind="payment",
        amount=500 * M,
        entry_date=date(2026, 6, 1),
        posted_by=staff,
    )
    out = StringIO()
    with pytest.raises(CommandError, match="1 check"):
        call_command("export_funding", "audit-2026", "--output", str(path), stdout=out)
    assert "FAIL" in out.getvalue() and path.exists()  # the workbook is written all the same
