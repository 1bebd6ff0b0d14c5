"""The call's minimum number of awards at selection: a run that cannot reach it says so, in
the run's record and on the selection page; a run that reaches it says nothing."""

import pytest
from django.urls import reverse

from competitions.models import Call
from evaluation import selection_runs
from evaluation.generate import generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(call, staff):
    return generate(call, count=24, reviewers=8, seed=11, by=staff)


def test_a_run_below_the_minimum_records_why(call, staff, scored):
    # A budget for one or two tasks, and a call that wants at least 4 awards.
    Call.objects.filter(pk=call.pk).update(min_awards=4, budget_total=300_000_000)
    call = Call.objects.get(pk=call.pk)
    run, results = selection_runs.run_selection(call, by=staff)
    selected = sum(1 for r in results if r.outcome == "selected")
    assert selected < 4
    assert run.parameters["min_awards"] == 4
    assert run.parameters["shortfall"] == {"minimum": 4, "selected": selected}
    assert run.shortfall.selected == selected
    assert "fewer than the call's minimum of 4 awards" in run.shortfall.reason


def test_a_run_that_reaches_the_minimum_reports_nothing(call, staff, scored):
    Call.objects.filter(pk=call.pk).update(min_awards=1)
    run, results = selection_runs.run_selection(Call.objects.get(pk=call.pk), by=staff)
    assert any(r.outcome == "selected" for r in results)
    assert "shortfall" not in run.parameters and run.shortfall is None


def test_the_selection_page_shows_the_shortfall(client, call, staff, scored):
    Call.objects.filter(pk=call.pk).update(min_awards=4, budget_total=300_000_000)
    client.force_login(staff)
    text = client.get(reverse("evaluation:selection", args=[call.slug])).content.decode()
    assert "fewer than the call&#x27;s minimum of 4 awards" in text
    text = client.get(
        reverse("evaluation:selection", args=[call.slug]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "최소 선정 건수 4건에 미치지 못합니다" in text
