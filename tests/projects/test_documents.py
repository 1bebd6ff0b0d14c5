"""Submitted documents: detection by content, the refusals and their messages, stored names."""

import io
import random

import olefile
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentFormat,
    detect_format,
    safe_filename,
    validate_document,
)

from .samples import (
    compound_file_bytes,
    docx_bytes,
    hwp_bytes,
    hwpx_bytes,
    ole_bytes,
    pdf_bytes,
    xlsx_bytes,
    zip_bytes,
)

SAMPLES = {
    DocumentFormat.PDF: pdf_bytes,
    DocumentFormat.HWP: hwp_bytes,
    DocumentFormat.HWPX: hwpx_bytes,
    DocumentFormat.DOCX: docx_bytes,
    DocumentFormat.XLSX: xlsx_bytes,
}


def refusal(data, name, size=None):
    """The ValidationError validate_document raises, with its message in English."""
    with pytest.raises(ValidationError) as caught:
        validate_document(io.BytesIO(data), name, size=size)
    return caught.value


# --- Detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("expected", list(SAMPLES))
def test_each_format_is_detected_by_content(expected):
    assert detect_format(io.BytesIO(SAMPLES[expected]())) == expected


def test_samples_are_sound_files():
    for data in (hwp_bytes(), ole_bytes(["WordDocument"])):
        ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_POTENTIAL)
        assert ole.listdir()
        ole.close()
    assert (
        olefile.OleFileIO(io.BytesIO(hwp_bytes())).openstream("FileHeader").read(17) == b"HWP Document File"
    )
    assert pdf_bytes().startswith(b"%PDF-1.7\n") and pdf_bytes().rstrip().endswith(b"%%EOF")


def test_hwp_with_streams_in_regular_sectors_and_storages_is_detected():
    data = compound_file_bytes(
        {"FileHeader": b"HWP Document File".ljust(5000, b"\0"), "BodyText/Section0": b"x" * 9000}
    )
    assert olefile.OleFileIO(io.BytesIO(data)).get_size("BodyText/Section0") == 9000
    assert detect_format(io.BytesIO(data)) == DocumentFormat.HWP


def test_hwpx_mimetype_may_carry_surrounding_whitespace():
    data = zip_bytes({"mimetype": b"application/hwp+zip\r\n", "Contents/section0.xml": b"<sec/>"})
    assert detect_format(io.BytesIO(data)) == DocumentFormat.HWPX


def test_a_zip_with_another_mimetype_is_not_hwpx():
    assert detect_format(io.BytesIO(zip_bytes({"mimetype": b"application/epub+zip"}))) is None
    data = zip_bytes({"mimetype": b"application/epub+zip", "word/document.xml": b"<w:document/>"})
    assert detect_format(io.BytesIO(data)) == DocumentFormat.DOCX


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Business plan\n\nWe will build a smart city.\n", id="plain text"),
        pytest.param(random.Random(2025).randbytes(4096), id="random bytes"),
        pytest.param(b"", id="nothing"),
        pytest.param(b" %PDF-1.7\n", id="pdf magic not at the start"),
        pytest.param(
            zip_bytes({"notes.txt": b"hello", "word/other.xml": b"<x/>"}), id="zip of other members"
        ),
        pytest.param(zip_bytes({}), id="empty zip"),
        pytest.param(b"PK\x03\x04" + bytes(200), id="broken zip"),
        pytest.param(ole_bytes(["WordDocument"]), id="ole without FileHeader"),
        pytest.param(ole_bytes(["Contents/FileHeader"]), id="FileHeader only inside a storage"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000), id="broken ole"),
        pytest.param(hwp_bytes()[:600], id="truncated ole"),
    ],
)
def test_other_content_is_not_detected(data):
    assert detect_format(io.BytesIO(data)) is None


@pytest.mark.parametrize("expected", list(SAMPLES))
def test_detection_starts_at_the_beginning_and_leaves_the_file_there(expected):
    fileobj = io.BytesIO(SAMPLES[expected]())
    fileobj.seek(7)
    assert detect_format(fileobj) == expected
    assert fileobj.tell() == 0


