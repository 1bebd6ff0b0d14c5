"""Selection runs on the database: recorded, reproducible, published through the workflow;
decline promotes the right reserve; objections re-review without the original reviewers."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from competitions.lifecycle import TransitionRefused
from competitions.models import Call, CallState
from evaluation import objections, score_sheets, selection_runs
from evaluation.generate import generate
from evaluation.models import Assignment, BonusAward, Objection, SelectionRun
from projects.models import Application, ApplicationState, Membership
from tests.evaluation.test_kept_ranking import SQLITE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(call, staff):
    return generate(call, count=24, reviewers=8, seed=11, by=staff)


def states():
    return dict(Application.objects.values_list("reference", "state"))


def test_a_run_is_recorded_with_every_outcome_within_the_maxima(call, staff, scored):
    run, results = selection_runs.run_selection(call, by=staff)
    assert run.number == 1 and len(run.inputs_hash) == 64
    assert run.results.count() == len(results) == 24
    selected = [r for r in results if r.outcome == "selected"]
    assert len(selected) <= call.max_awards
    for field in call.service_fields.all():
        assert sum(r.field_id == field.pk for r in selected) <= field.max_awards
    assert sum(r.requested_subsidy for r in selected) <= call.budget_total
    assert {r.reason for r in results} <= {
        "selected",
        "field_quota_full",
        "track_quota_full",
        "call_quota_full",
        "budget_exhausted",
        "below_cutoff",
    }


def test_a_dry_run_records_nothing(call, staff, scored):
    run, results = selection_runs.run_selection(call, by=staff, dry_run=True)
    assert run is None and len(results) == 24
    assert not SelectionRun.objects.exists()


def test_runs_are_reproducible(call, staff, scored):
    first, first_results = selection_runs.run_selection(call, by=staff)
    second, second_results = selection_runs.run_selection(call, by=staff)
    assert (second.number, second.inputs_hash) == (2, first.inputs_hash)
    assert [(r.reference, r.outcome, r.reason, r.rank) for r in first_results] == [
        (r.reference, r.outcome, r.reason, r.rank) for r in second_results
    ]


def test_confirm_publishes_the_outcomes(call, staff, scored):
    run, results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    now = states()
    for result in results:
        expected = {"selected": "selected", "reserve": "reserve"}.get(result.outcome, "not_selected")
        assert now[result.reference] == expected
    assert not Application.objects.filter(call=call, notified_at__isnull=True).exists()
    assert Call.objects.get(pk=call.pk).state == CallState.RESULTS_PUBLISHED
    with pytest.raises(TransitionRefused):
        selection_runs.confirm_run(run, by=staff)  # already confirmed


def test_confirm_is_refused_when_inputs_changed(call, staff, scored):
    run, _results = selection_runs.run_selection(call, by=staff)
    plan = call.evaluation_plan
    BonusAward.objects.create(
        application=scored[0],
        rule=plan.bonus_rules.exclude(awards__application=scored[0]).first() or plan.bonus_rules.first(),
        evidence="late",
    )
    with pytest.raises(TransitionRefused) as refused:
        selection_runs.confirm_run(run, by=staff)
    assert refused.value.reasons == ["Scores or settings changed since this run; run the selection again."]
    assert set(states().values()) == {"scored"}


def test_decline_promotes_the_best_reserve_that_fits(call, staff, scored):
    run, results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    selected = next(r for r in results if r.outcome == "selected")
    field_reserves = [r for r in results if r.outcome == "reserve" and r.field_id == selected.field_id]
    declining = Application.objects.get(pk=selected.application_id)
    owner = UserFactory()
    Membership.objects.create(user=owner, organisation=declining.lead, role="owner")
    promoted = selection_runs.decline(declining, by=owner, reason="We cannot start this year.")
    assert states()[declining.reference] == ApplicationState.DECLINED
    # Every field is full, so only the reserve of the declined one's field fits.
    assert promoted is not None and promoted.pk == field_reserves[0].application_id
    assert promoted.state == ApplicationState.SELECTED


def test_objection_within_the_window_and_re_review_without_the_original_reviewers(call, staff):
    generate(call, count=24, reviewers=12, seed=11, by=staff)
    run, results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    loser = Application.objects.filter(call=call, state=ApplicationState.NOT_SELECTED).first()
    owner = UserFactory()
    Membership.objects.create(user=owner, organisation=loser.lead, role="owner")
    late = loser.notified_at + timedelta(days=10, seconds=1)
    with pytest.raises(TransitionRefused) as refused:
        objections.file_objection(loser, by=owner, grounds="Scores ignore our pilot results.", now=late)
    assert refused.value.reasons[0].startswith("The objection period ended at ")
    objection = objections.file_objection(loser, by=owner, grounds="Scores ignore our pilot results.")
    original = set(Assignment.objects.filter(application=loser).values_list("reviewer_id", flat=True))
    objections.decide_objection(objection, by=staff, uphold=True, decision="A second panel reviews it.")
    assert Objection.objects.get(pk=objection.pk).state == Objection.State.UPHELD
    assert states()[loser.reference] == ApplicationState.UNDER_REVIEW
    active = set(
        Assignment.objects.filter(application=loser, state="active").values_list("reviewer_id", flat=True)
    )
    assert len(active) == 5
    assert not active & original


def test_objections_only_against_not_selected_or_ineligible(call, staff, scored):
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    winner = Application.objects.filter(call=call, state=ApplicationState.SELECTED).first()
    owner = UserFactory()
    Membership.objects.create(user=owner, organisation=winner.lead, role="owner")
    with pytest.raises(TransitionRefused):
        objections.file_objection(winner, by=owner, grounds="x")


def test_run_selection_command_prints_json(call, staff, scored):
    out = StringIO()
    call_command("run_selection", call.slug, "--dry-run", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["call"] == call.slug and data["run"] is None
    assert len(data["results"]) == 24
    first = data["results"][0]
    assert set(first) == {
        "reference",
        "field",
        "track",
        "evaluation_score",
        "bonus",
        "final_score",
        "rank",
        "outcome",
        "reason",
        "requested_subsidy",
    }
    assert first["rank"] == 1 and first["track"] == "SME-led"
    assert not SelectionRun.objects.exists()
    call_command("run_selection", call.slug, "--confirm", stdout=StringIO())
    assert SelectionRun.objects.get().confirmed_at is not None


def test_generate_is_deterministic_for_a_seed(call, staff, db):
    from tests.factories import CallFactory, ServiceFieldFactory, TrackFactory

    twin = CallFactory(
        slug="pilot-twin",
        reference_prefix="PE26",
        max_awards=4,
        closes_at=call.closes_at,
        opens_at=call.opens_at,
        state=CallState.EVALUATION,  # reviewers are assigned in evaluation
    )
    TrackFactory(call=twin, name="SME-led", max_awards=4)
    ServiceFieldFactory(call=twin, name="Mobility", max_awards=2)
    ServiceFieldFactory(call=twin, name="Safety", max_awards=2)
    a = generate(call, count=10, reviewers=6, seed=5, by=staff)
    b = generate(twin, count=10, reviewers=6, seed=5, by=staff)

    def shape(applications):
        rows = Application.objects.filter(pk__in=[x.pk for x in applications]).order_by("reference")
        return [(x.reference, x.requested_subsidy, sorted(r.total for r in x.reviews.all())) for x in rows]

    assert shape(a) == shape(b)


def test_staff_selection_page_shows_reasons_and_chart(client, call, staff, scored):
    client.force_login(staff)
    page = client.get(reverse("evaluation:selection", args=[call.slug])).content.decode()
    assert "<svg" in page and "Places filled per service field against its maximum" in page
    assert "Mobility" in page and "/ 2" in page
    assert (
        "Its service field is full" in page
        or "The call&#x27;s maximum number of awards is reached" in page
        or "Selected within every maximum" in page
    )
    client.post(reverse("evaluation:selection", args=[call.slug]), {"action": "run"})
    client.post(reverse("evaluation:selection", args=[call.slug]), {"action": "confirm", "run": "1"})
    assert SelectionRun.objects.get().confirmed_at is not None


def test_applicant_sees_selected(client, call, staff, scored):
    run, _results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    winner = Application.objects.filter(call=call, state=ApplicationState.SELECTED).first()
    owner = UserFactory()
    Membership.objects.create(user=owner, organisation=winner.lead, role="owner")
    client.force_login(owner)
    page = client.get(reverse("projects:application_detail", args=[winner.pk])).content.decode()
    assert "Selected" in page and "Decline the award" in page


def test_a_plan_whose_criteria_do_not_add_up_to_100_is_refused(call, staff, scored):
    from evaluation.models import Criterion

    Criterion.objects.filter(plan__call=call, name="Team capability").update(max_points=5)
    with pytest.raises(TransitionRefused) as refused:
        selection_runs.run_selection(call, by=staff)
    assert refused.value.reasons == [
        "The criteria's maximum points (times their weights) add up to 95; they must add up to 100."
    ]
    assert not SelectionRun.objects.exists()


def _plan_admin_form(plan, first_max_points=None, **fields):
    """What the plan's admin change form posts: its settings (``fields`` changed) and its criteria
    as they are (the first one's maximum points changed, when given)."""
    from django.forms.models import model_to_dict

    criteria = list(plan.criteria.all())
    settings = {name: value for name, value in model_to_dict(plan).items() if value is not None}
    data = {
        **settings,
        "tie_breaks": json.dumps(plan.tie_breaks),
        "stages-TOTAL_FORMS": 0,
        "stages-INITIAL_FORMS": 0,
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
        "criteria-TOTAL_FORMS": len(criteria),
        "criteria-INITIAL_FORMS": len(criteria),
        "criteria-MIN_NUM_FORMS": 0,
        "criteria-MAX_NUM_FORMS": 1000,
        "bonus_rules-TOTAL_FORMS": 0,
        "bonus_rules-INITIAL_FORMS": 0,
        "bonus_rules-MIN_NUM_FORMS": 0,
        "bonus_rules-MAX_NUM_FORMS": 1000,
        **fields,
    }
    for n, criterion in enumerate(criteria):
        max_points = first_max_points if n == 0 and first_max_points is not None else criterion.max_points
        data.update(
            {
                f"criteria-{n}-id": criterion.pk,
                f"criteria-{n}-plan": plan.pk,
                f"criteria-{n}-name": criterion.name,
                f"criteria-{n}-max_points": str(max_points),
                f"criteria-{n}-weight": "1",
                f"criteria-{n}-position": n,
            }
        )
    return data


def test_the_admin_refuses_criteria_that_do_not_add_up_to_100(client, call, role_groups):
    from evaluation.models import Criterion
    from tests.factories import StaffFactory

    admin = StaffFactory(is_superuser=True)
    client.force_login(admin)
    plan = call.evaluation_plan
    criteria = list(plan.criteria.all())
    data = _plan_admin_form(plan, first_max_points="10")
    response = client.post(reverse("admin:evaluation_evaluationplan_change", args=[plan.pk]), data)
    assert "add up to 80; they must add up to 100." in response.content.decode()
    assert Criterion.objects.get(pk=criteria[0].pk).max_points == 30


@SQLITE  # PostgreSQL folds a change at the commit: tests/postgres saves the plan committed
def test_a_scoring_change_saved_in_the_admin_is_ranked_ahead_once_it_commits(
    client, call, scored, django_capture_on_commit_callbacks
):
    """Not waiting for the beat's minute: the saved plan's call is ranked by a worker (here, the
    eager task) after the commit, so the next preview reads the ranking kept."""
    from django.core.cache import cache

    from evaluation import kept_ranking
    from evaluation.models import EvaluationPlan
    from tests.factories import StaffFactory

    cache.clear()
    admin = StaffFactory(is_superuser=True)
    client.force_login(admin)
    plan = call.evaluation_plan
    url = reverse("admin:evaluation_evaluationplan_change", args=[plan.pk])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, _plan_admin_form(plan, bonus_cap="3"))
    assert response.status_code == 302, [str(e) for e in response.context["errors"]]
    assert EvaluationPlan.objects.get(pk=plan.pk).bonus_cap == 3
    assert callbacks
    settings = selection_runs.settings_of(call)
    inputs = kept_ranking.inputs_of(call, settings.plan, settings.scoring)
    assert not kept_ranking.ranks_afresh(inputs)
    assert inputs.one_sheet_under == inputs.fingerprint  # the sheets were written under the new cap
    assert kept_ranking.kept_ranked(call, settings.plan, settings.scoring, inputs) == score_sheets.ranked(
        call, settings.plan, settings.scoring
    )


