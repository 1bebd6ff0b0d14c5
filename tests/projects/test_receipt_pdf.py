"""The receipt of a submission (접수증) as a PDF: who may print it, and that Korean renders."""

import hashlib

import pytest
from django.urls import reverse

from accounts.roles import Role
from projects import workflow
from projects.models import ApplicationState
from tests.factories import UserFactory
from tests.pdf_text import pdf_fonts, pdf_text

from .samples import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(draft, applicant):
    return workflow.submit(draft, by=applicant)


def flat(text):
    return " ".join(text.split())


def receipt_url(application):
    return reverse("projects:application_receipt", args=[application.pk])


def test_the_receipt_in_korean_names_the_call_reference_and_documents_with_their_hashes(
    client, submitted, applicant
):
    client.force_login(applicant)
    response = client.get(receipt_url(submitted), HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "접수증" in text
    assert submitted.call.title_ko in text
    assert submitted.reference in text
    assert "Haeundae Smart Mobility" in text
    assert "한국시간 " in text  # Asia/Seoul
    assert hashlib.sha256(pdf_bytes()).hexdigest() in text.replace("\n", "")
    # The KRDS font is embedded (WeasyPrint subsets it): Korean does not depend on the server's fonts.
    assert any("PretendardGOV" in name for name in pdf_fonts(response.content))


def test_the_receipt_in_english(client, submitted, applicant):
    client.force_login(applicant)
    text = pdf_text(client.get(receipt_url(submitted)).content)
    assert "Receipt of submission" in text
    assert submitted.call.title in text
    # The Korean is the official text: an English receipt also names itself 접수증 and gives
    # the call's Korean title.
    assert "접수증" in text and submitted.call.title_ko in flat(text)


def test_a_korean_receipt_is_in_korean_only(client, submitted, applicant):
    client.force_login(applicant)
    text = pdf_text(client.get(receipt_url(submitted), HTTP_ACCEPT_LANGUAGE="ko").content)
    assert "Receipt of submission" not in text and "접수증" in text


def test_the_time_of_submission_is_printed_in_seoul_to_the_second(client, submitted, applicant):
    from competitions.formatting import to_seoul

    client.force_login(applicant)
    text = pdf_text(client.get(receipt_url(submitted)).content)
    assert to_seoul(submitted.submitted_at).strftime("%Y-%m-%d %H:%M:%S") in text


def test_a_draft_has_no_receipt(client, draft, applicant):
    client.force_login(applicant)
    assert client.get(receipt_url(draft)).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("stranger", 404), ("reviewer", 404), ("staff", 200), ("auditor", 200)],
)
def test_only_the_lead_staff_and_auditors_print_the_receipt(client, submitted, stranger, who, status):
    user = {
        "stranger": stranger,
        "reviewer": UserFactory(roles=[Role.REVIEWER]),
        "staff": UserFactory(roles=[Role.STAFF]),
        "auditor": UserFactory(roles=[Role.AUDITOR]),
    }[who]
    client.force_login(user)
    assert client.get(receipt_url(submitted)).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, submitted):
    response = client.get(receipt_url(submitted))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_application_page_links_the_receipt_once_submitted(client, submitted, applicant):
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[submitted.pk])).content.decode()
    assert receipt_url(submitted) in page
    assert submitted.state == ApplicationState.SUBMITTED
