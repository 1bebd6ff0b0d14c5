"""The funding workbook opens in LibreOffice Calc (converted headless to CSV): the file is
valid, text cells stay text (no formula is evaluated) and amounts read as numbers."""

import csv
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from audit import xlsx_writer
from audit.funding_workbook import write_funding_workbook
from competitions.models import CallState
from projects.models import ApplicationState, Organisation
from tests.audit.test_xlsx_writer import TRICKY_TEXTS
from tests.factories import ApplicationFactory, CallFactory, ServiceFieldFactory, TrackFactory

pytestmark = pytest.mark.django_db

INJECTION = '=HYPERLINK("http://x.example","Click")'
# LibreOffice's CSV filter options: comma, double quote, UTF-8, from line 1, no column types,
# English locale, quote all text, detect special numbers, cell contents as shown (formatted),
# export formulas (a formula would show as =...), no BOM, then the sheet to export (1-based;
# -1: every sheet, each to <name>-<Sheet>.csv).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,true,true,true,true,false,{sheet}"


def convert(soffice, workbook, outdir, sheet=None):
    target = "csv" if sheet is None else CSV_FILTER.format(sheet=sheet)
    completed = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{outdir}/profile",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return completed


@pytest.fixture
def workbook(tmp_path):
    now = timezone.now()
    call = CallFactory(
        slug="office-2026",
        state=CallState.EVALUATION,
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=10),
    )
    TrackFactory(call=call, name="SME-led", max_awards=4)
    ServiceFieldFactory(call=call, name="Mobility", max_awards=2)
    for n, name in enumerate([INJECTION, "bad\x07name", "Haeundae Smart Mobility"], 1):
        application = ApplicationFactory(
            call=call,
            reference=f"OF26-{n:04d}",
            state=ApplicationState.ELIGIBLE,
            submitted_at=now - timedelta(days=11, hours=n),
            requested_subsidy=123_456_789,
        )
        Organisation.objects.filter(pk=application.lead_id).update(name=name)
    path = tmp_path / "funding.xlsx"
    summary = write_funding_workbook([call], path)
    assert summary["passed"]
    return path


def test_libreoffice_reads_the_first_sheet(soffice, workbook, tmp_path):
    outdir = tmp_path / "csv"
    convert(soffice, workbook, outdir)
    text = (outdir / "funding.csv").read_text(encoding="utf-8")
    assert text.startswith("Call,Title,Programme,Opens,Closes")
    assert "office-2026" in text


def test_libreoffice_reads_every_sheet_as_text_and_numbers(soffice, workbook, tmp_path):
    outdir = tmp_path / "sheets"
    convert(soffice, workbook, outdir, sheet=-1)
    applications = list(csv.DictReader((outdir / "funding-Applications.csv").open(encoding="utf-8")))
    leads = {row["Lead organisation"] for row in applications}
    assert leads == {"'" + INJECTION, "badname", "Haeundae Smart Mobility"}  # shown, not evaluated
    assert {row["Requested subsidy (KRW)"] for row in applications} == {"123,456,789"}
    assert all(len(row["Submitted at"]) == len("2026-01-31 17:00") for row in applications)
    checks = list(csv.DictReader((outdir / "funding-Checks.csv").open(encoding="utf-8")))
    assert checks and {row["Result"] for row in checks} == {"PASS"}


def test_libreoffice_shows_texts_as_typed(soffice, tmp_path):
    """What the writer writes (audit.xlsx_writer): formulas, numbers, links, rich-text XML and
    Excel's _xHHHH_ escapes, all shown as typed; amounts as formatted numbers."""
    path = tmp_path / "texts.xlsx"
    texts = [*TRICKY_TEXTS, "_x0041_"]
    with xlsx_writer.Workbook(path) as book:
        sheet = book.add_sheet("Texts", ["Text", "Amount"], formats=[None, "#,##0"])
        for text in texts:
            sheet.append([text, 1_234_567])
    outdir = tmp_path / "csv"
    convert(soffice, path, outdir, sheet=1)
    rows = list(csv.reader((outdir / "texts-Texts.csv").open(encoding="utf-8")))
    assert rows[0] == ["Text", "Amount"]
    assert rows[1:] == [[text, "1,234,567"] for text in texts]
