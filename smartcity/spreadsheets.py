"""The smart-city downloads (the catalogue, the analytics tables, a living lab's results) as
CSV or XLSX: the one way each is written and answered with.

Callers pass cells already made safe (config.safe_cells.safe_text for text): these functions
only lay them out. Downloads are recorded in the access log by audit's middleware, which logs
every response that carries a Content-Disposition, and are never cached (config's headers)."""

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

from config.safe_cells import safe_text

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A sheet title holds at most 31 characters and none of these.
_SHEET_TITLE_FORBIDDEN = str.maketrans("", "", "[]:*?/\\")


def csv_bytes(rows):
    """Rows as UTF-8 CSV with the byte-order mark (Excel reads Korean as UTF-8 only with it);
    an empty cell for None."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue().encode("utf-8")


def sheet_title(text):
    return safe_text(str(text)).translate(_SHEET_TITLE_FORBIDDEN)[:31]


def xlsx_bytes(sheets):
    """``sheets``: (title, rows) pairs, one worksheet each, written a row at a time."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title=sheet_title(title))
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(content, kind, name):
    """The file as an attachment named ``name``; ``kind`` is "csv" or "xlsx"."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
