"""Uploaded files: what a file is, judged by its content, and whether its name agrees.

DESIGN.md "File types": a PDF starts with ``%PDF-``; HWP 5 is an OLE compound file whose
stream names include ``FileHeader``; HWPX, DOCX and XLSX are ZIP files told apart by their
members (``mimetype`` = ``application/hwp+zip``; ``word/document.xml``; ``xl/workbook.xml``).
A name's extension must agree with its content, and no document may exceed 20 MB.

The functions here only read: they never change the file, and they leave it at position 0.
They live here, on the bottom floor, because every upload is checked by them: an application's
documents (projects) and a call's announcement and forms (competitions.notices).
"""

import os
import re
import unicodedata
import zipfile
import zlib

import olefile
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

# Stored names: at most 150 characters, and at most 240 bytes in UTF-8 (Korean syllables take
# three bytes each, file systems allow 255, and storage may append a short suffix on clashes).
MAX_FILENAME_CHARS = 150
MAX_FILENAME_BYTES = 240
# A "suffix" longer than this is not an extension ("notes.this is a sentence, not a type").
_MAX_EXTENSION_CHARS = 16

_PDF_MAGIC = b"%PDF-"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_HWPX_MIMETYPE = b"application/hwp+zip"
# A genuine mimetype member is the type and perhaps a newline; anything bigger is not HWPX.
_MAX_MIMETYPE_BYTES = 256

# What a damaged or hostile ZIP can raise while we list its members or read the mimetype.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    RuntimeError,  # an encrypted member
    NotImplementedError,  # an unsupported compression method
    EOFError,
    OSError,
    ValueError,
    zlib.error,
)

# Characters Windows refuses in names; uploads are downloaded again, so they become "_".
_RESERVED_CHARACTERS = re.compile(r'[<>:"|?*]')
# Control, format (e.g. right-to-left overrides) and surrogate code points are dropped.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}


class DocumentFormat(models.TextChoices):
    """The accepted kinds of document; each value is also the one extension its name may carry."""

    PDF = "pdf", _("PDF")
    HWP = "hwp", _("HWP (Hangul)")
    HWPX = "hwpx", _("HWPX (Hangul)")
    DOCX = "docx", _("Word (DOCX)")
    XLSX = "xlsx", _("Excel (XLSX)")


def detect_format(fileobj):
    """The DocumentFormat of a binary, seekable file-like object, by content only; None if none.

    Reads no more than it needs (a few bytes for PDF; the directory of an OLE or ZIP file) and
    leaves the file at position 0, whatever position it was given at.
    """
    fileobj.seek(0)
    try:
        head = fileobj.read(len(_OLE_MAGIC))
        if head.startswith(_PDF_MAGIC):
            return DocumentFormat.PDF
        if head == _OLE_MAGIC:
            return _detect_compound_file(fileobj)
        if head.startswith(_ZIP_MAGIC):
            return _detect_zip(fileobj)
        return None
    finally:
        fileobj.seek(0)


def _detect_compound_file(fileobj):
    """HWP if this OLE compound file has a ``FileHeader`` stream at its root; otherwise None."""
    fileobj.seek(0)
    try:
        # olefile uses the file object as given (seeking within it) and does not close it.
        ole = olefile.OleFileIO(fileobj)
    except Exception:  # olefile raises assorted errors on damaged files; those are simply not HWP
        return None
    try:
        if ole.get_type("FileHeader") == olefile.STGTY_STREAM:
            return DocumentFormat.HWP
        return None
    except Exception:  # a damaged directory, found while walking it
        return None
    finally:
        ole.close()


def _detect_zip(fileobj):
    """HWPX, DOCX or XLSX, told apart by the ZIP's members; None for any other (or broken) ZIP."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = {info.filename: info for info in archive.infolist()}
            mimetype = members.get("mimetype")
            if mimetype is not None and mimetype.file_size <= _MAX_MIMETYPE_BYTES:
                with archive.open(mimetype) as member:
                    if member.read(_MAX_MIMETYPE_BYTES).strip() == _HWPX_MIMETYPE:
                        return DocumentFormat.HWPX
            if "word/document.xml" in members:
                return DocumentFormat.DOCX
            if "xl/workbook.xml" in members:
                return DocumentFormat.XLSX
            return None
    except _ZIP_ERRORS:
        return None


def validate_document(fileobj, name, size=None):
    """The DocumentFormat of an upload named ``name``, or ValidationError saying what is wrong.

    ``size`` is the file's length in bytes if the caller knows it (an UploadedFile's ``size``);
    otherwise it is measured by seeking. The checks, in order: empty; over 20 MB; content of no
    accepted kind; a name without an accepted extension; an extension that disagrees with the
    content. Messages name the file as it would be stored (see safe_filename).
    """
    display_name = safe_filename(name)
    if size is None:
        size = _measure(fileobj)
    if size <= 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("%(name)s is %(size)s MB; the limit is 20 MB."),
            code="too_large",
            params={"name": display_name, "size": _megabytes(size)},
        )
    actual = detect_format(fileobj)
    if actual is None:
        raise ValidationError(
            _("%(name)s is not a PDF, HWP, HWPX, DOCX or XLSX file."),
            code="unknown_type",
            params={"name": display_name},
        )
    extension = _extension(display_name)
    if extension not in DocumentFormat.values:
        raise ValidationError(
            _("%(name)s must end in .pdf, .hwp, .hwpx, .docx or .xlsx."),
            code="bad_extension",
            params={"name": display_name},
        )
    if extension != actual.value:
        raise ValidationError(
            _("%(name)s is named .%(extension)s but its content is %(actual)s."),
            code="extension_mismatch",
            params={"name": display_name, "extension": extension, "actual": actual.label},
        )
    return actual


def _measure(fileobj):
    fileobj.seek(0, os.SEEK_END)
    try:
        return fileobj.tell()
    finally:
        fileobj.seek(0)


def _megabytes(size):
    """Bytes as MB with one decimal, rounded up so that anything over the limit reads as over it."""
    tenths = -(-size * 10 // (1024 * 1024))
    return f"{tenths // 10}.{tenths % 10}"


def _extension(name):
    """The lower-case extension of a name, without its dot; "" if it has none."""
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def safe_filename(name):
    """A name fit to store an upload under: its base name only, cleaned, at most 150 characters.

    Directory parts (``/`` or ``\\``), ``..``, control characters, leading dots and characters
    Windows forbids are removed; whitespace is collapsed; Korean and other letters are kept
    (normalised to NFC, as macOS sends decomposed Hangul). A long name is shortened before its
    extension. If nothing is left of the name, it becomes "document" plus its extension.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rpartition("/")[2]
    name = "".join(
        " " if character.isspace() else character
        for character in name
        if character.isspace() or unicodedata.category(character) not in _DROPPED_CATEGORIES
    )
    name = _RESERVED_CHARACTERS.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r" +", " ", name).strip(" ").rstrip(". ")

    stem, dot, suffix = name.rpartition(".")
    if dot and suffix and " " not in suffix and len(suffix) <= _MAX_EXTENSION_CHARS:
        extension = "." + suffix
    else:
        stem, extension = name, ""
    stem = stem.strip(". ")

    stem = stem[: MAX_FILENAME_CHARS - len(extension)]
    while stem and len((stem + extension).encode("utf-8")) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(". ")
    return (stem or "document") + extension
