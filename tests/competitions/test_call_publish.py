"""Staff publish a draft call from its dashboard (competitions.lifecycle does it: permission,
blockers explained, logged); its questions are frozen from then on."""

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from competitions.models import Call, CallState
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def publish_url(call):
    return reverse("competitions:call_publish", args=[call.slug])


def dashboard(call):
    return reverse("evaluation:call_dashboard", args=[call.slug])


def test_the_draft_calls_dashboard_offers_publishing_and_it_is_logged(staff_client, staff_user, draft_call):
    page = staff_client.get(dashboard(draft_call)).content.decode()
    assert f'action="{publish_url(draft_call)}"' in page
    response = staff_client.post(publish_url(draft_call))
    assert response.status_code == 302 and response["Location"] == dashboard(draft_call)
    assert Call.objects.get(pk=draft_call.pk).state == CallState.PUBLISHED
    log = StateLog.objects.for_(draft_call).get(transition="publish")
    assert log.by == staff_user and "dashboard" in log.description
    # Published: the button is gone.
    assert (
        f'action="{publish_url(draft_call)}"' not in staff_client.get(dashboard(draft_call)).content.decode()
    )


def test_a_call_that_cannot_be_published_says_why_in_korean_and_stays_a_draft(staff_client):
    call = CallFactory()  # no track yet
    response = staff_client.post(publish_url(call), HTTP_ACCEPT_LANGUAGE="ko", follow=True)
    assert Call.objects.get(pk=call.pk).state == CallState.DRAFT
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["공고하기 전에 지원 유형을 하나 이상 추가하십시오."]


def test_publishing_again_is_refused_and_changes_nothing(staff_client, draft_call):
    staff_client.post(publish_url(draft_call))
    response = staff_client.post(publish_url(draft_call), follow=True)
    assert Call.objects.get(pk=draft_call.pk).state == CallState.PUBLISHED
    assert StateLog.objects.for_(draft_call).filter(transition="publish").count() == 1
    assert any("cannot" in str(m) for m in response.context["messages"])


def test_only_staff_publish_and_only_by_post(client, applicant_user, staff_client, draft_call):
    assert staff_client.get(publish_url(draft_call)).status_code == 405
    client.force_login(applicant_user)
    assert client.post(publish_url(draft_call)).status_code == 403
    assert Call.objects.get(pk=draft_call.pk).state == CallState.DRAFT


def test_the_question_builder_labels_each_control_once(staff_client, draft_call):
    """With a section, both the section and the question form are shown: their shared field
    names (help text, position) get ids of their own."""
    from competitions.models import QuestionSection

    QuestionSection.objects.create(call=draft_call, title="About", position=1)
    page = staff_client.get(reverse("competitions:question_builder", args=[draft_call.slug])).content.decode()
    for name in ("help_text", "help_text_ko", "position"):
        assert page.count(f'id="id_{name}"') == 1
        assert page.count(f'id="id_section_{name}"') == 1
        assert f'for="id_section_{name}"' in page
