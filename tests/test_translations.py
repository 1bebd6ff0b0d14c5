"""Every user-facing string has a Korean translation: the catalogue is complete (nothing empty,
nothing fuzzy) and holds every message the code and templates use. Extraction is pure Python
(Django's templatize + Babel), so this runs without GNU gettext."""

import io
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = [
    "accounts",
    "competitions",
    "projects",
    "evaluation",
    "audit",
    "api",
    "config",
    "smartcity",
    "templates",
]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}


def catalogue():
    with open(CATALOGUE, "rb") as handle:
        return read_po(handle)


def used_messages():
    found = {}
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if "migrations" in path.parts or path.suffix not in {".py", ".html", ".txt"}:
                continue
            source = path.read_text(encoding="utf-8")
            if path.suffix in {".html", ".txt"}:
                source = templatize(source, origin=str(path))
            for _line, message, _comments, _context in extract(
                "python", io.BytesIO(source.encode("utf-8")), keywords=KEYWORDS
            ):
                msgid = message[0] if isinstance(message, tuple) else message
                if msgid:
                    found.setdefault(msgid, str(path.relative_to(ROOT)))
    return found


def test_catalogue_has_no_empty_or_fuzzy_korean_message():
    problems = []
    for message in catalogue():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == []


def test_every_message_in_code_and_templates_is_in_the_korean_catalogue():
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue() if m.id}
    missing = {msgid: where for msgid, where in used_messages().items() if msgid not in known}
    assert missing == {}, "run: manage.py makemessages -l ko, then translate"


def test_extraction_finds_template_and_python_messages():
    used = used_messages()
    assert "Who may apply" in used  # a template
    assert "Reception must close after it opens." in used  # a model
