"""The result letter as a PDF: the same letter as the page (one body template, one letter), read
back out of the PDF in Korean and English; who may download it."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.roles import Role
from competitions.models import Call, CallState
from evaluation.result_letters import letter_for
from projects.models import Application
from tests.evaluation import test_result_letters
from tests.factories import OrganisationFactory, UserFactory
from tests.pdf_text import pdf_fonts, pdf_text

pytestmark = pytest.mark.django_db

mobility = test_result_letters.mobility  # the fixture: six results of one field in a confirmed run


def pdf_url(application):
    return reverse("evaluation:result_letter_pdf", args=[application.pk])


def owner_of(application):
    owner = UserFactory()
    application.lead.memberships.create(user=owner, role="owner")
    return owner


def flat(text):
    return " ".join(text.split())


def test_the_pdf_states_what_the_page_states_in_english(client, mobility):
    applications, _safety = mobility
    reserve = applications[3]
    client.force_login(owner_of(reserve))
    response = client.get(pdf_url(reserve))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = flat(pdf_text(response.content))
    with translation.override("en"):
        letter = letter_for(Application.objects.get(pk=reserve.pk))
    assert "Result letter" in text
    assert reserve.reference in text
    # The official Korean name and the call's Korean title are printed beside the English.
    assert "결과 통지서" in text and flat(reserve.call.title_ko) in text
    assert f"Outcome: {letter.outcome_label}" in text
    assert flat(letter.margin) in text
    assert "Reserve no. 2." in text
    assert "81.20 points" in text
    # The page shows the same margin: one letter, two renderings.
    page = client.get(reverse("evaluation:result_letter", args=[reserve.pk])).content.decode()
    assert escape(letter.margin) in page
    assert pdf_url(reserve) in page


def test_the_pdf_in_korean_renders_korean_with_the_krds_font(client, mobility):
    applications, _safety = mobility
    selected = applications[0]
    client.force_login(owner_of(selected))
    response = client.get(pdf_url(selected), HTTP_ACCEPT_LANGUAGE="ko")
    text = flat(pdf_text(response.content))
    assert "결과 통지서" in text
    assert selected.call.title_ko in text
    assert "선정" in text
    assert any("PretendardGOV" in name for name in pdf_fonts(response.content))


def test_no_pdf_before_the_results_are_published_but_staff_preview_it(client, call, staff, mobility):
    applications, _safety = mobility
    Call.objects.filter(pk=call.pk).update(state=CallState.EVALUATION)
    application = applications[0]
    client.force_login(owner_of(application))
    assert client.get(pdf_url(application)).status_code == 404
    client.force_login(staff)
    assert client.get(pdf_url(application)).status_code == 200


@pytest.mark.parametrize(("who", "status"), [("stranger", 404), ("reviewer", 404), ("auditor", 200)])
def test_who_downloads_the_letter(client, mobility, who, status):
    applications, _safety = mobility
    if who == "stranger":
        user = UserFactory()
        OrganisationFactory(owners=[user])
    else:
        user = UserFactory(roles=[Role.REVIEWER if who == "reviewer" else Role.AUDITOR])
    client.force_login(user)
    assert client.get(pdf_url(applications[0])).status_code == status
