"""The sign-up page's markup: the password rules are a list, so their help text is no paragraph."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Elements a <p> cannot contain: the parser would close the paragraph before them.
BLOCKS = {"ul", "ol", "div", "table", "p", "h1", "h2", "h3", "form", "fieldset"}


class ParagraphContents(HTMLParser):
    """Records each block element opened inside a still-open <p>, and each element's tag by id."""

    def __init__(self):
        super().__init__()
        self.open_paragraphs = 0
        self.blocks_in_paragraphs = []
        self.tags_by_id = {}
        self.children = {}
        self.stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.stack:
            self.children.setdefault(self.stack[-1], []).append(tag)
        if tag in BLOCKS and self.open_paragraphs:
            self.blocks_in_paragraphs.append(tag)
        if tag == "p":
            self.open_paragraphs += 1
        if "id" in attrs:
            self.tags_by_id[attrs["id"]] = tag
        self.stack.append(attrs.get("id") or tag)

    def handle_endtag(self, tag):
        if tag == "p":
            self.open_paragraphs -= 1
        if self.stack:
            self.stack.pop()


def test_the_password_rules_are_a_list_beside_the_hint_icon_not_inside_a_paragraph(client):
    page = client.get(reverse("accounts:signup")).content.decode()
    parsed = ParagraphContents()
    parsed.feed(page)
    assert parsed.blocks_in_paragraphs == []
    assert parsed.tags_by_id["id_password1_helptext"] == "div"
    assert parsed.children["id_password1_helptext"][0] == "ul"  # the rules, in the hint itself
    assert 'aria-describedby="id_password1_helptext"' in page
