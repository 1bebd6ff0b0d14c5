"""A call evaluated in two stages (document review → presentation, 30:70): advancement runs
recorded and confirmed, eliminations with reason and margin, and the selection ranking the final
weighted score."""

from decimal import Decimal

import pytest
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from evaluation.models import AdvancementResult, Assignment, Review, Score
from evaluation.reviewing import complete_reviews
from evaluation.selection_runs import run_selection
from evaluation.stage_runs import compute_advancement, confirm_advancement, record_advancement
from projects.models import Application, ApplicationState
from tests.evaluation.conftest import eligible_applications, make_reviewers
from tests.evaluation.test_stages import two_stages


def score_in_stage(application, stage, reviewers, total):
    """Three submitted reviews of ``total`` points in ``stage``, the top criterion getting its share."""
    criteria = list(stage.criteria.all())
    for reviewer in reviewers:
        assignment = Assignment.objects.create(application=application, reviewer=reviewer, stage=stage)
        review = Review.objects.create(
            assignment=assignment, application=application, state=Review.State.SUBMITTED, total=total
        )
        remaining = Decimal(total)
        for criterion in criteria[:-1]:
            points = (Decimal(total) * criterion.max_points / 100).quantize(Decimal("0.01"))
            Score.objects.create(review=review, criterion=criterion, points=points)
            remaining -= points
        Score.objects.create(review=review, criterion=criteria[-1], points=remaining)


@pytest.fixture
def staged(call, staff):
    document, presentation = two_stages(call)
    document.advance_multiple = Decimal("1.5")  # 2 places a field: 3 advance
    document.save()
    mobility = call.service_fields.get(name="Mobility")
    applications = [a for a in eligible_applications(call, 10) if a.service_field_id == mobility.pk]
    reviewers = make_reviewers(call, 3)
    for application, total in zip(applications, [90, 85, 80, 75, 55], strict=True):
        score_in_stage(application, document, reviewers, total)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(state=ApplicationState.SCORED)
    return document, presentation, applications, reviewers


def test_advancement_eliminates_below_the_cutoff_and_beyond_the_fields_places(call, staff, staged):
    document, _presentation, applications, _reviewers = staged
    run = record_advancement(document, by=staff)
    results = {r.application_id: r for r in run.results.all()}
    assert [results[a.pk].outcome for a in applications] == [
        "advanced",
        "advanced",
        "advanced",
        "eliminated",
        "eliminated",
    ]
    fourth, fifth = results[applications[3].pk], results[applications[4].pk]
    assert (fourth.reason, fourth.margin, fourth.field_rank, fourth.field_advancing) == (
        "not_advanced",
        Decimal("5.00"),
        4,
        3,
    )
    assert fourth.last_advancing_score == Decimal("80.00")
    assert (fifth.reason, fifth.margin) == ("below_cutoff", Decimal("5.00"))

    confirm_advancement(run, by=staff)
    states = dict(Application.objects.filter(pk__in=[a.pk for a in applications]).values_list("pk", "state"))
    assert [states[a.pk] for a in applications] == ["under_review"] * 3 + ["eliminated"] * 2
    log = StateLog.objects.filter(object_id=str(applications[3].pk), transition="eliminate").get()
    assert "no. 4 in its field, 3 advanced; the last advancing scored 80.00" in log.description
    log = StateLog.objects.filter(object_id=str(applications[4].pk), transition="eliminate").get()
    assert "5.00 points below the cutoff" in log.description


def test_an_advancement_run_is_refused_while_the_stage_is_still_under_review(call, staff, staged):
    document, _presentation, applications, _reviewers = staged
    Application.objects.filter(pk=applications[0].pk).update(state=ApplicationState.UNDER_REVIEW)
    with pytest.raises(TransitionRefused) as refused:
        record_advancement(document, by=staff)
    assert refused.value.reasons == [
        "1 applications are still under review in this stage; close its review first."
    ]
    assert not AdvancementResult.objects.exists()


def test_a_run_is_not_confirmed_when_the_scores_changed_since(call, staff, staged):
    document, _presentation, applications, _reviewers = staged
    run = record_advancement(document, by=staff)
    Review.objects.filter(application=applications[3]).update(total=95)
    with pytest.raises(TransitionRefused) as refused:
        confirm_advancement(run, by=staff)
    assert refused.value.reasons == ["Scores or settings changed since this run; record it again."]
    assert Application.objects.get(pk=applications[0].pk).state == ApplicationState.SCORED


def test_the_last_stage_is_decided_by_selection(call, staff, staged):
    _document, presentation, _applications, _reviewers = staged
    with pytest.raises(TransitionRefused) as refused:
        compute_advancement(presentation)
    assert refused.value.reasons == ["The last stage is decided by the selection, not by advancement."]


