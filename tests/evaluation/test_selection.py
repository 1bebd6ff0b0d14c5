"""Selection within quotas and budget (DESIGN.md §3 "Selection"): outcomes, reasons, reserves,
reproducibility and promotion after a decline."""

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from evaluation.scoring import Candidate, ScoringPlan
from evaluation.selection import (
    Outcome,
    Quotas,
    Reason,
    Result,
    canonical_inputs,
    inputs_hash,
    promote_after_decline,
    select,
)

D = Decimal
M = 1_000_000  # KRW
PLAN = ScoringPlan()
SKIP_REASONS = (
    Reason.FIELD_QUOTA_FULL,
    Reason.TRACK_QUOTA_FULL,
    Reason.CALL_QUOTA_FULL,
    Reason.BUDGET_EXHAUSTED,
)


def cand(application_id, total, field=1, track=1, subsidy=100, **overrides):
    """A candidate whose evaluation score is ``total`` (three equal reviews)."""
    fields = {
        "application_id": application_id,
        "reference": f"PC22-{application_id:04d}",
        "track_id": track,
        "field_id": field,
        "requested_subsidy": subsidy * M,
        "reviewer_totals": (D(str(total)),) * 3 if total is not None else (),
    }
    fields.update(overrides)
    return Candidate(**fields)


def quotas(call_max=100, budget=10_000, track_max=None, field_max=None, reserve_per_field=1):
    return Quotas(
        call_max=call_max,
        budget=budget * M,
        track_max=track_max or {},
        field_max=field_max or {},
        reserve_per_field=reserve_per_field,
    )


def by_id(results):
    return {r.application_id: r for r in results}


def outcome(results, application_id):
    r = by_id(results)[application_id]
    return r.outcome, r.reason


def replay(results: list[Result], q: Quotas) -> None:
    """Check a selection against the rules, independently of how select() computes it: walking
    the ranked results in order, every outcome and reason follows from the room left by the
    selections above it, reserves are the best skipped ones per field, and nothing exceeds a
    maximum or the budget."""
    ranked = [r for r in results if r.rank is not None]
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    assert all(r.rank is None for r in results[len(ranked) :])
    field_count, track_count, reserves = {}, {}, {}
    call_count, remaining = 0, q.budget
    for r in ranked:
        if (
            q.field_max.get(r.field_id) is not None
            and field_count.get(r.field_id, 0) >= q.field_max[r.field_id]
        ):
            expected = Reason.FIELD_QUOTA_FULL
        elif (
            q.track_max.get(r.track_id) is not None
            and track_count.get(r.track_id, 0) >= q.track_max[r.track_id]
        ):
            expected = Reason.TRACK_QUOTA_FULL
        elif call_count >= q.call_max:
            expected = Reason.CALL_QUOTA_FULL
        elif r.requested_subsidy > remaining:
            expected = Reason.BUDGET_EXHAUSTED
        else:
            expected = Reason.SELECTED
        assert r.reason == expected, r
        if expected == Reason.SELECTED:
            assert r.outcome == Outcome.SELECTED
            field_count[r.field_id] = field_count.get(r.field_id, 0) + 1
            track_count[r.track_id] = track_count.get(r.track_id, 0) + 1
            call_count += 1
            remaining -= r.requested_subsidy
        else:
            held = reserves.get(r.field_id, 0)
            assert r.outcome == (Outcome.RESERVE if held < q.reserve_per_field else Outcome.NOT_SELECTED), r
            reserves[r.field_id] = held + 1
    for r in results[len(ranked) :]:
        assert (r.outcome, r.reason) == (Outcome.BELOW_CUTOFF, Reason.BELOW_CUTOFF)
    assert_within_quotas(results, q)


def assert_within_quotas(results, q: Quotas) -> None:
    selected = [r for r in results if r.outcome == Outcome.SELECTED]
    assert len(selected) <= q.call_max
    assert sum(r.requested_subsidy for r in selected) <= q.budget
    for field_id, maximum in q.field_max.items():
        assert sum(1 for r in selected if r.field_id == field_id) <= maximum
    for track_id, maximum in q.track_max.items():
        assert sum(1 for r in selected if r.track_id == track_id) <= maximum


# -- Skip reasons: the first constraint that failed ---------------------------------------------


