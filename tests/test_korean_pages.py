"""Issue 20: every page of the permission matrix, rendered in Korean for each role that may see
it, has no English word left in its body text. Tags, scripts, styles and attribute values are
stripped; what remains is what a person reads. The allow-list names what is English on
purpose: proper names, codes, units and the fixture world's own data (tests/security/world.py
writes its names, titles and reasons in English, as a person could)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.security.test_permission_matrix import ADMIN_SAMPLES, EXTRA_CASES, MATRIX
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db

# Proper names, product names, codes and units a Korean page writes in Latin letters.
ALLOWED = {
    "gongmo",
    "krds",
    "krw",
    "pdf",
    "hwp",
    "hwpx",
    "xlsx",
    "docx",
    "zip",
    "png",
    "jpg",
    "jpeg",
    "csv",
    "url",
    "id",
    "kst",
    "utc",
    "ict",
    "it",
    "ai",
    "iot",
    "pm",
    "am",
    "mb",
    "kb",
    "gb",
    "english",  # the language switcher names each language in itself
    "yyyy",
    "mm",
    "dd",
    "hh",
    "co",
    "ltd",
    "inc",
    "corp",
    "corporation",
    "django",  # the admin's own brand line
    "cdn",
    "sms",
    "wcag",
    "kwcag",
    "api",
    "km",
}
# The column headers the reviewer-pool import file must carry (evaluation.pool_import): codes
# the page names so that a person can write them.
FILE_COLUMNS = {"name", "email", "affiliation", "expertise"}
# Words of the fixture world's own data (names of organisations, calls, people, files, reasons),
# typed by the people who made it, not the product's wording.
WORLD_WORDS = {
    "acme",
    "beta",
    "other",
    "open",
    "closed",
    "draft",
    "call",
    "eval",
    "evaluation",
    "proposal",
    "smart",
    "city",
    "pilot",
    "applicant",
    "reviewer",
    "staff",
    "auditor",
    "example",
}


class _Text(HTMLParser):
    """The text a person reads: no script, style, template or hidden element."""

    SKIP = {"script", "style", "template", "svg", "code", "kbd", "samp"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def body_text(html):
    start = html.find("<body")
    parser = _Text()
    parser.feed(html[start if start >= 0 else 0 :])
    return " ".join(parser.parts)


EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
URLISH = re.compile(r"\b(?:https?://|www\.)\S+|/[\w\-/.]+/")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


def english_words(text, data_words):
    text = EMAIL.sub(" ", URLISH.sub(" ", text))
    found = []
    for word in WORD.findall(text):
        lower = word.lower().strip("'’")
        if lower in ALLOWED | FILE_COLUMNS or lower in WORLD_WORDS or lower in data_words:
            continue
        if word.isupper() and len(word) <= 6:  # codes: TX, R-01, SME-like abbreviations
            continue
        found.append(word)
    return found


def world_data_words(world):
    """Every Latin word the fixture world stored in its own rows (names, titles, reasons,
    file names, codes): data, not wording."""
    from django.apps import apps

    words = set()
    for label in ("accounts", "competitions", "projects", "evaluation", "audit", "smartcity"):
        for model in apps.get_app_config(label).get_models():
            text_fields = [
                f.attname
                for f in model._meta.concrete_fields
                if f.get_internal_type() in {"CharField", "TextField", "FileField", "SlugField", "EmailField"}
                and not f.choices
            ]
            if not text_fields:
                continue
            for row in model.objects.values_list(*text_fields):
                for value in row:
                    words.update(w.lower() for w in WORD.findall(str(value or "")))
    return words


def pages():
    for name, entry in sorted(MATRIX.items()):
        for case in [entry, *EXTRA_CASES.get(name, [])]:
            yield name, case.kwargs, {role for role, status in case.get.items() if status == 200}
    for name, (kwargs, expected) in sorted(ADMIN_SAMPLES.items()):
        yield name, kwargs, {role for role, status in expected.items() if status == 200}


@pytest.fixture
def world(role_groups, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def test_every_page_of_the_permission_matrix_reads_in_korean(client, world):
    # The URLs first: some make the object they point at (a report, a finding), whose data
    # then counts as data.
    urls = [
        (name, reverse(name, kwargs=kwargs(world) if kwargs else None), roles)
        for name, kwargs, roles in pages()
    ]
    data_words = world_data_words(world)
    problems = []
    seen = set()
    for name, url, roles in urls:
        for role in ROLES:
            if role not in roles or (url, role) in seen:
                continue
            seen.add((url, role))
            client.logout()
            if world.users[role] is not None:
                client.force_login(world.users[role])
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            html = b"".join(response.streaming_content) if response.streaming else response.content
            left = english_words(body_text(html.decode("utf-8")), data_words)
            if left:
                problems.append(f"{name} as {role}: {' '.join(sorted(set(left)))}")
    assert not problems, "English left on Korean pages:\n" + "\n".join(problems)


def test_the_check_finds_english_and_lets_codes_names_and_data_through():
    html = (
        "<html><body><h1>공모 Gongmo</h1><script>var x = 'hidden';</script>"
        "<p>Submitted 2026. 3. 14. PDF KRDS applicant@gongmo.example SME</p>"
        "<p>Acme Robotics 신청</p></body></html>"
    )
    assert english_words(body_text(html), {"acme", "robotics"}) == ["Submitted"]
