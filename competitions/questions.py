"""A call's application questions: building them, freezing them, and what an answer must be.

Rule book (docs/rule-book.md "Call-specific questions"):
- staff build a call's sections and questions while the call is a draft; once the call is
  published its questions are frozen with the form: every change is refused, so every answer
  is always read against the very text it answered;
- an answer is checked on the server by its question's kind (``clean_answer``); a draft may
  leave any question unanswered; a required question must be answered to submit (the standing
  eligibility rule ``required_answers`` in competitions.eligibility).

Every builder change locks the call row (so publication cannot slip in between the check and
the write) and is logged with who, when and what (Django's admin log).
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .eligibility import QuestionFacts
from .formatting import format_krw
from .lifecycle import lock_draft_call
from .models import CallState
from .models.question import (
    CHOICE_KINDS,
    LENGTH_KINDS,
    TEXT_LIMITS,
    Question,
    QuestionKind,
    QuestionSection,
    _plain,
)

# --- Freezing -------------------------------------------------------------------------------


def frozen_refusal(call):
    """Why the call's questions cannot change now (None while the call is a draft)."""
    if call.state == CallState.DRAFT:
        return None
    return _(
        "This call is “%(state)s”: its questions were frozen with the application form when it was published, so that every answer is read against the question it answered. They can no longer be changed."
    ) % {"state": call.get_state_display()}


def _locked_draft_call(call, by):
    return lock_draft_call(
        call,
        by=by,
        perm="competitions.change_call",
        not_allowed=_("Only ministry staff build a call's questions."),
        frozen_refusal=frozen_refusal,
    )


def _log(by, obj, flag, message):
    from django.contrib.admin.models import LogEntry

    LogEntry.objects.log_actions(by.pk, [obj], flag, change_message=message, single_object=True)


# --- Building (staff) -----------------------------------------------------------------------


def save_section(section, *, by):
    """Add or change a section of ``section.call``; refused once the call is published."""
    from django.contrib.admin.models import ADDITION, CHANGE

    with transaction.atomic():
        section.call = _locked_draft_call(section.call, by)
        adding = section.pk is None
        if adding and not section.position:
            section.position = QuestionSection.objects.filter(call=section.call).count() + 1
        section.full_clean()
        section.save()
        _log(by, section, ADDITION if adding else CHANGE, _("Question section saved."))
    return section


def save_question(question, *, by):
    """Add or change a question; its code defaults to q<n>. Refused once the call is published."""
    from django.contrib.admin.models import ADDITION, CHANGE

    with transaction.atomic():
        question.call = _locked_draft_call(question.call, by)
        adding = question.pk is None
        if adding and not question.position:
            question.position = Question.objects.filter(section=question.section).count() + 1
        if not question.code:
            taken = set(Question.objects.filter(call=question.call).values_list("code", flat=True))
            number = len(taken) + 1
            while f"q{number}" in taken:
                number += 1
            question.code = f"q{number}"
        question.full_clean(validate_constraints=False)
        if Question.objects.filter(call=question.call, code=question.code).exclude(pk=question.pk).exists():
            raise ValidationError({"code": _("Another question of this call has this code.")})
        question.save()
        _log(by, question, ADDITION if adding else CHANGE, _("Application question saved."))
    return question


def delete_question(question, *, by):
    """Remove a question of a draft call (no application can have answered it yet)."""
    from django.contrib.admin.models import DELETION

    with transaction.atomic():
        _locked_draft_call(question.call, by)
        _log(by, question, DELETION, _("Application question removed."))
        question.delete()


def delete_section(section, *, by):
    """Remove a section of a draft call with its questions."""
    from django.contrib.admin.models import DELETION

    with transaction.atomic():
        _locked_draft_call(section.call, by)
        _log(by, section, DELETION, _("Question section removed."))
        section.delete()


def parse_choices(text):
    """Staff type one choice a line, "English | 한국어"; returns the stored choices, coded 1, 2, …"""
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        english, _bar, korean = line.partition("|")
        choices.append({"code": str(len(choices) + 1), "label": english.strip(), "label_ko": korean.strip()})
    return choices


def choices_text(choices):
    """The stored choices as staff typed them (the reverse of ``parse_choices``)."""
    return "\n".join(
        f"{c.get('label', '')} | {c['label_ko']}" if c.get("label_ko") else c.get("label", "")
        for c in choices or ()
    )


# --- Reading --------------------------------------------------------------------------------


def questions_of(call):
    """The call's sections in order, each with ``ordered_questions`` (two queries)."""
    sections = list(QuestionSection.objects.filter(call=call).order_by("position", "pk"))
    by_section = {section.pk: section for section in sections}
    for section in sections:
        section.ordered_questions = []
    for question in Question.objects.filter(call=call).order_by("position", "pk"):
        by_section[question.section_id].ordered_questions.append(question)
    return sections


def question_facts(questions):
    """The questions as the eligibility rules read them: {code: QuestionFacts}."""
    return {
        q.code: QuestionFacts(
            code=q.code,
            label=q.display_label,
            kind=q.kind,
            choices=tuple(q.choice_labels().items()),
            required=q.required,
        )
        for q in questions
    }


