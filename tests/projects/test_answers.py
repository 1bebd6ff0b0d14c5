"""Answers to a call's own questions: on the draft's form in their sections, checked on the
server (each refusal beside its question, everything typed kept), saved with the draft,
required to submit, shown to staff and reviewers (identifying ones hidden in a blind call) and
exported in the workbook's Answers sheet."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from audit.funding_workbook import write_funding_workbook
from competitions.lifecycle import TransitionRefused
from competitions.models import Question, QuestionKind, QuestionSection
from projects import workflow
from projects.answers import answer_sections, for_reviewer
from projects.models import Answer, Application, Document

from .samples import pdf_bytes

K = QuestionKind


@pytest.fixture
def asked(open_call):
    """The open call's own questions: a required yes/no, an amount, a multiple choice, an
    identifying short text and a file, in two sections."""
    bed = QuestionSection.objects.create(call=open_call, title="The test bed", title_ko="실증지", position=1)
    team = QuestionSection.objects.create(call=open_call, title="The team", position=2)

    def add(section, code, kind, label, **fields):
        return Question.objects.create(
            call=open_call,
            section=section,
            code=code,
            kind=kind,
            label=label,
            position=Question.objects.count(),
            **fields,
        )

    return {
        "secured": add(
            bed,
            "secured",
            K.YES_NO,
            "Is the test bed secured?",
            label_ko="실증지를 확보했습니까?",
            required=True,
        ),
        "invested": add(
            bed, "invested", K.AMOUNT, "Own investment", min_value=Decimal(0), max_value=Decimal(10**9)
        ),
        "areas": add(
            bed,
            "areas",
            K.MULTIPLE_CHOICE,
            "Areas",
            choices=[{"code": "1", "label": "Mobility"}, {"code": "2", "label": "Safety"}],
        ),
        "contact": add(
            team, "contact", K.SHORT_TEXT, "Person in charge", identifying=True, max_value=Decimal(20)
        ),
        "plan": add(team, "plan", K.FILE, "Site plan", document_kind="other"),
    }


def edit_data(application, **answers):
    data = {
        "version": application.version,
        "title": application.title,
        "summary": "",
        "track": application.track_id,
        "requested_subsidy": application.requested_subsidy,
        "local_government": application.local_government,
        "private_cash": application.private_cash,
        "private_in_kind": application.private_in_kind,
    }
    data.update(answers)
    return data


def field(question):
    return f"question-{question.pk}"


def test_the_draft_form_shows_the_calls_questions_in_their_sections(client, applicant, draft, asked):
    client.force_login(applicant)
    page = client.get(reverse("projects:application_edit", args=[draft.pk])).content.decode()
    assert page.index("The test bed") < page.index("Is the test bed secured?") < page.index("The team")
    assert "Required before you submit." in page
    assert 'enctype="multipart/form-data"' in page
    assert f'name="{field(asked["areas"])}" value="2"' in page


def test_answers_are_saved_with_the_draft_and_shown_again(client, applicant, draft, asked):
    client.force_login(applicant)
    data = edit_data(
        draft,
        **{
            field(asked["secured"]): "yes",
            field(asked["invested"]): "150,000,000",
            field(asked["areas"]): ["2", "1"],
            field(asked["contact"]): "  Kim Minsu ",
            field(asked["plan"]): SimpleUploadedFile("plan.pdf", pdf_bytes()),
        },
    )
    response = client.post(reverse("projects:application_edit", args=[draft.pk]), data)
    assert response.status_code == 302
    stored = {a.question.code: a for a in Answer.objects.filter(application=draft).select_related("question")}
    assert stored["secured"].value is True and stored["invested"].value == 150_000_000
    assert stored["areas"].value == ["1", "2"] and stored["contact"].value == "Kim Minsu"
    assert stored["plan"].document.kind == "other" and stored["plan"].document.original_name == "plan.pdf"
    assert stored["secured"].updated_by == applicant
    detail = client.get(reverse("projects:application_detail", args=[draft.pk])).content.decode()
    assert "150,000,000 KRW" in detail and "Mobility, Safety" in detail and "plan.pdf" in detail
    form = client.get(reverse("projects:application_edit", args=[draft.pk])).content.decode()
    assert 'value="150000000"' in form and 'value="Kim Minsu"' in form


def test_a_new_file_replaces_the_old_one_which_is_kept(client, applicant, draft, asked):
    client.force_login(applicant)
    url = reverse("projects:application_edit", args=[draft.pk])
    client.post(url, edit_data(draft, **{field(asked["plan"]): SimpleUploadedFile("one.pdf", pdf_bytes())}))
    draft = Application.objects.get(pk=draft.pk)
    client.post(url, edit_data(draft, **{field(asked["plan"]): SimpleUploadedFile("two.pdf", pdf_bytes())}))
    answer = Answer.objects.get(question=asked["plan"])
    assert answer.document.original_name == "two.pdf"
    old = Document.objects.get(original_name="one.pdf")
    assert old.superseded
    # An upload in the documents section of the same kind leaves the answer's file alone.
    client.post(
        reverse("projects:document_upload", args=[draft.pk]),
        {"kind": "other", "file": SimpleUploadedFile("extra.pdf", pdf_bytes())},
    )
    assert not Document.objects.get(pk=answer.document_id).superseded


def test_bad_answers_are_refused_beside_their_questions_and_nothing_changes(client, applicant, draft, asked):
    client.force_login(applicant)
    version = draft.version
    data = edit_data(
        draft,
        title="A new title",
        **{
            field(asked["invested"]): "12.5",
            field(asked["contact"]): "x" * 21,
            field(asked["secured"]): "yes",
            field(asked["plan"]): SimpleUploadedFile("plan.pdf", b"not a pdf at all"),
        },
    )
    response = client.post(reverse("projects:application_edit", args=[draft.pk]), data)
    assert response.status_code == 200
    form = response.context["answers_form"]
    assert form.errors[field(asked["invested"])] == [
        "Enter an amount in whole won, digits only, e.g. 150000000."
    ]
    assert form.errors[field(asked["contact"])] == ["Write at most 20 characters (you wrote 21)."]
    assert "is not a PDF, HWP, HWPX, DOCX or XLSX file" in form.errors[field(asked["plan"])][0]
    page = response.content.decode()
    assert 'value="12.5"' in page and 'value="A new title"' in page
    assert not Answer.objects.exists()
    assert Application.objects.get(pk=draft.pk).version == version


def test_the_refusal_is_in_korean_for_a_korean_reader(client, applicant, draft, asked):
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_edit", args=[draft.pk]),
        edit_data(draft, **{field(asked["invested"]): "abc"}),
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert "금액을 원 단위 정수로" in response.content.decode()


def test_submission_needs_the_required_answers(applicant, draft, asked):
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant)
    assert refused.value.reasons == [
        "Required answers: Answer the required questions: Is the test bed secured?"
    ]
    assert Application.objects.get(pk=draft.pk).state == "draft"
    workflow.save_draft(
        draft, {}, by=applicant, expected_version=draft.version, answers={asked["secured"]: False}
    )
    submitted = workflow.submit(Application.objects.get(pk=draft.pk), by=applicant)
    assert submitted.state == "submitted"


def test_a_draft_without_the_required_answer_still_saves(client, applicant, draft, asked):
    client.force_login(applicant)
    response = client.post(reverse("projects:application_edit", args=[draft.pk]), edit_data(draft))
    assert response.status_code == 302


def test_the_eligibility_rule_reads_the_answers(applicant, draft, asked):
    from competitions.models import EligibilityRule
    from projects.eligibility_check import check_eligibility

    rule = EligibilityRule(
        call=draft.call,
        kind="question_answer",
        params={"question": "invested", "condition": "at_least", "number": 1000},
    )
    rule.full_clean()
    rule.save()
    workflow.save_draft(
        draft, {}, by=applicant, expected_version=draft.version, answers={asked["invested"]: 999}
    )
    [result] = [r for r in check_eligibility(draft) if r.kind == "question_answer"]
    assert (
        not result.passed
        and result.reason == "The answer to “Own investment” (999 KRW) is below the minimum of 1,000 KRW."
    )


def answered(draft, asked, applicant):
    workflow.save_draft(
        draft,
        {},
        by=applicant,
        expected_version=draft.version,
        answers={asked["secured"]: True, asked["contact"]: "Kim Minsu", asked["invested"]: 5},
    )


def test_staff_read_every_answer_reviewers_not_the_identifying_ones_in_a_blind_call(applicant, draft, asked):
    answered(draft, asked, applicant)
    staff_rows = [row.question.code for block in answer_sections(draft) for row in block.rows]
    assert staff_rows == ["secured", "invested", "areas", "contact", "plan"]
    draft.call.blind_review = False
    assert "contact" in [row.question.code for block in for_reviewer(draft) for row in block.rows]
    draft.call.blind_review = True
    shown = [row.question.code for block in for_reviewer(draft) for row in block.rows]
    assert "contact" not in shown and "secured" in shown


def test_the_staff_page_shows_the_answers(staff_client, applicant, draft, asked):
    answered(draft, asked, applicant)
    page = staff_client.get(reverse("projects:staff_application", args=[draft.pk])).content.decode()
    assert "Answers to the call's questions" in page and "Kim Minsu" in page and "Not answered" in page


def test_the_workbook_has_an_answers_sheet_read_back_with_openpyxl(applicant, draft, asked):
    answered(draft, asked, applicant)
    application = workflow.submit(Application.objects.get(pk=draft.pk), by=applicant)
    buffer = io.BytesIO()
    write_funding_workbook([draft.call], buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)["Answers"]
    rows = [list(row) + [None] * (8 - len(row)) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Reference", "Call", "Section", "Code", "Question", "Kind", "Answer", "Number"]
    assert rows[1:] == [
        [
            application.reference,
            draft.call.slug,
            "The test bed",
            "secured",
            "Is the test bed secured?",
            "Yes or no",
            "Yes",
            None,
        ],
        [
            application.reference,
            draft.call.slug,
            "The test bed",
            "invested",
            "Own investment",
            "Amount in KRW",
            "5 KRW",
            5,
        ],
        [
            application.reference,
            draft.call.slug,
            "The team",
            "contact",
            "Person in charge",
            "Short text",
            "Kim Minsu",
            None,
        ],
    ]