def test_field_quota_full_comes_first():
    # The second fails every constraint at once: field, track, call and budget.
    q = quotas(call_max=1, budget=100, track_max={1: 1}, field_max={1: 1})
    results = select([cand(1, 90), cand(2, 85)], PLAN, q)
    assert outcome(results, 1) == (Outcome.SELECTED, Reason.SELECTED)
    assert outcome(results, 2) == (Outcome.RESERVE, Reason.FIELD_QUOTA_FULL)
    replay(results, q)


def test_track_quota_full_when_the_field_has_room():
    q = quotas(call_max=1, budget=100, track_max={1: 1}, field_max={1: 1, 2: 1})
    results = select([cand(1, 90), cand(2, 85, field=2)], PLAN, q)
    assert outcome(results, 2) == (Outcome.RESERVE, Reason.TRACK_QUOTA_FULL)
    replay(results, q)


def test_call_quota_full_when_field_and_track_have_room():
    q = quotas(call_max=1, budget=100, track_max={1: 1, 2: 1}, field_max={1: 1, 2: 1})
    results = select([cand(1, 90), cand(2, 85, field=2, track=2)], PLAN, q)
    assert outcome(results, 2) == (Outcome.RESERVE, Reason.CALL_QUOTA_FULL)
    replay(results, q)


def test_budget_exhausted_and_the_walk_goes_on():
    q = quotas(budget=400)
    candidates = [
        cand(1, 90, subsidy=300),
        cand(2, 85, subsidy=200),
        cand(3, 80, subsidy=100),
        cand(4, 75, subsidy=1),
    ]
    results = select(candidates, PLAN, q)
    assert outcome(results, 1) == (Outcome.SELECTED, Reason.SELECTED)
    assert outcome(results, 2) == (Outcome.RESERVE, Reason.BUDGET_EXHAUSTED)
    assert outcome(results, 3) == (Outcome.SELECTED, Reason.SELECTED)  # cheaper, and it still fits
    assert outcome(results, 4) == (Outcome.NOT_SELECTED, Reason.BUDGET_EXHAUSTED)  # 0 left
    replay(results, q)


def test_the_budget_may_be_spent_exactly():
    results = select([cand(1, 90, subsidy=150), cand(2, 85, subsidy=250)], PLAN, quotas(budget=400))
    assert [r.outcome for r in results] == [Outcome.SELECTED, Outcome.SELECTED]


def test_tracks_and_fields_missing_from_the_quotas_have_no_own_maximum():
    q = quotas(call_max=3, track_max={9: 0}, field_max={9: 0})
    results = select([cand(i, 90 - i, field=i % 2, track=i % 3) for i in range(1, 6)], PLAN, q)
    assert [r.reason for r in results] == [Reason.SELECTED] * 3 + [Reason.CALL_QUOTA_FULL] * 2
    replay(results, q)


def test_a_field_with_no_places():
    q = quotas(field_max={1: 0, 2: 2})
    results = select([cand(1, 95), cand(2, 90, field=2), cand(3, 85)], PLAN, q)
    assert outcome(results, 1) == (Outcome.RESERVE, Reason.FIELD_QUOTA_FULL)
    assert outcome(results, 2) == (Outcome.SELECTED, Reason.SELECTED)
    assert outcome(results, 3) == (Outcome.NOT_SELECTED, Reason.FIELD_QUOTA_FULL)


# -- Reserves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reserve_per_field", "reserves"),
    [(1, {2, 6}), (2, {2, 3, 6, 7}), (0, set())],
)
def test_reserve_places_per_field(reserve_per_field, reserves):
    q = quotas(field_max={1: 1, 2: 1}, reserve_per_field=reserve_per_field)
    field_one = [cand(1, 95), cand(2, 90), cand(3, 85), cand(4, 80)]
    field_two = [cand(5, 93, field=2), cand(6, 88, field=2), cand(7, 83, field=2)]
    results = select(field_one + field_two, PLAN, q)
    for r in results:
        if r.application_id in (1, 5):
            assert (r.outcome, r.reason) == (Outcome.SELECTED, Reason.SELECTED)
        elif r.application_id in reserves:
            assert (r.outcome, r.reason) == (Outcome.RESERVE, Reason.FIELD_QUOTA_FULL)
        else:
            assert (r.outcome, r.reason) == (Outcome.NOT_SELECTED, Reason.FIELD_QUOTA_FULL)
    replay(results, q)


