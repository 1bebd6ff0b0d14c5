"""Process gates (issue 13, finding 8): each step of the evaluation requires the call's state that
allows it and moves the call on, logged. While a call is open for applications, staff cannot
decide eligibility, assign reviewers, record or publish a selection or sign an agreement."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.models import Call, CallState
from evaluation import selection_runs
from evaluation.assigning import assign_reviewers
from evaluation.generate import ensure_plan, system_user
from projects import ledger, workflow
from projects.models import Application, ApplicationState, Award
from tests.evaluation.conftest import make_reviewers
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ServiceFieldFactory,
    StaffFactory,
    TrackFactory,
    reception_closed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def open_call(db):
    now = timezone.now()
    call = CallFactory(
        state=CallState.PUBLISHED, opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=7)
    )
    TrackFactory(call=call, max_awards=4)
    ServiceFieldFactory(call=call, max_awards=2)
    ensure_plan(call)
    return call


def application_in(call, state, **extra):
    return ApplicationFactory(
        call=call,
        service_field=call.service_fields.first(),
        state=state,
        reference=f"G-{Application.objects.count() + 1:04d}",
        submitted_at=timezone.now() - timedelta(hours=1),
        **extra,
    )


def call_state(call):
    return Call.objects.get(pk=call.pk).state


def call_transitions(call):
    return list(StateLog.objects.for_(Call.objects.get(pk=call.pk)).values_list("transition", flat=True))


def test_eligibility_is_refused_while_reception_is_open(open_call, staff):
    application = application_in(open_call, ApplicationState.SUBMITTED)
    with pytest.raises(TransitionRefused) as refused:
        workflow.decide_eligibility(application, by=staff, eligible=True)
    (reason,) = refused.value.reasons
    assert (
        reason.startswith("Reception is open until ") and "decide eligibility only after it closes" in reason
    )
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED
    assert call_state(open_call) == CallState.PUBLISHED


def test_the_first_decision_after_reception_closed_moves_the_call_into_evaluation_logged(open_call, staff):
    application = application_in(open_call, ApplicationState.SUBMITTED)
    reception_closed(open_call)
    workflow.decide_eligibility(application, by=staff, eligible=True)
    assert call_state(open_call) == CallState.EVALUATION
    log = StateLog.objects.for_(Call.objects.get(pk=open_call.pk)).get(transition="start_evaluation")
    assert (log.source_state, log.state, log.by) == ("published", "evaluation", staff)
    assert "decide eligibility" in log.description


def test_reviewers_are_not_assigned_while_reception_is_open_or_in_a_draft(open_call, staff):
    application_in(open_call, ApplicationState.ELIGIBLE)
    make_reviewers(open_call, 6)
    with pytest.raises(TransitionRefused) as refused:
        assign_reviewers(open_call, by=staff)
    assert "assign reviewers only after it closes" in refused.value.reasons[0]
    assert not open_call.applications.filter(assignments__isnull=False).exists()
    draft = CallFactory(state=CallState.DRAFT)
    with pytest.raises(TransitionRefused) as refused:
        assign_reviewers(draft, by=staff)
    assert refused.value.reasons == ["This call is “Draft”: staff cannot assign reviewers now."]


def test_a_selection_is_not_recorded_while_reception_is_open(open_call, staff):
    application_in(open_call, ApplicationState.SCORED)
    with pytest.raises(TransitionRefused) as refused:
        selection_runs.run_selection(open_call, by=system_user())
    assert "record a selection run only after it closes" in refused.value.reasons[0]
    assert not open_call.selection_runs.exists()


def test_no_agreement_is_signed_before_results_are_published(open_call, staff):
    application = application_in(open_call, ApplicationState.SELECTED, accepted_at=timezone.now())
    award = Award.objects.create(
        application=application,
        national_subsidy=application.requested_subsidy,
        local_government=0,
        private_cash=application.private_cash,
        private_in_kind=application.private_in_kind,
        created_by=staff,
    )
    Call.objects.filter(pk=open_call.pk).update(state=CallState.EVALUATION)
    with pytest.raises(TransitionRefused) as refused:
        ledger.sign_agreement(
            award,
            by=staff,
            signed_on=timezone.localdate(),
            parties="MOLIT",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + timedelta(days=100),
        )
    assert refused.value.reasons == ["This call is “In evaluation”: staff cannot sign an agreement now."]
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SELECTED


def test_publishing_a_confirmed_run_moves_the_call_to_results_published_logged(staff):
    from evaluation.generate import generate
    from tests.evaluation.conftest import evaluation_call

    call = evaluation_call("gated", "GT26")
    generate(call, count=8, reviewers=6, seed=3, by=staff)
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    assert call_state(call) == CallState.RESULTS_PUBLISHED
    assert call_transitions(call) == ["publish_results"]


def test_the_assign_page_says_why_instead_of_failing(client, open_call, staff):
    application_in(open_call, ApplicationState.ELIGIBLE)
    client.force_login(staff)
    from django.urls import reverse

    response = client.post(reverse("evaluation:assign", args=[open_call.slug]), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "assign reviewers only after it closes" in page
