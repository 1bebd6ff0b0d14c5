"""Score sheets per stage and the call dashboard of a call evaluated in stages: each stage's
score distribution per field (from its own criteria and current-round reviews, no bonus) and its
progress, the stage chosen on the page, in the same number of queries at two sizes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from evaluation.dashboard import stage_dashboard
from evaluation.models import StageScoreSheet
from evaluation.reviewing import complete_reviews
from evaluation.stage_runs import confirm_advancement, record_advancement
from projects.models import Application, ApplicationState
from tests.evaluation.conftest import eligible_applications, make_reviewers
from tests.evaluation.test_stage_runs import score_in_stage, staged  # noqa: F401
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _scores(dashboard):
    return {row.name: row.scores for row in dashboard.fields if row.scores}


def test_a_stage_dashboard_shows_the_score_distribution_of_the_stage(call, staged):  # noqa: F811
    document, _presentation, applications, _reviewers = staged
    dashboard = stage_dashboard(call)
    assert dashboard.stage == document  # the latest stage holding applications
    assert dashboard.scorable and dashboard.cutoff == document.cutoff
    assert _scores(dashboard) == {"Mobility": [D(55), D(75), D(80), D(85), D(90)]}
    assert dashboard.scored == 5
    assert dashboard.states == [("Scored", 5)]
    assert (dashboard.progress.assigned, dashboard.progress.submitted) == (15, 15)
    # Computed once from the reviews, then read: one sheet per application and stage.
    assert StageScoreSheet.objects.filter(stage=document).count() == 5
    assert stage_dashboard(call).fields[0].score_summary == {
        "count": 5,
        "low": D(55),
        "median": D(80),
        "high": D(90),
    }


def test_sheets_are_written_when_the_review_in_a_stage_completes(call, staff, staged):  # noqa: F811
    document, presentation, applications, _reviewers = staged
    confirm_advancement(record_advancement(document, by=staff), by=staff)
    advanced = applications[:3]
    for application, total in zip(advanced, [65, 80, 95], strict=True):
        score_in_stage(application, presentation, make_reviewers(call, 3, prefix=f"p{application.pk}"), total)
    complete_reviews([a.pk for a in advanced], by=staff, description="done")
    sheets = {s.application_id: s for s in StageScoreSheet.objects.filter(stage=presentation)}
    assert {pk: s.evaluation_score for pk, s in sheets.items()} == {
        advanced[0].pk: D(65),
        advanced[1].pk: D(80),
        advanced[2].pk: D(95),
    }
    assert sheets[advanced[0].pk].below_cutoff and not sheets[advanced[2].pk].below_cutoff
    shown = stage_dashboard(call, presentation.pk)
    assert shown.stage == presentation and _scores(shown) == {"Mobility": [D(65), D(80), D(95)]}
    # The document review still shows everyone it decided: advanced, and eliminated.
    earlier = stage_dashboard(call, document.pk)
    assert _scores(earlier) == {"Mobility": [D(55), D(75), D(80), D(85), D(90)]}
    assert dict(earlier.states) == {
        "Eliminated at a stage": 2
    }  # the three advanced are in the next stage now


def test_an_application_still_under_review_in_the_stage_is_not_in_its_distribution(call, staged):  # noqa: F811
    document, _presentation, applications, _reviewers = staged
    Application.objects.filter(pk=applications[0].pk).update(state=ApplicationState.UNDER_REVIEW)
    assert stage_dashboard(call, document.pk).scored == 4


def test_a_call_without_stages_has_no_stage_dashboard(call):
    assert stage_dashboard(call) is None


def _grow(call, document, extra):
    """``extra`` more applications scored in the document review, with reviewers of their own."""
    reviewers = make_reviewers(call, 3, prefix=f"g{extra}")
    grown = eligible_applications(call, extra)
    for n, application in enumerate(grown):
        score_in_stage(application, document, reviewers, 60 + n % 40)
    Application.objects.filter(pk__in=[a.pk for a in grown]).update(state=ApplicationState.SCORED)


@pytest.mark.parametrize("extra", [0, 20])
def test_the_call_dashboard_shows_the_chosen_stage_in_constant_queries(
    client,
    call,
    staged,  # noqa: F811
    extra,
    role_groups,
    django_assert_max_num_queries,
):
    document, presentation, _applications, _reviewers = staged
    _grow(call, document, extra)
    client.force_login(StaffFactory())
    url = reverse("evaluation:call_dashboard", args=[call.slug])
    client.get(url)  # the first reading computes the stage's sheets
    with django_assert_max_num_queries(
        16
    ):  # +1: the second factor the session was verified with (django-otp)
        response = client.get(f"{url}?stage={document.pk}")
    page = response.content.decode()
    assert response.context["stages"].scored == 5 + extra
    assert 'id="stage-scores-title"' in page and "Scores in Document review per service field" in page
    assert f'<option value="{document.pk}" selected>' in page
    response = client.get(f"{url}?stage={presentation.pk}")
    assert response.context["stages"].stage == presentation
    assert "No scores in this stage yet" in response.content.decode()
