"""One application per lead organisation in a call that says so (Call.one_application_per_lead):
a second draft or submission by the same lead is refused with the reason; a withdrawn one
does not count; other calls are not concerned."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from projects import workflow
from projects.models import Application, ApplicationState
from tests.factories import ApplicationFactory, OrganisationFactory, UserFactory
from tests.projects.conftest import attach


@pytest.fixture
def one_per_lead(open_call):
    Call.objects.filter(pk=open_call.pk).update(one_application_per_lead=True)
    return Call.objects.get(pk=open_call.pk)


def start(call, organisation, applicant, title="Second"):
    return workflow.start_application(
        call, lead=organisation, track=call.tracks.first(), title=title, by=applicant
    )


def test_a_second_start_by_the_same_lead_is_refused(one_per_lead, organisation, applicant):
    first = start(one_per_lead, organisation, applicant, title="First")
    assert first.state == ApplicationState.DRAFT
    with pytest.raises(TransitionRefused, match="one application per lead organisation"):
        start(one_per_lead, organisation, applicant)
    assert Application.objects.filter(call=one_per_lead, lead=organisation).count() == 1


def test_without_the_flag_a_lead_may_apply_twice(open_call, organisation, applicant):
    start(open_call, organisation, applicant, title="First")
    start(open_call, organisation, applicant)
    assert Application.objects.filter(call=open_call, lead=organisation).count() == 2


def test_a_withdrawn_application_does_not_count(one_per_lead, organisation, applicant):
    first = start(one_per_lead, organisation, applicant, title="First")
    workflow.withdraw(first, by=applicant, reason="Wrong track")
    assert start(one_per_lead, organisation, applicant).state == ApplicationState.DRAFT


def test_submitting_a_second_one_made_before_the_flag_is_refused(open_call, organisation, applicant):
    drafts = []
    for title in ("First", "Second"):
        application = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant, title=title)
        attach(application, "proposal", applicant)
        attach(application, "business_registration", applicant, name="certificate.pdf")
        drafts.append(application)
    Call.objects.filter(pk=open_call.pk).update(one_application_per_lead=True)
    with pytest.raises(TransitionRefused, match="already leads an application"):
        workflow.submit(drafts[1], by=applicant)
    assert Application.objects.get(pk=drafts[1].pk).state == ApplicationState.DRAFT


def test_one_may_start_only_for_ones_own_organisation(one_per_lead, role_groups):
    other = OrganisationFactory()
    with pytest.raises(PermissionDenied):
        start(one_per_lead, other, UserFactory())


def test_the_start_page_says_why(client, one_per_lead, organisation, applicant):
    start(one_per_lead, organisation, applicant, title="First")
    client.force_login(applicant)
    url = reverse("projects:application_start", args=[one_per_lead.slug])
    data = {"lead": organisation.pk, "track": one_per_lead.tracks.first().pk, "title": "Typed again"}
    response = client.post(url, data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "one application per lead organisation" in text and "Typed again" in text
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="ko")
    assert "주관기관" in response.content.decode()


def test_the_draft_form_names_a_test_bed_district(client, draft, applicant):
    from competitions.models import District, Region

    client.force_login(applicant)
    url = reverse("projects:application_edit", args=[draft.pk])
    page = client.get(url).content.decode()
    assert 'name="test_bed_district"' in page and "Haeundae-gu" in page
    gijang = District.objects.get(name="Gijang-gun")
    assert gijang.region == Region.objects.get(slug="busan")