def test_selection_ranks_the_weighted_final_score_of_those_that_passed_the_last_stage(call, staff, staged):
    document, presentation, applications, reviewers = staged
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    advanced = applications[:3]
    # Presentation: the document review's third is best here, the first falls under the cutoff.
    for application, total in zip(advanced, [65, 80, 95], strict=True):
        score_in_stage(application, presentation, make_reviewers(call, 3, prefix=f"p{application.pk}"), total)
    assert complete_reviews([a.pk for a in advanced], by=staff, description="done") == [
        a.pk for a in advanced
    ]
    _run, results = run_selection(call, by=staff, dry_run=True)
    by_id = {r.application_id: r for r in results}
    # 30 % of the document review + 70 % of the presentation.
    assert by_id[advanced[2].pk].evaluation_score == Decimal("90.50")  # 0.3 × 80 + 0.7 × 95
    assert by_id[advanced[1].pk].evaluation_score == Decimal("81.50")  # 0.3 × 85 + 0.7 × 80
    assert by_id[advanced[0].pk].outcome == "below_cutoff"  # 65 < the presentation's 70
    assert [r.application_id for r in results if r.outcome == "selected"] == [advanced[2].pk, advanced[1].pk]
    assert set(by_id) == {a.pk for a in advanced}  # the eliminated are not considered again


def test_the_stages_page_records_and_confirms_an_advancement_run(
    client, call, staff, staged, django_assert_max_num_queries
):
    from django.urls import reverse

    document, _presentation, applications, _reviewers = staged
    client.force_login(staff)
    url = reverse("evaluation:stages", args=[call.slug])
    with django_assert_max_num_queries(15):
        page = client.get(url).content.decode()
    assert "Record an advancement run" in page and "5 applications: 0 under review, 5 scored" in page
    client.post(url, {"action": "record", "stage": document.pk})
    run = document.advancement_runs.get()
    with django_assert_max_num_queries(15):
        page = client.get(url).content.decode()
    assert "no. 4 in its field, 3 advanced; the last advancing scored 80.00" in page
    assert "5.00 points below the cutoff" in page
    client.post(url, {"action": "confirm", "run": run.pk})
    run.refresh_from_db()
    assert run.confirmed_by == staff
    assert Application.objects.get(pk=applications[4].pk).state == ApplicationState.ELIMINATED
    response = client.post(url, {"action": "confirm", "run": run.pk}, follow=True)
    assert "Run #1 is already confirmed." in response.content.decode()


def test_the_stages_page_refuses_a_stage_of_another_call_with_404(client, call, staff, staged):
    from django.urls import reverse

    from tests.evaluation.conftest import evaluation_call

    other = evaluation_call("other-eval", "OE26")
    client.force_login(staff)
    document = staged[0]
    response = client.post(
        reverse("evaluation:stages", args=[other.slug]), {"action": "record", "stage": document.pk}
    )
    assert response.status_code == 404
    assert not document.advancement_runs.exists()


def test_the_advancing_applications_are_assigned_in_the_next_stage_by_its_panel(call, staff, staged):
    from evaluation.assigning import assign_reviewers
    from evaluation.models import Panel, Reviewer
    from tests.factories import OrganisationFactory, UserFactory

    document, presentation, applications, _reviewers = staged
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    from evaluation.assignment import AssignmentImpossible

    with pytest.raises(AssignmentImpossible) as refused:  # no presentation committee yet
        assign_reviewers(call, by=staff, seed=1)
    assert "No panel of the stage Presentation covers PE26-0001; add a panel for this stage." in str(
        refused.value
    )
    Application.objects.filter(call=call, state=ApplicationState.ELIGIBLE).update(
        state=ApplicationState.INELIGIBLE
    )
    presentation.reviews_per_application = 3
    presentation.save()
    committee = Panel.objects.create(call=call, stage=presentation, name="Presentation committee")
    members = [
        Reviewer.objects.create(
            user=UserFactory(email=f"committee{n}@review.example"),
            affiliation=OrganisationFactory(kind="university"),
            code=f"COM{n:03d}",
        )
        for n in range(4)
    ]
    committee.reviewers.add(*members)
    assert assign_reviewers(call, by=staff, seed=1) == 3 * 3
    new = Assignment.objects.filter(stage=presentation)
    assert {a.application_id for a in new} == {a.pk for a in applications[:3]}
    assert {a.reviewer_id for a in new} <= {m.pk for m in members}
    # The eliminated keep their document review only; the reviewer's form shows the stage's criteria.
    assert not Assignment.objects.filter(application__in=applications[3:], stage=presentation).exists()
    from evaluation.models import Criterion

    assert [c.name for c in Criterion.objects.for_assignment(new.first())] == ["Impact", "Team"]


def test_a_review_of_a_stage_that_is_over_is_locked(call, staff, staged):
    from evaluation.reviewing import save_review

    document, _presentation, applications, reviewers = staged
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    late = Assignment.objects.create(
        application=applications[0], reviewer=make_reviewers(call, 1, "late")[0], stage=document
    )
    criterion = document.criteria.first()
    with pytest.raises(TransitionRefused) as refused:
        save_review(late, {criterion: ("10", "")}, by=late.reviewer.user)
    assert refused.value.reasons == ["This stage of the evaluation is over; its scores are locked."]
    assert not Review.objects.filter(assignment=late).exists()


def test_a_reviewer_added_by_hand_joins_the_application_s_current_stage(client, call, staff, staged):
    from django.urls import reverse

    from tests.factories import StaffFactory

    document, presentation, applications, _reviewers = staged
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    reviewer = make_reviewers(call, 1, "hand")[0]
    client.force_login(StaffFactory(is_superuser=True))
    client.post(
        reverse("admin:evaluation_assignment_add"),
        {"application": applications[0].pk, "reviewer": reviewer.pk, "state": "active", "recusal_reason": ""},
    )
    assert Assignment.objects.get(reviewer=reviewer).stage == presentation
