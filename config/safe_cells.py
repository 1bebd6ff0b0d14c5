"""Text cells that Excel (and LibreOffice) open safely: the one rule for every spreadsheet and CSV
Gongmo writes (the funding workbook, admin exports, the smart-city exports), kept in config/ so
that every app, whatever its floor, uses the same one.

Two dangers in a workbook built from applicants' input:

- characters XML 1.0 has no place for: control characters other than tab, newline and carriage
  return (a writer escapes them as ``_x0007_``, which the spreadsheet turns back into the
  character; openpyxl refuses them); they are removed;
- formula injection (CSV/DDE injection): a text starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return may be taken for a formula by a spreadsheet, e.g. an organisation called
  ``=HYPERLINK("http://evil.example", "Click")``. Such a text gets a leading apostrophe and is
  written as a plain string, so the spreadsheet shows it literally and never evaluates it.

Only for text: numbers and dates are written as real numeric or date cells and never go
through here.
"""

import re

ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010\013\014\016-\037]")  # as openpyxl's
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
