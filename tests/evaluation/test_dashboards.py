"""The staff's dashboards (every call; one call) and the reviewer's: what they show, who may see
them, constant queries at two sizes, Korean amounts."""

from collections import Counter

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation import reviewing, selection_runs
from evaluation.assigning import assign_reviewers
from evaluation.dashboard import call_dashboard, call_summaries, reviewer_dashboard
from evaluation.generate import generate
from evaluation.models import Assignment, Criterion, DeclaredConflict, Review
from projects.models import Application, ApplicationState
from tests.factories import StaffFactory, UserFactory, cleared_to_score

from .conftest import eligible_applications, make_reviewers

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, role_groups):
    client.force_login(StaffFactory())
    return client


def scored_call(call, staff, count, seed=1):
    applications = generate(call, count=count, reviewers=8, seed=seed, by=staff)
    selection_runs.run_selection(call, by=staff)
    return applications


# --- evaluation.dashboard, the functions ------------------------------------------------------


def test_call_dashboard_counts_applications_per_field_and_status(call, staff):
    scored_call(call, staff, 12)
    dashboard = call_dashboard(call)
    assert dashboard.applications == 12
    assert sum(row.total for row in dashboard.fields) == 12
    assert {row.name for row in dashboard.fields} == {"Mobility", "Safety"}
    states = {state for state, _label, _count in dashboard.states}
    assert states == {ApplicationState.SCORED}
    assert [label for _state, label in dashboard.columns] == ["Scored"]
    for row in dashboard.fields:
        assert row.cells == [row.states[ApplicationState.SCORED]]


def test_call_dashboard_review_progress_and_laggards(call, staff):
    applications = eligible_applications(call, 2)
    reviewers = make_reviewers(call, 6)
    assign_reviewers(call, by=staff, seed=3)
    criteria = {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}
    first = Assignment.objects.filter(application=applications[0]).order_by("pk").first()
    reviewing.save_review(cleared_to_score(first), criteria, by=first.reviewer.user, submit=True)
    second = Assignment.objects.filter(application=applications[1]).order_by("pk").first()
    reviewing.save_review(
        cleared_to_score(second), {next(iter(criteria)): ("10", "")}, by=second.reviewer.user
    )
    dashboard = call_dashboard(call)
    assert (dashboard.progress.assigned, dashboard.progress.submitted, dashboard.progress.drafts) == (
        10,
        1,
        1,
    )
    assert dashboard.progress.percent == 10
    by_code = {row.code: row.progress for row in dashboard.reviewers}
    assert set(by_code) <= {r.code for r in reviewers}
    assert by_code[first.reviewer.code].submitted == 1
    # Laggards: everyone with something outstanding, the most outstanding first.
    outstanding = [row.progress.outstanding for row in dashboard.laggards]
    assert outstanding == sorted(outstanding, reverse=True) and all(outstanding)


def test_places_filled_count_selected_and_awarded_against_each_fields_maximum(call, staff):
    scored_call(call, staff, 12)
    run = call.selection_runs.get()
    selection_runs.confirm_run(run, by=staff)
    dashboard = call_dashboard(call)
    selected = Counter(
        Application.objects.filter(call=call, state=ApplicationState.SELECTED).values_list(
            "service_field__name", flat=True
        )
    )
    assert dashboard.places == [("Mobility", selected["Mobility"], 2), ("Safety", selected["Safety"], 2)]
    assert sum(filled for _name, filled, _max in dashboard.places) == call.max_awards


def test_score_rows_come_from_the_latest_run_with_the_plans_cutoff(call, staff):
    scored_call(call, staff, 10)
    dashboard = call_dashboard(call)
    results = dashboard.run.results.exclude(evaluation_score=None)
    assert sum(len(scores) for _name, scores in dashboard.score_rows) == results.count() == 10
    assert dashboard.cutoff == call.evaluation_plan.cutoff
    summary = dashboard.fields[0].score_summary
    assert summary["low"] <= summary["median"] <= summary["high"]


