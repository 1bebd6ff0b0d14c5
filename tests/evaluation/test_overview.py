"""The staff's evaluation overview (/staff/calls/<slug>/evaluation/): paged reviewers and
applications with their review progress, a status filter, and a constant number of queries
whatever the call's size (issue 19: it rendered all 20,490 rows of the benchmark call)."""

import pytest
from django.urls import reverse

from evaluation import reviewing, views
from evaluation.assigning import assign_reviewers
from evaluation.generate import generate
from evaluation.models import Assignment, Criterion
from projects.models import Application, ApplicationState
from tests.factories import StaffFactory, cleared_to_score

from .conftest import eligible_applications, make_reviewers

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, role_groups):
    client.force_login(StaffFactory())
    return client


def overview(call):
    return reverse("evaluation:overview", args=[call.slug])


@pytest.mark.parametrize("count", [3, 30])
def test_overview_queries_are_constant(staff_client, call, staff, count, django_assert_max_num_queries):
    generate(call, count=count, reviewers=8, seed=count, by=staff)
    # Session, user, second factor, groups, call, 2 x (count + page + progress), state badges.
    with django_assert_max_num_queries(12):
        response = staff_client.get(overview(call))
    assert (
        response.context["page"].paginator.count
        == Application.objects.filter(call=call, assignments__isnull=False).distinct().count()
    )
    assert len(response.context["reviewer_rows"]) == 8


def test_overview_pages_applications_and_reviewers(staff_client, call, staff, monkeypatch):
    monkeypatch.setattr(views, "OVERVIEW_PAGE_SIZE", 4)
    eligible_applications(call, 6)
    make_reviewers(call, 7)
    assign_reviewers(call, by=staff, seed=1)
    first = staff_client.get(overview(call))
    assert [a.reference for a, _progress in first.context["rows"]] == [
        "PE26-0001",
        "PE26-0002",
        "PE26-0003",
        "PE26-0004",
    ]
    page = first.content.decode()
    assert "?page=2" in page  # the applications' next page
    assert "?reviewers=2" in page  # the reviewers' next page
    second = staff_client.get(overview(call) + "?page=2&reviewers=2")
    assert [a.reference for a, _progress in second.context["rows"]] == ["PE26-0005", "PE26-0006"]
    codes = [reviewer.code for reviewer, _progress in second.context["reviewer_rows"]]
    assert codes == ["REV004", "REV005", "REV006"]
    # Each page keeps the other table's page.
    assert "?reviewers=2&amp;page=1" in second.content.decode()


def test_overview_counts_each_rows_reviews(staff_client, call, staff):
    applications = eligible_applications(call, 2)
    make_reviewers(call, 6)
    assign_reviewers(call, by=staff, seed=3)
    criteria = {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}
    done = Assignment.objects.filter(application=applications[0]).order_by("pk").first()
    reviewing.save_review(cleared_to_score(done), criteria, by=done.reviewer.user, submit=True)
    draft = Assignment.objects.filter(application=applications[1]).order_by("pk").first()
    reviewing.save_review(cleared_to_score(draft), {next(iter(criteria)): ("5", "")}, by=draft.reviewer.user)
    response = staff_client.get(overview(call))
    by_reference = {a.reference: progress for a, progress in response.context["rows"]}
    assert (
        by_reference[applications[0].reference].submitted,
        by_reference[applications[0].reference].assigned,
    ) == (
        1,
        5,
    )
    assert by_reference[applications[1].reference].submitted == 0
    by_code = {r.code: progress for r, progress in response.context["reviewer_rows"]}
    assert by_code[done.reviewer.code].submitted == 1
    assert by_code[draft.reviewer.code].drafts == 1
    assert sum(p.assigned for p in by_code.values()) == 10
    page = response.content.decode()
    assert reverse("projects:staff_application", args=[applications[0].pk]) in page
    assert "1 / 5" in page


def test_overview_filters_by_status(staff_client, call, staff):
    applications = eligible_applications(call, 3)
    make_reviewers(call, 6)
    assign_reviewers(call, by=staff, seed=1)
    Application.objects.filter(pk=applications[0].pk).update(state=ApplicationState.SCORED)
    response = staff_client.get(overview(call) + "?state=scored")
    assert [a.pk for a, _progress in response.context["rows"]] == [applications[0].pk]
    assert '<option value="scored" selected>' in response.content.decode()
    # The status badges still count the whole call.
    assert dict(response.context["states"])["Scored"] == 1


def test_an_unknown_status_shows_every_application_and_says_so(staff_client, call, staff):
    eligible_applications(call, 2)
    make_reviewers(call, 6)
    assign_reviewers(call, by=staff, seed=1)
    response = staff_client.get(overview(call) + "?state=nonsense")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2
    assert "There is no such status; applications in every status are shown." in response.content.decode()


def test_overview_in_korean_shows_no_english(staff_client, call, staff):
    generate(call, count=3, reviewers=6, seed=2, by=staff)
    page = staff_client.get(overview(call), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "검토" in page or "평가" in page
    assert "Progress per application" not in page
    assert "applications with reviewers" not in page


def test_the_dashboards_reviewer_counts_agree_with_the_overviews(call, staff):
    """The call dashboard counts per reviewer in plain SQL, the overview per page of reviewers
    with the ORM: the same figures, a recused assignment and a draft included."""
    from evaluation.dashboard import call_dashboard, progress_per_reviewer, reviewers_of

    applications = eligible_applications(call, 3)
    make_reviewers(call, 7)
    assign_reviewers(call, by=staff, seed=5)
    criteria = {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}
    done, draft, recused = Assignment.objects.filter(application=applications[0]).order_by("pk")[:3]
    reviewing.save_review(cleared_to_score(done), criteria, by=done.reviewer.user, submit=True)
    reviewing.save_review(cleared_to_score(draft), {next(iter(criteria)): ("5", "")}, by=draft.reviewer.user)
    reviewing.recuse(recused, by=recused.reviewer.user, reason="Advised them last year")
    reviewers = list(reviewers_of(call))
    orm = progress_per_reviewer(call, [r.pk for r in reviewers])
    sql = {row.code: row.progress for row in call_dashboard(call).reviewers}
    assert {r.code: orm[r.pk] for r in reviewers} == sql
    assert (
        sql[recused.reviewer.code].assigned
        == Assignment.objects.filter(reviewer=recused.reviewer, state=Assignment.State.ACTIVE).count()
    )
    assert sum(p.submitted for p in sql.values()) == 1
    assert sum(p.drafts for p in sql.values()) == 1
