"""The ranking page (a fresh preview, and the next page of a kept one) within the staff-page
budget of 15 queries (DESIGN.md §5, issue 19) whatever the call's size."""

import re

import pytest
from django.urls import reverse

from evaluation import selection_runs, views
from evaluation.generate import generate
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
