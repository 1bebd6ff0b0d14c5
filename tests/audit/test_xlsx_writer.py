"""audit.xlsx_writer, the one writer of .xlsx files (XlsxWriter underneath), read back with
openpyxl: texts stay texts whatever they look like, every value keeps its type and its column's
number format, and a failed build writes nothing and leaves no temporary file behind."""

import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from audit import xlsx_writer
from audit.funding_workbook import write_funding_workbook
from competitions.models import CallState
from projects.models import ApplicationState, Organisation
from tests.factories import ApplicationFactory, CallFactory, ServiceFieldFactory, TrackFactory

# Texts a spreadsheet or the writer could take for something else: formulas, numbers, links,
# XlsxWriter's own rich-text XML (written unescaped in constant-memory mode unless wrapped) and
# Excel's _xHHHH_ escapes.
TRICKY_TEXTS = [
    "=1+1",
    "@SUM(A1)",
    "+82-2-123-4567",
    "-5",
    "00123",
    "1e5",
    "https://evil.example/x",
    "<r><t>rich</t></r>",
    '<r><t>x</t></r></is></c><c r="Z9"><v>1</v></c><c><is><r>',
    "  spaces kept  ",
    "스마트시티 & <도시>",
]


def written(rows, formats=(), widths=()):
    buffer = BytesIO()
    with xlsx_writer.Workbook(buffer) as book:
        sheet = book.add_sheet("Sheet", ["A", "B", "C"], widths=widths, formats=formats)
        for row in rows:
            sheet.append(row)
    assert sheet.count == len(rows)
    buffer.seek(0)
    return load_workbook(buffer)["Sheet"]


def test_texts_stay_texts_whatever_they_look_like():
    sheet = written([[text] for text in TRICKY_TEXTS])
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == TRICKY_TEXTS
    assert {cell.data_type for cell in cells} == {"s"}
    # Nothing injected: no cell but the texts (and the header).
    assert [
        cell.coordinate for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None
    ] == [f"A{number}" for number in range(2, len(TRICKY_TEXTS) + 2)]


def test_excels_own_escapes_are_escaped():
    """Excel reads "_x0041_" in a cell's XML as "A"; the writer escapes the underscore
    ("_x005F_"), which Excel and LibreOffice read back as typed (tests/office) and openpyxl
    leaves as it is."""
    assert written([["_x0041_"]])["A2"].value == "_x005F_x0041_"


def test_values_keep_their_type_and_their_columns_number_format():
    when = datetime(2026, 3, 4, 17, 30)
    sheet = written(
        [
            [1_234_567_890, when, Decimal("87.25")],
            [None, date(2026, 5, 1), True],
            [0.5, None, False],
        ],
        formats=["#,##0", "yyyy-mm-dd hh:mm"],
        widths=[16, 17, 9],
    )
    header, money, day, fraction = sheet[1], sheet["A2"], sheet["B3"], sheet["A4"]
    assert [cell.value for cell in header] == ["A", "B", "C"] and all(cell.font.b for cell in header)
    assert sheet.freeze_panes == "A2"
    assert (money.value, money.data_type, money.number_format) == (1_234_567_890, "n", "#,##0")
    assert (sheet["B2"].value, sheet["B2"].number_format) == (when, "yyyy-mm-dd hh:mm")
    assert sheet["C2"].value == 87.25 and sheet["C2"].number_format == "General"
    # A date in a column whose format is a time keeps the column's format (as before).
    assert day.value == datetime(2026, 5, 1) and day.number_format == "yyyy-mm-dd hh:mm"
    assert (sheet["C3"].value, sheet["C4"].value) == (True, False)
    assert sheet["A3"].value is None and fraction.number_format == "#,##0"
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["C"].width


def test_a_date_in_a_column_without_a_format_is_still_a_date():
    sheet = written([[date(2026, 1, 2), datetime(2026, 1, 2, 3, 4)]])
    assert (sheet["A2"].value, sheet["A2"].number_format) == (datetime(2026, 1, 2), "yyyy-mm-dd")
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"


def test_subclasses_of_the_cell_types_are_written_by_what_they_are():
    class Points(int):
        pass

    sheet = written([[SafeString("=1+1"), Points(7), gettext_lazy("Call")]])
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("=1+1", "s")
    assert (sheet["B2"].value, sheet["B2"].data_type) == (7, "n")
    assert (sheet["C2"].value, sheet["C2"].data_type) == ("Call", "s")


def test_a_value_of_no_cell_type_is_refused():
    with pytest.raises(TypeError, match="column 2"):
        written([[1, object()]])


def test_a_failed_build_writes_nothing_and_removes_its_temporary_files(tmp_path):
    path = tmp_path / "never.xlsx"
    with pytest.raises(RuntimeError), xlsx_writer.Workbook(path) as book:
        sheet = book.add_sheet("Sheet", ["A"])
        sheet.append(["written to a temporary file"])
        scratch = book._scratch
        assert os.listdir(scratch)
        raise RuntimeError("the build stopped")
    assert not path.exists() and not os.path.exists(scratch)


