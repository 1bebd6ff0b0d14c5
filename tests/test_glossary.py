"""The Korean catalogue follows docs/glossary.md (issue 20): one concept, one Korean word."""

import re
from pathlib import Path

from tests.test_translations import catalogue

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"
# A checked English term also names things the Korean word does not (a row may say why).
EXCEPTIONS = {
    # "evaluation plan" vs "call": 평가 is in each; no exception needed yet.
}
# Phrases in which a checked term names another concept: not checked against that term's word
# (the two-factor log-in's recovery codes are 복구 코드, not a recovery of money, 환수).
OTHER_CONCEPTS = {"recovery": re.compile(r"\brecovery codes?\b", re.IGNORECASE)}


def glossary_rows():
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in {"한국어", ""} or set(cells[0]) <= {"-"}:
            continue
        korean, english, checked, avoid, _note = cells
        rows.append(
            {
                "korean": korean.split(" /")[0].strip(),
                "english": [re.split(r" \(|,", term)[0].strip() for term in english.split(",")],
                "checked": checked == "yes",
                "avoid": [word.strip() for word in avoid.split(",") if word.strip()],
            }
        )
    return rows


def translations():
    for message in catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        yield ids[0], " ".join(strings)


def test_the_glossary_is_read():
    rows = glossary_rows()
    assert len(rows) > 25
    assert {
        "korean": "접수번호",
        "english": ["reference number"],
        "checked": True,
        "avoid": ["참조번호"],
    } in rows


def test_checked_terms_are_translated_with_the_glossary_word():
    problems = []
    for row in glossary_rows():
        if not row["checked"]:
            continue
        for term in row["english"]:
            pattern = re.compile(r"\b" + re.escape(term), re.IGNORECASE)
            other = OTHER_CONCEPTS.get(term.lower())
            for msgid, msgstr in translations():
                checked = other.sub("", msgid) if other else msgid
                if pattern.search(checked) and row["korean"] not in msgstr and msgid not in EXCEPTIONS:
                    problems.append(f"{term} → {row['korean']}: {msgid!r} reads {msgstr!r}")
    assert problems == []


def test_no_translation_uses_a_word_the_glossary_rules_out():
    problems = [
        f"{word} (use {row['korean']}): {msgid!r} reads {msgstr!r}"
        for row in glossary_rows()
        for word in row["avoid"]
        for msgid, msgstr in translations()
        if word in msgstr
    ]
    assert problems == []