def test_reserves_keep_their_skip_reason_whatever_it_is():
    q = quotas(call_max=2, budget=250, field_max={1: 5, 2: 5, 3: 1})
    candidates = [
        cand(1, 95, field=1, subsidy=200),
        cand(2, 94, field=2, subsidy=100),  # budget: 50 left
        cand(3, 93, field=3, subsidy=50),  # fits the budget: selected (call now full)
        cand(4, 92, field=3, subsidy=10),  # field 3 is full first
        cand(5, 91, field=1, subsidy=10),  # the call is full
    ]
    results = select(candidates, PLAN, q)
    assert outcome(results, 2) == (Outcome.RESERVE, Reason.BUDGET_EXHAUSTED)
    assert outcome(results, 4) == (Outcome.RESERVE, Reason.FIELD_QUOTA_FULL)
    assert outcome(results, 5) == (Outcome.RESERVE, Reason.CALL_QUOTA_FULL)
    replay(results, q)


def test_applications_without_a_field_form_one_group():
    q = quotas(field_max={None: 1})
    results = select([cand(1, 95, field=None), cand(2, 90, field=None), cand(3, 85, field=None)], PLAN, q)
    assert [r.outcome for r in results] == [Outcome.SELECTED, Outcome.RESERVE, Outcome.NOT_SELECTED]
    assert results[2].reason == Reason.FIELD_QUOTA_FULL
    replay(results, q)


# -- Below the cutoff, ranks and order ---------------------------------------------------------


def test_below_cutoff_is_listed_after_the_ranked_ones_without_a_rank():
    candidates = [
        cand(1, 60),
        cand(2, 69.99, bonus_points=(D("5"),)),  # final 74.99, still below: the cutoff is before bonus
        cand(3, 65, reference="PC22-0900"),
        cand(4, 65, reference="PC22-0100"),
        cand(5, None),  # no reviews
        cand(6, 70.00),
        cand(7, 88),
    ]
    results = select(candidates, PLAN, quotas())
    assert [r.application_id for r in results] == [7, 6, 2, 4, 3, 1, 5]
    assert [r.rank for r in results] == [1, 2, None, None, None, None, None]
    assert [r.outcome for r in results[2:]] == [Outcome.BELOW_CUTOFF] * 5
    assert {r.reason for r in results[2:]} == {Reason.BELOW_CUTOFF}
    below = by_id(results)[2]
    assert (below.evaluation_score, below.bonus, below.final_score) == (D("69.99"), D("5.00"), D("74.99"))
    no_reviews = by_id(results)[5]
    assert no_reviews.evaluation_score is None and no_reviews.final_score is None


def test_a_result_carries_the_scores_and_the_application():
    c = cand(3, 80, field=2, track=4, subsidy=120, bonus_points=(D("2"), D("0.5")))
    (result,) = select([c], PLAN, quotas())
    assert result == Result(
        application_id=3,
        reference="PC22-0003",
        track_id=4,
        field_id=2,
        requested_subsidy=120 * M,
        evaluation_score=D("80.00"),
        bonus=D("2.50"),
        final_score=D("82.50"),
        rank=1,
        outcome="selected",
        reason="selected",
    )


def test_the_plan_settings_are_used():
    # Trimmed mean by default; the median changes who wins.
    a = cand(1, None, reviewer_totals=tuple(D(v) for v in ("95", "90", "71", "70", "70")))  # 77.00 / 71.00
    b = cand(2, 74)
    assert [r.application_id for r in select([a, b], PLAN, quotas())] == [1, 2]
    assert [r.application_id for r in select([a, b], ScoringPlan(method="median"), quotas())] == [2, 1]


def test_duplicate_application_ids_are_refused():
    with pytest.raises(ValueError, match="Duplicate"):
        select([cand(1, 80), cand(1, 90)], PLAN, quotas())
    with pytest.raises(ValueError, match="Duplicate"):
        inputs_hash([cand(1, 80), cand(1, 90)], PLAN, quotas())


