"""Reviewers read the application's answers to the call's questions on the review page; in a
blind call, not those marked identifying, nor a file answering one (not even by its address)."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from competitions.models import Call, Question, QuestionKind, QuestionSection
from evaluation.models import Assignment
from projects.models import Answer, Document
from tests.projects.samples import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(call, assigned, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    application = assigned[0]
    section = QuestionSection.objects.create(call=call, title="The team", position=1)
    users = Question.objects.create(
        call=call, section=section, code="users", kind=QuestionKind.NUMBER, label="Users per day"
    )
    contact = Question.objects.create(
        call=call,
        section=section,
        code="contact",
        kind=QuestionKind.SHORT_TEXT,
        label="Person in charge",
        identifying=True,
    )
    cv = Question.objects.create(
        call=call,
        section=section,
        code="cv",
        kind=QuestionKind.FILE,
        label="CV",
        document_kind="other",
        identifying=True,
    )
    document = Document(
        application=application,
        kind="other",
        original_name="kim-cv.pdf",
        file_format="pdf",
        size=10,
        uploaded_by=application.created_by,
    )
    document.file.save("kim-cv.pdf", ContentFile(pdf_bytes()), save=False)
    document.save()
    by = application.created_by
    Answer.objects.create(application=application, question=users, value="1200", updated_by=by)
    Answer.objects.create(application=application, question=contact, value="Kim Minsu", updated_by=by)
    Answer.objects.create(application=application, question=cv, document=document, updated_by=by)
    assignment = Assignment.objects.filter(application=application).first()
    return assignment, document


def test_reviewers_read_the_answers_but_not_identifying_ones_in_a_blind_call(
    client, call, answered, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    assignment, document = answered
    client.force_login(assignment.reviewer.user)
    url = reverse("evaluation:review_form", args=[assignment.pk])
    document_url = reverse("evaluation:review_document", args=[assignment.pk, document.pk])
    page = client.get(url).content.decode()
    assert "Users per day" in page and "1200" in page and "Kim Minsu" in page
    assert client.get(document_url).status_code == 200
    Call.objects.filter(pk=call.pk).update(blind_review=True)
    page = client.get(url).content.decode()
    assert "Users per day" in page and "1200" in page
    assert "Kim Minsu" not in page and "Person in charge" not in page and "kim-cv" not in page
    assert client.get(document_url).status_code == 404
