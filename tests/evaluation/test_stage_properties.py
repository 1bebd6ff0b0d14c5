"""Properties of stage advancement and the weighted final score over random stages (hypothesis):
never more than N advance in a field, deterministic and order-independent, everyone eliminated
has a reason and a margin, and both agree with the independent reference."""

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.stages import Advancement, Outcome, Reason, advance, final_score, inputs_hash
from tests.evaluation import reference
from tests.evaluation.test_selection_properties import FIELDS, candidate_lists, plans


def without_bonus(candidates):
    """A stage scores reviews only: bonus points are added to the final score."""
    return [dataclasses.replace(c, bonus_points=()) for c in candidates]


@st.composite
def advancements(draw):
    rule = draw(st.sampled_from(["top_n", "multiple", "cutoff"]))
    return Advancement(
        rule=rule,
        field_places=draw(st.dictionaries(st.sampled_from(FIELDS), st.integers(min_value=1, max_value=5))),
        call_places=draw(st.integers(min_value=1, max_value=10)),
        count=draw(st.integers(min_value=1, max_value=6)) if rule == "top_n" else None,
        multiple=draw(st.sampled_from([Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("2.5")]))
        if rule == "multiple"
        else None,
    )


def as_decimal(value):
    return None if value is None else Decimal(value.numerator) / Decimal(value.denominator)


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), advancements())
def test_no_field_advances_more_than_its_n(candidates, plan, advancement):
    results = advance(without_bonus(candidates), plan, advancement)
    for field_id in {r.field_id for r in results}:
        advanced = [r for r in results if r.field_id == field_id and r.outcome == Outcome.ADVANCED]
        places = advancement.places(field_id)
        if places is not None:
            assert len(advanced) <= places
        assert all(r.stage_score >= plan.cutoff for r in advanced)


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), advancements(), st.randoms(use_true_random=False))
def test_advancement_is_deterministic_and_order_independent(candidates, plan, advancement, rnd):
    candidates = without_bonus(candidates)
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert advance(shuffled, plan, advancement) == advance(candidates, plan, advancement)
    assert inputs_hash(shuffled, plan, advancement) == inputs_hash(candidates, plan, advancement)


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), advancements())
def test_everyone_eliminated_has_a_reason_and_a_margin(candidates, plan, advancement):
    results = advance(without_bonus(candidates), plan, advancement)
    assert sorted(r.application_id for r in results) == sorted(c.application_id for c in candidates)
    for r in results:
        if r.outcome == Outcome.ELIMINATED:
            assert r.reason in (Reason.BELOW_CUTOFF, Reason.NOT_ADVANCED)
            assert r.margin is not None and r.margin >= 0
        else:
            assert r.reason == Reason.ADVANCED and r.margin is None
        if r.reason == Reason.NOT_ADVANCED:
            assert r.field_rank > r.field_advancing
            assert r.margin == r.last_advancing_score - r.stage_score


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), advancements())
def test_advancement_agrees_with_an_independent_reading_of_the_rules(candidates, plan, advancement):
    candidates = without_bonus(candidates)
    results = {
        r.application_id: (r.outcome, r.reason, r.margin) for r in advance(candidates, plan, advancement)
    }
    expected = reference.advance(
        candidates,
        plan,
        advancement.rule,
        advancement.count,
        advancement.multiple,
        advancement.field_places,
        advancement.call_places,
    )
    assert results == {key: (o, r, as_decimal(m)) for key, (o, r, m) in expected.items()}


stage_scores = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100)


@st.composite
def weight_sets(draw):
    """2 to 4 stage weights in percent (some with two decimals) adding up to 100."""
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=3)))
    bounds = [0, *cuts, 10_000]
    return [Decimal(b - a) / 100 for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(weight_sets(), st.data())
def test_the_weighted_final_score_equals_the_reference(weights, data):
    scores = data.draw(st.lists(stage_scores, min_size=len(weights), max_size=len(weights)))
    assert final_score(scores, weights) == as_decimal(reference.weighted_final(scores, weights))
    assert final_score(scores, None) == scores[-1]  # the last stage's alone


def test_the_weighted_final_score_of_a_30_70_call():
    assert final_score([Decimal("81.25"), Decimal("77.50")], [Decimal(30), Decimal(70)]) == Decimal("78.63")


@settings(max_examples=200, deadline=None)
@given(candidate_lists, plans(), advancements(), st.integers(min_value=0, max_value=5))
def test_the_stage_minimum_of_reviews_agrees_with_the_reference(candidates, plan, advancement, minimum):
    """Those short of the stage's minimum are held (never advanced nor eliminated) with the
    reviews missing, take no place, and the others are decided as the reference decides them."""
    candidates = without_bonus(candidates)
    results = advance(candidates, plan, advancement, minimum)
    expected = reference.advance(
        candidates,
        plan,
        advancement.rule,
        advancement.count,
        advancement.multiple,
        advancement.field_places,
        advancement.call_places,
        minimum,
    )
    got = {r.application_id: (r.outcome, r.reason, r.margin) for r in results}
    assert got == {key: (o, r, as_decimal(m) if o != "held" else m) for key, (o, r, m) in expected.items()}
    held = [r for r in results if r.outcome == Outcome.HELD]
    assert all(r.reason == Reason.TOO_FEW_REVIEWS and r.field_rank is None for r in held)
    # Holding the short ones is the same as deciding without them.
    decided = [c for c in candidates if len(c.reviewer_totals) >= minimum]
    assert [r for r in results if r.outcome != Outcome.HELD] == advance(decided, plan, advancement)