def test_the_ranking_page_shows_fifty_rows_a_page_with_constant_queries(
    client, call, staff, django_assert_max_num_queries
):
    def body(response):
        return response.content.decode().split("<tbody>")[1].split("</tbody>")[0]

    generate(call, count=12, reviewers=8, seed=5, by=staff)
    client.force_login(staff)
    url = reverse("evaluation:selection", args=[call.slug])
    with django_assert_max_num_queries(15) as small:
        client.get(url)
    generate(call, count=60, reviewers=8, seed=6, by=staff)
    considered = Application.objects.filter(call=call, state=ApplicationState.SCORED).count()
    assert considered > 50
    with django_assert_max_num_queries(15) as large:
        first = client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert body(first).count('<th scope="row">') == 50
    assert body(client.get(url, {"page": 2})).count('<th scope="row">') == considered - 50
    selected = body(client.get(url, {"outcome": "selected"}))
    assert 0 < selected.count('<th scope="row">') == selected.count("bg-light-success")
    assert "bg-light-danger" not in selected and "bg-light-gray" not in selected


def test_paging_keeps_one_preview_until_staff_ask_for_a_fresh_one(client, call, staff):
    import re

    generate(call, count=12, reviewers=8, seed=5, by=staff)
    client.force_login(staff)
    url = reverse("evaluation:selection", args=[call.slug])
    first = client.get(url).content.decode()
    token = re.search(r"preview=([0-9a-f]{32})", first).group(1)
    assert "This preview was computed at" in first and "All (12)" in first
    generate(call, count=6, reviewers=8, seed=6, by=staff)  # new scored applications arrive
    kept = client.get(url, {"preview": token, "outcome": "selected"}).content.decode()
    assert "All (12)" in kept and f"preview={token}" in kept
    fresh = client.get(url).content.decode()
    assert "All (18)" in fresh and f"preview={token}" not in fresh
    # A token from another call, or a made-up one, gives a fresh preview of this call.
    assert "All (18)" in client.get(url, {"preview": "0" * 32}).content.decode()