def test_negative_quotas_are_refused():
    with pytest.raises(ValueError):
        quotas(call_max=-1)
    with pytest.raises(ValueError):
        quotas(field_max={1: -2})


def test_nothing_to_select():
    assert select([], PLAN, quotas()) == []


# -- The 2022 pilot-city call ------------------------------------------------------------------

PILOT_FIELDS = {1: 4, 2: 5, 3: 4, 4: 4, 5: 5}
PILOT_CALL_MAX = 14
PILOT_BUDGET = 3_790_000_000


def pilot_candidates(seed, subsidy_range=(50, 300), count=40):
    rng = random.Random(seed)
    submitted = datetime(2022, 3, 2, 9, tzinfo=UTC)
    return [
        Candidate(
            application_id=100 + i,
            reference=f"PC22-{i + 1:04d}",
            track_id=rng.choice((1, 2)),
            field_id=rng.choice(tuple(PILOT_FIELDS)),
            requested_subsidy=rng.randrange(subsidy_range[0], subsidy_range[1] + 1, 10) * M,
            reviewer_totals=tuple(D(rng.randrange(6000, 9800)) / 100 for _ in range(5)),
            criterion_points={1: tuple(D(rng.randrange(1000, 3000)) / 100 for _ in range(5))},
            bonus_points=tuple(D(p) for p in rng.sample((1, 2, 3), rng.randrange(0, 3))),
            lead_is_sme=rng.random() < 0.7,
            submitted_at=submitted + timedelta(minutes=rng.randrange(0, 20_000)),
        )
        for i in range(count)
    ]


def pilot_quotas():
    return Quotas(
        call_max=PILOT_CALL_MAX, budget=PILOT_BUDGET, track_max={1: 10, 2: 5}, field_max=dict(PILOT_FIELDS)
    )


def test_pilot_2022_call():
    candidates = pilot_candidates(2022)
    plan = ScoringPlan(top_criterion_id=1)
    q = pilot_quotas()
    results = select(candidates, plan, q)
    assert sorted(r.application_id for r in results) == sorted(c.application_id for c in candidates)
    replay(results, q)
    selected = [r for r in results if r.outcome == Outcome.SELECTED]
    below = [r for r in results if r.outcome == Outcome.BELOW_CUTOFF]
    reserves = [r for r in results if r.outcome == Outcome.RESERVE]
    # 22 field places for 14 awards: the call's maximum binds, and the budget is large enough.
    assert len(selected) == PILOT_CALL_MAX
    assert sum(r.requested_subsidy for r in selected) <= PILOT_BUDGET
    for field_id, maximum in PILOT_FIELDS.items():
        assert sum(1 for r in selected if r.field_id == field_id) <= maximum
    assert len(reserves) == len(
        {r.field_id for r in results if r.outcome in (Outcome.RESERVE, Outcome.NOT_SELECTED)}
    )
    assert (
        len(selected)
        + len(reserves)
        + len(below)
        + sum(1 for r in results if r.outcome == Outcome.NOT_SELECTED)
        == 40
    )
    # Every selected application ranks above every skipped one of its own field that was skipped
    # because the field was full.
    for skipped in results:
        if skipped.reason == Reason.FIELD_QUOTA_FULL:
            assert all(s.rank < skipped.rank for s in selected if s.field_id == skipped.field_id)


def test_pilot_2022_call_where_the_budget_binds():
    candidates = pilot_candidates(7, subsidy_range=(280, 300))
    q = pilot_quotas()
    results = select(candidates, ScoringPlan(top_criterion_id=1), q)
    replay(results, q)
    selected = [r for r in results if r.outcome == Outcome.SELECTED]
    assert len(selected) < PILOT_CALL_MAX  # 14 awards of at least 280 M would need 3.92 bn
    assert any(r.reason == Reason.BUDGET_EXHAUSTED for r in results)
    left = PILOT_BUDGET - sum(r.requested_subsidy for r in selected)
    assert all(r.requested_subsidy > left for r in results if r.reason == Reason.BUDGET_EXHAUSTED)


# -- Reproducibility ---------------------------------------------------------------------------


