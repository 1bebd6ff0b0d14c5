"""Publishing reconciles the whole call (issue 13, findings 1, 7 and 20): a re-run that changes
published outcomes shows the changes and publishes them as logged transitions once staff confirm
the list, or is refused; nobody holds a place twice, an awarded application keeps its place, and
a decline after a signed agreement promotes the true next reserve."""

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from evaluation import objections, reviewing, selection_runs
from evaluation.generate import generate
from evaluation.models import Assignment, Criterion, EvaluationPlan
from projects import ledger
from projects.models import Application, ApplicationState, Membership, OutboxMessage
from tests.factories import CallFactory, TrackFactory, UserFactory, cleared_to_score, signed_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(call, staff):
    """24 generated applications, 12 reviewers, run 1 confirmed (4 places: 2 per field)."""
    generate(call, count=24, reviewers=12, seed=11, by=staff)
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    return run


def owner_of(application):
    owner = UserFactory()
    Membership.objects.create(user=owner, organisation=application.lead, role="owner")
    return owner


def state(application):
    return Application.objects.get(pk=application.pk).state


def re_reviewed_to_the_top(application, staff):
    """Its objection upheld, the new reviewers give it full marks: it is scored again, first."""
    owner = owner_of(application)
    objection = objections.file_objection(application, by=owner, grounds="Our pilot results were ignored.")
    objections.decide_objection(objection, by=staff, uphold=True, decision="A second panel reviews it.")
    criteria = list(Criterion.objects.filter(plan__call=application.call_id))
    for assignment in Assignment.objects.filter(application=application, state=Assignment.State.ACTIVE):
        reviewing.save_review(
            cleared_to_score(assignment),
            {c: (str(c.max_points), "") for c in criteria},
            by=assignment.reviewer.user,
            submit=True,
        )
    assert state(application) == ApplicationState.SCORED


def holders(field_id):
    """Who holds a place in the field, read independently of the product's definition."""
    places = Application.objects.filter(service_field_id=field_id, state__in=["selected", "awarded"])
    return set(places.values_list("pk", flat=True))


def a_loser_above_the_cutoff(run):
    row = run.results.filter(outcome="not_selected").select_related("application").order_by("rank").first()
    return row.application


def test_a_re_run_after_an_upheld_objection_never_leaves_two_winners_for_one_place(call, staff, published):
    loser = a_loser_above_the_cutoff(published)
    field_id = loser.service_field_id
    winners_before = holders(field_id)
    assert len(winners_before) == 2  # the field's maximum
    re_reviewed_to_the_top(loser, staff)
    run, _results = selection_runs.run_selection(call, by=staff)

    # Confirming without the list of changes is refused, and changes nothing.
    with pytest.raises(TransitionRefused) as refused:
        selection_runs.confirm_run(run, by=staff)
    assert refused.value.reasons == [
        "This run changes outcomes already published (2); check the list of changes, then confirm it."
    ]
    assert holders(field_id) == winners_before and state(loser) == ApplicationState.SCORED

    # The list says who gains and who loses a place, and why.
    first, changes, refusals = selection_runs.reconcile(run)
    assert refusals == [] and first[ApplicationState.SELECTED] == [loser.pk]
    (gone,) = [c for c in changes if c.loses_place]
    assert gone.application_id in winners_before and gone.reason == "field_quota_full"
    assert not [c for c in changes if c.gains_place]  # the loser is scored: a first publication
    # The ranking page reads only what is already published: the same changes and refusals.
    none_first, page_changes, page_refusals = selection_runs.reconcile(run, published_only=True)
    assert (page_changes, page_refusals) == (changes, refusals) and not any(none_first.values())

    owner = owner_of(Application.objects.get(pk=gone.application_id))
    owner.language = "en"  # e-mails follow their reader's language (Korean by default)
    owner.save(update_fields=["language"])
    selection_runs.confirm_run(run, by=staff, accepted_changes=selection_runs.changes_digest(changes))
    assert holders(field_id) == (winners_before - {gone.application_id}) | {loser.pk}
    assert state(loser) == ApplicationState.SELECTED
    log = StateLog.objects.filter(object_id=gone.application_id).latest("pk")
    assert (log.source_state, log.transition) == ("selected", f"revise_to_{gone.target}")
    assert "Its service field is full" in log.description
    lost = Application.objects.get(pk=gone.application_id)
    (notice,) = OutboxMessage.objects.filter(
        to=owner.email, subject=f"Result of application {lost.reference}"
    )
    assert str(lost.applicant_label) in notice.body
    from evaluation import invariants

    assert invariants.outcome_problems(call) == []


def test_a_re_run_that_would_take_the_place_of_an_awarded_application_is_refused(call, staff, published):
    loser = a_loser_above_the_cutoff(published)
    winners = Application.objects.filter(pk__in=holders(loser.service_field_id))
    for winner in winners:
        ledger.accept_selection(winner, by=owner_of(winner))
        signed_project(winner, by=staff)
    re_reviewed_to_the_top(loser, staff)
    run, _results = selection_runs.run_selection(call, by=staff)
    with pytest.raises(TransitionRefused) as refused:
        selection_runs.confirm_run(run, by=staff, accepted_changes="anything")
    (reason,) = refused.value.reasons
    assert "signed its agreement and cannot lose its place" in reason
    assert set(
        Application.objects.filter(pk__in=[w.pk for w in winners]).values_list("state", flat=True)
    ) == {ApplicationState.AWARDED}
    assert state(loser) == ApplicationState.SCORED


def test_a_second_decline_after_the_promoted_reserve_signed_promotes_the_next_reserve(call, staff):
    EvaluationPlan.objects.filter(call=call).update(reserve_per_field=2)
    generate(call, count=24, reviewers=12, seed=11, by=staff)
    run, results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    field_id = next(r.field_id for r in results if r.outcome == "selected")
    first, second = [
        Application.objects.get(pk=r.application_id)
        for r in results
        if r.outcome == "selected" and r.field_id == field_id
    ]
    reserve_1, reserve_2 = [
        r.application_id for r in results if r.outcome == "reserve" and r.field_id == field_id
    ]

    promoted = selection_runs.decline(first, by=owner_of(first), reason="We cannot start this year.")
    assert promoted.pk == reserve_1
    ledger.accept_selection(promoted, by=owner_of(promoted))
    signed_project(promoted, by=staff)

    promoted_again = selection_runs.decline(second, by=owner_of(second), reason="Neither can we.")
    assert promoted_again is not None and promoted_again.pk == reserve_2
    assert promoted_again.state == ApplicationState.SELECTED
    assert state(Application(pk=reserve_1)) == ApplicationState.AWARDED
    assert holders(field_id) == {reserve_1, reserve_2}


def test_recording_a_run_on_a_call_without_an_evaluation_plan_says_so(client, role_groups):
    from competitions.models import CallState
    from tests.factories import StaffFactory

    call = CallFactory(state=CallState.EVALUATION)
    TrackFactory(call=call)
    staff_user = StaffFactory()
    client.force_login(staff_user)
    response = client.post(reverse("evaluation:selection", args=[call.slug]), {"action": "run"}, follow=True)
    assert response.status_code == 200
    assert "Set up the call&#x27;s evaluation plan first." in response.content.decode()
    assert not call.selection_runs.exists()