# --- Answers: what each kind accepts ----------------------------------------------------------

YES, NO = "yes", "no"
_SEPARATORS = re.compile(r"[\s,_]")


def is_blank(value):
    return value is None or value == "" or value == []


def clean_answer(question, raw):
    """The value to store for ``raw`` (what the form posted: a string, or a list of strings for
    a multiple choice), or ValidationError saying in the user's language what is wrong.

    Stored values: text as str; number as a str of its Decimal; amount as int won; date as
    "YYYY-MM-DD"; single choice as its code; multiple choice as a list of codes in the
    question's order; yes/no as a bool; nothing for a file (the Answer holds its document).
    A blank answer is None: a draft may leave anything unanswered.
    """
    kind = question.kind
    if kind == QuestionKind.MULTIPLE_CHOICE:
        picked = [raw] if isinstance(raw, str) else list(raw or ())
        picked = [str(code) for code in picked if str(code).strip()]
        if not picked:
            return None
        known = [c["code"] for c in question.choices]
        unknown = [code for code in picked if code not in known]
        if unknown:
            raise ValidationError(_("Choose from the listed choices."), code="unknown_choice")
        return [code for code in known if code in picked]
    if isinstance(raw, list | tuple):
        raw = raw[-1] if raw else ""
    raw = "" if raw is None else str(raw)
    text = raw.strip()
    if kind in LENGTH_KINDS:
        return _clean_text(question, raw.replace("\r\n", "\n").strip())
    if not text:
        return None
    if kind == QuestionKind.NUMBER:
        return str(_clean_number(question, text))
    if kind == QuestionKind.AMOUNT:
        return _clean_amount(question, text)
    if kind == QuestionKind.DATE:
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD, e.g. 2026-03-14."), code="date") from None
    if kind == QuestionKind.SINGLE_CHOICE:
        if text not in {c["code"] for c in question.choices}:
            raise ValidationError(_("Choose from the listed choices."), code="unknown_choice")
        return text
    if kind == QuestionKind.YES_NO:
        if text not in (YES, NO):
            raise ValidationError(_("Answer yes or no."), code="yes_no")
        return text == YES
    return None  # a file: its document is checked by projects.documents


def _clean_text(question, text):
    if not text:
        return None
    length = len(text)
    low = int(question.min_value) if question.min_value is not None else None
    high = int(question.max_value) if question.max_value is not None else TEXT_LIMITS[question.kind]
    if low is not None and length < low:
        raise ValidationError(
            _("Write at least %(min)s characters (you wrote %(count)s)."),
            code="too_short",
            params={"min": low, "count": length},
        )
    if length > high:
        raise ValidationError(
            _("Write at most %(max)s characters (you wrote %(count)s)."),
            code="too_long",
            params={"max": high, "count": length},
        )
    return text


def _clean_number(question, text):
    try:
        number = Decimal(_SEPARATORS.sub("", text))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number.as_tuple().exponent < -4 or abs(number) >= 10**15:
        raise ValidationError(_("Enter a number, e.g. 12 or 3.5."), code="number")
    _check_range(question, number, _plain)
    return number.normalize() if number != number.to_integral_value() else number.quantize(Decimal(1))


def _clean_amount(question, text):
    digits = _SEPARATORS.sub("", text).removesuffix("원").removesuffix("KRW").removesuffix("₩")
    digits = digits.removeprefix("₩")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 15:
        raise ValidationError(_("Enter an amount in whole won, digits only, e.g. 150000000."), code="amount")
    amount = int(digits)
    _check_range(question, amount, lambda value: format_krw(int(value)))
    return amount


def _check_range(question, value, shown):
    low, high = question.min_value, question.max_value
    if low is not None and value < low:
        raise ValidationError(_("Enter at least %(min)s."), code="below_min", params={"min": shown(low)})
    if high is not None and value > high:
        raise ValidationError(_("Enter at most %(max)s."), code="above_max", params={"max": shown(high)})


def answer_text(question, value, document=None):
    """A stored answer as people read it, in the active language ("" when unanswered)."""
    kind = question.kind
    if kind == QuestionKind.FILE:
        return document.original_name if document is not None else ""
    if is_blank(value):
        return ""
    if kind == QuestionKind.AMOUNT:
        return format_krw(int(value))
    if kind == QuestionKind.YES_NO:
        return _("Yes") if value else _("No")
    if kind in CHOICE_KINDS:
        labels = question.choice_labels()
        codes = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(code, code) for code in codes)
    if kind == QuestionKind.NUMBER:
        return _plain(Decimal(value))
    return str(value)


def form_value(question, value):
    """A stored answer as the form shows it again (what ``clean_answer`` would accept)."""
    if is_blank(value):
        return [] if question.kind == QuestionKind.MULTIPLE_CHOICE else ""
    if question.kind == QuestionKind.YES_NO:
        return YES if value else NO
    return value if isinstance(value, list) else str(value)
