"""Issue 20: a Korean message whose particle follows a variable ('%(name)s이(가)') is written
with both forms, and must be resolved (config.korean.resolve_particles) wherever it is shown.
This scans the catalogue for every such message and checks where each is rendered:

- in a template, the message goes through the ``particles`` filter
  (``{% blocktranslate … asvar x %}…{% endblocktranslate %}{{ x|particles }}``);
- in Python, its module is listed below with the place its text is shown, each of which
  resolves particles: messages and form errors (templates/base.html, templates/forms/),
  refusals (shown as messages), e-mails (projects.outbox.queue_email), rule results and
  reasons (projects/rule_results.html, the eligibility queue, the selection page), the
  transition history (projects/history.html), duplicate findings, the workbook's checks.

A new module with such a message fails here until its place is named (and resolves them)."""

import re
from pathlib import Path

import pytest

from config.korean import resolve_particles
from tests.test_translations import ROOT, catalogue, used_messages

MARKED = re.compile(
    r"(%\([a-z_]+\)[sd]|%s)(은\(는\)|는\(은\)|이\(가\)|가\(이\)|을\(를\)|를\(을\)|와\(과\)|과\(와\)|\(으\)로"
    r"|은/는|이/가|을/를|와/과|과/와)"
)
MESSAGES = "messages (templates/base.html)"
FORM_ERRORS = "form errors (templates/forms/)"
REFUSALS = "refusals, shown as messages (competitions.refusals.show_refusal)"
EMAIL = "e-mail (projects.outbox.queue_email)"
RULES = "rule results (projects/rule_results.html, the eligibility queue)"
HISTORY = "transition history (projects/history.html)"
RENDERED_THROUGH = {
    "evaluation/admin.py": "the admin's form error, resolved where it is raised",
    "competitions/eligibility.py": RULES,
    "competitions/lifecycle.py": REFUSALS,
    "competitions/matching.py": RULES,
    "competitions/models/call.py": FORM_ERRORS,
    "competitions/notices.py": FORM_ERRORS,
    "evaluation/assigning.py": MESSAGES,
    "evaluation/committee.py": MESSAGES,
    "evaluation/objections.py": f"{REFUSALS}; {HISTORY}",
    "evaluation/pool_import.py": MESSAGES,
    "evaluation/scheduling.py": f"{REFUSALS}; {MESSAGES}",
    "evaluation/selection_runs.py": f"the selection page's refusals (evaluation/selection.html); {HISTORY}",
    "evaluation/stage_notices.py": EMAIL,
    "evaluation/views_committee.py": MESSAGES,
    "evaluation/views_stages.py": MESSAGES,
    "projects/budget.py": f"{REFUSALS}; {HISTORY}",
    "projects/call_notices.py": EMAIL,
    "projects/corrections.py": f"{REFUSALS}; {EMAIL}; {HISTORY}",
    "projects/duplicates.py": "duplicate findings (projects/staff/duplicates.html)",
    "projects/identity.py": f"{RULES}; {MESSAGES}",
    "projects/indicators.py": EMAIL,
    "projects/ledger.py": f"{REFUSALS}; the workbook's checks (audit.funding_workbook)",
    "projects/models/organisation.py": FORM_ERRORS,
    "projects/money_invariants.py": "the workbook's checks (audit.funding_workbook); refusals",
    "projects/spending.py": HISTORY,
    "projects/views/organisations.py": MESSAGES,
    "projects/carry_over.py": f"{REFUSALS}; {EMAIL}",
    "smartcity/certification_assessors.py": REFUSALS,
    "projects/parties.py": f"{REFUSALS}; {HISTORY}",
    "projects/views/applications.py": MESSAGES,
    "projects/views/years.py": FORM_ERRORS,
    "projects/workflow.py": f"{REFUSALS}; {FORM_ERRORS}",
    "projects/years.py": f"{REFUSALS}; {FORM_ERRORS}",
}


def marked_messages():
    found = []
    for message in catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(MARKED.search(s) for s in strings):
            found.append((ids[0], strings))
    return found


def test_the_catalogue_has_messages_with_particles_after_variables():
    assert len(marked_messages()) > 40


def test_every_such_message_is_rendered_through_resolve_particles():
    used = used_messages()
    problems = []
    for msgid, _strings in marked_messages():
        where = used.get(msgid)
        if where is None:
            continue  # not used any more (test_translations keeps the catalogue honest)
        if where.endswith(".html"):
            source = (ROOT / where).read_text(encoding="utf-8")
            literal = max(re.split(r"%\([a-z_]+\)[sd]", msgid), key=len)
            start = source.find(literal)
            opening = source.rfind("{% blocktranslate", 0, start)
            segment = source[opening : source.find("{% endblocktranslate %}", start) + 80]
            if start < 0 or " asvar " not in segment or "|particles" not in segment:
                problems.append(f"{where}: {msgid!r} is not shown through |particles")
        elif where not in RENDERED_THROUGH:
            problems.append(f"{where}: {msgid!r} (name where it is shown and resolve its particles)")
    assert problems == []


@pytest.mark.parametrize(
    ("word", "ending"), [("신청서", "vowel"), ("사업", "consonant"), ("PC26-0001", "vowel")]
)
def test_every_such_message_reads_right_once_filled_in(word, ending):
    """Filled with a word of either ending, no double form is left after it."""
    for _msgid, strings in marked_messages():
        for text in strings:
            filled = re.sub(r"%\([a-z_]+\)[sd]|%s", word, text)
            resolved = resolve_particles(filled)
            assert not re.search(
                re.escape(word) + r"(?:은\(는\)|이\(가\)|을\(를\)|와\(과\)|\(으\)로)", resolved
            ), resolved


def test_the_listed_modules_exist():
    assert [path for path in RENDERED_THROUGH if not Path(ROOT / path).exists()] == []
