"""Review rounds (DESIGN.md §3 invariant: only current-round reviews count, and an application
is scored only with at least the plan's minimum number of them): a re-review opens round 2 and
supersedes round 1's reviews, which stay on record but count nowhere; "scored" needs the plan's
minimum of counted reviews, on every path (the last review, staff closing the review, a direct
call)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from evaluation import objections, reviewing, selection_runs
from evaluation.assigning import assign_reviewers
from evaluation.generate import generate
from evaluation.models import Assignment, EvaluationPlan, Objection, Review, ScoreSheet
from evaluation.models.review import counted_reviews_sql
from evaluation.review_rounds import current_round
from projects.models import Application, ApplicationState
from tests.factories import cleared_to_score

from .conftest import eligible_applications, make_reviewers

pytestmark = pytest.mark.django_db


def marks(call, fraction):
    """Every criterion at ``fraction`` of its maximum (a review total of 100 × fraction)."""
    from evaluation.models import Criterion

    return {
        c: (str((c.max_points * Decimal(fraction)).quantize(Decimal("0.01"))), "")
        for c in Criterion.objects.filter(plan__call=call)
    }


def submit(assignment, call, fraction):
    return reviewing.save_review(
        cleared_to_score(assignment), marks(call, fraction), by=assignment.reviewer.user, submit=True
    )


def state_of(application):
    return Application.objects.get(pk=application.pk).state


@pytest.fixture
def re_reviewed(call, staff):
    """24 generated applications, a confirmed run, and a not-selected one whose objection was
    upheld: its five round-1 reviews superseded, five new reviewers assigned."""
    generate(call, count=24, reviewers=12, seed=11, by=staff)
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    application = (
        Application.objects.filter(call=call, state=ApplicationState.NOT_SELECTED)
        .order_by("reference")
        .first()
    )
    objection = Objection.objects.create(
        application=application, outcome=application.state, grounds="Misread budget.", filed_by=staff
    )
    objections.decide_objection(objection, by=staff, uphold=True, decision="A second panel reviews it.")
    return application


def new_round(application):
    return list(
        Assignment.objects.filter(application=application, state=Assignment.State.ACTIVE).order_by("pk")
    )


# --- Rounds are recorded ------------------------------------------------------------------------


def test_a_re_review_opens_round_2_and_supersedes_round_1(call, staff, re_reviewed):
    first = Assignment.objects.filter(application=re_reviewed, state=Assignment.State.PAST)
    assert first.count() == 5 and set(first.values_list("round", flat=True)) == {1}
    second = new_round(re_reviewed)
    assert len(second) == 5 and {a.round for a in second} == {2}
    assert current_round(re_reviewed.pk) == 2
    submit(second[0], call, "0.9")
    reviews = Review.objects.filter(application=re_reviewed).select_related("assignment")
    assert sorted((r.round, r.superseded) for r in reviews) == [(1, True)] * 5 + [(2, False)]
    # The superseded reviews stay on record, submitted, but are not counted.
    assert reviews.filter(state=Review.State.SUBMITTED).count() == 6
    assert [r.round for r in Review.objects.counted().filter(application=re_reviewed)] == [2]


def test_a_superseded_review_is_locked_with_its_reason(call, staff, re_reviewed):
    old = Assignment.objects.filter(application=re_reviewed, state=Assignment.State.PAST).first()
    with pytest.raises(TransitionRefused) as refused:
        reviewing.save_review(cleared_to_score(old), marks(call, "1"), by=old.reviewer.user, submit=True)
    assert refused.value.reasons == [
        "This review belongs to an earlier round, replaced after an objection; it is locked."
    ]


def test_the_sql_definition_of_counted_reviews_is_the_querysets(call, staff, re_reviewed):
    second = new_round(re_reviewed)
    submit(second[0], call, "0.9")
    reviewing.save_review(cleared_to_score(second[1]), {}, by=second[1].reviewer.user)  # a draft
    condition, params = counted_reviews_sql("r", "a")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id FROM {Review._meta.db_table} r"
            f" JOIN {Assignment._meta.db_table} a ON a.id = r.assignment_id WHERE {condition}",
            params,
        )
        by_sql = {row[0] for row in cursor.fetchall()}
    assert by_sql == set(Review.objects.counted().values_list("pk", flat=True))
    assert Review.objects.count() - len(by_sql) == 5 + 1  # the superseded round and the draft


def test_dashboards_count_only_the_reviews_that_count(call, staff, re_reviewed):
    from evaluation.dashboard import call_dashboard

    submit(new_round(re_reviewed)[0], call, "0.9")
    progress = call_dashboard(call).progress
    assert (progress.assigned, progress.submitted) == (24 * 5, 23 * 5 + 1)
    assert progress.submitted == Review.objects.counted().filter(application__call=call).count()


# --- Finding 2: closing the review counts only the current round ------------------------------


def test_closing_the_review_does_not_score_on_superseded_reviews(call, staff, re_reviewed):
    second = new_round(re_reviewed)
    submit(second[0], call, "0.9")  # 1 of 5 new reviews
    closed = reviewing.close_review(call, by=staff)
    assert state_of(re_reviewed) == ApplicationState.UNDER_REVIEW
    assert re_reviewed.pk not in closed.scored
    assert closed.lacking == [
        f"{re_reviewed.reference}: 1 review(s) of its current round submitted;"
        " the evaluation plan needs at least 3 to score it."
    ]


def test_the_re_review_is_scored_on_its_own_round_only(call, staff, re_reviewed):
    second = new_round(re_reviewed)
    for assignment, fraction in zip(second, ["0.60", "0.70", "0.80", "0.90", "0.95"], strict=True):
        submit(assignment, call, fraction)
    assert state_of(re_reviewed) == ApplicationState.SCORED
    sheet = ScoreSheet.objects.get(application=re_reviewed)
    # Trimmed mean of the round-2 totals [60, 70, 80, 90, 95]: (70 + 80 + 90) / 3.
    assert (sheet.reviews, sheet.evaluation_score) == (5, Decimal("80.00"))
    run, results = selection_runs.run_selection(call, by=staff)
    result = next(r for r in results if r.application_id == re_reviewed.pk)
    assert result.evaluation_score == Decimal("80.00")


# --- Finding 3: never scored under the plan's minimum ------------------------------------------


@pytest.fixture
def short_after_recusal(call, staff):
    """Three reviews an application, minimum 3, a panel of exactly three: one reviewer recuses
    and no unconflicted replacement is left."""
    plan = call.evaluation_plan
    plan.reviews_per_application, plan.minimum_reviews = 3, 3
    plan.save()
    (application,) = eligible_applications(call, 1)
    make_reviewers(call, 3)
    assign_reviewers(call, by=staff, seed=1)
    first, *others = Assignment.objects.filter(application=application).order_by("pk")
    assert reviewing.recuse(first, by=first.reviewer.user, reason="I advised them.") is None
    return application, others


def test_the_last_review_does_not_score_an_application_under_the_minimum(call, staff, short_after_recusal):
    application, others = short_after_recusal
    for assignment in others:
        submit(assignment, call, "0.8")
    assert state_of(application) == ApplicationState.UNDER_REVIEW
    assert not ScoreSheet.objects.filter(application=application).exists()
    _run, results = selection_runs.run_selection(call, by=staff, dry_run=True)
    assert application.pk not in {r.application_id for r in results}


def test_staff_closing_the_review_leave_it_under_review_with_the_reason(
    client, call, staff, short_after_recusal
):
    application, others = short_after_recusal
    for assignment in others:
        submit(assignment, call, "0.8")
    client.force_login(staff)
    response = client.post(reverse("evaluation:close", args=[call.slug]), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        "Review closed: 0 applications scored.",
        "Not scored, still under review until reviewers are added: "
        f"{application.reference}: 2 review(s) of its current round submitted;"
        " the evaluation plan needs at least 3 to score it.",
    ]
    assert state_of(application) == ApplicationState.UNDER_REVIEW
    # A reviewer added to the panel tops it up; the third review scores it.
    make_reviewers(call, 1, prefix="extra")
    assert assign_reviewers(call, by=staff, seed=1) == 1
    added = Assignment.objects.get(application=application, reviewer__code="EXTRA000")
    assert added.round == 1
    submit(added, call, "0.8")
    assert state_of(application) == ApplicationState.SCORED
    assert ScoreSheet.objects.get(application=application).reviews == 3


def test_closing_after_every_review_is_in_counts_the_applications_their_last_review_scored(
    client, call, staff, short_after_recusal
):
    """Issue 20: closing a review whose 3 of 3 reviews were in said "0건의 평가가 완료"."""
    application, others = short_after_recusal
    make_reviewers(call, 1, prefix="extra")
    assign_reviewers(call, by=staff, seed=1)
    for assignment in Assignment.objects.filter(application=application, state=Assignment.State.ACTIVE):
        submit(assignment, call, "0.8")
    assert state_of(application) == ApplicationState.SCORED
    client.force_login(staff)
    client.cookies["django_language"] = "ko"
    response = client.post(reverse("evaluation:close", args=[call.slug]), follow=True)
    (shown,) = [str(m) for m in response.context["messages"]]
    assert shown == (
        "평가를 마감했습니다. 이번에 신청서 0건의 평가가 완료되었고, "
        "1건은 마지막 평가서가 제출될 때 이미 평가가 완료되었습니다."
    )


def test_completing_directly_is_refused_under_the_minimum_and_changes_nothing(
    call, staff, short_after_recusal
):
    application, others = short_after_recusal
    submit(others[0], call, "0.8")
    logs = StateLog.objects.count()
    with pytest.raises(TransitionRefused) as refused:
        reviewing.complete_reviews([application.pk], by=staff, description="Forced.")
    assert refused.value.reasons == [
        f"{application.reference}: 1 review(s) of its current round submitted;"
        " the evaluation plan needs at least 3 to score it."
    ]
    assert state_of(application) == ApplicationState.UNDER_REVIEW
    assert StateLog.objects.count() == logs
    assert not ScoreSheet.objects.filter(application=application).exists()


def test_the_minimum_cannot_exceed_the_reviews_per_application(call):
    from django.core.exceptions import ValidationError

    plan = EvaluationPlan.objects.get(call=call)
    plan.minimum_reviews = plan.reviews_per_application + 1
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert refused.value.message_dict == {
        "minimum_reviews": ["The minimum number of reviews cannot be above the reviews per application (5)."]
    }


# --- The admin keeps to the rounds --------------------------------------------------------------


def test_the_admin_adds_a_reviewer_to_the_current_round_and_keeps_submitted_reviews(
    client, call, staff, re_reviewed, role_groups
):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(is_superuser=True))
    second = new_round(re_reviewed)
    submit(second[0], call, "0.9")
    response = client.post(
        reverse("admin:evaluation_assignment_change", args=[second[0].pk]),
        {
            "application": re_reviewed.pk,
            "reviewer": second[0].reviewer_id,
            "state": Assignment.State.RECUSED,
            "recusal_reason": "Late",
        },
    )
    assert (
        "This reviewer has submitted the review; it counts and stays assigned." in response.content.decode()
    )
    assert Assignment.objects.get(pk=second[0].pk).state == Assignment.State.ACTIVE
    (extra,) = make_reviewers(call, 1, prefix="extra")
    response = client.post(
        reverse("admin:evaluation_assignment_add"),
        {"application": re_reviewed.pk, "reviewer": extra.pk, "state": "active", "recusal_reason": ""},
    )
    assert response.status_code == 302
    assert Assignment.objects.get(application=re_reviewed, reviewer=extra).round == 2
