"""The one place that writes .xlsx files: a small streaming writer over XlsxWriter.

Why XlsxWriter (README "Dependencies", docs/benchmarks.md): maintained since 2013, it keeps a
format per cell, writes in constant memory (a row at a time, each sheet streamed to a temporary
file) and, with the options below, never turns a text into a formula, a number or a link; its
files open in Excel, LibreOffice and openpyxl. It writes the funding workbook's cells in a little
over half openpyxl's time.

The sheet modules produce rows of plain values; a ``Sheet`` writes each value by its type:

- ``str``: a text cell, always (``write_string``), whatever it starts with;
- ``int``, ``float``, ``Decimal``: a numeric cell; ``bool``: a boolean cell;
- ``datetime``, ``date``: a date cell (naive: convert to Seoul wall time first);
- ``None``: no cell.

Each column may carry a number format (won amounts, dates), applied to every value written in
it. Rows go top to bottom, once each (constant-memory mode cannot go back).
"""

import re
import shutil
import tempfile
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import xlsxwriter
from django.utils.functional import Promise
from xlsxwriter.utility import _datetime_to_excel_datetime, _preserve_whitespace, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellBooleanTuple, CellDatetimeTuple, CellNumberTuple, CellStringTuple
from xlsxwriter.worksheet import Worksheet as XlsxWorksheet
from xlsxwriter.xmlwriter import xml_escapes as XML_ATTRIBUTE_ESCAPES