def test_inputs_hash_is_stable_under_reordering():
    candidates = pilot_candidates(2022)
    plan, q = ScoringPlan(top_criterion_id=1), pilot_quotas()
    digest = inputs_hash(candidates, plan, q)
    assert len(digest) == 64 and int(digest, 16) >= 0
    shuffled = list(candidates)
    random.Random(1).shuffle(shuffled)
    assert inputs_hash(shuffled, plan, q) == digest
    assert inputs_hash(reversed(candidates), plan, q) == digest
    assert select(shuffled, plan, q) == select(candidates, plan, q)


def test_inputs_hash_changes_with_any_input():
    candidates = pilot_candidates(2022, count=10)
    plan, q = ScoringPlan(top_criterion_id=1), pilot_quotas()
    digest = inputs_hash(candidates, plan, q)
    first = candidates[0]
    totals = (first.reviewer_totals[0] + D("0.01"), *first.reviewer_totals[1:])
    changed_candidates = [
        [Candidate(**{**first.__dict__, "reviewer_totals": totals}), *candidates[1:]],
        [Candidate(**{**first.__dict__, "bonus_points": (*first.bonus_points, D("1"))}), *candidates[1:]],
        [Candidate(**{**first.__dict__, "lead_is_sme": not first.lead_is_sme}), *candidates[1:]],
        [Candidate(**{**first.__dict__, "submitted_at": None}), *candidates[1:]],
        candidates[1:],
    ]
    for changed in changed_candidates:
        assert inputs_hash(changed, plan, q) != digest
    assert inputs_hash(candidates, ScoringPlan(top_criterion_id=1, cutoff=D("75")), q) != digest
    assert inputs_hash(candidates, ScoringPlan(top_criterion_id=1, tie_breaks=("sme_lead",)), q) != digest
    assert (
        inputs_hash(candidates, plan, Quotas(14, PILOT_BUDGET, {1: 10, 2: 5}, {**PILOT_FIELDS, 5: 4}))
        != digest
    )
    assert inputs_hash(candidates, plan, Quotas(14, PILOT_BUDGET, {1: 10, 2: 5}, PILOT_FIELDS, 2)) != digest


def test_inputs_hash_reads_moments_as_instants():
    kst = timezone(timedelta(hours=9))
    utc = cand(1, 80, submitted_at=datetime(2022, 3, 2, 9, 0, tzinfo=UTC))
    seoul = cand(1, 80, submitted_at=datetime(2022, 3, 2, 18, 0, tzinfo=kst))
    assert inputs_hash([utc], PLAN, quotas()) == inputs_hash([seoul], PLAN, quotas())


def test_canonical_inputs_are_canonical_json():
    candidates = [*pilot_candidates(3, count=5), cand(1, 80, field=None, reference='PC22-"quoted"')]
    q = Quotas(call_max=3, budget=10 * M, track_max={2: 1, 1: 2}, field_max={None: 1, 3: 2, 1: 1})
    plan = ScoringPlan(top_criterion_id=1, thresholds={2: D("3.5"), 1: D("2")})
    text = canonical_inputs(candidates, plan, q)
    document = json.loads(text)
    assert json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True) == text
    assert [row[0] for row in document["candidates"]] == sorted(c.application_id for c in candidates)
    assert document["quotas"]["field_max"] == [[None, 1], [1, 1], [3, 2]]
    assert document["plan"]["thresholds"] == [[1, "2"], [2, "3.5"]]
    assert document["candidates"][0][5] == ["80", "80", "80"]


# -- Declines and promotion --------------------------------------------------------------------


def two_fields():
    """Fields 1 and 2 with one place each: 1 and 2 selected, 3 (field 1) and 4 (field 2) reserves."""
    q = quotas(call_max=2, field_max={1: 1, 2: 1})
    results = select([cand(1, 95), cand(2, 90, field=2), cand(3, 85), cand(4, 80, field=2)], PLAN, q)
    assert [r.outcome for r in results] == [
        Outcome.SELECTED,
        Outcome.SELECTED,
        Outcome.RESERVE,
        Outcome.RESERVE,
    ]
    return results, q


