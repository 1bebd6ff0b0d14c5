"""Demo evaluation plans (shared/reference/calls_2022.md, "Demo configuration") and the demo
reviewer's profile and panel."""

from .generate import DEFAULT_CRITERIA
from .models import BonusRule, Criterion, EvaluationPlan, Panel, Reviewer

CHALLENGE_CRITERIA = [
    ("Innovation", "혁신성", 25),
    ("Benefit felt by citizens", "시민 체감도", 25),
    ("Feasibility", "실현 가능성", 20),
    ("Governance", "거버넌스", 15),
    ("Potential to spread", "확산 가능성", 15),
]
PLANS = {
    "pilot-city-2022": (
        DEFAULT_CRITERIA,
        [
            ("sme-lead", "SME lead", "중소기업 주관", 1),
            (
                "non-capital",
                "Test bed or lead outside the capital region",
                "비수도권 실증지 또는 주관기관",
                1,
            ),
            ("women-owned", "Women-owned business", "여성기업", 1),
        ],
    ),
    "innovation-tech-2022": (
        [
            ("Innovation", "혁신성", 30),
            ("Demonstration plan", "실증 계획", 25),
            ("Citizen participation", "시민 참여", 20),
            ("Feasibility", "실현 가능성", 15),
            ("Team", "수행 역량", 10),
        ],
        [("citizen-panel", "Living lab with a citizen panel", "시민 패널 리빙랩", 2)],
    ),
    "challenge-2022-preliminary": (CHALLENGE_CRITERIA, []),
    "challenge-2022-main": (CHALLENGE_CRITERIA, []),
}
PLANS["pilot-city-demo"] = PLANS["pilot-city-2022"]
PLANS["pilot-city-review-demo"] = PLANS["pilot-city-2022"]


def seed_plan(call, criteria, bonuses):
    """The call's evaluation plan with the demo's criteria and bonus rules (idempotent)."""
    plan, _created = EvaluationPlan.objects.get_or_create(call=call)
    for position, (name, name_ko, points) in enumerate(criteria):
        Criterion.objects.update_or_create(
            plan=plan,
            name=name,
            defaults={"name_ko": name_ko, "max_points": points, "position": position},
        )
    for code, label, label_ko, points in bonuses:
        BonusRule.objects.update_or_create(
            plan=plan, code=code, defaults={"label": label, "label_ko": label_ko, "points": points}
        )
    return plan


def seed_demo_evaluation(calls, reviewer_user):
    for slug, (criteria, bonuses) in PLANS.items():
        seed_plan(calls[slug], criteria, bonuses)
    reviewer, _created = Reviewer.objects.get_or_create(user=reviewer_user, defaults={"code": "R-DEMO"})
    panel, _created = Panel.objects.get_or_create(
        call=calls["pilot-city-demo"],
        track=None,
        service_field=None,
        defaults={"name": "시연 평가위원회 (Demo panel)"},
    )
    panel.reviewers.add(reviewer)
    return reviewer


def seed_demo_journeys(calls, *, staff, reviewer):
    """The evaluated calls (evaluation.demo_journey), each walked once: the 2022 pilot call and
    the innovation-technology call's living-lab track to their published results, the demo call
    in evaluation to the demo reviewer's waiting reviews. Returns the slugs walked now."""
    from .demo_journey import (
        INNOVATION_2022_JOURNEY,
        PILOT_2022_JOURNEY,
        REVIEW_DEMO_JOURNEY,
        run_staged_call,
    )

    walked = []
    journeys = ((PILOT_2022_JOURNEY, True), (INNOVATION_2022_JOURNEY, True), (REVIEW_DEMO_JOURNEY, False))
    for journey, publish in journeys:
        call = calls[journey.slug]
        if call.applications.exists():
            continue
        run_staged_call(
            call,
            journey,
            staff=staff,
            demo_reviewer=reviewer,
            document_criteria=PLANS[journey.slug][0],
            publish=publish,
        )
        walked.append(journey.slug)
    return walked
