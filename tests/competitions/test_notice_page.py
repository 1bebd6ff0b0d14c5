"""The call's notice page (issue 15): documents, notices, questions and answers, the contact, and
the deadline that is extended (everyone who applied told) but never shortened."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions import notices
from competitions.lifecycle import TransitionRefused
from competitions.models import (
    Call,
    CallDocument,
    CallState,
    DeadlineExtension,
    Inquiry,
    Notice,
    NoticeRevision,
)
from projects.models import ApplicationState, OutboxMessage
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    TrackFactory,
    UserFactory,
)
from tests.projects.samples import docx_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def call(db):
    now = timezone.now()
    call = CallFactory(
        slug="notice-call",
        state=CallState.PUBLISHED,
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=7),
    )
    TrackFactory(call=call, max_awards=14)
    return call


@pytest.fixture
def asker(role_groups):
    user = UserFactory(email="asker@company.example", first_name="Minji", last_name="Kim", language="ko")
    OrganisationFactory(owners=[user], name="Asking Company")
    return user


def pdf(name="공고문.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def page_of(client, call, language="en"):
    return client.get(reverse("competitions:call_detail", args=[call.slug]), HTTP_ACCEPT_LANGUAGE=language)


# --- Documents --------------------------------------------------------------------------------------


def test_staff_attach_the_announcement_and_anyone_downloads_it(client, call, staff_user):
    document = notices.attach_document(
        call, kind="announcement", title="Announcement", title_ko="공고문", upload=pdf(), by=staff_user
    )
    assert (document.file_format, document.original_name) == ("pdf", "공고문.pdf")
    page = page_of(client, call, "ko").content.decode()
    assert "공고문.pdf" in page and "공고문 및 서식" in page
    response = client.get(reverse("competitions:document_download", args=[call.slug, document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_a_file_is_checked_by_content_like_every_upload(call, staff_user):
    fake = SimpleUploadedFile("form.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError, match="is not a PDF, HWP, HWPX, DOCX or XLSX file"):
        notices.attach_document(call, kind="form", title="Form", upload=fake, by=staff_user)
    renamed = SimpleUploadedFile("form.pdf", docx_bytes())
    with pytest.raises(ValidationError, match="is named .pdf but its content is Word"):
        notices.attach_document(call, kind="form", title="Form", upload=renamed, by=staff_user)
    assert not CallDocument.objects.exists()


def test_replacing_a_document_keeps_the_old_one(client, call, staff_user):
    old = notices.attach_document(call, kind="form", title="Form 1", upload=pdf("form-v1.pdf"), by=staff_user)
    with pytest.raises(ValidationError):
        notices.attach_document(
            call, kind="form", title="Form 1", upload=pdf("v2.pdf"), replaces=old, by=staff_user
        )
    new = notices.attach_document(
        call,
        kind="form",
        title="Form 1",
        upload=pdf("form-v2.pdf"),
        replaces=old,
        reason="Typo",
        by=staff_user,
    )
    old.refresh_from_db()
    assert old.retired_at is not None and old.retire_reason == "Typo" and new.replaces == old
    assert list(CallDocument.objects.current()) == [new]
    page = page_of(client, call).content.decode()
    assert "form-v2.pdf" in page and "form-v1.pdf" not in page
    # The public cannot fetch the retired file; staff still can.
    old_url = reverse("competitions:document_download", args=[call.slug, old.pk])
    assert client.get(old_url).status_code == 404
    client.force_login(staff_user)
    assert client.get(old_url).status_code == 200
    with pytest.raises(TransitionRefused, match="already replaced or withdrawn"):
        notices.attach_document(
            call, kind="form", title="Again", upload=pdf(), replaces=old, reason="x", by=staff_user
        )


def test_only_staff_attach_documents(call, asker):
    with pytest.raises(PermissionDenied):
        notices.attach_document(call, kind="form", title="Form", upload=pdf(), by=asker)


def test_a_draft_calls_documents_are_not_public(client, staff_user):
    draft = CallFactory()
    document = notices.attach_document(draft, kind="form", title="Form", upload=pdf(), by=staff_user)
    assert (
        client.get(reverse("competitions:document_download", args=[draft.slug, document.pk])).status_code
        == 404
    )


# --- Notices ----------------------------------------------------------------------------------------


def test_notices_newest_first_and_edits_keep_each_revision(client, call, staff_user):
    now = timezone.now()
    notices.post_notice(
        call, title="Briefing", title_ko="설명회 안내", body="At 14:00", by=staff_user, now=now
    )
    second = notices.post_notice(
        call, title="Q&A closed", body="Friday", body_ko="금요일", by=staff_user, now=now + timedelta(hours=1)
    )
    page = page_of(client, call).content.decode()
    assert page.index("Q&amp;A closed") < page.index("Briefing")
    assert "설명회 안내" in page_of(client, call, "ko").content.decode()

    with pytest.raises(ValidationError):  # no reason
        notices.edit_notice(second, title="Q&A closes", body="Thursday", by=staff_user)
    notices.edit_notice(
        second, title="Q&A closes", body="Thursday", body_ko="목요일", reason="Moved", by=staff_user
    )
    revisions = list(NoticeRevision.objects.filter(notice=second).values_list("number", "body", "reason"))
    assert revisions == [(1, "Friday", ""), (2, "Thursday", "Moved")]
    assert Notice.objects.get(pk=second.pk).edited_at is not None


def test_a_notice_needs_a_title_and_a_text(call, staff_user):
    with pytest.raises(ValidationError) as refused:
        notices.post_notice(call, title="  ", body="", by=staff_user)
    assert set(refused.value.message_dict) == {"title"}
    with pytest.raises(ValidationError) as refused:
        notices.post_notice(call, title_ko="제목", body="  ", by=staff_user)
    assert set(refused.value.message_dict) == {"body"}
    assert not Notice.objects.exists()


# --- Questions and answers ----------------------------------------------------------------------------


def test_a_question_is_private_until_answered_then_public_without_the_asker(client, call, asker, staff_user):
    question = notices.ask_question(call, text="Can a university lead?", by=asker)
    other = UserFactory(email="other@company.example")
    client.force_login(other)
    assert "Can a university lead?" not in page_of(client, call).content.decode()
    client.force_login(asker)
    assert "Can a university lead?" in page_of(client, call).content.decode()

    notices.answer_question(question, answer="Only as a consortium member.", by=staff_user)
    client.force_login(other)
    page = page_of(client, call).content.decode()
    assert "Can a university lead?" in page and "Only as a consortium member." in page
    assert "asker@company.example" not in page and "Minji" not in page and "Kim" not in page
    message = OutboxMessage.objects.get(to="asker@company.example")
    assert "답변" in message.subject  # the asker's language is Korean
    assert "Only as a consortium member." in message.body
    with pytest.raises(TransitionRefused, match="already answered"):
        notices.answer_question(question, answer="Again", by=staff_user)


def test_questions_are_refused_empty_too_long_or_too_many(call, asker):
    with pytest.raises(ValidationError, match="Write your question"):
        notices.ask_question(call, text="   ", by=asker)
    with pytest.raises(ValidationError, match="at most 2,000 characters"):
        notices.ask_question(call, text="x" * 2001, by=asker)
    for n in range(notices.QUESTIONS_PER_DAY):
        notices.ask_question(call, text=f"Inquiry {n}", by=asker)
    with pytest.raises(TransitionRefused, match="in the last 24 hours"):
        notices.ask_question(call, text="One more", by=asker)
    assert Inquiry.objects.count() == notices.QUESTIONS_PER_DAY


def test_staff_do_not_ask_and_applicants_do_not_answer(call, asker, staff_user):
    with pytest.raises(TransitionRefused):
        notices.ask_question(call, text="Hello?", by=staff_user)
    question = notices.ask_question(call, text="Hello?", by=asker)
    with pytest.raises(PermissionDenied):
        notices.answer_question(question, answer="Me", by=asker)


def test_asking_on_the_page_keeps_what_was_typed(client, call, asker):
    client.force_login(asker)
    url = reverse("competitions:ask_question", args=[call.slug])
    response = client.post(url, {"text": "y" * 2001})
    assert response.status_code == 400
    assert "y" * 2001 in response.content.decode()
    assert not Inquiry.objects.exists()
    response = client.post(url, {"text": "Is HWPX accepted?"})
    assert response.status_code == 302 and Inquiry.objects.get().text == "Is HWPX accepted?"


def test_anonymous_visitors_are_asked_to_sign_in(client, call):
    assert "Sign in to ask a question." in page_of(client, call).content.decode()
    response = client.post(reverse("competitions:ask_question", args=[call.slug]), {"text": "Hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Inquiry.objects.exists()


def test_staff_answer_from_the_queue(client, call, asker, staff_user):
    question = notices.ask_question(call, text="Deadline time?", by=asker)
    client.force_login(staff_user)
    queue = client.get(reverse("competitions:question_queue")).content.decode()
    assert "Deadline time?" in queue
    url = reverse("competitions:question_answer", args=[question.pk])
    response = client.post(url, {f"q{question.pk}-answer": ""})
    assert response.status_code == 400 and Inquiry.objects.get().answered_at is None
    client.post(url, {f"q{question.pk}-answer": "17:00 KST."})
    assert Inquiry.objects.get().answer == "17:00 KST."
    client.force_login(asker)
    assert client.get(reverse("competitions:question_queue")).status_code == 403


# --- Contact ---------------------------------------------------------------------------------------------


def test_the_contact_is_shown_on_the_page(client, call, staff_user):
    with pytest.raises(ValidationError, match="phone number or an e-mail"):
        notices.set_contact(call, department="Smart City Division", by=staff_user)
    notices.set_contact(
        call,
        department="Smart City Division",
        department_ko="도시경제과",
        person="Lee",
        phone="044-201-4812",
        by=staff_user,
    )
    notices.set_contact(call, department_ko="도시경제과", phone="044-201-4813", by=staff_user)
    page = page_of(client, call, "ko").content.decode()
    assert "도시경제과" in page and "044-201-4813" in page and "044-201-4812" not in page


# --- The deadline --------------------------------------------------------------------------------------


@pytest.fixture
def applied(call):
    """Two applicants with a draft and a submission, one who withdrew, one in another call."""
    people = {}
    for name, state in [("drafting", ApplicationState.DRAFT), ("submitted", ApplicationState.SUBMITTED),
                        ("withdrew", ApplicationState.WITHDRAWN)]:  # fmt: skip
        person = UserFactory(email=f"{name}@company.example", language="en")
        application = ApplicationFactory(
            call=call, lead=OrganisationFactory(owners=[person]), created_by=person
        )
        type(application).objects.filter(pk=application.pk).update(state=state)
        people[name] = person
    elsewhere = UserFactory(email="elsewhere@company.example")
    ApplicationFactory(lead=OrganisationFactory(owners=[elsewhere]), created_by=elsewhere)
    return people


def test_extending_tells_everyone_with_a_draft_or_submission(call, applied, staff_user):
    old = call.closes_at
    new = old + timedelta(days=3)
    extension = notices.extend_deadline(call, new, reason="The briefing moved.", by=staff_user)
    assert Call.objects.get(pk=call.pk).closes_at == new
    assert (extension.previous_closes_at, extension.by, extension.notified) == (old, staff_user, 2)
    told = sorted(OutboxMessage.objects.values_list("to", flat=True))
    assert told == ["drafting@company.example", "submitted@company.example"]
    body = OutboxMessage.objects.first().body
    assert "The briefing moved." in body and "KST" in body


def test_a_deadline_is_never_shortened_and_nothing_changes(call, applied, staff_user):
    old = call.closes_at
    with pytest.raises(ValidationError, match="never shortened"):
        notices.extend_deadline(call, old - timedelta(hours=1), reason="Oops", by=staff_user)
    with pytest.raises(ValidationError, match="reason"):
        notices.extend_deadline(call, old + timedelta(days=1), reason=" ", by=staff_user)
    assert Call.objects.get(pk=call.pk).closes_at == old
    assert not DeadlineExtension.objects.exists() and not OutboxMessage.objects.exists()


def test_the_model_refuses_a_shorter_or_unrecorded_deadline_on_any_path(call):
    stored = Call.objects.get(pk=call.pk)
    stored.closes_at = call.closes_at - timedelta(minutes=1)
    with pytest.raises(ValidationError, match="never shortened"):
        stored.save()
    stored.closes_at = call.closes_at + timedelta(days=1)
    with pytest.raises(ValidationError, match="on its notice page"):
        stored.save(update_fields=["closes_at"])
    assert Call.objects.get(pk=call.pk).closes_at == call.closes_at
    draft = CallFactory()
    draft.closes_at -= timedelta(days=1)
    draft.save()  # a draft's window is free


def test_the_admin_does_not_offer_a_published_deadline(client, call, staff_user, role_groups):
    client.force_login(staff_user)
    page = client.get(reverse("admin:competitions_call_change", args=[call.pk])).content.decode()
    assert 'name="closes_at_0"' not in page and 'name="closes_at"' not in page


def test_only_a_published_calls_deadline_is_extended(staff_user):
    draft = CallFactory()
    with pytest.raises(TransitionRefused, match="Only a published call"):
        notices.extend_deadline(draft, draft.closes_at + timedelta(days=1), reason="x", by=staff_user)


@settings(max_examples=25, deadline=None)
@given(minutes=st.integers(min_value=-60 * 24 * 30, max_value=60 * 24 * 30))
def test_the_deadline_only_ever_moves_later(minutes):
    now = timezone.now()
    before = Call(state=CallState.PUBLISHED, closes_at=now)
    refusal = before.deadline_change_refusal(CallState.PUBLISHED, now, now + timedelta(minutes=minutes), True)
    assert (refusal is not None) == (minutes < 0)


def test_extending_from_the_staff_page(client, call, applied, staff_user):
    client.force_login(staff_user)
    url = reverse("competitions:staff_notice_page", args=[call.slug])
    earlier = timezone.localtime(call.closes_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"action": "extend", "extend-closes_at": earlier, "extend-reason": "Shorter"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "never shortened" in page and "Shorter" in page
    later = (call.closes_at + timedelta(days=2)).astimezone(timezone.get_fixed_timezone(540))
    response = client.post(
        url,
        {
            "action": "extend",
            "extend-closes_at": later.strftime("%Y-%m-%dT%H:%M"),
            "extend-reason": "More time",
        },
    )
    assert response.status_code == 302
    assert Call.objects.get(pk=call.pk).closes_at == later.replace(second=0, microsecond=0)
    assert OutboxMessage.objects.count() == 2


# --- Pages ----------------------------------------------------------------------------------------------


def test_the_staff_notice_page_is_staff_only(client, call, asker, staff_user):
    url = reverse("competitions:staff_notice_page", args=[call.slug])
    assert client.get(url).status_code == 302
    client.force_login(asker)
    assert client.get(url).status_code == 403
    client.force_login(staff_user)
    assert client.get(url).status_code == 200
    dashboard = client.get(reverse("evaluation:call_dashboard", args=[call.slug])).content.decode()
    assert url in dashboard


def test_the_staff_page_posts_notices_documents_and_contact(client, call, staff_user):
    client.force_login(staff_user)
    url = reverse("competitions:staff_notice_page", args=[call.slug])
    client.post(url, {"action": "notice", "notice-title_ko": "설명회", "notice-body_ko": "14시"})
    client.post(url, {"action": "document", "document-kind": "announcement", "document-title_ko": "공고문",
                      "document-file": pdf()})  # fmt: skip
    client.post(
        url,
        {"action": "contact", "contact-department_ko": "도시경제과", "contact-email": "city@molit.example"},
    )
    assert Notice.objects.get().title_ko == "설명회"
    assert CallDocument.objects.get().title_ko == "공고문"
    response = client.post(url, {"action": "document", "document-kind": "form", "document-title": "Form",
                                 "document-file": SimpleUploadedFile("x.pdf", b"nope")})  # fmt: skip
    assert response.status_code == 400 and CallDocument.objects.count() == 1
    notice = Notice.objects.get()
    edit = reverse("competitions:staff_notice_edit", args=[call.slug, notice.pk])
    client.post(edit, {"title_ko": "설명회 장소", "body_ko": "14시, 세종", "reason": "Place added"})
    assert Notice.objects.get().title_ko == "설명회 장소" and notice.revisions.count() == 2


def test_the_public_page_takes_a_constant_number_of_queries(
    client, call, asker, staff_user, django_assert_max_num_queries
):
    def fill(n):
        for i in range(n):
            notices.post_notice(call, title=f"Notice {i}", body="Body", by=staff_user)
            notices.attach_document(
                call, kind="form", title=f"Form {i}", upload=pdf(f"f{i}.pdf"), by=staff_user
            )
            question = Inquiry.objects.create(
                call=call, asked_by=asker, text=f"Q{i}", asked_at=timezone.now()
            )
            notices.answer_question(question, answer=f"A{i}", by=staff_user)
            Inquiry.objects.create(call=call, asked_by=asker, text=f"Open {i}", asked_at=timezone.now())
        notices.set_contact(call, department="Division", phone="044", by=staff_user)

    client.force_login(asker)
    fill(1)
    page_of(client, call)
    with django_assert_max_num_queries(16) as small:
        page_of(client, call)
    fill(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = page_of(client, call)
    assert "Notice 11" in response.content.decode() and "Open 11" in response.content.decode()


def test_replacing_from_the_staff_page_needs_a_reason(client, call, staff_user):
    old = notices.attach_document(call, kind="form", title="Form", upload=pdf("v1.pdf"), by=staff_user)
    client.force_login(staff_user)
    url = reverse("competitions:staff_notice_page", args=[call.slug])
    prefix = f"replace-{old.pk}"
    fields = {"action": "replace", "document": old.pk, f"{prefix}-kind": "form", f"{prefix}-title": "Form v2"}
    response = client.post(url, {**fields, f"{prefix}-file": pdf("v2.pdf")})
    assert response.status_code == 400 and "Form v2" in response.content.decode()
    assert list(CallDocument.objects.current()) == [old]
    client.post(url, {**fields, f"{prefix}-file": pdf("v2.pdf"), f"{prefix}-reason": "Corrected"})
    assert CallDocument.objects.current().get().original_name == "v2.pdf"
    assert CallDocument.objects.get(pk=old.pk).retire_reason == "Corrected"
