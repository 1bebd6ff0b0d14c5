"""The ranking page (a fresh preview, and the next page of a kept one) within the staff-page
budget of 15 queries (DESIGN.md §5, issue 19) whatever the call's size."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from evaluation import score_sheets, selection_runs, views
from evaluation.generate import generate
from evaluation.models import BonusAward, BonusRule, EvaluationPlan, RankingChange, ScoreSheet
from evaluation.score_sheets import CONSIDERED_STATES
from projects.models import Application
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [3, 30])
def test_ranking_page_queries_are_constant(
    client, role_groups, call, staff, count, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 2)  # so that there is a next page at 3
    generate(call, count=count, reviewers=8, seed=count, by=staff)
    selection_runs.run_selection(call, by=staff)  # a recorded, unconfirmed run: the page reconciles it
    client.force_login(StaffFactory())
    url = reverse("evaluation:selection", args=[call.slug])
    with django_assert_max_num_queries(15):
        fresh = client.get(url)
    assert fresh.context["total_count"] == count
    token = re.search(r"preview=([0-9a-f]{32})", fresh.content.decode()).group(1)
    with django_assert_max_num_queries(15):
        kept = client.get(f"{url}?preview={token}&page=2")
    assert kept.context["preview"].token == token
    assert kept.context["page"].number == 2


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("change", ["review completed", "bonus granted", "whole call"])
def test_ranking_page_after_a_change_stays_within_the_budget(
    client, role_groups, call, staff, count, change, django_assert_max_num_queries
):
    """After a change the new preview places the changed application in the kept ranking (or,
    after a change of the whole call, ranks it again): still at most 15 queries, and the new
    results."""
    cache.clear()
    generate(call, count=count, reviewers=8, seed=count, by=staff)
    client.force_login(StaffFactory())
    url = reverse("evaluation:selection", args=[call.slug])
    before = client.get(url).context["preview"]
    application = Application.objects.filter(call=call, state__in=CONSIDERED_STATES).order_by("pk").last()
    plan = EvaluationPlan.objects.get(call=call)
    if change == "review completed":
        ScoreSheet.objects.filter(application=application).update(final_score=0)  # a stale value
        score_sheets.write_sheets(
            call, plan, score_sheets.scoring_plan(plan, list(plan.criteria.all())), [application.pk]
        )
    elif change == "bonus granted":
        rule = BonusRule.objects.filter(plan=plan).exclude(awards__application=application).first()
        BonusAward.objects.create(
            application=application, rule=rule, evidence="certificate", granted_by=staff
        )
    else:
        RankingChange.record_for_calls([call.pk])
    with django_assert_max_num_queries(15):
        after = client.get(url).context["preview"]
    assert after.token != before.token
    results, _digest, _parameters = selection_runs.compute(call, with_hash=True)
    assert after.results == results
