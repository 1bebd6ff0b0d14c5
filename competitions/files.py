"""Uploaded files: what a file is, judged by its content, and whether its name agrees.

DESIGN.md "File types": a PDF starts with ``%PDF-``; HWP 5 is an OLE compound file whose
stream names include ``FileHeader``; HWPX, DOCX and XLSX are ZIP files told apart by their
members (``mimetype`` = ``application/hwp+zip``; ``word/document.xml``; ``xl/workbook.xml``).
A name's extension must agree with its content, and no document may exceed 20 MB.

Then the content is checked in depth (``inspect_content``, issue 18): a ZIP package (DOCX, XLSX,
HWPX) must not expand beyond ``MAX_UNCOMPRESSED_BYTES`` in all, nor any member more than
``MAX_COMPRESSION_RATIO`` times (zip bombs), nor hold more than ``MAX_ZIP_MEMBERS`` members;
an office file must carry no macros (``vbaProject.bin``, a macro-enabled content type) and no
relation to anything outside it but hyperlinks (an attached template, an external workbook link,
a linked image or object: opening the file would fetch them); a PDF must not also be a ZIP (a
polyglot: a ZIP directory at its end, where ZIP readers find it); an HWP's ``FileHeader`` stream must
begin with HWP's own signature, and is refused outright if it is an executable (``MZ``).

The functions here only read: they never change the file, and they leave it at position 0.
They live here, on the bottom floor, because every upload is checked by them: an application's
documents (projects) and a call's announcement and forms (competitions.notices).
"""

import os
import re
import unicodedata
import zipfile
import zlib
from xml.etree import ElementTree

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

# Deep checks (inspect_content). A genuine 20 MB office document expands to a few hundred MB at
# most and compresses XML about 10-30 times; a zip bomb expands to gigabytes, a member thousands
# of times. Ratios are only judged for members above a megabyte (a small run of zeros may
# compress 1000 times, harmlessly).
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# Relationship parts are small; anything bigger is not read (and is suspicious in itself).
_MAX_RELS_BYTES = 2 * 1024 * 1024
_HWP_SIGNATURE = b"HWP Document File"
_EXECUTABLE_MAGIC = b"MZ"
_MACRO_MEMBER = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml)$", re.IGNORECASE)
_HYPERLINK_TYPE = "/hyperlink"

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
    inspect_content(fileobj, actual, display_name)
    return actual


# --- Deep checks ------------------------------------------------------------------------------


def inspect_content(fileobj, file_format, display_name):
    """Raise ValidationError if a file of ``file_format`` hides something dangerous (see the
    module's docstring); leaves the file at position 0."""
    try:
        if file_format == DocumentFormat.PDF:
            _inspect_pdf(fileobj, display_name)
        elif file_format == DocumentFormat.HWP:
            _inspect_hwp(fileobj, display_name)
        else:
            inspect_archive(
                fileobj, display_name, office=file_format in (DocumentFormat.DOCX, DocumentFormat.XLSX)
            )
    finally:
        fileobj.seek(0)