def test_detection_leaves_the_file_at_the_beginning_when_nothing_is_found():
    fileobj = io.BytesIO(b"PK\x03\x04 not really a zip")
    fileobj.seek(5)
    assert detect_format(fileobj) is None
    assert fileobj.tell() == 0


# --- Validation: acceptance ------------------------------------------------------------------


@pytest.mark.parametrize("expected", list(SAMPLES))
def test_each_format_is_accepted_under_its_own_extension(expected):
    data = SAMPLES[expected]()  # built once: the XLSX sample carries a timestamp
    fileobj = io.BytesIO(data)
    assert validate_document(fileobj, f"사업계획서.{expected.value}") == expected
    assert fileobj.tell() == 0
    assert fileobj.getvalue() == data


@pytest.mark.parametrize("name", ["REPORT.PDF", "report.Pdf", "C:\\Users\\kim\\보고서.PDF"])
def test_extension_case_does_not_matter(name):
    assert validate_document(io.BytesIO(pdf_bytes()), name) == DocumentFormat.PDF


def test_an_uploaded_file_is_validated_with_its_own_size():
    upload = SimpleUploadedFile("사업비.xlsx", xlsx_bytes())
    assert validate_document(upload, upload.name, upload.size) == DocumentFormat.XLSX
    assert upload.tell() == 0


def test_exactly_twenty_megabytes_is_allowed():
    assert (
        validate_document(io.BytesIO(pdf_bytes()), "plan.pdf", size=MAX_DOCUMENT_BYTES) == DocumentFormat.PDF
    )


# --- Validation: refusals --------------------------------------------------------------------


def test_an_empty_file_is_refused():
    error = refusal(b"", "plan.pdf")
    assert error.code == "empty"
    assert error.messages == ["The file is empty."]


def test_a_file_said_to_be_empty_is_refused():
    assert refusal(pdf_bytes(), "plan.pdf", size=0).code == "empty"


def test_a_file_over_twenty_megabytes_is_refused():
    error = refusal(pdf_bytes(), "plan.pdf", size=MAX_DOCUMENT_BYTES + 1)
    assert error.code == "too_large"
    assert error.messages == ["plan.pdf is 20.1 MB; the limit is 20 MB."]


def test_a_large_size_reads_with_one_decimal():
    error = refusal(pdf_bytes(), "plan.pdf", size=25 * 1024 * 1024)
    assert error.messages == ["plan.pdf is 25.0 MB; the limit is 20 MB."]


def test_a_large_file_is_measured_when_no_size_is_given(tmp_path):
    path = tmp_path / "big.pdf"
    with path.open("wb") as handle:
        handle.write(pdf_bytes())
        handle.truncate(MAX_DOCUMENT_BYTES + 200 * 1024)  # sparse: nothing is allocated in memory
    with path.open("rb") as handle, pytest.raises(ValidationError) as caught:
        validate_document(handle, "big.pdf")
    assert caught.value.code == "too_large"
    assert caught.value.messages == ["big.pdf is 20.2 MB; the limit is 20 MB."]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param(b"Business plan\n", "plan.pdf", id="plain text"),
        pytest.param(random.Random(7).randbytes(2048), "plan.hwp", id="random bytes"),
        pytest.param(zip_bytes({"readme.txt": b"hi"}), "plan.docx", id="zip of other members"),
        pytest.param(ole_bytes(["WordDocument"]), "plan.hwp", id="ole without FileHeader"),
    ],
)
def test_unknown_content_is_refused(data, name):
    error = refusal(data, name)
    assert error.code == "unknown_type"
    assert error.messages == [f"{name} is not a PDF, HWP, HWPX, DOCX or XLSX file."]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plan.exe", "plan.exe"),
        ("plan", "plan"),
        ("plan.pdf.exe", "plan.pdf.exe"),
        ("plan.txt", "plan.txt"),
    ],
)
def test_a_name_without_an_accepted_extension_is_refused(name, shown):
    error = refusal(pdf_bytes(), name)
    assert error.code == "bad_extension"
    assert error.messages == [f"{shown} must end in .pdf, .hwp, .hwpx, .docx or .xlsx."]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (pdf_bytes(), "plan.docx", "plan.docx is named .docx but its content is PDF."),
        (docx_bytes(), "budget.xlsx", "budget.xlsx is named .xlsx but its content is Word (DOCX)."),
        (hwpx_bytes(), "계획서.hwp", "계획서.hwp is named .hwp but its content is HWPX (Hangul)."),
        (hwp_bytes(), "계획서.HWPX", "계획서.HWPX is named .hwpx but its content is HWP (Hangul)."),
        (xlsx_bytes(), "budget.pdf", "budget.pdf is named .pdf but its content is Excel (XLSX)."),
    ],
)
def test_an_extension_that_disagrees_with_the_content_is_refused(data, name, message):
    error = refusal(data, name)
    assert error.code == "extension_mismatch"
    assert error.messages == [message]


