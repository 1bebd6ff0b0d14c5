"""Properties of selection over random calls (hypothesis): quotas hold, runs are reproducible,
a better score never costs a place, every application gets one result, ranks have no gaps."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.scoring import (
    TIE_BREAKS,
    Candidate,
    ScoringPlan,
    from_hundredths,
)
from evaluation.selection import (
    Outcome,
    Quotas,
    inputs_hash,
    promote_after_decline,
    select,
)
from tests.evaluation import reference
from tests.evaluation.test_selection import assert_within_quotas, replay

TRACKS = (1, 2, 3)
FIELDS = (None, 1, 2, 3)
TOP = 1
T0 = datetime(2022, 3, 2, 9, tzinfo=UTC)

# One candidate from few draws (generation dominates the run time): the top criterion's points
# follow the reviewer totals (about a third of each, give or take), the reference repeats on
# purpose (so that ties reach the application id), and the moment is minutes after T0.
candidate_rows = st.tuples(
    st.integers(min_value=1, max_value=10_000),  # application id
    st.integers(min_value=1, max_value=40),  # reference number
    st.sampled_from(TRACKS),
    st.sampled_from(FIELDS),
    st.integers(min_value=1, max_value=30),  # requested subsidy, in 10 M KRW
    # totals, in 0.01: from a wide range, or from three values so that final scores tie often and
    # every tie-break is reached
    st.lists(
        st.integers(min_value=5500, max_value=10_000) | st.sampled_from([7000, 8000, 9000]),
        min_size=1,
        max_size=6,
    ),
    st.integers(min_value=0, max_value=19),  # 0: no reviews yet
    st.integers(min_value=-300, max_value=300),  # the top criterion's offset, in 0.01
    st.lists(st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(3)]), max_size=3),  # bonus points
    st.booleans(),  # SME lead
    st.none() | st.integers(min_value=0, max_value=50),  # submitted, minutes after T0
)


def make_candidate(row):
    application_id, reference, track, field, subsidy, totals, reviewed, offset, bonus, sme, minutes = row
    totals = totals if reviewed else []
    return Candidate(
        application_id=application_id,
        reference=f"PC22-{reference:04d}",
        track_id=track,
        field_id=field,
        requested_subsidy=subsidy * 10_000_000,
        reviewer_totals=tuple(Decimal(t) / 100 for t in totals),
        criterion_points={
            TOP: tuple(Decimal(max(0, t // 3 + offset * (i % 2))) / 100 for i, t in enumerate(totals))
        },
        bonus_points=tuple(bonus),
        lead_is_sme=sme,
        submitted_at=None if minutes is None else T0 + timedelta(minutes=minutes),
    )


candidate_lists = (
    st.integers(min_value=0, max_value=24)
    .flatmap(lambda n: st.lists(candidate_rows, min_size=n, max_size=n, unique_by=lambda row: row[0]))
    .map(lambda rows: [make_candidate(row) for row in rows])
)


@st.composite
def plans(draw):
    tie_breaks = draw(st.permutations(TIE_BREAKS))
    return ScoringPlan(
        method=draw(st.sampled_from(["trimmed_mean", "mean", "median"])),
        trim_at=draw(st.integers(min_value=3, max_value=6)),
        cutoff=draw(st.sampled_from([Decimal("0"), Decimal("60"), Decimal("70.00")])),
        bonus_cap=draw(st.sampled_from([Decimal("0"), Decimal("2.5"), Decimal("5")])),
        top_criterion_id=draw(st.sampled_from([TOP, None])),
        thresholds=draw(st.sampled_from([{}, {TOP: Decimal("22")}])),
        tie_breaks=tuple(tie_breaks[: draw(st.integers(min_value=0, max_value=len(TIE_BREAKS)))]),
    )


@st.composite
def quota_sets(draw):
    maxima = st.integers(min_value=0, max_value=6)
    return Quotas(
        call_max=draw(st.integers(min_value=1, max_value=15)),
        budget=draw(st.integers(min_value=10, max_value=150)) * 10_000_000,
        track_max=draw(st.dictionaries(st.sampled_from(TRACKS), maxima)),
        field_max=draw(st.dictionaries(st.sampled_from(FIELDS), maxima)),
        reserve_per_field=draw(st.integers(min_value=0, max_value=3)),
    )


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), quota_sets())
def test_no_maximum_or_budget_is_ever_exceeded(candidates, plan, quotas):
    results = select(candidates, plan, quotas)
    assert_within_quotas(results, quotas)
    replay(results, quotas)  # and every outcome and reason follows the walk


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), quota_sets(), st.randoms(use_true_random=False))
def test_same_inputs_in_any_order_give_the_same_results_and_hash(candidates, plan, quotas, rnd):
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert select(shuffled, plan, quotas) == select(candidates, plan, quotas)
    assert inputs_hash(shuffled, plan, quotas) == inputs_hash(candidates, plan, quotas)


@settings(max_examples=200, deadline=None)
@given(
    candidate_lists,
    plans(),
    quota_sets(),
    st.integers(min_value=1, max_value=2000).map(lambda n: Decimal(n) / 100),
    st.integers(min_value=0),
)
def test_a_higher_score_never_costs_a_selected_application_its_place(
    candidates, plan, quotas, raise_by, pick
):
    results = select(candidates, plan, quotas)
    selected = [r.application_id for r in results if r.outcome == Outcome.SELECTED]
    if not selected:
        return
    chosen = selected[pick % len(selected)]
    raised = [
        Candidate(**{**c.__dict__, "reviewer_totals": tuple(t + raise_by for t in c.reviewer_totals)})
        if c.application_id == chosen
        else c
        for c in candidates
    ]
    after = {r.application_id: r for r in select(raised, plan, quotas)}
    assert after[chosen].outcome == Outcome.SELECTED


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), quota_sets())
def test_every_candidate_gets_exactly_one_result(candidates, plan, quotas):
    results = select(candidates, plan, quotas)
    assert len(results) == len(candidates)
    assert sorted(r.application_id for r in results) == sorted(c.application_id for c in candidates)
    assert all(r.outcome in set(Outcome) - {Outcome.DECLINED} for r in results)


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), quota_sets())
def test_ranks_run_from_one_without_gaps(candidates, plan, quotas):
    results = select(candidates, plan, quotas)
    ranked = [r for r in results if r.outcome != Outcome.BELOW_CUTOFF]
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    assert results[: len(ranked)] == ranked  # ranked first, then the ones below the cutoff
    assert all(r.rank is None for r in results[len(ranked) :])
    finals = [r.final_score for r in ranked]
    assert finals == sorted(finals, reverse=True)


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), quota_sets())
def test_select_agrees_with_an_independent_reading_of_the_rules(candidates, plan, quotas):
    """Outcome, reason, rank and every score agree with tests/evaluation/reference.py, which
    shares no code with the product's scoring and ranking."""
    results = select(candidates, plan, quotas)
    expected = reference.select(candidates, plan, quotas)
    assert [(r.application_id, r.outcome, r.reason, r.rank) for r in results] == [row[:4] for row in expected]
    for r, row in zip(results, expected, strict=True):
        assert (r.evaluation_score, r.bonus, r.final_score) == tuple(
            None if value is None else Decimal(value.numerator) / Decimal(value.denominator)
            for value in row[4:]
        )


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), quota_sets(), st.integers(min_value=0))
def test_declines_never_break_the_quotas(candidates, plan, quotas, seed):
    results = select(candidates, plan, quotas)
    order = [r.application_id for r in results if r.outcome == Outcome.SELECTED]
    random.Random(seed).shuffle(order)
    for application_id in order:
        results, promoted = promote_after_decline(results, application_id, quotas)
        assert_within_quotas(results, quotas)
        assert sum(1 for r in results if r.outcome == Outcome.DECLINED) >= 1
        if promoted is not None:
            assert promoted.rank is not None


@given(st.integers(min_value=0, max_value=10**9))
def test_hundredths_read_back_as_two_place_decimals(hundredths):
    value = from_hundredths(hundredths)
    assert value.as_tuple().exponent == -2 and value * 100 == hundredths


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), quota_sets(), st.integers(min_value=0, max_value=12))
def test_a_shortfall_below_the_minimum_agrees_with_the_reference(candidates, plan, quotas, minimum):
    """The call's minimum number of awards: a run reports when fewer can be selected, as the
    independent reading of the rules counts it."""
    from evaluation.selection import minimum_shortfall

    results = select(candidates, plan, quotas)
    found = minimum_shortfall(results, minimum)
    expected = reference.shortfall(reference.select(candidates, plan, quotas), minimum)
    assert (None if found is None else (found.minimum, found.selected)) == expected
    if found:
        assert str(found.selected) in found.reason and str(minimum) in found.reason
