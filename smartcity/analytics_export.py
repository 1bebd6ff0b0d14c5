"""The analytics tables as CSV and XLSX files: headers in the reader's language, numbers as
numbers (money in integer won), text cells that a spreadsheet never takes for a formula.

Text cells go through config.safe_cells, the one rule every export follows. Downloads are
recorded in the access log by audit's middleware, which logs every response that carries a
Content-Disposition."""

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from config.safe_cells import safe_text

from .analytics import MEASURE_LABELS, MEASURES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_rows(table):
    """The header, one line per row and, for a partition, the total line."""
    yield [safe_text(table.heading), *(str(MEASURE_LABELS[measure]) for measure in MEASURES)]
    rows = list(table.rows)
    if table.total is not None:
        rows.append(table.total)
    for row in rows:
        yield [safe_text(row.label), *row.values()]


def filename(table, scope_name, extension):
    return f"analytics-{table.slug}-{scope_name}.{extension}"


def _attachment(response, name):
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_response(table, scope_name):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads the Korean headers as UTF-8 only with the BOM
    writer = csv.writer(buffer)
    for line in table_rows(table):
        writer.writerow(line)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, filename(table, scope_name, "csv"))


def xlsx_response(table, scope_name):
    workbook = Workbook(write_only=True)
    # A sheet title holds at most 31 characters and none of []:*?/\
    sheet = workbook.create_sheet(
        title=safe_text(table.title).translate(str.maketrans("", "", "[]:*?/\\"))[:31]
    )
    for line in table_rows(table):
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    return _attachment(response, filename(table, scope_name, "xlsx"))


def export_response(table, scope_name, kind):
    if kind == "csv":
        return csv_response(table, scope_name)
    return xlsx_response(table, scope_name)


def scope_label(scope):
    """A caption for the scope (the page's heading and the file's sheet)."""
    if scope.call is not None:
        return scope.call.display_title
    if scope.year_from and scope.year_to:
        return _("Calls opened %(start)s to %(end)s") % {"start": scope.year_from, "end": scope.year_to}
    if scope.year_from:
        return _("Calls opened from %(start)s") % {"start": scope.year_from}
    if scope.year_to:
        return _("Calls opened until %(end)s") % {"end": scope.year_to}
    return _("All calls")
