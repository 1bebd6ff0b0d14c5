"""Issue 18: uploads checked in depth. Each dangerous file is built here, byte by byte, and
refused with its own message; genuine samples still pass."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from competitions import files
from competitions.files import DocumentFormat, validate_document
from tests.projects.samples import (
    compound_file_bytes,
    docx_bytes,
    hwp_bytes,
    hwp_header_stream,
    hwpx_bytes,
    pdf_bytes,
    xlsx_bytes,
    zip_bytes,
)


def check(data, name):
    return validate_document(io.BytesIO(data), name)


def refused(data, name):
    with pytest.raises(ValidationError) as caught:
        check(data, name)
    error = caught.value
    return error.code, error.message % error.params


def with_members(package: bytes, extra: dict[str, bytes], replace: dict[str, bytes] | None = None) -> bytes:
    """The package with members added (or replaced), deflated."""
    source = zipfile.ZipFile(io.BytesIO(package))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members.update(replace or {})
    members.update(extra)
    return zip_bytes(members)


@pytest.mark.parametrize(
    "data, name, expected",
    [
        (pdf_bytes(), "plan.pdf", DocumentFormat.PDF),
        (hwp_bytes(), "plan.hwp", DocumentFormat.HWP),
        (hwpx_bytes(), "plan.hwpx", DocumentFormat.HWPX),
        (docx_bytes(), "plan.docx", DocumentFormat.DOCX),
        (xlsx_bytes(), "budget.xlsx", DocumentFormat.XLSX),
    ],
)
def test_genuine_documents_still_pass(data, name, expected):
    assert check(data, name) == expected


def test_a_docx_with_a_hyperlink_passes():
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
        b'Target="https://www.molit.go.kr/" TargetMode="External"/></Relationships>'
    )
    assert check(with_members(docx_bytes(), {"word/_rels/document.xml.rels": rels}), "plan.docx") == "docx"


def test_a_1_mb_xlsx_holding_a_1_gb_member_is_a_zip_bomb():
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in source.infolist():
            bomb.writestr(info.filename, source.read(info))
        with bomb.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(1024):
                member.write(block)
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    code, message = refused(data, "budget.xlsx")
    assert code == "zip_bomb"
    assert "would expand to 1024.1 MB when opened (at most 300 MB); it may be a zip bomb" in message


def test_one_member_compressed_too_many_times_is_refused(settings, monkeypatch):
    monkeypatch.setattr(files, "MAX_UNCOMPRESSED_BYTES", 300 * 1024 * 1024)
    data = with_members(docx_bytes(), {"word/media/blank.xml": b"\0" * (5 * 1024 * 1024)})
    code, message = refused(data, "plan.docx")
    assert code == "zip_bomb"
    assert "holds a part compressed more than 100 times (word/media/blank.xml)" in message


def test_too_many_members_are_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_ZIP_MEMBERS", 10)
    data = with_members(hwpx_bytes(), {f"BinData/image{n}.png": b"x" for n in range(10)})
    code, message = refused(data, "plan.hwpx")
    assert code == "zip_bomb" and "holds more than 10 parts" in message


def test_a_docx_with_macros_is_refused():
    data = with_members(docx_bytes(), {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})
    code, message = refused(data, "plan.docx")
    assert code == "macros"
    assert (
        message
        == "plan.docx contains macros; save it as a plain document or workbook without macros and upload it again."
    )


def test_a_macro_enabled_content_type_is_refused():
    types = (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
        .read("[Content_Types].xml")
        .replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
    )
    code, _message = refused(with_members(xlsx_bytes(), {}, {"[Content_Types].xml": types}), "budget.xlsx")
    assert code == "macros"


def test_a_docx_with_an_external_template_is_refused():
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        b'Target="http://attacker.example/template.dotm" TargetMode="External"/></Relationships>'
    )
    code, message = refused(with_members(docx_bytes(), {"word/_rels/settings.xml.rels": rels}), "plan.docx")
    assert code == "external_link"
    assert "links to a template, workbook or object outside the file (attachedTemplate)" in message


def test_an_xlsx_with_an_external_workbook_link_is_refused():
    data = with_members(xlsx_bytes(), {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"})
    code, _message = refused(data, "budget.xlsx")
    assert code == "external_link"


def test_an_externally_linked_image_is_refused():
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
        b'Target="\\\\attacker\\share\\a.png" TargetMode="External"/></Relationships>'
    )
    code, message = refused(with_members(docx_bytes(), {"word/_rels/document.xml.rels": rels}), "plan.docx")
    assert code == "external_link" and "(image)" in message


def test_a_pdf_that_is_also_a_zip_is_refused():
    data = pdf_bytes() + zip_bytes({"payload.exe": b"MZ" + bytes(100)})
    assert data.startswith(b"%PDF-")
    code, message = refused(data, "plan.pdf")
    assert code == "polyglot"
    assert message == "plan.pdf is a PDF that also holds a ZIP archive; upload a plain PDF."


def test_a_pdf_merely_holding_the_bytes_pk_passes():
    data = pdf_bytes().replace(b"%%EOF", b"% PK\x03\x04 PK\x01\x02 in a comment\n%%EOF")
    assert check(data, "plan.pdf") == "pdf"


def test_an_hwp_whose_header_is_an_executable_is_refused():
    data = compound_file_bytes(
        {"FileHeader": b"MZ\x90\x00" + bytes(252), "DocInfo": b"x", "BodyText/Section0": b"y"}
    )
    code, message = refused(data, "plan.hwp")
    assert code == "executable"
    assert "hides a program (an executable) in place of the HWP header" in message


def test_an_hwp_whose_header_is_not_hwps_is_refused():
    data = compound_file_bytes({"FileHeader": b"Not a Hangul file".ljust(256, b"\0"), "DocInfo": b"x"})
    code, message = refused(data, "plan.hwp")
    assert code == "not_hwp"
    assert message == "plan.hwp is not a genuine HWP document: its file header does not say so."
    assert hwp_header_stream().startswith(b"HWP Document File")


def test_the_file_is_left_at_its_start():
    handle = io.BytesIO(docx_bytes())
    handle.seek(7)
    validate_document(handle, "plan.docx")
    assert handle.tell() == 0


def test_messages_are_in_korean(settings):
    from django.utils import translation

    with translation.override("ko"):
        data = with_members(docx_bytes(), {"word/vbaProject.bin": b"macro"})
        _code, message = refused(data, "plan.docx")
    assert "매크로" in message