def inspect_archive(fileobj, display_name, office=True):
    """Zip-bomb limits for any ZIP package; macros and outside links for office ones (OOXML).
    Also used for spreadsheets imported by staff."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
            _check_expansion(members, display_name)
            if office:
                _check_office_members(archive, members, display_name)
    except ValidationError:
        raise
    except _ZIP_ERRORS:
        raise ValidationError(
            _("%(name)s is damaged and cannot be opened."), code="damaged", params={"name": display_name}
        ) from None
    finally:
        fileobj.seek(0)


def _check_expansion(members, display_name):
    if len(members) > MAX_ZIP_MEMBERS:
        raise ValidationError(
            _("%(name)s holds more than %(limit)s parts; it may be a zip bomb."),
            code="zip_bomb",
            params={"name": display_name, "limit": f"{MAX_ZIP_MEMBERS:,}"},
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ValidationError(
            _(
                "%(name)s would expand to %(size)s MB when opened (at most %(limit)s MB); it may be a zip bomb."
            ),
            code="zip_bomb",
            params={
                "name": display_name,
                "size": _megabytes(total),
                "limit": MAX_UNCOMPRESSED_BYTES // (1024 * 1024),
            },
        )
    for member in members:
        if member.file_size > RATIO_CHECKED_ABOVE_BYTES and (
            member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise ValidationError(
                _(
                    "%(name)s holds a part compressed more than %(ratio)s times (%(member)s); it may be a zip bomb."
                ),
                code="zip_bomb",
                params={"name": display_name, "ratio": MAX_COMPRESSION_RATIO, "member": member.filename[:80]},
            )


def _check_office_members(archive, members, display_name):
    for member in members:
        if _MACRO_MEMBER.search(member.filename):
            raise _macros(display_name)
    names = {member.filename: member for member in members}
    types = names.get("[Content_Types].xml")
    if (
        types is not None
        and types.file_size <= _MAX_RELS_BYTES
        and b"macroenabled" in archive.read(types).lower()
    ):
        raise _macros(display_name)
    for member in members:
        if member.filename.lower().startswith("xl/externallinks/"):
            raise _outside_link(display_name, member.filename)
        if not member.filename.endswith(".rels") or member.file_size > _MAX_RELS_BYTES:
            continue
        try:
            root = ElementTree.fromstring(archive.read(member))
        except ElementTree.ParseError:
            raise ValidationError(
                _("%(name)s is damaged and cannot be opened."), code="damaged", params={"name": display_name}
            ) from None
        for relation in root:
            kind = relation.get("Type", "")
            if relation.get("TargetMode", "").lower() == "external" and not kind.endswith(_HYPERLINK_TYPE):
                raise _outside_link(display_name, kind.rsplit("/", 1)[-1])
            if kind.endswith(("/attachedTemplate", "/externalLink", "/externalLinkPath")):
                raise _outside_link(display_name, kind.rsplit("/", 1)[-1])


def _macros(display_name):
    return ValidationError(
        _(
            "%(name)s contains macros; save it as a plain document or workbook without macros and upload it again."
        ),
        code="macros",
        params={"name": display_name},
    )


def _outside_link(display_name, what):
    return ValidationError(
        _(
            "%(name)s links to a template, workbook or object outside the file (%(what)s); "
            "remove the link and upload it again."
        ),
        code="external_link",
        params={"name": display_name, "what": what[:80]},
    )


def _inspect_pdf(fileobj, display_name):
    """A PDF that is also a ZIP: a ZIP reader looks for the end-of-central-directory record in
    the last 64 KB, follows it to the central directory and finds members, whatever precedes
    them (here, a PDF). Searching for the bare signatures instead would refuse about one PDF in
    a few hundred, whose compressed streams hold those four bytes by chance."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            is_zip = bool(archive.infolist())
    except _ZIP_ERRORS:
        is_zip = False
    if is_zip:
        raise ValidationError(
            _("%(name)s is a PDF that also holds a ZIP archive; upload a plain PDF."),
            code="polyglot",
            params={"name": display_name},
        )


def _inspect_hwp(fileobj, display_name):
    fileobj.seek(0)
    try:
        ole = olefile.OleFileIO(fileobj)
        try:
            with ole.openstream("FileHeader") as stream:
                header = stream.read(len(_HWP_SIGNATURE))
        finally:
            ole.close()
    except Exception:  # olefile's assorted errors on a damaged file
        header = b""
    if header.startswith(_EXECUTABLE_MAGIC):
        raise ValidationError(
            _("%(name)s hides a program (an executable) in place of the HWP header; it is refused."),
            code="executable",
            params={"name": display_name},
        )
    if not header.startswith(_HWP_SIGNATURE):
        raise ValidationError(
            _("%(name)s is not a genuine HWP document: its file header does not say so."),
            code="not_hwp",
            params={"name": display_name},
        )


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