def test_call_summaries_add_up_every_call(call, staff):
    scored_call(call, staff, 6)
    (summary,) = [s for s in call_summaries() if s.call == call]
    assert (summary.applications, summary.queue, summary.places_filled) == (6, 0, 0)
    assert summary.progress.assigned == summary.progress.submitted == 30
    assert summary.money.awarded == summary.money.paid == 0


# --- The pages --------------------------------------------------------------------------------


def test_staff_landing_lists_calls_with_their_figures_and_links(staff_client, call, staff):
    scored_call(call, staff, 6)
    page = staff_client.get(reverse("evaluation:staff_home")).content.decode()
    assert call.display_title in page
    assert reverse("evaluation:call_dashboard", args=[call.slug]) in page
    assert "30 / 30 (100%)" in page


def test_call_dashboard_page_shows_tables_and_charts(staff_client, call, staff):
    scored_call(call, staff, 8)
    page = staff_client.get(reverse("evaluation:call_dashboard", args=[call.slug])).content.decode()
    assert 'aria-labelledby="places-title places-desc"' in page
    assert 'aria-labelledby="scores-title scores-desc"' in page
    assert 'aria-labelledby="statuses-title statuses-desc"' in page
    assert "Every assigned review is submitted." in page
    assert f"{reverse('projects:eligibility_queue')}?call={call.slug}" in page
    assert "1,000,000,000 KRW" in page  # the total budget


def test_the_eligibility_queue_length_links_to_the_queue(staff_client, call):
    for application in eligible_applications(call, 3):
        Application.objects.filter(pk=application.pk).update(state=ApplicationState.SUBMITTED)
    response = staff_client.get(reverse("evaluation:call_dashboard", args=[call.slug]))
    assert response.context["dashboard"].queue == 3
    assert f'?call={call.slug}">3</a>' in response.content.decode()