OPTIONS = {
    "constant_memory": True,  # one row in memory at a time: the DESIGN.md §5 memory budget
    # Texts stay texts: an applicant's "=HYPERLINK(...)", "00123" or "www.x.kr" is shown as typed.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
HEADER = {"bold": True}
# A date cell needs a format to read as a date; these serve columns that declare none.
DEFAULT_FORMATS = {datetime: "yyyy-mm-dd hh:mm", date: "yyyy-mm-dd"}
# In constant-memory mode XlsxWriter copies a text that starts with "<r>" and ends with "</r>"
# into the file as rich-text XML, unescaped; such a text is wrapped in a plain run of its own.
RICH_START, RICH_END = "<r>", "</r>"
XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# What XlsxWriter's _escape_control_characters rewrites in a text: an "_xHHHH_" that Excel would
# read as an escape, a control character, or one of the two non-characters. A text with none of
# them comes back unchanged, so one search tells.
NEEDS_EXCEL_ESCAPE = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


@lru_cache(maxsize=4096)
def _naive_serial(value, date_1904):
    """XlsxWriter's Excel serial number of a naive date or time."""
    return _datetime_to_excel_datetime(value, date_1904, False)


class _Worksheet(XlsxWorksheet):
    """XlsxWriter's worksheet with per-cell costs taken out, each writing the same bytes
    (tests/audit/test_xlsx_writer.py compares the files with XlsxWriter's own). Passed as the
    workbook's ``worksheet_class``, XlsxWriter's documented way to subclass its worksheet.

    - In constant-memory mode XlsxWriter keeps a sheet's rows in a temporary text file opened
      for reading and writing, and a text file open for reading resets its decoder on every
      write: one write a cell. The rows are only written until the workbook is assembled, so
      the file is opened for writing only, and opened again to be read (XlsxWriter's own
      reopening of a closed row file) when the sheet is assembled.
    - A text cell goes through two substitutions and two replacements for Excel's escapes;
      most texts need none, which one search tells.
    - A cell's style index, a number, is "escaped" by a search that fails on a number (an
      exception a cell); a naive time is converted to Excel's serial number once however many
      rows repeat it (a review's scores, a project's payments).
    - A number, date, boolean or plain text cell with its own format or none, in constant-memory
      mode (every cell this module writes), is written as one string, as XlsxWriter's
      ``_write_cell`` writes it through its tag writers; any other cell (a formula, a rich
      text, a row's or a column's format) goes through XlsxWriter's own."""

    def _initialize(self, init_data):
        super()._initialize(init_data)
        if self.constant_memory:
            self.row_data_fh.close()
            self.row_data_fh = self.fh = open(  # noqa: SIM115 (closed by XlsxWriter)
                self.row_data_filename, mode="w", encoding="utf-8"
            )

    def _opt_reopen(self):
        if not self.row_data_fh_closed and not self.row_data_fh.readable():
            self.row_data_fh.close()
            self.row_data_fh_closed = True
        super()._opt_reopen()

    def _write_cell(self, row, col, cell):
        kind = type(cell)
        if kind not in _PLAIN_CELLS or not self.constant_memory:
            return super()._write_cell(row, col, cell)
        if cell.format:
            style = f' s="{cell.format._get_xf_index()}"'
        elif (row in self.row_info and self.row_info[row].row_format) or (
            col in self.col_info and self.col_info[col].column_format is not None
        ):
            return super()._write_cell(row, col, cell)
        else:
            style = ""
        reference = xl_rowcol_to_cell_fast(row, col)
        if kind is CellStringTuple:
            string = self._escape_control_characters(cell.string)
            if string.startswith(RICH_START) and string.endswith(RICH_END):
                return super()._write_cell(row, col, cell)
            space = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
            text = self._escape_data(string)
            self.fh.write(f'<c r="{reference}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
        elif kind is CellBooleanTuple:
            self.fh.write(f'<c r="{reference}"{style} t="b"><v>{cell.boolean}</v></c>')
        else:
            self.fh.write(f'<c r="{reference}"{style}><v>{cell.number:.16G}</v></c>')

    def _escape_attributes(self, attribute):
        kind = type(attribute)
        if (kind is str and not XML_ATTRIBUTE_ESCAPES.search(attribute)) or kind is int:
            return attribute
        return XlsxWorksheet._escape_attributes(self, attribute)

    def _convert_date_time(self, dt_obj):
        kind = type(dt_obj)
        if kind is date or (kind is datetime and dt_obj.tzinfo is None):
            return _naive_serial(dt_obj, self.date_1904)
        return super()._convert_date_time(dt_obj)

    @staticmethod
    def _escape_control_characters(data):
        if type(data) is str and not NEEDS_EXCEL_ESCAPE.search(data):
            return data
        return XlsxWorksheet._escape_control_characters(data)


_PLAIN_CELLS = frozenset({CellNumberTuple, CellDatetimeTuple, CellStringTuple, CellBooleanTuple})


class _XlsxWorkbook(xlsxwriter.Workbook):
    worksheet_class = _Worksheet


class Workbook:
    """A workbook written to ``target`` (a path or a binary file object) when closed.

    Use as a context manager: on success the file is written; on an error nothing is written
    and the temporary files are removed either way."""

    def __init__(self, target):
        self._scratch = tempfile.mkdtemp(prefix="gongmo-xlsx-")
        self._book = _XlsxWorkbook(target, {**OPTIONS, "tmpdir": self._scratch})
        self._formats = {}
        self._header = self._book.add_format(HEADER)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        try:
            if error is None:
                self._book.close()
        finally:
            self.discard()

    def discard(self):
        """Drop what was written so far (and the temporary files)."""
        for worksheet in self._book.worksheets():
            handle = getattr(worksheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                handle.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def number_format(self, code):
        """The cell format for number format ``code`` (one per code in the file)."""
        if code is None:
            return None
        if code not in self._formats:
            self._formats[code] = self._book.add_format({"num_format": code})
        return self._formats[code]

    def add_sheet(self, title, header, *, widths=(), formats=()):
        """A sheet named ``title`` with a bold, frozen ``header`` row; ``widths``: column
        widths (characters); ``formats``: a number format code (or None) per column."""
        return Sheet(self, self._book.add_worksheet(title), header, widths, formats)


class Sheet:
    """Rows appended top to bottom; ``count``: the rows appended (the header aside)."""

    def __init__(self, workbook, worksheet, header, widths, formats):
        self._ws = worksheet
        for index, width in enumerate(widths):
            worksheet.set_column(index, index, width)
        worksheet.freeze_panes(1, 0)
        for index, text in enumerate(header):
            worksheet.write_string(0, index, str(text), workbook._header)
        formats = list(formats) + [None] * (len(header) - len(formats))
        self._formats = [workbook.number_format(code) for code in formats]
        self._dates = {kind: workbook.number_format(code) for kind, code in DEFAULT_FORMATS.items()}
        self._row = 0
        self.count = 0

    def append(self, values):
        """Write one row. The hot loop of the funding workbook's 4 million cells: exact type
        checks first (subclasses take the slower path). The cells go to XlsxWriter's
        undecorated writers (what its own ``write`` and ``write_row`` call): the public ones
        only add a check for "A1"-style addresses, which a row number never is; that check was
        about a tenth of the export's CPU (docs/benchmarks.md). XlsxWriter is pinned in
        requirements.txt and tests/audit/test_xlsx_writer.py reads every kind of cell back."""
        self._row = row = self._row + 1
        ws, formats, dates = self._ws, self._formats, self._dates
        write_string, write_number = ws._write_string, ws._write_number
        for column, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if value.startswith(RICH_START) and value.endswith(RICH_END):
                    value = _plain_run(value)
                write_string(row, column, value, formats[column])
            elif kind is int or kind is float or kind is Decimal:
                write_number(row, column, value, formats[column])
            elif kind is datetime or kind is date:
                ws._write_datetime(row, column, value, formats[column] or dates[kind])
            elif kind is bool:
                ws._write_boolean(row, column, value, formats[column])
            else:
                self._write_other(row, column, value)
        self.count += 1

    def _write_other(self, row, column, value):
        """Subclasses of the types above."""
        ws, cell_format = self._ws, self._formats[column]
        if isinstance(value, bool):
            ws.write_boolean(row, column, value, cell_format)
        elif isinstance(value, datetime | date):
            kind = datetime if isinstance(value, datetime) else date
            ws.write_datetime(row, column, value, cell_format or self._dates[kind])
        elif isinstance(value, str | Promise):  # a safe or a lazily translated string
            text = str(value)
            if text.startswith(RICH_START) and text.endswith(RICH_END):
                text = _plain_run(text)
            ws.write_string(row, column, text, cell_format)
        elif isinstance(value, int | float | Decimal):
            ws.write_number(row, column, value, cell_format)
        else:
            raise TypeError(f"No cell type for {type(value).__name__} (column {column + 1})")


def _plain_run(text):
    """``text`` as one rich-text run of itself, escaped: shown exactly as typed."""
    return f'<r><t xml:space="preserve">{text.translate(XML_ESCAPES)}</t></r>'
