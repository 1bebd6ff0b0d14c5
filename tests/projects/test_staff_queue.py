"""The staff eligibility queue: filters, automatic rule results, one-by-one and bulk decisions,
a constant number of queries whatever the number of rows."""

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import Application, ApplicationState, ConsortiumMember, Sanction
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    ServiceFieldFactory,
    StaffFactory,
    reception_closed,
)

from .conftest import attach

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, role_groups):
    client.force_login(StaffFactory())
    return client


def submitted_applications(call, count, lead=None, **extra):
    """``count`` submitted applications, each with a consortium member and two documents."""
    applications = []
    for _number in range(count):
        application = ApplicationFactory(
            call=call,
            lead=lead or OrganisationFactory(),
            state=ApplicationState.SUBMITTED,
            reference=f"PC26-{len(applications) + Application.objects.count() + 1:04d}",
            submitted_at=timezone.now(),
            **extra,
        )
        ConsortiumMember.objects.create(
            application=application,
            organisation=OrganisationFactory(),
            budget_share_percent=10,
            state="accepted",
        )
        attach(application, "proposal", application.created_by)
        attach(application, "business_registration", application.created_by)
        applications.append(application)
    return applications


def test_only_staff_see_the_queue(client, applicant):
    url = reverse("projects:eligibility_queue")
    assert client.get(url).status_code == 302
    client.force_login(applicant)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("count", [2, 30])
def test_queue_query_count_is_constant(staff_client, open_call, django_assert_max_num_queries, count):
    submitted_applications(open_call, count)
    with django_assert_max_num_queries(
        16
    ):  # +1: the second factor the session was verified with (django-otp)
        response = staff_client.get(reverse("projects:eligibility_queue"), {"call": open_call.slug})
    assert response.status_code == 200
    assert len(response.context["rows"]) == count