def test_a_preview_token_of_another_form_is_never_looked_up(call, staff, monkeypatch):
    """Only what preview() hands out (32 hex digits) is a cache key: a token with control
    characters or of any other length gives a fresh preview without touching the cache."""
    from django.core.cache import cache

    from evaluation import selection_runs

    generate(call, count=4, reviewers=8, seed=7, by=staff)
    looked_up = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: looked_up.append(key) or real_get(key, *a, **k))
    for token in ["\x1d𮑓", "abc", "A" * 32, "0" * 33]:
        fresh = selection_runs.preview(call, by=staff, token=token)
        assert fresh.token != token and len(fresh.results) == 4
        # Only the current preview's key (a key merely containing "abc", a fingerprint, is no
        # lookup of the token).
        assert not [key for key in looked_up if key.endswith(f":{token}")]
    looked_up.clear()
    kept = selection_runs.preview(call, by=staff, token=fresh.token)
    assert kept.token == fresh.token and looked_up == [selection_runs._preview_key(call, fresh.token)]


def test_a_kept_preview_pickles_plain_tuples_and_reads_back_the_same_results(call, staff):
    """A preview keeps 20,000 results in the cache: as plain tuples (a NamedTuple would name its
    class in every one), read back as the same Results."""
    import pickle

    from evaluation import selection_runs
    from evaluation.selection import Result

    generate(call, count=6, reviewers=8, seed=3, by=staff)
    preview = selection_runs.preview(call, by=staff)
    assert preview.results and all(type(row) is tuple for row in preview.rows)
    blob = pickle.dumps(preview, pickle.HIGHEST_PROTOCOL)
    assert b"Result" not in blob
    again = pickle.loads(blob)
    assert again.results == preview.results and all(type(r) is Result for r in again.results)
    assert again.results[0].outcome == preview.results[0].outcome
