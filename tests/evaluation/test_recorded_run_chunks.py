"""A recorded selection run reads the call a chunk of applications at a time (its peak memory
stays flat with the call's size; tests/bench/recorded_memory.py measures it): its inputs' hash is
byte for byte the whole-call ``inputs_hash``, its results those of the whole-list definition
(every review scored and ranked in Python), and a ranking that read other scores than those it
checked and hashed is refused."""

import functools
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competitions.lifecycle import TransitionRefused
from evaluation import score_sheets, selection_runs
from evaluation.generate import generate
from evaluation.models import BonusAward, BonusRule, Criterion, EvaluationPlan, ScoreSheet, SelectionRun
from evaluation.score_sheets import SheetTally, candidates_for, scoring_plan
from evaluation.scoring import TIE_BREAKS
from evaluation.selection import InputsDigest, inputs_hash, select
from projects.bulk import insert_rows
from projects.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(call, staff):
    return generate(call, count=45, reviewers=9, seed=19, by=staff)


def definition(call):
    """(results, hash) of the whole-list path: every candidate read at once, scored, ranked and
    walked in Python, and hashed as one text."""
    plan = EvaluationPlan.objects.get(call=call)
    scoring = scoring_plan(plan, list(plan.criteria.all()))
    candidates = candidates_for(call, scoring)
    quotas = selection_runs.quotas_for(call, plan)
    return select(candidates, scoring, quotas), inputs_hash(candidates, scoring, quotas)


def vary_the_plan(call, rng):
    """A random plan: method, tie-break order, maybe a threshold, maybe bonuses granted."""
    EvaluationPlan.objects.filter(call=call).update(
        aggregation=rng.choice(["trimmed_mean", "mean", "median"]),
        tie_breaks=rng.sample(TIE_BREAKS, rng.randint(0, len(TIE_BREAKS))),
    )
    if rng.random() < 0.5:
        criterion = rng.choice(list(Criterion.objects.filter(plan__call=call).order_by("pk")))
        criterion.threshold = criterion.max_points * Decimal("0.7")
        criterion.save()
    rule = BonusRule.objects.filter(plan__call=call).order_by("pk").first()
    for application in rng.sample(list(Application.objects.filter(call=call).order_by("pk")), 5):
        BonusAward.objects.get_or_create(
            application=application, rule=rule, defaults={"evidence": "certificate", "granted_by": None}
        )
    ScoreSheet.objects.update(plan_fingerprint="")  # stale: the run's check rewrites them


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("chunk", [7, 45, 1000])  # several chunks (the last one short), one, one
def test_a_recorded_run_in_chunks_gives_the_whole_list_results_and_hash(
    call, staff, scored, monkeypatch, seed, chunk
):
    monkeypatch.setattr(score_sheets, "CHUNK", chunk)
    # Results inserted 10 at a time: written while the ranking's cursor is still being read.
    monkeypatch.setattr(selection_runs, "insert_rows", functools.partial(insert_rows, batch_size=10))
    vary_the_plan(call, random.Random(seed))
    run, results = selection_runs.run_selection(call, by=staff)
    expected, digest = definition(call)
    assert run.inputs_hash == digest
    assert results == expected and len(results) == len(expected) == 45
    assert [r.application_id for r in results] == list(
        run.results.order_by("pk").values_list("application_id", flat=True)
    )
    assert {r.outcome for r in expected} >= {"selected", "below_cutoff"}
    selection_runs.confirm_run(run, by=staff)  # its own hash again, read in chunks


def test_the_streamed_digest_is_the_whole_texts_digest_for_any_chunking(call, staff, scored):
    plan = EvaluationPlan.objects.get(call=call)
    scoring = scoring_plan(plan, list(plan.criteria.all()))
    quotas = selection_runs.quotas_for(call, plan)
    candidates = sorted(candidates_for(call, scoring), key=lambda c: c.application_id)
    rng = random.Random(5)
    for _ in range(5):
        digest, start = InputsDigest(), 0
        while start < len(candidates):
            end = start + rng.randint(0, 9)  # empty chunks too
            digest.add(candidates[start:end])
            start = end
        assert digest.hexdigest(scoring, quotas) == inputs_hash(candidates[::-1], scoring, quotas)
    assert InputsDigest().hexdigest(scoring, quotas) == inputs_hash([], scoring, quotas)
    with pytest.raises(ValueError, match="increasing application-id order"):
        InputsDigest().add([candidates[1], candidates[0]])


def test_the_run_reads_the_reviews_a_chunk_at_a_time(call, staff, scored, monkeypatch):
    monkeypatch.setattr(score_sheets, "CHUNK", 10)
    with CaptureQueriesContext(connection) as queries:
        selection_runs.run_selection(call, by=staff)
    reviews = [q["sql"] for q in queries.captured_queries if "FROM evaluation_review r" in q["sql"]]
    assert len(reviews) == 5  # 45 applications, 10 a chunk
    assert all(" BETWEEN " in sql for sql in reviews)


def test_a_ranking_that_read_other_scores_than_it_checked_is_refused(call, staff, scored, monkeypatch):
    checked_inputs_hash = selection_runs.checked_inputs_hash

    def then_a_sheet_changes(call, settings, tally=None):
        digest = checked_inputs_hash(call, settings, tally)
        # A bonus granted and its sheet rewritten by another worker's preview, after the check.
        ScoreSheet.objects.filter(application=scored[3]).update(bonus=Decimal("0.50"))
        return digest

    monkeypatch.setattr(selection_runs, "checked_inputs_hash", then_a_sheet_changes)
    with pytest.raises(TransitionRefused, match="Scores changed while the selection ran"):
        selection_runs.run_selection(call, by=staff)
    assert not SelectionRun.objects.filter(call=call).exists()


def test_a_stale_sheet_met_while_ranking_refuses_the_run(call, staff, scored, monkeypatch):
    checked_inputs_hash = selection_runs.checked_inputs_hash

    def then_a_sheet_goes_stale(call, settings, tally=None):
        digest = checked_inputs_hash(call, settings, tally)
        score_sheets.mark_stale([scored[0].pk])
        return digest

    monkeypatch.setattr(selection_runs, "checked_inputs_hash", then_a_sheet_goes_stale)
    with pytest.raises(TransitionRefused):
        selection_runs.run_selection(call, by=staff)
    assert not SelectionRun.objects.filter(call=call).exists()


def test_a_tally_counts_each_sheet_whatever_the_order():
    one, other = SheetTally(), SheetTally()
    rows = [
        (pk, Decimal("80.00") + pk, Decimal("1.00"), Decimal("81.00") + pk, pk % 2 == 0) for pk in range(50)
    ]
    for row in rows:
        one.add(*row)
    for row in reversed(rows):
        other.add(*row)
    assert one == other
    other.add(99, None, Decimal("0.00"), None, True)
    assert one != other