def test_queue_query_count_is_the_same_at_two_sizes(staff_client, open_call, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submitted_applications(open_call, 3)
    with CaptureQueriesContext(connection) as small:
        staff_client.get(reverse("projects:eligibility_queue"), {"call": open_call.slug})
    submitted_applications(open_call, 40)
    with django_assert_num_queries(len(small.captured_queries)):
        staff_client.get(reverse("projects:eligibility_queue"), {"call": open_call.slug})


def test_queue_shows_failing_rules_per_application(staff_client, open_call):
    good, sanctioned = submitted_applications(open_call, 2)
    Sanction.objects.create(
        organisation=sanctioned.lead,
        starts_on=timezone.localdate() - timezone.timedelta(days=1),
        ends_on=timezone.localdate() + timezone.timedelta(days=365),
        reason="Misuse of subsidy in 2024",
    )
    response = staff_client.get(reverse("projects:eligibility_queue"), {"call": open_call.slug})
    rows = {application.pk: failing for application, _results, failing in response.context["rows"]}
    assert rows[good.pk] == []
    assert [result.kind for result in rows[sanctioned.pk]] == ["no_active_sanction"]
    assert "Misuse of subsidy in 2024" in response.content.decode()


def test_queue_filters(staff_client, open_call):
    field = ServiceFieldFactory(call=open_call, name="Safety / living")
    in_field = submitted_applications(open_call, 1, service_field=field)[0]
    large_lead = OrganisationFactory(size_class="large")
    large = submitted_applications(open_call, 1, lead=large_lead)[0]
    eligible = submitted_applications(open_call, 1)[0]
    Application.objects.filter(pk=eligible.pk).update(state=ApplicationState.ELIGIBLE)

    def shown(**params):
        response = staff_client.get(reverse("projects:eligibility_queue"), {"call": open_call.slug, **params})
        return {application.pk for application, _r, _f in response.context["rows"]}

    assert shown() == {in_field.pk, large.pk}  # submitted by default
    assert shown(field=field.pk) == {in_field.pk}
    assert shown(size_class="large") == {large.pk}
    korean = staff_client.get(
        reverse("projects:eligibility_queue"), {"size_class": "large"}, HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert '<option value="large" selected>대기업</option>' in korean
    assert '<option value="sme">중소기업</option>' in korean
    assert shown(state="eligible") == {eligible.pk}
    assert shown(state="all") == {in_field.pk, large.pk, eligible.pk}
    assert shown(track=open_call.tracks.get().pk, state="all") == {in_field.pk, large.pk, eligible.pk}


def test_bulk_confirm_and_reject(staff_client, open_call):
    first, second, third = submitted_applications(open_call, 3)
    reception_closed(open_call)
    staff_client.post(
        reverse("projects:eligibility_bulk"), {"applications": [first.pk, second.pk], "action": "confirm"}
    )
    assert set(Application.objects.filter(state="eligible").values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    response = staff_client.post(
        reverse("projects:eligibility_bulk"),
        {"applications": [third.pk], "action": "reject", "reason": ""},
        follow=True,
    )
    assert any("Write the reason" in str(m) for m in response.context["messages"])
    assert Application.objects.get(pk=third.pk).state == ApplicationState.SUBMITTED
    staff_client.post(
        reverse("projects:eligibility_bulk"),
        {"applications": [third.pk], "action": "reject", "reason": "The lead is under a sanction."},
    )
    assert Application.objects.get(pk=third.pk).decision_reason == "The lead is under a sanction."


def test_decide_one_on_its_page(staff_client, open_call):
    (application,) = submitted_applications(open_call, 1)
    reception_closed(open_call)
    url = reverse("projects:staff_application", args=[application.pk])
    page = staff_client.get(url).content.decode()
    assert application.reference in page and "Pass" in page
    staff_client.post(url, {"action": "confirm", "reason": ""})
    assert Application.objects.get(pk=application.pk).state == ApplicationState.ELIGIBLE


def test_queue_keeps_its_budget_with_the_duplicate_funding_rules(
    staff_client, open_call, django_assert_max_num_queries
):
    from competitions.models import EligibilityRule

    for position, (kind, params) in enumerate(
        [("no_active_project_in_field", {}), ("max_concurrent_projects", {"max_projects": 2})], start=90
    ):
        EligibilityRule.objects.create(call=open_call, kind=kind, params=params, position=position)
    submitted_applications(open_call, 30)
    # DESIGN.md §5's 15, the second factor the session was verified with (django-otp) included.
    with django_assert_max_num_queries(15):
        response = staff_client.get(reverse("projects:eligibility_queue"), {"call": open_call.slug})
    assert len(response.context["rows"]) == 30
    for _application, results, _failing in response.context["rows"]:
        by_kind = {result.kind: result for result in results}
        assert by_kind["max_concurrent_projects"].passed
        assert not by_kind["no_active_project_in_field"].passed  # these name no service field


@pytest.mark.parametrize("language", ["en", "ko"])
def test_each_state_is_shown_by_its_translated_label(language):
    """Application.get_state_display looks up one label (the queue shows it on every row) and
    says what Django's own would: the choice's label in the reader's language."""
    from django.utils import translation

    with translation.override(language):
        for state, label in ApplicationState.choices:
            shown = Application(state=state).get_state_display()
            assert shown == str(label)
            assert isinstance(shown, str)
        if language == "ko":
            assert Application(state=ApplicationState.SUBMITTED).get_state_display() != "Submitted"


def test_the_queues_page_read_gives_the_same_results_as_reading_each_application(open_call):
    """eligibility_page (the queue's read: one call, track and field instance shared by the
    rows, the consortium and documents as lists) checks exactly what the one-application read
    (with_eligibility_data) checks: members accepted or pending, a withdrawn one, a sanction,
    documents attached or not, a field or none."""
    from competitions.models import Call, ServiceField, Track
    from projects.eligibility_check import (
        check_many,
        eligibility_page,
        with_call_data,
        with_eligibility_data,
    )

    field = ServiceFieldFactory(call=open_call, name="Safety / living")
    applications = submitted_applications(open_call, 3) + submitted_applications(
        open_call, 2, service_field=field
    )
    ConsortiumMember.objects.create(
        application=applications[0], organisation=OrganisationFactory(), budget_share_percent=5
    )  # pending
    ConsortiumMember.objects.create(
        application=applications[1],
        organisation=OrganisationFactory(),
        budget_share_percent=80,
        state="withdrawn",
    )
    Sanction.objects.create(
        organisation=applications[2].lead,
        starts_on=timezone.localdate() - timezone.timedelta(days=1),
        ends_on=timezone.localdate() + timezone.timedelta(days=30),
        reason="Misuse of subsidy",
    )
    applications[3].documents.all().delete()
    queryset = Application.objects.filter(call=open_call).order_by("pk")

    alone = {a.pk: check_many([a])[a.pk] for a in with_eligibility_data(queryset)}
    page = eligibility_page(
        queryset,
        with_call_data(Call.objects.filter(pk=open_call.pk)),
        list(Track.objects.filter(call=open_call)),
        list(ServiceField.objects.filter(call=open_call)),
    )
    assert check_many(page) == alone
    assert any(not result.passed for results in alone.values() for result in results)
    assert len({id(a.call) for a in page}) == len({id(a.track) for a in page}) == 1
    assert {id(a.track.call) for a in page} == {id(page[0].call)}
    # Given nothing (no call filtered), the calls are read in one query and the rest joined.
    assert check_many(eligibility_page(queryset)) == alone
    assert eligibility_page(queryset.none()) == []