def test_call_dashboard_in_korean_reads_eok_and_man(staff_client, call, staff):
    scored_call(call, staff, 4)
    page = staff_client.get(
        reverse("evaluation:call_dashboard", args=[call.slug]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "1,000,000,000원 (10억 원)" in page
    assert "한국시간 " in page


@pytest.mark.parametrize("name", ["evaluation:staff_home", "evaluation:call_dashboard"])
def test_staff_dashboards_are_for_staff_only(client, call, role_groups, name):
    url = reverse(name, args=[call.slug] if name.endswith("call_dashboard") else [])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for role in (Role.APPLICANT, Role.REVIEWER, Role.AUDITOR):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(url).status_code == 403


def test_unknown_call_is_404(staff_client):
    assert staff_client.get(reverse("evaluation:call_dashboard", args=["no-such-call"])).status_code == 404


@pytest.mark.parametrize("count", [4, 24])
def test_call_dashboard_queries_are_constant(staff_client, call, staff, count, django_assert_max_num_queries):
    scored_call(call, staff, count, seed=count)
    # The 13th finds the call has no stages; the 14th reads the session's second factor (django-otp).
    with django_assert_max_num_queries(14):
        response = staff_client.get(reverse("evaluation:call_dashboard", args=[call.slug]))
    assert response.context["dashboard"].applications == count


@pytest.mark.parametrize("calls", [1, 4])
def test_staff_landing_queries_are_constant(staff_client, staff, calls, django_assert_max_num_queries):
    from tests.factories import ApplicationFactory, CallFactory, TrackFactory

    for n in range(calls):
        extra = CallFactory(slug=f"landing-{n}")
        TrackFactory(call=extra, max_awards=4)
        for _application in range(3):
            ApplicationFactory(call=extra)
    with django_assert_max_num_queries(
        10
    ):  # +1: the second factor the session was verified with (django-otp)
        response = staff_client.get(reverse("evaluation:staff_home"))
    summaries = response.context["summaries"]
    assert len(summaries) == calls
    assert {summary.applications for summary in summaries} == {0}  # drafts are not counted
    assert {summary.states["draft"] for summary in summaries} == {3}


# --- The reviewer -----------------------------------------------------------------------------


@pytest.fixture
def panel(call, staff):
    applications = eligible_applications(call, 3)
    reviewers = make_reviewers(call, 7)
    return applications, reviewers


def test_reviewer_sees_only_assigned_never_conflicted(client, call, staff, panel):
    applications, reviewers = panel
    me = reviewers[0]
    DeclaredConflict.objects.create(reviewer=me, organisation=applications[0].lead, reason="Former employer")
    assign_reviewers(call, by=staff, seed=1)
    client.force_login(me.user)
    response = client.get(reverse("evaluation:my_reviews"))
    dashboard = response.context["dashboard"]
    mine = {a.application_id for a in dashboard.assignments}
    assert applications[0].pk not in mine
    assert mine == set(Assignment.objects.filter(reviewer=me).values_list("application_id", flat=True))
    page = response.content.decode()
    assert applications[0].reference not in page
    assert "Former employer" in page  # the conflict declared is listed
    others = Assignment.objects.exclude(reviewer=me).exclude(application_id__in=mine)
    for assignment in others:
        assert assignment.application.reference not in page


def test_reviewer_progress_per_call_with_due_date_and_recusals(client, call, staff, panel):
    applications, reviewers = panel
    assign_reviewers(call, by=staff, seed=1)
    me = Assignment.objects.filter(application=applications[0]).first().reviewer
    mine = list(Assignment.objects.filter(reviewer=me).order_by("pk"))
    criteria = {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}
    reviewing.save_review(cleared_to_score(mine[0]), criteria, by=me.user, submit=True)
    if len(mine) > 2:
        reviewing.save_review(cleared_to_score(mine[1]), {next(iter(criteria)): ("5", "")}, by=me.user)
    reviewing.recuse(mine[-1], by=me.user, reason="Advised them last year")
    dashboard = reviewer_dashboard(me)
    (row,) = dashboard.calls
    assert row.recused == 1
    assert row.progress.submitted == 1
    assert row.progress.assigned == len(mine) - 1
    assert row.progress.drafts == (1 if len(mine) > 2 else 0)
    assert [a.pk for a in dashboard.recusals] == [mine[-1].pk]
    client.force_login(me.user)
    page = client.get(reverse("evaluation:my_reviews")).content.decode()
    assert "Advised them last year" in page
    assert "Recused" in page


def test_blind_call_hides_the_organisation_of_a_recusal_conflict(client, call, staff, panel):
    applications, _reviewers = panel
    call.__class__.objects.filter(pk=call.pk).update(blind_review=True)
    assign_reviewers(call, by=staff, seed=1)
    assignment = Assignment.objects.filter(application=applications[0]).first()
    reviewing.recuse(assignment, by=assignment.reviewer.user, reason="Conflict found")
    client.force_login(assignment.reviewer.user)
    page = client.get(reverse("evaluation:my_reviews")).content.decode()
    assert "Conflict found" in page
    assert applications[0].lead.name not in page


def test_people_who_are_not_reviewers_get_404(client, applicant_user):
    client.force_login(applicant_user)
    assert client.get(reverse("evaluation:my_reviews")).status_code == 404


@pytest.mark.parametrize("count", [3, 12])
def test_reviewer_dashboard_queries_are_constant(client, call, staff, count, django_assert_max_num_queries):
    eligible_applications(call, count)
    reviewers = make_reviewers(call, 5)
    assign_reviewers(call, by=staff, seed=1)
    client.force_login(reviewers[0].user)
    with django_assert_max_num_queries(7):  # the 7th reads the presentation schedule
        response = client.get(reverse("evaluation:my_reviews"))
    assert len(response.context["dashboard"].assignments) == count
    assert Review.objects.count() == 0


def test_the_language_switcher_turns_the_dashboards_korean(client, call, role_groups):
    client.force_login(StaffFactory())
    for url in (reverse("evaluation:staff_home"), reverse("evaluation:call_dashboard", args=[call.slug])):
        assert 'lang="en"' in client.get(url).content.decode()[:200]
        response = client.post(reverse("set_language"), {"language": "ko", "next": url}, follow=True)
        assert response.redirect_chain[-1][0] == url
        assert '<html lang="ko">' in response.content.decode()
        client.post(reverse("set_language"), {"language": "en", "next": url})


def test_score_summary_rounds_the_median_half_up_to_two_decimals():
    from decimal import Decimal

    from evaluation.dashboard import FieldRow

    row = FieldRow(None, Counter(), [Decimal("62.83"), Decimal("62.84"), Decimal("70.00"), Decimal("50.00")])
    assert row.score_summary == {
        "count": 4,
        "low": Decimal("50.00"),
        "median": Decimal("62.84"),  # (62.83 + 62.84) / 2 = 62.835 -> 62.84
        "high": Decimal("70.00"),
    }


def test_evaluation_overview_counts_states_by_their_labels_in_workflow_order(staff_client, call):
    eligible_applications(call, 2)
    under_review = eligible_applications(call, 3)
    Application.objects.filter(pk__in=[a.pk for a in under_review]).update(
        state=ApplicationState.UNDER_REVIEW
    )
    page = staff_client.get(reverse("evaluation:overview", args=[call.slug])).content.decode()
    assert "Eligible: 2" in page
    assert "Under review: 3" in page
    assert page.index("Eligible: 2") < page.index("Under review: 3")
    # The stored code is never shown (the status filter sends it as an option's value only).
    assert "under_review:" not in page and ">under_review" not in page


def test_evaluation_overview_state_labels_are_translated(staff_client, call):
    from django.utils import translation

    [application] = eligible_applications(call, 1)
    staff_client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    page = staff_client.get(reverse("evaluation:overview", args=[call.slug])).content.decode()
    with translation.override("ko"):
        label = str(ApplicationState.ELIGIBLE.label)
    assert f"{label}: 1" in page
    assert "eligible: 1" not in page


def test_a_runs_score_counts_are_grouped_once_and_kept_under_the_run(call, staff, django_assert_num_queries):
    """A recorded run's results never change: the dashboard groups them once (issue 19)."""
    from evaluation.dashboard import run_score_counts

    scored_call(call, staff, 8)
    run = call.selection_runs.get()
    first = run_score_counts(run)
    assert sum(count for _field, _score, count in first) == run.results.exclude(evaluation_score=None).count()
    with django_assert_num_queries(0):
        assert run_score_counts(run) == first
    second, _results = selection_runs.run_selection(call, by=staff)
    with django_assert_num_queries(1):  # a new run: its own key
        assert run_score_counts(second) == first  # the same reviews: the same scores


def test_a_run_records_each_results_field_and_its_scores_are_grouped_from_the_results_alone(call, staff):
    """Each result keeps the field the run counted its application under, and the dashboard's
    score counts are grouped from the results without joining the applications (issue 19: the
    join cost 15-25 ms at 20,000); they are the counts per the applications' fields."""
    from collections import Counter as Tally

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluation.dashboard import run_score_counts

    scored_call(call, staff, 12)
    run = call.selection_runs.get()
    recorded = list(run.results.values_list("service_field_id", "application__service_field_id"))
    assert recorded and all(mine == its for mine, its in recorded)
    assert len({field for field, _its in recorded}) > 1  # the generator spreads them over fields
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        counts = run_score_counts(run)
    assert "projects_application" not in queries.captured_queries[0]["sql"]
    expected = Tally(
        run.results.exclude(evaluation_score=None).values_list(
            "application__service_field_id", "evaluation_score"
        )
    )
    assert {(field, score): n for field, score, n in counts} == expected
    assert [score for _field, score, _n in counts] == sorted(score for _field, score, _n in counts)
