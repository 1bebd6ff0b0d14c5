"""Score sheets are computed by the database (``evaluation.score_sheets._sheets_sql``, one
statement, so that a plan's scoring change is previewed at once); the rule book's definition is
``evaluation.scoring.score`` over every review read into Python (what a recorded run uses). On
random review sets — ties on every value, fewer reviews than the trimming needs or none at all,
drafts, recusals and earlier rounds replaced after an upheld objection, missing points for the
top or a thresholded criterion, bonus points over the cap, every aggregation method — the sheet
the database writes is the one the definition computes (``check_sheets`` compares every field
and finds nothing to rewrite)."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.generate import generate
from evaluation.models import Assignment, BonusAward, BonusRule, Criterion, EvaluationPlan, Review, Score
from evaluation.score_sheets import check_sheets, scoring_plan, write_sheets
from evaluation.scoring import AGGREGATIONS

pytestmark = pytest.mark.django_db

VALUES = [Decimal(v) for v in ("0.00", "59.99", "70.00", "70.01", "71.33", "72.67", "85.50", "100.00")]
POINTS = [Decimal(v) for v in ("0.00", "10.25", "12.50", "12.75", "20.00")]

review = st.fixed_dictionaries(
    {
        "total": st.sampled_from(VALUES),
        "top": st.one_of(st.none(), st.sampled_from(POINTS)),  # None: no points for it
        "second": st.one_of(st.none(), st.sampled_from(POINTS)),
        # Only a submitted review of an active assignment counts.
        "state": st.sampled_from(["counted", "counted", "counted", "draft", "recused", "past"]),
    }
)
application = st.fixed_dictionaries(
    {
        "reviews": st.lists(review, min_size=5, max_size=5),
        "bonus": st.lists(st.booleans(), min_size=3, max_size=3),
    }
)
plan_settings = st.fixed_dictionaries(
    {
        "aggregation": st.sampled_from(AGGREGATIONS),
        "trim_at": st.sampled_from([3, 4, 5]),
        "cutoff": st.sampled_from([Decimal("0.00"), Decimal("70.00"), Decimal("71.33")]),
        "bonus_cap": st.sampled_from([Decimal("0.00"), Decimal("2.50"), Decimal("5.00")]),
        "threshold": st.one_of(st.none(), st.sampled_from(POINTS)),  # on the second criterion
        "top_threshold": st.one_of(st.none(), st.sampled_from(POINTS)),
    }
)


@pytest.fixture
def reviewed(call, staff):
    generate(call, count=8, reviewers=8, seed=3, by=staff)
    plan = EvaluationPlan.objects.get(call=call)
    rules = [
        BonusRule.objects.create(plan=plan, code=f"b{n}", points=Decimal(p))
        for n, p in enumerate(("1.25", "2.00", "3.00"))
    ]
    applications = {}
    for r in Review.objects.filter(application__call=call).select_related("assignment").order_by("pk"):
        applications.setdefault(r.application_id, []).append(r)
    return plan, rules, [reviews for reviews in applications.values() if len(reviews) == 5]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=st.tuples(st.lists(application, min_size=6, max_size=6), plan_settings))
def test_the_sql_sheets_are_the_python_definition(call, reviewed, example):
    plan, rules, applications = reviewed
    values, chosen = example
    criteria = list(Criterion.objects.filter(plan=plan))
    top = plan.top_criterion(criteria)
    second = next(c for c in criteria if c.pk != top.pk)
    Criterion.objects.filter(plan=plan).update(threshold=None)
    Criterion.objects.filter(pk=second.pk).update(threshold=chosen["threshold"])
    Criterion.objects.filter(pk=top.pk).update(threshold=chosen["top_threshold"])
    EvaluationPlan.objects.filter(pk=plan.pk).update(
        aggregation=chosen["aggregation"],
        trim_at=chosen["trim_at"],
        cutoff=chosen["cutoff"],
        bonus_cap=chosen["bonus_cap"],
    )
    BonusAward.objects.filter(rule__in=rules).delete()
    for reviews, value in zip(applications, values, strict=False):
        for r, v in zip(reviews, value["reviews"], strict=True):
            Review.objects.filter(pk=r.pk).update(
                total=v["total"],
                state=Review.State.DRAFT if v["state"] == "draft" else Review.State.SUBMITTED,
            )
            Assignment.objects.filter(pk=r.assignment_id).update(
                state={"recused": Assignment.State.RECUSED, "past": Assignment.State.PAST}.get(
                    v["state"], Assignment.State.ACTIVE
                )
            )
            for criterion, points in ((top, v["top"]), (second, v["second"])):
                Score.objects.filter(review=r, criterion=criterion).delete()
                if points is not None:
                    Score.objects.create(review=r, criterion=criterion, points=points)
        for rule, granted in zip(rules, value["bonus"], strict=True):
            if granted:
                BonusAward.objects.create(application_id=reviews[0].application_id, rule=rule)
    plan.refresh_from_db()
    criteria = list(Criterion.objects.filter(plan=plan))
    scoring = scoring_plan(plan, criteria)
    assert write_sheets(call, plan, scoring) >= len(applications)
    assert check_sheets(call, plan, scoring) == []
