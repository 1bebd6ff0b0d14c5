"""An application's answers to its call's questions: saved with the draft, read by people
(applicant, staff, reviewers: identifying answers hidden in a blind call) and by the
eligibility rules. What an answer must be: competitions.questions.clean_answer."""

from dataclasses import dataclass

from competitions.models import Question, QuestionKind
from competitions.questions import is_blank, questions_of

from .documents import store_document
from .models import Answer, Document


def save_answers(application, values, files, *, by):
    """Store the draft's answers: ``values`` {question: cleaned value (None when blank)} and
    ``files`` {question: (upload, DocumentFormat)} for file questions given a new file. Call it
    inside the draft's locked transaction (projects.workflow.save_draft). A replaced file's
    document is kept, marked superseded."""
    existing = {answer.question_id: answer for answer in application.answers.select_related("document")}
    for question, value in values.items():
        if question.kind == QuestionKind.FILE:
            continue
        answer = existing.get(question.pk)
        if answer is None:
            if is_blank(value):
                continue
            answer = Answer(application=application, question=question)
        elif answer.value == value:
            continue
        answer.value = value
        answer.updated_by = by
        answer.save()
    for question, (upload, file_format) in files.items():
        answer = existing.get(question.pk) or Answer(application=application, question=question)
        answer.document = store_document(
            application,
            kind=question.document_kind,
            upload=upload,
            file_format=file_format,
            by=by,
            answering=answer,
        )
        answer.updated_by = by
        answer.save()


@dataclass
class AnswerRow:
    question: Question
    answer: Answer | None
    text: str  # "" when unanswered
    document: Document | None


@dataclass
class AnswerSection:
    section: object
    rows: list


def answer_sections(application, *, hide_identifying=False):
    """The call's sections in order, each with its questions and this application's answers
    (in three queries). ``hide_identifying``: leave out questions marked identifying (what a
    reviewer reads in a blind call). Sections left empty are left out."""
    answers = {
        answer.question_id: answer
        for answer in Answer.objects.filter(application=application).select_related("document")
    }
    sections = []
    for section in questions_of(application.call):
        rows = []
        for question in section.ordered_questions:
            if hide_identifying and question.identifying:
                continue
            answer = answers.get(question.pk)
            document = answer.document if answer else None
            text = answer.text if answer else ""
            rows.append(AnswerRow(question, answer, text, document))
        if rows:
            sections.append(AnswerSection(section, rows))
    return sections


def for_reviewer(application, blind=False):
    """What the application's reviewers read: identifying answers hidden in a blind call, or
    from the reviewers of a blind stage (``blind``)."""
    return answer_sections(application, hide_identifying=blind or application.call.blind_review)
