"""Results on the call's public page: a separate, logged action by staff after a confirmed run,
in the call's listing policy, per service field, never a score."""

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.models import Call, CallState, ResultsListing, ResultsNotice
from evaluation.public_results import publish_public_results
from projects.models import Application, ApplicationState
from tests.evaluation import test_result_letters
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

mobility = test_result_letters.mobility  # six results of one field and one of another, confirmed


def call_page(client, call, **headers):
    return client.get(reverse("competitions:call_detail", args=[call.slug]), **headers).content.decode()


def test_nothing_is_public_until_staff_publish_the_results(client, call, mobility):
    assert 'id="results"' not in call_page(client, call)


def test_titles_and_organisations_per_field_without_any_score(client, call, staff, mobility):
    applications, safety = mobility
    notice = publish_public_results(call, by=staff, listing=ResultsListing.TITLES_AND_ORGANISATIONS)
    assert notice.number == 1
    page = call_page(client, call)
    assert 'id="results"' in page
    for selected in (applications[0], applications[1], safety):
        assert selected.title in page and selected.lead.name in page
    for other in applications[2:]:
        assert other.title not in page
    assert "Mobility: 2 selected" in page
    for score in ("90.00", "85.00", "84.00", "83.00"):
        assert score not in page


def test_titles_only_hides_the_organisations(client, call, staff, mobility):
    applications, _safety = mobility
    publish_public_results(call, by=staff, listing=ResultsListing.TITLES)
    page = call_page(client, call)
    assert applications[0].title in page
    assert applications[0].lead.name not in page
    stored = ResultsNotice.objects.get(call=call).entries.values_list("organisation", flat=True)
    assert set(stored) == {""}  # not even kept in the notice


def test_counts_only_lists_no_application(client, call, staff, mobility):
    applications, safety = mobility
    publish_public_results(call, by=staff, listing=ResultsListing.COUNTS)
    page = call_page(client, call, HTTP_ACCEPT_LANGUAGE="ko")
    assert applications[0].title not in page and safety.title not in page
    assert "2건 선정" in page


def test_the_policy_becomes_the_calls_and_the_publication_is_logged(call, staff, mobility):
    publish_public_results(call, by=staff, listing=ResultsListing.TITLES, note="As announced.")
    assert Call.objects.get(pk=call.pk).results_listing == ResultsListing.TITLES
    log = StateLog.objects.for_(call).get(transition="publish_public_results")
    assert log.by == staff
    assert "notice #1" in log.description and "As announced." in log.description


def test_republishing_writes_a_new_notice_and_keeps_the_old(client, call, staff, mobility):
    applications, _safety = mobility
    publish_public_results(call, by=staff, listing=ResultsListing.TITLES)
    Application.objects.filter(pk=applications[1].pk).update(state=ApplicationState.DECLINED)
    Application.objects.filter(pk=applications[2].pk).update(state=ApplicationState.SELECTED)
    publish_public_results(call, by=staff, listing=ResultsListing.TITLES)
    assert list(ResultsNotice.objects.filter(call=call).values_list("number", flat=True)) == [2, 1]
    page = call_page(client, call)
    assert applications[2].title in page and applications[1].title not in page


def test_refused_before_a_run_is_confirmed_and_changes_nothing(call, staff, mobility):
    Call.objects.filter(pk=call.pk).update(state=CallState.EVALUATION)
    with pytest.raises(TransitionRefused):
        publish_public_results(call, by=staff, listing=ResultsListing.COUNTS)
    assert not ResultsNotice.objects.exists()
    assert not StateLog.objects.filter(transition="publish_public_results").exists()


def test_only_staff_publish(call, mobility):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        publish_public_results(call, by=UserFactory(), listing=ResultsListing.COUNTS)


def test_the_staff_page_publishes_in_the_chosen_policy(client, call, staff, mobility):
    client.force_login(staff)
    url = reverse("evaluation:public_results", args=[call.slug])
    page = client.get(url).content.decode()
    assert 'value="titles_and_organisations"' in page
    response = client.post(url, {"listing": "counts", "note": ""}, follow=True)
    assert response.status_code == 200
    assert ResultsNotice.objects.get(call=call).listing == "counts"
    # A listing that does not exist is refused with the form kept.
    response = client.post(url, {"listing": "scores"})
    assert response.status_code == 200
    assert ResultsNotice.objects.count() == 1


def test_the_call_page_reads_the_results_in_a_constant_number_of_queries(
    client, call, staff, mobility, django_assert_max_num_queries
):
    publish_public_results(call, by=staff, listing=ResultsListing.TITLES_AND_ORGANISATIONS)
    # the call page's seven (tracks, fields, the notice page's parts), then the notice and its entries
    with django_assert_max_num_queries(9):
        call_page(client, call)


def test_outcomes_that_break_a_quota_are_never_announced(call, staff, mobility):
    applications, _safety = mobility
    # A third place in a field of two (written behind the workflow's back).
    Application.objects.filter(pk=applications[2].pk).update(state=ApplicationState.SELECTED)
    with pytest.raises(TransitionRefused):
        publish_public_results(call, by=staff, listing=ResultsListing.TITLES)
    assert not ResultsNotice.objects.exists()
