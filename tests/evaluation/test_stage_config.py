"""Staff configure a call's stages on the stages page (issue 14): stages in order with their
settings, each stage's criteria, how the final score is formed; refused once reviewers are
assigned; a refused form keeps what was typed. Panels are built per stage."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from competitions.lifecycle import TransitionRefused
from evaluation import panels, stage_config
from evaluation.models import Assignment, Criterion, Panel, Stage
from tests.evaluation.conftest import eligible_applications, make_reviewers
from tests.factories import UserFactory

DOCUMENT = {
    "action": "add_stage",
    "stage-kind": "document",
    "stage-name": "Document review",
    "stage-name_ko": "서면평가",
    "stage-weight": "30",
    "stage-reviews_per_application": "3",
    "stage-minimum_reviews": "3",
    "stage-cutoff": "60",
    "stage-advancement": "top_n",
    "stage-advance_count": "4",
}
PRESENTATION = {
    **DOCUMENT,
    "stage-kind": "presentation",
    "stage-name": "Presentation evaluation",
    "stage-name_ko": "발표평가",
    "stage-weight": "70",
    "stage-cutoff": "70",
    "stage-advancement": "cutoff",
    "stage-advance_count": "",
}


@pytest.fixture
def url(call):
    return reverse("evaluation:stages", args=[call.slug])


def test_staff_configure_two_stages_their_criteria_and_the_weighted_final_score(
    client, call, staff, url, django_assert_max_num_queries
):
    criteria_before = set(Criterion.objects.filter(plan__call=call).values_list("pk", flat=True))
    client.force_login(staff)
    response = client.post(url, DOCUMENT, follow=True)
    assert "Stage 1, Document review, added." in response.content.decode()
    client.post(url, PRESENTATION)
    document, presentation = Stage.objects.filter(plan__call=call).order_by("position")
    assert (document.position, document.advance_count, presentation.position) == (1, 4, 2)
    # The first stage takes over the criteria the call had; the second starts with none.
    assert set(document.criteria.values_list("pk", flat=True)) == criteria_before
    page = client.get(url).content.decode()
    assert "The criteria of the stage Presentation evaluation add up to 0 points" in page
    for name, points in [("Presentation and answers", "60"), ("Commitment of the team", "40")]:
        prefix = f"criterion-{presentation.pk}"
        client.post(
            url,
            {
                "action": "add_criterion",
                "stage": presentation.pk,
                f"{prefix}-name": name,
                f"{prefix}-max_points": points,
            },
        )
    assert list(presentation.criteria.order_by("position").values_list("name", "position")) == [
        ("Presentation and answers", 0),
        ("Commitment of the team", 1),
    ]
    client.post(url, {"action": "final_score", "plan-final_score": "weighted"})
    call.evaluation_plan.refresh_from_db()
    assert call.evaluation_plan.final_score == "weighted"
    with django_assert_max_num_queries(15):
        page = client.get(url).content.decode()
    assert "fix these" not in page and "Configure the stages" in page


def test_a_refused_stage_keeps_what_was_typed_and_writes_nothing(client, call, staff, url):
    client.force_login(staff)
    response = client.post(url, {**DOCUMENT, "stage-advance_count": "", "stage-name": "Screening one"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Say how many applications of each field advance." in page
    assert 'value="Screening one"' in page
    assert not Stage.objects.filter(plan__call=call).exists()


def test_stages_and_criteria_no_longer_change_once_reviewers_are_assigned(client, call, staff, url):
    client.force_login(staff)
    client.post(url, DOCUMENT)
    stage = Stage.objects.get(plan__call=call)
    application = eligible_applications(call, 1)[0]
    Assignment.objects.create(application=application, reviewer=make_reviewers(call, 1)[0], stage=stage)
    response = client.post(url, {**PRESENTATION, "stage-name": "Late stage"})
    page = response.content.decode()
    assert "its stages and criteria can no longer change" in page
    assert Stage.objects.filter(plan__call=call).count() == 1
    assert "Configure the stages" not in client.get(url).content.decode()
    with pytest.raises(TransitionRefused):
        stage_config.add_criterion(stage, Criterion(name="Late", max_points=10), by=staff)
    assert not stage.criteria.filter(name="Late").exists()


def test_only_staff_configure_stages(call, role_groups):
    with pytest.raises(PermissionDenied):
        stage_config.add_stage(call, Stage(name="Mine"), by=UserFactory())
    assert not Stage.objects.filter(plan__call=call).exists()


def test_a_panel_of_a_staged_call_reviews_one_stage(client, call, staff, url):
    client.force_login(staff)
    client.post(url, DOCUMENT)
    stage = Stage.objects.get(plan__call=call)
    with pytest.raises(TransitionRefused, match="choose the stage the panel reviews"):
        panels.create_panel(call, by=staff, name="No stage")
    panels_url = reverse("evaluation:panels", args=[call.slug])
    assert (
        f'<option value="{stage.pk}">1. Document review</option>' in client.get(panels_url).content.decode()
    )
    client.post(panels_url, {"action": "create", "name": "서면평가 위원회", "stage": stage.pk})
    assert Panel.objects.get(call=call, name="서면평가 위원회").stage == stage
