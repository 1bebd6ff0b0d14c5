"""A call's own application questions: staff build them (refused once the call is published),
each kind's answer checked on the server, and the eligibility rule about an answer."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from competitions import questions
from competitions.eligibility import (
    ApplicationFacts,
    Party,
    QuestionFacts,
    evaluate,
    evaluate_standing,
    validate_params,
)
from competitions.lifecycle import TransitionRefused
from competitions.models import CallState, EligibilityRule, Question, QuestionKind, QuestionSection
from tests.factories import CallFactory, TrackFactory, call_in_state

K = QuestionKind
CHOICES = [
    {"code": "1", "label": "Mobility", "label_ko": "교통"},
    {"code": "2", "label": "Safety", "label_ko": "안전"},
    {"code": "3", "label": "Energy", "label_ko": ""},
]


def q(kind, **fields):
    """An unsaved question of ``kind`` (clean_answer reads only its fields)."""
    return Question(kind=kind, label="How?", code="q1", **fields)


# --- Each kind's answer, checked on the server ------------------------------------------------


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_a_short_text_is_kept_within_its_limits_and_refused_outside(text):
    question = q(K.SHORT_TEXT, min_value=Decimal(3), max_value=Decimal(40))
    stripped = text.replace("\r\n", "\n").strip()
    if not stripped:
        assert questions.clean_answer(question, text) is None
    elif 3 <= len(stripped) <= 40:
        assert questions.clean_answer(question, text) == stripped
    else:
        with pytest.raises(ValidationError) as refused:
            questions.clean_answer(question, text)
        assert refused.value.code in {"too_short", "too_long"}
        assert str(len(stripped)) in refused.value.messages[0]


def test_a_text_without_maximum_still_has_the_kinds_limit():
    with pytest.raises(ValidationError, match="at most 300 characters"):
        questions.clean_answer(q(K.SHORT_TEXT), "x" * 301)
    assert questions.clean_answer(q(K.LONG_TEXT), "x" * 301) == "x" * 301


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_an_amount_is_whole_won_within_its_range(amount):
    question = q(K.AMOUNT, min_value=Decimal(1_000_000), max_value=Decimal(500_000_000))
    typed = f"{amount:,}"
    if amount < 0:
        with pytest.raises(ValidationError) as refused:
            questions.clean_answer(question, typed)
        assert refused.value.code == "amount"
    elif 1_000_000 <= amount <= 500_000_000:
        assert questions.clean_answer(question, typed) == amount
        assert questions.clean_answer(question, f"{amount}원") == amount
    else:
        with pytest.raises(ValidationError) as refused:
            questions.clean_answer(question, typed)
        assert refused.value.code in {"below_min", "above_max"}


@pytest.mark.parametrize("typed", ["1.5", "abc", "1e400", "NaN", "١٢٣"])
def test_an_amount_refuses_anything_but_whole_won(typed):
    with pytest.raises(ValidationError, match="whole won"):
        questions.clean_answer(q(K.AMOUNT), typed)


@given(st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False))
def test_a_number_within_its_range_is_stored_exactly(number):
    question = q(K.NUMBER, min_value=Decimal("-10.5"), max_value=Decimal(100))
    if Decimal("-10.5") <= number <= 100:
        stored = questions.clean_answer(question, str(number))
        assert Decimal(stored) == number
    else:
        with pytest.raises(ValidationError):
            questions.clean_answer(question, str(number))


def test_dates_choices_and_yes_no():
    assert questions.clean_answer(q(K.DATE), "2026-03-14") == "2026-03-14"
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        questions.clean_answer(q(K.DATE), "14/03/2026")
    single = q(K.SINGLE_CHOICE, choices=CHOICES)
    assert questions.clean_answer(single, "2") == "2"
    with pytest.raises(ValidationError, match="listed choices"):
        questions.clean_answer(single, "9")
    multiple = q(K.MULTIPLE_CHOICE, choices=CHOICES)
    assert questions.clean_answer(multiple, ["3", "1"]) == ["1", "3"]  # the question's order
    assert questions.clean_answer(multiple, []) is None
    with pytest.raises(ValidationError):
        questions.clean_answer(multiple, ["1", "7"])
    assert questions.clean_answer(q(K.YES_NO), "yes") is True
    assert questions.clean_answer(q(K.YES_NO), "no") is False
    with pytest.raises(ValidationError, match="yes or no"):
        questions.clean_answer(q(K.YES_NO), "maybe")


def test_refusals_are_in_the_users_language():
    with translation.override("ko"), pytest.raises(ValidationError) as refused:
        questions.clean_answer(q(K.AMOUNT), "abc")
    assert "원" in refused.value.messages[0] and "amount" not in refused.value.messages[0]


def test_answers_read_as_people_read_them():
    assert questions.answer_text(q(K.AMOUNT), 150_000_000) == "150,000,000 KRW"
    assert questions.answer_text(q(K.MULTIPLE_CHOICE, choices=CHOICES), ["1", "2"]) == "Mobility, Safety"
    with translation.override("ko"):
        assert questions.answer_text(q(K.SINGLE_CHOICE, choices=CHOICES), "2") == "안전"
        assert questions.answer_text(q(K.YES_NO), True) == "예"
    assert questions.answer_text(q(K.NUMBER), "12.50") == "12.5"


# --- The question's own settings ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kind": K.AMOUNT, "min_value": Decimal(10), "max_value": Decimal(5)}, "min_value"),
        ({"kind": K.AMOUNT, "min_value": Decimal("1.5")}, "min_value"),
        ({"kind": K.SHORT_TEXT, "max_value": Decimal(5000)}, "max_value"),
        ({"kind": K.SINGLE_CHOICE, "choices": CHOICES[:1]}, "choices"),
        ({"kind": K.YES_NO, "choices": CHOICES}, "choices"),
        ({"kind": K.DATE, "max_value": Decimal(3)}, "max_value"),
        ({"kind": K.FILE}, "document_kind"),
        ({"kind": K.NUMBER, "document_kind": "proposal"}, "document_kind"),
    ],
)
def test_a_question_that_cannot_be_answered_sensibly_is_refused(fields, field):
    call = CallFactory()
    section = QuestionSection.objects.create(call=call, title="About")
    question = Question(call=call, section=section, code="q1", label="How?", **fields)
    with pytest.raises(ValidationError) as refused:
        question.full_clean()
    assert field in refused.value.message_dict


# --- The builder page --------------------------------------------------------------------------


@pytest.fixture
def call(db):
    call = CallFactory(slug="builder-call")
    TrackFactory(call=call)
    return call


def builder(call):
    return reverse("competitions:question_builder", args=[call.slug])


def test_staff_build_sections_and_questions_on_the_call_page_logged(staff_client, staff_user, call):
    response = staff_client.post(
        builder(call), {"action": "section", "title": "The test bed", "title_ko": "실증지"}
    )
    assert response.status_code == 302
    section = QuestionSection.objects.get(call=call)
    assert section.position == 1
    response = staff_client.post(
        builder(call),
        {
            "action": "question",
            "section": section.pk,
            "kind": K.SINGLE_CHOICE,
            "label": "Main area",
            "label_ko": "주된 분야",
            "choices_text": "Mobility | 교통\nSafety | 안전\n",
            "required": "on",
        },
    )
    assert response.status_code == 302
    question = Question.objects.get(call=call)
    assert question.code == "q1" and question.required and not question.identifying
    assert question.choices == [
        {"code": "1", "label": "Mobility", "label_ko": "교통"},
        {"code": "2", "label": "Safety", "label_ko": "안전"},
    ]
    entry = LogEntry.objects.filter(object_id=str(question.pk), content_type__model="question").get()
    assert entry.user == staff_user and entry.change_message == "Application question saved."
    page = staff_client.get(builder(call))
    assert "Main area" in page.content.decode() and "Mobility" in page.content.decode()


def test_a_bad_question_is_refused_beside_its_field_and_what_was_typed_stays(staff_client, call):
    section = QuestionSection.objects.create(call=call, title="About", position=1)
    response = staff_client.post(
        builder(call),
        {
            "action": "question",
            "section": section.pk,
            "kind": K.AMOUNT,
            "label": "Own money",
            "min_value": "500",
            "max_value": "100",
        },
    )
    assert response.status_code == 200
    assert "cannot exceed the maximum" in response.content.decode()
    assert 'value="Own money"' in response.content.decode()
    assert not Question.objects.exists()


def test_a_published_calls_questions_are_frozen(staff_client, staff_user, call):
    section = QuestionSection.objects.create(call=call, title="About", position=1)
    question = Question.objects.create(call=call, section=section, code="q1", kind=K.YES_NO, label="Secured?")
    call = call_in_state(call, CallState.PUBLISHED)
    response = staff_client.post(
        builder(call),
        {"action": "question", "section": section.pk, "kind": K.YES_NO, "label": "Another?"},
        follow=True,
    )
    assert "frozen" in response.content.decode()
    staff_client.post(builder(call), {"action": "delete_question", "pk": question.pk})
    assert list(Question.objects.values_list("label", flat=True)) == ["Secured?"]
    question.label = "Changed"
    with pytest.raises(TransitionRefused):
        questions.save_question(question, by=staff_user)
    assert Question.objects.get().label == "Secured?"


def test_only_staff_open_the_builder(client, applicant_user, call):
    assert client.get(builder(call)).status_code == 302  # to the login page
    client.force_login(applicant_user)
    assert client.get(builder(call)).status_code == 403


# --- Eligibility: rules about answers, and required answers ------------------------------------


def facts(answers, questions_by_code):
    lead = Party(
        name="Lead", kind="company", size_class="sme", budget_share_percent=Decimal(100), is_lead=True
    )
    return ApplicationFacts(
        parties=(lead,),
        requested_subsidy=1,
        local_government=0,
        private_cash=0,
        private_in_kind=0,
        subsidy_min=0,
        subsidy_max=1,
        questions=questions_by_code,
        answers=answers,
    )


QUESTIONS = {
    "secured": QuestionFacts("secured", "Is the test bed secured?", "yes_no", required=True),
    "area": QuestionFacts("area", "Main area", "single_choice", (("1", "Mobility"), ("2", "Safety"))),
    "users": QuestionFacts("users", "Users per day", "number"),
}


def test_the_answer_rule_passes_and_fails_with_reasons():
    yes = ("question_answer", {"question": "secured", "condition": "yes"})
    area = ("question_answer", {"question": "area", "condition": "in_choices", "choices": ["2"]})
    users = ("question_answer", {"question": "users", "condition": "at_least", "number": 100})
    results = evaluate([yes, area, users], facts({"secured": False, "area": "1", "users": "99.5"}, QUESTIONS))
    assert [r.passed for r in results] == [False, False, False]
    assert results[0].reason == "The answer to “Is the test bed secured?” is No; this call requires Yes."
    assert results[1].reason == "The answer to “Main area” (Mobility) is not among Safety."
    assert results[2].reason == "The answer to “Users per day” (99.5) is below the minimum of 100."
    results = evaluate([yes, area, users], facts({"secured": True, "area": "2", "users": "100"}, QUESTIONS))
    assert all(r.passed for r in results)
    missing = evaluate([yes], facts({}, QUESTIONS))[0]
    assert not missing.passed and "not answered" in missing.reason


def test_the_answer_rule_names_a_question_of_the_call_with_a_fitting_condition():
    with pytest.raises(ValidationError, match="No question of this call has the code “typo”"):
        validate_params("question_answer", {"question": "typo"}, questions=QUESTIONS)
    with pytest.raises(ValidationError, match="cannot be tested"):
        validate_params("question_answer", {"question": "area", "condition": "yes"}, questions=QUESTIONS)
    with pytest.raises(ValidationError, match="has no choice “7”"):
        validate_params(
            "question_answer",
            {"question": "area", "condition": "in_choices", "choices": ["7"]},
            questions=QUESTIONS,
        )
    with pytest.raises(ValidationError, match="Give the number"):
        validate_params(
            "question_answer", {"question": "users", "condition": "at_least"}, questions=QUESTIONS
        )
    with pytest.raises(ValidationError):
        validate_params("question_answer", {"question": "users", "condition": "bigger"})


def test_an_eligibility_rule_naming_an_unknown_question_of_its_call_is_refused(call):
    section = QuestionSection.objects.create(call=call, title="About", position=1)
    Question.objects.create(call=call, section=section, code="secured", kind=K.YES_NO, label="Secured?")
    rule = EligibilityRule(
        call=call, kind="question_answer", params={"question": "securd", "condition": "yes"}
    )
    with pytest.raises(ValidationError, match="known: secured"):
        rule.full_clean()
    rule.params = {"question": "secured", "condition": "yes"}
    rule.full_clean()
    assert rule.params["question"] == "secured"


def test_required_answers_are_a_standing_rule_only_where_the_call_asks_them():
    assert evaluate_standing(facts({}, {})) == []
    [result] = evaluate_standing(facts({"users": "3"}, QUESTIONS))
    assert not result.passed and result.reason == "Answer the required questions: Is the test bed secured?"
    [result] = evaluate_standing(facts({"secured": False}, QUESTIONS))
    assert result.passed  # "no" is an answer


def test_the_date_answer_round_trips_through_the_form_value():
    question = q(K.DATE)
    stored = questions.clean_answer(question, date(2026, 3, 14).isoformat())
    assert questions.clean_answer(question, questions.form_value(question, stored)) == stored


def test_the_open_demo_call_gets_its_questions_once_while_a_draft(call):
    from competitions.demo import DEMO_QUESTIONS, _seed_questions

    _seed_questions(call, DEMO_QUESTIONS)
    _seed_questions(call, DEMO_QUESTIONS)
    assert QuestionSection.objects.filter(call=call).count() == 2
    assert Question.objects.filter(call=call).count() == 6
    assert Question.objects.get(call=call, code="contact-person").identifying
    published = call_in_state(CallFactory(), CallState.PUBLISHED)
    _seed_questions(published, DEMO_QUESTIONS)
    assert not Question.objects.filter(call=published).exists()