@pytest.mark.django_db
def test_the_funding_workbook_keeps_formula_like_names_as_text_and_money_formatted(tmp_path):
    now = timezone.now()
    call = CallFactory(
        slug="text-2026",
        state=CallState.EVALUATION,
        title="@SUM(A1)",
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=10),
    )
    TrackFactory(call=call, max_awards=4)
    ServiceFieldFactory(call=call, max_awards=2)
    for n, name in enumerate(["=1+1", "<r><t>rich</t></r>"], 1):
        application = ApplicationFactory(
            call=call,
            reference=f"TX26-{n:04d}",
            state=ApplicationState.ELIGIBLE,
            submitted_at=now - timedelta(days=11),
            requested_subsidy=98_765_432,
        )
        Organisation.objects.filter(pk=application.lead_id).update(name=name)
    path = tmp_path / "funding.xlsx"
    assert write_funding_workbook([call], path)["passed"]
    book = load_workbook(path)
    title = book["Calls"]["B2"]
    assert (title.value, title.data_type) == ("'@SUM(A1)", "s")
    applications = book["Applications"]
    header = [cell.value for cell in applications[1]]
    lead, requested = header.index("Lead organisation"), header.index("Requested subsidy (KRW)")
    rows = list(applications.iter_rows(min_row=2))
    assert {(row[lead].value, row[lead].data_type) for row in rows} == {
        ("'=1+1", "s"),
        ("<r><t>rich</t></r>", "s"),
    }
    for row in rows:
        money = row[requested]
        assert (money.value, money.data_type, money.number_format) == (98_765_432, "n", "#,##0")
    for sheet in book.worksheets:
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# --- The worksheet's two shortcuts write what XlsxWriter itself writes ----------------------------

EXCEL_ESCAPE_TEXTS = ["_x0041_", "a_x00Ff_b", "_x004_", "_X0041_", "\x00", "\x1f\t\n", "\ufffe\uffff"]


def _sheet_xml(book_class, rows):
    """The sheets' XML of a workbook written by ``audit.xlsx_writer`` over ``book_class``."""
    import zipfile

    buffer = BytesIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsx_writer, "_XlsxWorkbook", book_class)
        with xlsx_writer.Workbook(buffer) as book:
            for title in ("One", "Two"):
                sheet = book.add_sheet(
                    title, ["A", "B", "C", "D", "E", "F", "G"], formats=[None, "#,##0", "@", None, None, "0"]
                )
                for row in rows:
                    sheet.append(row)
    archive = zipfile.ZipFile(buffer)
    return {name: archive.read(name) for name in archive.namelist() if name.startswith("xl/")}


def test_the_shortcuts_write_the_bytes_xlsxwriter_writes():
    import xlsxwriter

    rows = [
        [
            text,
            n if n % 4 else None,
            text * 2,
            datetime(2026, 12, 6, 9, n // 3),
            date(1900, 1, 1) + timedelta(days=50 * n),
            n % 3 == 0,
            n / 7 if n % 2 else -(10**15) - n,
        ]
        for n, text in enumerate(TRICKY_TEXTS + EXCEL_ESCAPE_TEXTS + ["plain", " lead", "trail "])
    ]
    assert _sheet_xml(xlsx_writer._XlsxWorkbook, rows) == _sheet_xml(xlsxwriter.Workbook, rows)


# Texts made of the pieces Excel's escapes are made of: "_xHHHH_" and near misses, control
# characters, the two non-characters, and what XML escapes.
ESCAPE_PIECES = st.one_of(
    st.from_regex(r"_[xX][0-9a-fA-Fg]{3,5}_?", fullmatch=True),
    st.sampled_from(["_", "x", "0041", "\x00", "\x01", "\t", "\n", " ", "\ufffe", "\uffff", "<&", "한"]),
)


@given(st.lists(st.lists(ESCAPE_PIECES, max_size=6).map("".join), max_size=10))
@settings(max_examples=300, deadline=None)
def test_a_text_is_escaped_as_xlsxwriter_escapes_it(texts):
    from xlsxwriter.worksheet import Worksheet

    for text in texts:
        assert xlsx_writer._Worksheet._escape_control_characters(text) == (
            Worksheet._escape_control_characters(text)
        )


def test_the_row_file_is_written_without_reading_and_read_back_when_assembled(tmp_path):
    with xlsx_writer.Workbook(tmp_path / "rows.xlsx") as book:
        sheet = book.add_sheet("Sheet", ["A"])
        handle = sheet._ws.row_data_fh
        assert handle.writable() and not handle.readable()
        for n in range(3):
            sheet.append([f"row {n}"])
    assert [row[0].value for row in load_workbook(tmp_path / "rows.xlsx")["Sheet"].iter_rows()] == [
        "A",
        "row 0",
        "row 1",
        "row 2",
    ]
