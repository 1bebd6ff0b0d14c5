"""Selection never selects what the call's rules refuse (issue 13, finding 9): the generator
produces only applications that pass the call's own rules, and a run reads the subsidy rule
again, so a request above its track's cap is never selected (reason ``ineligible_request``)."""

import pytest

from competitions.models import Track
from evaluation import selection_runs
from evaluation.generate import generate
from projects.eligibility_check import check_many, with_eligibility_data
from projects.models import Application, ApplicationState
from tests.factories import pilot_rules

pytestmark = pytest.mark.django_db
M = 1_000_000


def test_generated_applications_pass_the_call_s_own_rules(call, staff):
    Track.objects.filter(call=call).update(subsidy_cap=100 * M)  # below the call's 300 M
    pilot_rules(call)
    eligible = generate(call, count=40, reviewers=8, seed=4, by=staff)
    assert eligible and all(a.requested_subsidy <= 100 * M for a in eligible)
    generated = with_eligibility_data(Application.objects.filter(call=call))
    for pk, results in check_many(generated).items():
        failing = {r.kind for r in results if not r.passed} - {"required_documents"}  # no files generated
        state = Application.objects.get(pk=pk).state
        assert (state == ApplicationState.INELIGIBLE) == bool(failing), (pk, failing)
    # The generator's share of non-SME leads fails "Lead is an SME": those are ineligible, with why.
    refused = Application.objects.filter(call=call, state=ApplicationState.INELIGIBLE)
    assert refused.exists() and all("Lead is an SME" in a.decision_reason for a in refused)


def test_a_request_above_its_track_s_cap_is_never_selected(call, staff):
    scored = generate(call, count=24, reviewers=8, seed=11, by=staff)
    run, results = selection_runs.run_selection(call, by=staff)
    best = next(r for r in results if r.outcome == "selected")
    # The track's cap, as the call's rules say, lies below the best application's request.
    Track.objects.filter(pk=best.track_id).update(subsidy_cap=best.requested_subsidy - 1)
    assert len(scored) == 24
    _run, again = selection_runs.run_selection(call, by=staff)
    row = next(r for r in again if r.application_id == best.application_id)
    assert (row.outcome, row.reason) == ("not_selected", "ineligible_request")
    assert not [
        r for r in again if r.outcome == "selected" and r.requested_subsidy > best.requested_subsidy - 1
    ]
    assert sum(r.outcome == "selected" for r in again) == sum(r.outcome == "selected" for r in results)