def test_the_best_reserve_that_fits_the_freed_place_is_promoted():
    results, q = two_fields()
    updated, promoted = promote_after_decline(results, 2, q)
    # 3 ranks higher, but its field is still full; 4 takes field 2's freed place.
    assert promoted.application_id == 4
    assert (promoted.outcome, promoted.reason) == (Outcome.SELECTED, Reason.SELECTED)
    assert [r.application_id for r in updated] == [1, 2, 3, 4]  # same order
    assert outcome(updated, 2) == (Outcome.DECLINED, Reason.DECLINED)
    assert outcome(updated, 3) == (Outcome.RESERVE, Reason.FIELD_QUOTA_FULL)
    assert by_id(updated)[4] == promoted
    assert_within_quotas(updated, q)
    assert outcome(results, 2) == (Outcome.SELECTED, Reason.SELECTED)  # the input is left alone


def test_the_higher_reserve_is_promoted_when_it_fits():
    results, q = two_fields()
    updated, promoted = promote_after_decline(results, 1, q)
    assert promoted.application_id == 3
    assert outcome(updated, 4) == (Outcome.RESERVE, Reason.FIELD_QUOTA_FULL)


def test_a_reserve_the_freed_budget_does_not_cover_is_passed_over():
    q = quotas(budget=300, field_max={1: 1})
    candidates = [cand(1, 95, subsidy=100), cand(2, 93, field=2, subsidy=200), cand(3, 90, subsidy=150)]
    candidates += [cand(4, 88, field=3, subsidy=400), cand(5, 85, field=4, subsidy=90)]
    results = select(candidates, PLAN, q)
    assert [r.outcome for r in results] == [Outcome.SELECTED, Outcome.SELECTED] + [Outcome.RESERVE] * 3
    updated, promoted = promote_after_decline(results, 1, q)
    # 100 M freed: 3 (150 M) and 4 (400 M) do not fit; 5 (90 M) does.
    assert promoted.application_id == 5
    assert_within_quotas(updated, q)


def test_a_reserve_in_a_full_track_is_passed_over():
    q = quotas(call_max=2, track_max={1: 1, 2: 1})
    candidates = [cand(1, 95), cand(2, 90, track=2), cand(3, 85), cand(4, 80, field=2, track=2)]
    results = select(candidates, PLAN, q)
    assert outcome(results, 3) == (Outcome.RESERVE, Reason.TRACK_QUOTA_FULL)
    assert outcome(results, 4) == (Outcome.RESERVE, Reason.TRACK_QUOTA_FULL)
    updated, promoted = promote_after_decline(results, 2, q)
    assert promoted.application_id == 4  # 3 ranks higher, but track 1 is still full


def test_no_reserve_fits():
    q = quotas(budget=200, field_max={1: 1})
    results = select(
        [cand(1, 95, subsidy=100), cand(2, 90, subsidy=50), cand(3, 85, field=2, subsidy=300)], PLAN, q
    )
    assert [r.outcome for r in results] == [Outcome.SELECTED, Outcome.RESERVE, Outcome.RESERVE]
    updated, promoted = promote_after_decline(results, 1, q)
    assert promoted.application_id == 2  # field 1 has its place back
    # 2 declines too: 200 M left, and 3 asks for 300 M.
    updated, promoted = promote_after_decline(updated, 2, q)
    assert promoted is None
    assert outcome(updated, 3) == (Outcome.RESERVE, Reason.BUDGET_EXHAUSTED)
    assert [r.outcome for r in updated] == [Outcome.DECLINED, Outcome.DECLINED, Outcome.RESERVE]


def test_successive_declines_keep_within_the_quotas():
    candidates = pilot_candidates(2022)
    q = pilot_quotas()
    results = select(candidates, ScoringPlan(top_criterion_id=1), q)
    for selected_id in [r.application_id for r in results if r.outcome == Outcome.SELECTED]:
        results, promoted = promote_after_decline(results, selected_id, q)
        assert_within_quotas(results, q)
        if promoted is not None:
            assert by_id(results)[promoted.application_id].outcome == Outcome.SELECTED


def test_only_a_selected_application_can_decline():
    results, q = two_fields()
    with pytest.raises(ValueError, match="not selected"):
        promote_after_decline(results, 3, q)
    with pytest.raises(ValueError, match="not in these results"):
        promote_after_decline(results, 99, q)
    updated, _promoted = promote_after_decline(results, 1, q)
    with pytest.raises(ValueError):
        promote_after_decline(updated, 1, q)  # already declined
