"""A reviewer pool from a spreadsheet (xlsx): one person a row, under a header row with the
columns ``name``, ``email``, ``affiliation`` (the organisation's business registration number,
may be empty) and ``expertise`` (technology field codes, separated by commas or spaces).

Every row is checked before anything is written; a file with any bad row writes nothing and
lists each bad row's number with its reason in plain words. A good file invites everyone in it
(evaluation.committee.invite_many), in one transaction."""

import re
from itertools import islice
from zipfile import BadZipFile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from competitions.files import DocumentFormat, detect_format, inspect_archive, safe_filename
from competitions.lifecycle import TransitionRefused
from competitions.models import TechnologyField
from projects.models import Organisation
from projects.registration_number import normalise_registration_number

from .committee import Invitee, invite_many, refusals_for

COLUMNS = ("name", "email", "affiliation", "expertise")
# Header names as staff may write them (lower case): the English column or its Korean heading.
HEADER_ALIASES = {
    "name": "name",
    "성명": "name",
    "email": "email",
    "e-mail": "email",
    "이메일": "email",
    "affiliation": "affiliation",
    "affiliation registration number": "affiliation",
    "소속": "affiliation",
    "소속 사업자등록번호": "affiliation",
    "expertise": "expertise",
    "expertise codes": "expertise",
    "전문분야": "expertise",
    "전문분야 코드": "expertise",
}
MAX_ROWS = 2000


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_pool(upload):
    """The Invitees of an uploaded xlsx file, or TransitionRefused listing every bad row."""
    # A zip bomb, macros or links outside the file are refused before openpyxl opens it.
    if detect_format(upload) == DocumentFormat.XLSX:
        try:
            inspect_archive(upload, safe_filename(getattr(upload, "name", "") or "pool.xlsx"))
        except ValidationError as error:
            raise TransitionRefused(error.messages) from None
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise TransitionRefused([_("This file is not an xlsx spreadsheet.")]) from None
    rows = book.active.iter_rows(values_only=True)
    header = [HEADER_ALIASES.get(_text(cell).lower()) for cell in next(rows, ())]
    missing = [column for column in COLUMNS[:2] if column not in header]
    if missing:
        raise TransitionRefused(
            [
                _("The first row must name the columns: %(columns)s (missing: %(missing)s).")
                % {"columns": ", ".join(COLUMNS), "missing": ", ".join(missing)}
            ]
        )
    lines = list(islice(rows, MAX_ROWS + 1))
    if len(lines) > MAX_ROWS:
        raise TransitionRefused([_("More than %(count)d rows: split the file.") % {"count": MAX_ROWS}])
    column = header.index("affiliation") if "affiliation" in header else None
    numbers = {
        normalise_registration_number(_text(line[column]))
        for line in lines
        if column is not None and column < len(line) and _text(line[column])
    }
    organisations = Organisation.objects.filter(registration_number__in=numbers).in_bulk(
        field_name="registration_number"
    )
    fields = {str(f.code): f for f in TechnologyField.objects.all()}
    errors, invitees, first_row_of = [], [], {}
    for number, cells in enumerate(lines, start=2):
        values = {column: _text(cell) for column, cell in zip(header, cells, strict=False) if column}
        if not any(values.values()):
            continue
        reasons = []
        affiliation = None
        if values.get("affiliation"):
            digits = normalise_registration_number(values["affiliation"])
            affiliation = organisations.get(digits)
            if affiliation is None:
                reasons.append(
                    _("There is no organisation with the business registration number %(value)s.")
                    % {"value": values["affiliation"]}
                )
        expertise = []
        for code in filter(None, re.split(r"[\s,;]+", values.get("expertise", ""))):
            if code in fields:
                expertise.append(fields[code])
            else:
                reasons.append(_("There is no technology field with the code %(code)s.") % {"code": code})
        invitee = Invitee(values.get("name", ""), values.get("email", ""), affiliation, expertise)
        reasons += refusals_for(invitee)
        email = invitee.email.lower()
        if email and email in first_row_of:
            reasons.append(
                _("%(email)s appears again (first in row %(row)d).")
                % {"email": email, "row": first_row_of[email]}
            )
        first_row_of.setdefault(email, number)
        if reasons:
            errors.append(_("Row %(row)d: %(reasons)s") % {"row": number, "reasons": " ".join(reasons)})
        else:
            invitees.append(invitee)
    if errors:
        raise TransitionRefused(errors)
    if not invitees:
        raise TransitionRefused([_("The file has no one to invite.")])
    return invitees


def import_pool(upload, *, by, site):
    """Invite everyone in the spreadsheet, or no one (see the module's docstring)."""
    return invite_many(read_pool(upload), by=by, site=site)
