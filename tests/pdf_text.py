"""Read the text back out of a PDF the application served (pypdf), for tests."""

import io

from pypdf import PdfReader


def pdf_text(content):
    """The text of every page, joined; asserts the bytes are a PDF."""
    assert content.startswith(b"%PDF-"), content[:40]
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_fonts(content):
    """The base names of the fonts the PDF embeds (e.g. 'ABCDEF+PretendardGOV-Regular')."""
    reader = PdfReader(io.BytesIO(content))
    names = set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont", "")))
    return names
