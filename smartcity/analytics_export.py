"""The analytics tables as CSV and XLSX files: headers in the reader's language, numbers as
numbers (money in integer won), text cells that a spreadsheet never takes for a formula.

Text cells go through config.safe_cells, the one rule every export follows. Downloads are
recorded in the access log by audit's middleware, which logs every response that carries a
Content-Disposition."""

from django.utils.translation import gettext as _

from config.safe_cells import safe_text

from .analytics import MEASURE_LABELS, MEASURES
from .spreadsheets import csv_bytes, download, xlsx_bytes


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


def export_response(table, scope_name, kind):
    rows = table_rows(table)
    content = csv_bytes(rows) if kind == "csv" else xlsx_bytes([(table.title, rows)])
    return download(content, kind, filename(table, scope_name, kind))


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