def test_messages_name_the_file_without_its_directories():
    error = refusal(b"#!/bin/sh\n", "../../etc/passwd.pdf")
    assert error.messages == ["passwd.pdf is not a PDF, HWP, HWPX, DOCX or XLSX file."]


def test_a_refusal_leaves_the_file_unchanged_at_the_beginning():
    fileobj = io.BytesIO(docx_bytes())
    with pytest.raises(ValidationError):
        validate_document(fileobj, "plan.pdf")
    assert fileobj.tell() == 0
    assert fileobj.getvalue() == docx_bytes()


# --- Stored names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\system.ini.hwp", "system.ini.hwp"),
        ("C:\\Users\\김철수\\Desktop\\계획서.docx", "계획서.docx"),
        ("/absolute/path/plan.pdf", "plan.pdf"),
        ("사업계획서.hwp", "사업계획서.hwp"),
        ("2025년 스마트시티 사업계획서(최종).hwpx", "2025년 스마트시티 사업계획서(최종).hwpx"),
        (".hidden.pdf", "hidden.pdf"),
        ("...plan.pdf", "plan.pdf"),
        ("plan..final.pdf", "plan.final.pdf"),
        ("  plan \t  final\n.pdf  ", "plan final.pdf"),
        ("plan\x00\x07\x1b.pdf", "plan.pdf"),
        ("plan\u202efdp.exe", "planfdp.exe"),  # a right-to-left override cannot disguise the extension
        ('what: "now"?.pdf', "what_ _now__.pdf"),
        ("plan.pdf.", "plan.pdf"),
        (".pdf", "document.pdf"),
        ("../../.pdf", "document.pdf"),
        ("..", "document"),
        ("", "document"),
        ("///", "document"),
        ("\x00\x01", "document"),
        ("plan", "plan"),
        ("version 2. final", "version 2. final"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_composes_decomposed_hangul():
    decomposed = "\u1109\u1161\u110b\u1165\u11b8.hwp"  # 사업.hwp as macOS sends it
    assert safe_filename(decomposed) == "사업.hwp"


def test_safe_filename_shortens_long_names_keeping_the_extension():
    result = safe_filename("a" * 400 + ".docx")
    assert result == "a" * 145 + ".docx"
    assert len(result) == 150


def test_safe_filename_keeps_long_korean_names_within_what_file_systems_store():
    result = safe_filename("가" * 200 + ".hwpx")
    assert result.endswith("가.hwpx")
    assert len(result) <= 150
    assert len(result.encode()) <= 240


def test_safe_filename_does_not_end_a_shortened_name_in_dots_or_spaces():
    result = safe_filename("a" * 140 + " . . . " + "b" * 20 + ".pdf")
    assert result.endswith(".pdf")
    assert not result[: -len(".pdf")].endswith((" ", "."))


def test_safe_filename_is_stable():
    for name in ("../x/사업계획서.hwp", "  ..a..b..pdf", "가" * 300 + ".pdf"):
        once = safe_filename(name)
        assert safe_filename(once) == once


def test_labels():
    assert [str(label) for label in DocumentFormat.labels] == [
        "PDF",
        "HWP (Hangul)",
        "HWPX (Hangul)",
        "Word (DOCX)",
        "Excel (XLSX)",
    ]
