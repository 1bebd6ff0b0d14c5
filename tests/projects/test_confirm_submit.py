"""A confirmation step before submitting: the page summarises what will be submitted, and only
its POST submits (the server still checks the deadline and the rules)."""

import pytest
from django.urls import reverse

from projects.models import Application, ApplicationState
from tests.factories import reception_closed

pytestmark = pytest.mark.django_db


def submit_url(application):
    return reverse("projects:application_submit", args=[application.pk])


def test_the_application_page_leads_to_the_confirmation_page_not_to_a_submission(client, draft, applicant):
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[draft.pk])).content.decode()
    assert f'method="get" action="{submit_url(draft)}"' in page
    response = client.get(submit_url(draft))
    assert response.status_code == 200
    assert Application.objects.get(pk=draft.pk).state == ApplicationState.DRAFT


def test_the_confirmation_page_summarises_what_will_be_submitted(client, draft, applicant):
    client.force_login(applicant)
    page = client.get(submit_url(draft)).content.decode()
    assert "Confirm the submission" in page
    assert draft.title in page
    assert "Haeundae Smart Mobility" in page
    assert "proposal.pdf" in page and "certificate.pdf" in page
    assert f"{draft.requested_subsidy:,}" in page
    assert f'method="post" action="{submit_url(draft)}"' in page


def test_posting_the_confirmation_submits(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(submit_url(draft), follow=True)
    assert response.redirect_chain[-1][0] == reverse("projects:application_detail", args=[draft.pk])
    assert Application.objects.get(pk=draft.pk).state == ApplicationState.SUBMITTED


def test_a_confirmation_page_left_open_past_the_deadline_still_cannot_submit(client, draft, applicant):
    client.force_login(applicant)
    assert client.get(submit_url(draft)).status_code == 200
    reception_closed(draft.call)  # the clock passes the deadline while the page is open
    page = client.get(submit_url(draft)).content.decode()
    assert "Reception closed at" in page
    client.post(submit_url(draft))
    assert Application.objects.get(pk=draft.pk).state == ApplicationState.DRAFT


def test_the_confirmation_page_lists_failing_rules(client, draft, applicant):
    Application.objects.filter(pk=draft.pk).update(requested_subsidy=320_000_000)
    client.force_login(applicant)
    page = client.get(submit_url(draft)).content.decode()
    assert "above the maximum" in page
    assert "fix it before submitting" in page


def test_a_submitted_application_has_no_confirmation_page(client, draft, applicant):
    client.force_login(applicant)
    client.post(submit_url(draft))
    response = client.get(submit_url(draft))
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:application_detail", args=[draft.pk])


def test_strangers_see_no_confirmation_page(client, draft, stranger):
    client.force_login(stranger)
    assert client.get(submit_url(draft)).status_code == 404


def test_the_confirmation_page_shows_the_answers_to_the_calls_questions(client, draft, applicant):
    from competitions.models import Question, QuestionKind, QuestionSection
    from projects.models import Answer

    section = QuestionSection.objects.create(call=draft.call, title="The test bed", position=1)
    users = Question.objects.create(
        call=draft.call,
        section=section,
        code="users",
        kind=QuestionKind.NUMBER,
        label="Users a day",
        position=1,
    )
    Question.objects.create(
        call=draft.call,
        section=section,
        code="owner",
        kind=QuestionKind.YES_NO,
        label="Owner agrees",
        position=2,
    )
    Answer.objects.create(application=draft, question=users, value="1200", updated_by=applicant)
    client.force_login(applicant)
    page = client.get(submit_url(draft)).content.decode()
    assert 'id="answers"' in page
    assert "Users a day" in page and "1200" in page
    assert "Owner agrees" in page and "Not answered" in page
