"""Staff through the API on a call in evaluation (24 generated applications, scored): the
assignments, the selection preview paged through one kept ranking, a run recorded and
confirmed through evaluation.selection_runs, and the applicant reading the published outcome."""

import pytest

from evaluation.generate import generate
from evaluation.models import SelectionRun
from projects.models import Application
from tests.evaluation.conftest import evaluation_call

from .conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_call(staff):
    call = evaluation_call("api-eval", "AE26")
    generate(call, count=24, reviewers=8, seed=11, by=staff)
    return call


def test_staff_preview_record_and_confirm_a_selection(scored_call, staff, django_assert_max_num_queries):
    client = api_client(staff)
    slug = scored_call.slug
    assignments = client.get(f"/api/v1/calls/{slug}/assignments/?page_size=200").json()
    assert assignments["count"] > 24 and all(row["reviewer"] for row in assignments["results"])

    first = client.get(f"/api/v1/calls/{slug}/selection-preview/?page_size=10")
    assert first.status_code == 200
    token = first["X-Preview-Token"]
    assert first.json()["count"] == 24 and len(first.json()["results"]) == 10
    with django_assert_max_num_queries(6):
        second = client.get(f"/api/v1/calls/{slug}/selection-preview/?page_size=10&page=2&preview={token}")
    assert second["X-Preview-Token"] == token
    ranked = first.json()["results"] + second.json()["results"]
    assert len({row["application_id"] for row in ranked}) == 20
    selected = [row for row in ranked if row["outcome"] == "selected"]
    assert 0 < len(selected) <= 4
    assert not SelectionRun.objects.filter(call=scored_call).exists()  # a preview records nothing

    recorded = client.post(f"/api/v1/calls/{slug}/runs/")
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["number"] == 1 and recorded.json()["confirmed_at"] is None
    confirmed = client.post(f"/api/v1/calls/{slug}/runs/1/confirm/", {}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["confirmed_at"] is not None
    assert client.post(f"/api/v1/calls/{slug}/runs/1/confirm/", {}, format="json").status_code == 409

    # The lead's people read the published outcome, in the words of the page.
    winner = Application.objects.get(pk=selected[0]["application_id"])
    member = winner.lead.members.first()
    if member is None:
        from tests.factories import UserFactory

        member = UserFactory()
        winner.lead.memberships.create(user=member, role="owner")
    read = api_client(member).get(f"/api/v1/applications/{winner.pk}/").json()
    assert read["state"] == "selected" and read["status"] == "Selected"


def test_a_preview_page_builds_results_for_its_rows_only(scored_call, staff, monkeypatch):
    """The API pages the kept rows as they are: what it returns is the preview's results in
    order, and the 24 Results of the whole preview are never built for a page of 10."""
    from evaluation import selection_runs

    client = api_client(staff)
    slug = scored_call.slug
    token = client.get(f"/api/v1/calls/{slug}/selection-preview/?page_size=10")["X-Preview-Token"]
    kept = selection_runs.preview(scored_call, by=staff, token=token)
    expected = [result._asdict() for result in kept.results[10:20]]

    def whole(self):
        raise AssertionError("the whole preview's Results were built for one page")

    monkeypatch.setattr(selection_runs.Preview, "results", property(whole))
    second = client.get(f"/api/v1/calls/{slug}/selection-preview/?page_size=10&page=2&preview={token}").json()
    assert [row["application_id"] for row in second["results"]] == [r["application_id"] for r in expected]
    assert [row["outcome"] for row in second["results"]] == [str(r["outcome"]) for r in expected]
    assert second["count"] == len(kept.rows) == 24
