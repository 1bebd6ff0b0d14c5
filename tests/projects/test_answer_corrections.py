"""Correction requests that name answers to the call's own questions: staff name them; the
applicant changes those answers and no other, until the deadline (to the second), through the
same checks as the draft; the answers as submitted are kept (AnswerRevision; a replaced file
kept, superseded) and staff read before and after; a resubmission then passes the rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from competitions.lifecycle import TransitionRefused
from competitions.models import Question, QuestionKind, QuestionSection
from projects import corrections, workflow
from projects.documents import DocumentFormat
from projects.models import (
    Answer,
    AnswerRevision,
    Application,
    ApplicationState,
    CorrectionItem,
    CorrectionRequest,
    Document,
)
from tests.factories import CallFactory, StaffFactory, reception_closed

from .samples import pdf_bytes

pytestmark = pytest.mark.django_db

K = QuestionKind


def reload(application):
    return Application.objects.get(pk=application.pk)


def field(question):
    return f"question-{question.pk}"


def pdf(name="site-plan-new.pdf", content=None):
    return SimpleUploadedFile(name, content or pdf_bytes(), content_type="application/pdf")


@pytest.fixture
def staff(role_groups):
    return StaffFactory(email="officer@ministry.example", language="en")


@pytest.fixture
def asked(open_call):
    """The call's questions: a required yes/no, an amount, a short text (in a second section)
    and a file."""
    bed = QuestionSection.objects.create(call=open_call, title="The test bed", title_ko="실증지", position=1)
    team = QuestionSection.objects.create(call=open_call, title="The team", title_ko="팀", position=2)

    def add(section, code, kind, label, label_ko, **fields):
        return Question.objects.create(
            call=open_call,
            section=section,
            code=code,
            kind=kind,
            label=label,
            label_ko=label_ko,
            position=Question.objects.count(),
            **fields,
        )

    return {
        "secured": add(
            bed, "secured", K.YES_NO, "Is the test bed secured?", "실증지를 확보했습니까?", required=True
        ),
        "invested": add(
            bed,
            "invested",
            K.AMOUNT,
            "Own investment",
            "자체 투자액",
            min_value=Decimal(0),
            max_value=Decimal(10**9),
        ),
        "contact": add(team, "contact", K.SHORT_TEXT, "Person in charge", "담당자", max_value=Decimal(20)),
        "plan": add(team, "plan", K.FILE, "Site plan", "현장 계획서", document_kind="other"),
    }


@pytest.fixture
def submitted(draft, applicant, asked):
    """A submitted application that answered every question (the site plan as plan.pdf)."""
    workflow.save_draft(
        draft,
        {},
        by=applicant,
        expected_version=draft.version,
        answers={asked["secured"]: True, asked["invested"]: 150_000_000, asked["contact"]: "Kim Minsu"},
        files={asked["plan"]: (pdf("plan.pdf", b"%PDF-1.4 the original plan"), DocumentFormat.PDF)},
    )
    application = workflow.submit(reload(draft), by=applicant)
    reception_closed(application.call)
    return reload(application)


def ask(application, staff, codes, deadline=None):
    return corrections.request_correction(
        application,
        by=staff,
        parts=[("answer", code) for code in codes],
        message="Your investment does not match the funding plan.",
        deadline=deadline or timezone.now() + timedelta(days=3),
    )


def answer(application, question):
    return Answer.objects.select_related("document").get(application=application, question=question)


# --- Staff name answers -------------------------------------------------------------------------


def test_each_question_of_the_call_is_a_part_in_one_query(submitted, asked, django_assert_num_queries):
    with django_assert_num_queries(1):
        parts = corrections.answer_parts(submitted)
    assert [(p.kind, p.target, p.label) for p in parts] == [
        ("answer", "secured", "Is the test bed secured?"),
        ("answer", "invested", "Own investment"),
        ("answer", "contact", "Person in charge"),
        ("answer", "plan", "Site plan"),
    ]
    # Another call's questions are not this application's parts.
    other = CallFactory(slug="other-call")
    section = QuestionSection.objects.create(call=other, title="Other")
    Question.objects.create(
        call=other, section=section, code="elsewhere", kind=K.SHORT_TEXT, label="Elsewhere"
    )
    assert "elsewhere" not in [p.target for p in corrections.answer_parts(submitted)]


def test_staff_name_an_answer_on_the_page(submitted, asked, staff, client):
    client.force_login(staff)
    page = client.get(reverse("projects:staff_application", args=[submitted.pk])).content.decode()
    assert "Answers to correct" in page and "Own investment" in page
    day = (timezone.now() + timedelta(days=5)).date()
    response = client.post(
        reverse("projects:correction_request", args=[submitted.pk]),
        {
            "answers": ["invested"],
            "message": "Your investment does not match the funding plan.",
            "deadline_date": day.isoformat(),
            "deadline_time": "18:00",
        },
    )
    assert response.status_code == 302
    item = CorrectionItem.objects.get()
    assert (item.kind, item.target, item.label) == ("answer", "invested", "Own investment")
    assert str(item.display_name) == "Answer: Own investment"
    assert reload(submitted).state == ApplicationState.CORRECTION_REQUESTED


def test_an_unknown_question_cannot_be_named(submitted, asked, staff):
    with pytest.raises(TransitionRefused) as refused:
        ask(submitted, staff, ["no-such-question"])
    assert "no such part" in refused.value.reasons[0]
    assert not CorrectionRequest.objects.exists()


# --- The applicant corrects -----------------------------------------------------------------------


def test_the_page_shows_only_the_named_questions_and_saves_a_correction(
    submitted, asked, staff, applicant, client
):
    ask(submitted, staff, ["invested"])
    client.force_login(applicant)
    url = reverse("projects:application_correct", args=[submitted.pk])
    page = client.get(url).content.decode()
    assert f'name="{field(asked["invested"])}"' in page and 'value="150000000"' in page
    for other in ("secured", "contact", "plan"):
        assert f'name="{field(asked[other])}"' not in page
    assert "The team" not in page  # a section with no named question is left out
    # An unnamed question posted beside it is not even read.
    response = client.post(
        url,
        {"part": "answers", field(asked["invested"]): "200,000,000", field(asked["contact"]): "Someone else"},
    )
    assert response.status_code == 302
    assert answer(submitted, asked["invested"]).value == 200_000_000
    assert answer(submitted, asked["contact"]).value == "Kim Minsu"
    item = CorrectionItem.objects.get()
    assert item.corrected and item.corrected_by == applicant
    revision = AnswerRevision.objects.get()
    assert (revision.value_before, revision.value_after, revision.changed_by) == (
        150_000_000,
        200_000_000,
        applicant,
    )


def test_a_bad_answer_is_refused_beside_its_question_keeping_what_was_typed(
    submitted, asked, staff, applicant, client
):
    ask(submitted, staff, ["invested"])
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_correct", args=[submitted.pk]),
        {"part": "answers", field(asked["invested"]): "2,000,000,000"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter at most 1,000,000,000 KRW." in page and 'value="2,000,000,000"' in page
    assert answer(submitted, asked["invested"]).value == 150_000_000
    assert not AnswerRevision.objects.exists() and not CorrectionItem.objects.get().corrected


def test_the_funding_plan_form_stays_unbound_when_answers_are_posted(
    submitted, asked, staff, applicant, client
):
    ask(submitted, staff, ["invested"]).items.create(kind="funding_plan", target="")
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_correct", args=[submitted.pk]),
        {"part": "answers", field(asked["invested"]): "1"},
        follow=True,
    )
    assert "This field is required" not in response.content.decode()
    assert answer(submitted, asked["invested"]).value == 1
    assert not submitted.funding_plan_revisions.exists()


def test_an_unnamed_answer_is_refused(submitted, asked, staff, applicant):
    ask(submitted, staff, ["invested"])
    with pytest.raises(TransitionRefused) as refused:
        corrections.correct_answers(
            submitted, {asked["invested"]: 1, asked["contact"]: "Someone else"}, by=applicant
        )
    assert "does not name this part" in refused.value.reasons[0]
    # A question of another call with the same code is not the named one either.
    other = CallFactory(slug="other-call")
    section = QuestionSection.objects.create(call=other, title="Other")
    lookalike = Question.objects.create(
        call=other, section=section, code="invested", kind=K.AMOUNT, label="Lookalike"
    )
    with pytest.raises(TransitionRefused):
        corrections.correct_answers(submitted, {lookalike: 1}, by=applicant)
    with pytest.raises(TransitionRefused):
        corrections.correct_answers(submitted, {}, {asked["plan"]: (pdf(), DocumentFormat.PDF)}, by=applicant)
    assert answer(submitted, asked["invested"]).value == 150_000_000
    assert answer(submitted, asked["contact"]).value == "Kim Minsu"
    assert not AnswerRevision.objects.exists() and not Answer.objects.filter(question=lookalike).exists()
    assert Document.objects.filter(application=submitted, kind="other").count() == 1


def test_an_unchanged_answer_is_refused(submitted, asked, staff, applicant):
    ask(submitted, staff, ["invested"])
    with pytest.raises(TransitionRefused) as refused:
        corrections.correct_answers(submitted, {asked["invested"]: 150_000_000}, by=applicant)
    assert "unchanged" in refused.value.reasons[0]
    assert not CorrectionItem.objects.get().corrected


def test_late_changes_are_refused_to_the_second(submitted, asked, staff, applicant, client):
    request = ask(submitted, staff, ["invested", "contact"])
    corrections.correct_answers(submitted, {asked["invested"]: 1}, by=applicant, now=request.deadline)
    with pytest.raises(TransitionRefused) as refused:
        corrections.correct_answers(
            submitted, {asked["contact"]: "Late"}, by=applicant, now=request.deadline + timedelta(seconds=1)
        )
    assert "deadline passed" in refused.value.reasons[0]
    assert answer(submitted, asked["contact"]).value == "Kim Minsu"
    # However long the page was open: the server's clock at the write decides.
    client.force_login(applicant)
    url = reverse("projects:application_correct", args=[submitted.pk])
    assert client.get(url).status_code == 200
    CorrectionRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    client.post(url, {"part": "answers", field(asked["contact"]): "Late"})
    assert answer(submitted, asked["contact"]).value == "Kim Minsu"
    assert AnswerRevision.objects.count() == 1


# --- Originals kept, before and after for staff ----------------------------------------------------


def test_originals_are_kept_and_staff_read_before_and_after(submitted, asked, staff, applicant, client):
    ask(submitted, staff, ["invested", "secured"])
    corrections.correct_answers(
        submitted, {asked["invested"]: 200_000_000, asked["secured"]: False}, by=applicant
    )
    corrections.correct_answers(submitted, {asked["invested"]: 250_000_000}, by=applicant)
    revisions = list(AnswerRevision.objects.filter(question=asked["invested"]).order_by("pk"))
    assert [(r.value_before, r.value_after) for r in revisions] == [
        (150_000_000, 200_000_000),
        (200_000_000, 250_000_000),
    ]
    with pytest.raises(Exception):  # noqa: B017 - AppendOnlyError: revisions are never changed
        revisions[0].save()
    with pytest.raises(Exception):  # noqa: B017
        AnswerRevision.objects.all().delete()
    client.force_login(staff)
    page = client.get(reverse("projects:staff_application", args=[submitted.pk])).content.decode()
    history = page[page.index('id="corrections"') :]
    assert "Answer: Own investment" in history
    assert (
        history.index("150,000,000 KRW") < history.index("200,000,000 KRW") < history.index("250,000,000 KRW")
    )
    assert "Before" in history and "After" in history and "Yes" in history and "No" in history


def test_a_file_answer_corrected_keeps_the_old_file(submitted, asked, staff, applicant, client):
    old = answer(submitted, asked["plan"]).document
    ask(submitted, staff, ["plan"])
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_correct", args=[submitted.pk]),
        {"part": "answers", field(asked["plan"]): pdf()},
    )
    assert response.status_code == 302
    new = answer(submitted, asked["plan"]).document
    old.refresh_from_db()
    assert new != old and new.original_name == "site-plan-new.pdf" and not new.superseded
    assert old.superseded and old.file.read() == b"%PDF-1.4 the original plan"
    item = CorrectionItem.objects.get()
    assert item.corrected and item.document == new
    revision = AnswerRevision.objects.get()
    assert (revision.document_before, revision.document_after) == (old, new)
    assert (revision.before_text, revision.after_text) == ("plan.pdf", "site-plan-new.pdf")
    client.force_login(staff)
    page = client.get(reverse("projects:staff_application", args=[submitted.pk])).content.decode()
    history = page[page.index('id="corrections"') :]
    for document in (old, new):
        assert reverse("projects:document_download", args=[document.pk]) in history
    assert client.get(reverse("projects:document_download", args=[old.pk])).status_code == 200


def test_a_file_answer_is_checked_by_its_content(submitted, asked, staff, applicant, client):
    ask(submitted, staff, ["plan"])
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_correct", args=[submitted.pk]),
        {"part": "answers", field(asked["plan"]): SimpleUploadedFile("plan.pdf", b"not a pdf")},
    )
    assert response.status_code == 200
    assert not AnswerRevision.objects.exists()
    assert answer(submitted, asked["plan"]).document.original_name == "plan.pdf"


# --- Resubmission ------------------------------------------------------------------------------


def test_resubmission_passes_the_required_answers_rule_on_the_corrected_answers(
    submitted, asked, staff, applicant
):
    ask(submitted, staff, ["secured"])
    # Cleared: the answer is corrected, but a required question is now unanswered.
    corrections.correct_answers(submitted, {asked["secured"]: None}, by=applicant)
    with pytest.raises(TransitionRefused) as refused:
        corrections.resubmit(submitted, by=applicant)
    assert any("Answer the required questions: Is the test bed secured?" in r for r in refused.value.reasons)
    assert reload(submitted).state == ApplicationState.CORRECTION_REQUESTED
    corrections.correct_answers(submitted, {asked["secured"]: False}, by=applicant)
    corrections.resubmit(submitted, by=applicant)
    assert reload(submitted).state == ApplicationState.SUBMITTED
    assert [(r.value_before, r.value_after) for r in AnswerRevision.objects.order_by("pk")] == [
        (True, None),
        (None, False),
    ]


def test_resubmission_waits_for_every_named_answer(submitted, asked, staff, applicant):
    ask(submitted, staff, ["invested", "contact"])
    corrections.correct_answers(submitted, {asked["invested"]: 1}, by=applicant)
    with pytest.raises(TransitionRefused) as refused:
        corrections.resubmit(submitted, by=applicant)
    assert "still to do: Answer: Person in charge" in refused.value.reasons[0]


# --- Permissions and language --------------------------------------------------------------------


def test_only_the_applicant_corrects(submitted, asked, staff, stranger, client):
    ask(submitted, staff, ["invested"])
    for user in (stranger, staff):
        with pytest.raises(PermissionDenied):
            corrections.correct_answers(submitted, {asked["invested"]: 1}, by=user)
    client.force_login(stranger)
    url = reverse("projects:application_correct", args=[submitted.pk])
    assert client.post(url, {"part": "answers", field(asked["invested"]): "1"}).status_code == 404
    client.force_login(staff)
    assert client.post(url, {"part": "answers", field(asked["invested"]): "1"}).status_code == 404
    assert answer(submitted, asked["invested"]).value == 150_000_000
    assert not AnswerRevision.objects.exists()


def test_korean_pages(submitted, asked, staff, applicant, client):
    ask(submitted, staff, ["invested"])
    corrections.correct_answers(submitted, {asked["invested"]: 1}, by=applicant)
    client.force_login(applicant)
    page = client.get(
        reverse("projects:application_correct", args=[submitted.pk]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "보완할 답변" in page and "자체 투자액" in page and "답변 저장" in page
