"""Stages per call (DESIGN.md §3 "Stages"): the configuration and its validation."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluation.models import AdvancementRule, Criterion, FinalScore, Stage, StageKind
from tests.factories import StaffFactory


def two_stages(call, weights=(30, 70), final_score=FinalScore.WEIGHTED):
    """Document review (2 × the field's places advance) then presentation, each with its own
    criteria adding up to 100."""
    plan = call.evaluation_plan
    plan.final_score = final_score
    plan.save()
    plan.criteria.all().delete()
    document = Stage.objects.create(
        plan=plan,
        position=1,
        kind=StageKind.DOCUMENT,
        name="Document review",
        name_ko="서면평가",
        weight=weights[0],
        cutoff=Decimal("60"),
        advancement=AdvancementRule.MULTIPLE,
        advance_multiple=Decimal("2"),
    )
    presentation = Stage.objects.create(
        plan=plan,
        position=2,
        kind=StageKind.PRESENTATION,
        name="Presentation",
        name_ko="발표평가",
        weight=weights[1],
        cutoff=Decimal("70"),
        advancement=AdvancementRule.CUTOFF,
    )
    for stage, criteria in (
        (document, [("Plan", 40), ("Feasibility", 60)]),
        (presentation, [("Impact", 70), ("Team", 30)]),
    ):
        for position, (name, points) in enumerate(criteria):
            Criterion.objects.create(plan=plan, stage=stage, name=name, max_points=points, position=position)
    return document, presentation


def test_a_stage_needs_the_parameter_of_its_advancement_rule(call):
    plan = call.evaluation_plan
    top_n = Stage(plan=plan, position=1, name="Document", advancement=AdvancementRule.TOP_N)
    with pytest.raises(ValidationError) as refused:
        top_n.full_clean()
    assert refused.value.message_dict["advance_count"] == ["Say how many applications of each field advance."]

    multiple = Stage(plan=plan, position=1, name="Document", advancement=AdvancementRule.MULTIPLE)
    with pytest.raises(ValidationError) as refused:
        multiple.full_clean()
    assert "advance_multiple" in refused.value.message_dict

    cutoff = Stage(plan=plan, position=1, name="Screening", advancement=AdvancementRule.CUTOFF)
    cutoff.full_clean()  # everyone at or above the cutoff: nothing more to say


def test_a_stage_minimum_of_reviews_cannot_exceed_its_reviews_per_application(call):
    stage = Stage(
        plan=call.evaluation_plan,
        position=1,
        name="Presentation",
        advancement=AdvancementRule.CUTOFF,
        reviews_per_application=3,
        minimum_reviews=4,
    )
    with pytest.raises(ValidationError) as refused:
        stage.full_clean()
    assert "minimum_reviews" in refused.value.message_dict


def test_weighted_stages_must_add_up_to_100_and_each_stage_criteria_to_100_points(call):
    document, presentation = two_stages(call, weights=(30, 60))
    plan = call.evaluation_plan
    criteria = {stage: list(stage.criteria.all()) for stage in (document, presentation)}
    assert plan.stages_problems([document, presentation], criteria) == [
        "The stages' weights add up to 90; they must add up to 100."
    ]
    presentation.weight = 70
    assert plan.stages_problems([document, presentation], criteria) == []
    criteria[presentation] = criteria[presentation][:1]
    assert plan.stages_problems([document, presentation], criteria) == [
        "The criteria of the stage Presentation add up to 70 points; they must add up to 100."
    ]
    plan.final_score = FinalScore.LAST_STAGE  # weights do not matter then
    presentation.weight = 0
    criteria[presentation] = list(presentation.criteria.all())
    assert plan.stages_problems([document, presentation], criteria) == []


def _plan_form(plan, stages, criteria, **changes):
    data = {
        "call": plan.call_id,
        "aggregation": "trimmed_mean",
        "trim_at": 5,
        "reviews_per_application": 5,
        "minimum_reviews": 3,
        "cutoff": "70.00",
        "bonus_cap": "5",
        "reserve_per_field": 1,
        "tie_breaks": json.dumps(plan.tie_breaks),
        "final_score": plan.final_score,
        "letter_comments": plan.letter_comments,  # a field of the plan's admin form
        "bonus_rules-TOTAL_FORMS": 0,
        "bonus_rules-INITIAL_FORMS": 0,
        "bonus_rules-MIN_NUM_FORMS": 0,
        "bonus_rules-MAX_NUM_FORMS": 1000,
    }
    for prefix, rows in (("stages", stages), ("criteria", criteria)):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": len(rows),
                f"{prefix}-INITIAL_FORMS": len(rows),
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    for n, stage in enumerate(stages):
        data.update(
            {
                f"stages-{n}-id": stage.pk,
                f"stages-{n}-plan": plan.pk,
                f"stages-{n}-position": stage.position,
                f"stages-{n}-kind": stage.kind,
                f"stages-{n}-name": stage.name,
                f"stages-{n}-weight": str(stage.weight),
                f"stages-{n}-cutoff": str(stage.cutoff),
                f"stages-{n}-reviews_per_application": stage.reviews_per_application,
                f"stages-{n}-minimum_reviews": stage.minimum_reviews,
                f"stages-{n}-advancement": stage.advancement,
                f"stages-{n}-advance_count": stage.advance_count or "",
                f"stages-{n}-advance_multiple": stage.advance_multiple or "",
            }
        )
    for n, criterion in enumerate(criteria):
        data.update(
            {
                f"criteria-{n}-id": criterion.pk,
                f"criteria-{n}-plan": plan.pk,
                f"criteria-{n}-stage": criterion.stage_id or "",
                f"criteria-{n}-name": criterion.name,
                f"criteria-{n}-max_points": str(criterion.max_points),
                f"criteria-{n}-weight": "1",
                f"criteria-{n}-position": criterion.position,
            }
        )
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_admin_refuses_stage_weights_that_do_not_add_up_to_100(client, call):
    document, presentation = two_stages(call)
    plan = call.evaluation_plan
    client.force_login(StaffFactory(is_superuser=True))
    url = reverse("admin:evaluation_evaluationplan_change", args=[plan.pk])
    criteria = list(plan.criteria.all())
    response = client.post(
        url, _plan_form(plan, [document, presentation], criteria, **{"stages-1-weight": "60"})
    )
    assert "The stages&#x27; weights add up to 90; they must add up to 100." in response.content.decode()
    assert Stage.objects.get(pk=presentation.pk).weight == 70

    response = client.post(
        url, _plan_form(plan, [document, presentation], criteria, **{"criteria-3-max_points": "20"})
    )
    assert "The criteria of the stage Presentation add up to 90 points" in response.content.decode()

    response = client.post(
        url, _plan_form(plan, [document, presentation], criteria, **{"criteria-0-stage": ""})
    )
    assert "say which stage each criterion belongs to." in response.content.decode()

    response = client.post(
        url, _plan_form(plan, [document, presentation], criteria, **{"stages-0-advance_multiple": ""})
    )
    assert "Say which multiple of the field&#x27;s places advances (e.g. 2)." in response.content.decode()

    response = client.post(
        url,
        _plan_form(
            plan, [document, presentation], criteria, **{"stages-1-weight": "75", "stages-0-weight": "25"}
        ),
    )
    assert response.status_code == 302
    assert Stage.objects.get(pk=presentation.pk).weight == 75


def test_a_plan_without_stages_is_its_own_single_stage(call):
    plan = call.evaluation_plan
    assert not plan.stages.exists()
    assert plan.criteria_problem() is None
    assert all(criterion.stage_id is None for criterion in plan.criteria.all())
