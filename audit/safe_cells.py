"""Text cells that Excel (and LibreOffice) open safely.

Two dangers in a workbook built from applicants' input:

- characters Excel refuses: control characters other than tab, newline and carriage return make
  the file unreadable (openpyxl raises on them); they are removed;
- formula injection (CSV/DDE injection): a text starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return may be taken for a formula by a spreadsheet, e.g. an organisation called
  ``=HYPERLINK("http://evil.example", "Click")``. Such a text gets a leading apostrophe and is
  written as a plain string, so the spreadsheet shows it literally and never evaluates it.

Only for text: numbers and dates are written as real numeric or date cells and never go
through here.
"""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_CELL_CHARS = 32_767


def safe_text(value) -> str:
    """``value`` as a string Excel opens as inert text ("" for None)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    # Excel truncates (and warns about) longer cells; cut here so the file opens cleanly.
    return text[:EXCEL_MAX_CELL_CHARS]
