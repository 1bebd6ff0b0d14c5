"""Scoring and ranking (DESIGN.md §3 "Scoring"): aggregation, rounding, bonus, cutoff, tie-breaks."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from evaluation.scoring import (
    TIE_BREAKS,
    Aggregation,
    Candidate,
    ScoringPlan,
    aggregate,
    rank,
    ranking_key,
    round_half_up,
    score,
)

D = Decimal
TOP = 7  # the top criterion's id in these tests
T0 = datetime(2022, 3, 2, 9, 0, tzinfo=UTC)


def decimals(*values):
    return tuple(D(str(v)) for v in values)


def candidate(application_id=1, totals=(80, 80, 80), **overrides):
    fields = {
        "application_id": application_id,
        "reference": f"PC22-{application_id:04d}",
        "track_id": 1,
        "field_id": 1,
        "requested_subsidy": 100_000_000,
        "reviewer_totals": decimals(*totals),
        "criterion_points": {TOP: decimals(20, 20, 20)},
        "bonus_points": (),
        "lead_is_sme": False,
        "submitted_at": T0,
    }
    fields.update(overrides)
    return Candidate(**fields)


def order(candidates, plan=None):
    plan = plan or ScoringPlan(top_criterion_id=TOP)
    return [s.candidate.application_id for s in rank([score(c, plan) for c in candidates], plan.tie_breaks)]


# -- Aggregation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((60, 70, 80, 90, 95), "80.00"),
        ((70, 90, 90, 60, 80), "80.00"),
        ((71, 72, 74), "72.33"),
    ],
)
def test_design_examples(values, expected):
    result = aggregate(decimals(*values))
    assert result == D(expected)
    assert str(result) == expected  # always two decimals


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((80, 80, 80, 60, 60), "73.33"),  # one 80 and one 60 dropped: (80 + 80 + 60) / 3
        ((90, 90, 90, 90, 50), "90.00"),  # only one 90 dropped
        ((90, 50, 50, 50, 50), "50.00"),  # only one 50 dropped
        ((75, 75, 75, 75, 75), "75.00"),  # all tied: still three values left
        ((100, 100, 0, 0, 50, 50), "50.00"),  # six reviews: one 100 and one 0 dropped
    ],
)
def test_trimming_drops_only_one_highest_and_one_lowest_even_when_tied(values, expected):
    assert aggregate(decimals(*values)) == D(expected)


def test_fewer_reviews_than_trim_at_take_the_plain_mean():
    assert aggregate(decimals(60, 70, 80, 100)) == D("77.50")  # trimmed would be 75.00
    assert aggregate(decimals(85)) == D("85.00")


def test_trim_at_is_configurable():
    assert aggregate(decimals(71, 72, 74), trim_at=3) == D("72.00")
    assert aggregate(decimals(60, 70, 80, 90, 95), trim_at=6) == D("79.00")  # plain mean
    assert aggregate(decimals(60, 70, 80, 90, 95, 100), trim_at=6) == D("83.75")


def test_mean_and_median():
    values = decimals(60, 70, 80, 90, 95)
    assert aggregate(values, Aggregation.MEAN) == D("79.00")
    assert aggregate(values, "median") == D("80.00")
    assert aggregate(decimals(95, 60, 70), "median") == D("70.00")
    assert aggregate(decimals(60, 95, 70, 80), "median") == D("75.00")  # mean of the middle two
    assert aggregate(decimals(70.01, 70.02), "median") == D("70.02")  # 70.015 rounds half-up


def test_no_values_give_none():
    assert aggregate(()) is None
    assert aggregate((), "median") is None


def test_unknown_method_and_too_small_trim_at_are_refused():
    with pytest.raises(ValueError, match="Unknown aggregation"):
        aggregate(decimals(1, 2, 3), "geometric")
    with pytest.raises(ValueError, match="trim_at"):
        aggregate(decimals(1, 2), trim_at=2)
    with pytest.raises(ValueError):
        ScoringPlan(method="mode")
    with pytest.raises(ValueError):
        ScoringPlan(trim_at=2)


# -- Rounding ----------------------------------------------------------------------------------


def test_round_half_up():
    assert round_half_up(D("2.675")) == D("2.68")  # a float would give 2.67
    assert round_half_up(D("2.665")) == D("2.67")  # banker's rounding would give 2.66
    assert round_half_up(D("2.6649999")) == D("2.66")
    assert round_half_up(D("80")) == D("80.00") and str(round_half_up(D("80"))) == "80.00"


def test_aggregates_round_half_up_at_the_end_only():
    assert aggregate(decimals(80.00, 80.01), "mean") == D("80.01")  # 80.005
    assert aggregate(decimals(70.01, 70.02, 70.03, 70.04), "mean") == D("70.03")  # 70.025
    # Five reviews, middle three sum to 240.015: exactly 80.005, which rounds up.
    assert aggregate(decimals(10, 80.005, 80.005, 80.005, 99)) == D("80.01")
    # Rounding each value first would give (70.01 + 70.01 + 70.00) / 3 = 70.0067 -> 70.01.
    assert aggregate(decimals(70.005, 70.005, 70.000), "mean") == D("70.00")
    # A repeating quotient just under a half: 200.015 / 3 = 66.67166… -> 66.67.
    assert aggregate(decimals(66.67, 66.67, 66.675), "mean") == D("66.67")


# -- Bonus and cutoff --------------------------------------------------------------------------


def test_bonus_is_summed_and_capped_and_added_after_trimming():
    scored = score(candidate(totals=(60, 70, 80, 90, 95), bonus_points=decimals(3, 4)), ScoringPlan())
    assert scored.evaluation_score == D("80.00")
    assert scored.bonus == D("5.00")  # 7 capped at 5
    assert scored.final_score == D("85.00")
    below_cap = score(candidate(totals=(80,), bonus_points=decimals(1, 1.5)), ScoringPlan())
    assert below_cap.bonus == D("2.50") and below_cap.final_score == D("82.50")
    custom_cap = score(candidate(totals=(80,), bonus_points=decimals(3, 4)), ScoringPlan(bonus_cap=D("3")))
    assert custom_cap.bonus == D("3.00") and custom_cap.final_score == D("83.00")
    none = score(candidate(totals=(80,)), ScoringPlan())
    assert none.bonus == D("0.00") and none.final_score == D("80.00")


def test_cutoff_applies_to_the_evaluation_score_before_bonus():
    almost = score(candidate(totals=(69.99,), bonus_points=decimals(5)), ScoringPlan())
    assert almost.final_score == D("74.99")
    assert almost.below_cutoff is True
    exactly = score(candidate(totals=(70.00,)), ScoringPlan())
    assert exactly.below_cutoff is False
    custom = score(candidate(totals=(65,)), ScoringPlan(cutoff=D("60")))
    assert custom.below_cutoff is False


def test_no_reviews_is_below_cutoff_without_scores():
    scored = score(candidate(totals=(), criterion_points={}), ScoringPlan(top_criterion_id=TOP))
    assert scored.evaluation_score is None and scored.final_score is None
    assert scored.top_criterion_score is None
    assert scored.below_cutoff is True


def test_criterion_threshold_makes_below_cutoff():
    plan = ScoringPlan(thresholds={3: D("3.00")})
    under = candidate(totals=(90, 90, 90, 90, 90), criterion_points={3: decimals(2, 3, 3, 2.8, 5)})
    met = candidate(totals=(90, 90, 90, 90, 90), criterion_points={3: decimals(2, 3, 3, 3, 5)})
    missing = candidate(totals=(90, 90, 90, 90, 90), criterion_points={})
    assert score(under, plan).below_cutoff is True  # trimmed mean 2.93
    assert score(met, plan).below_cutoff is False  # trimmed mean 3.00
    assert score(missing, plan).below_cutoff is True
    # The threshold may be on the top criterion itself.
    top_plan = ScoringPlan(top_criterion_id=3, thresholds={3: D("3.00")})
    assert score(under, top_plan).below_cutoff is True
    assert score(met, top_plan).below_cutoff is False
    assert score(met, top_plan).top_criterion_score == D("3.00")


def test_top_criterion_score_uses_the_plan_method():
    c = candidate(totals=(80, 80, 80, 80, 80), criterion_points={TOP: decimals(0, 18, 18, 18, 20)})
    assert score(c, ScoringPlan(top_criterion_id=TOP)).top_criterion_score == D("18.00")
    assert score(c, ScoringPlan(top_criterion_id=TOP, method="mean")).top_criterion_score == D("14.80")
    assert score(c, ScoringPlan(top_criterion_id=TOP, method="median")).top_criterion_score == D("18.00")
    assert score(c, ScoringPlan(top_criterion_id=None)).top_criterion_score is None


# -- Ranking -----------------------------------------------------------------------------------


def test_final_score_comes_before_every_tie_break():
    # 2 is better on every tie-break, but 1 has the higher final score (through its bonus).
    one = candidate(
        1, totals=(80,), bonus_points=decimals(0.01), reference="PC22-0009", requested_subsidy=300
    )
    two = candidate(
        2,
        totals=(80,),
        reference="PC22-0001",
        lead_is_sme=True,
        requested_subsidy=1,
        submitted_at=T0 - timedelta(days=1),
        criterion_points={TOP: decimals(30)},
    )
    assert order([two, one]) == [1, 2]


def test_tie_break_top_criterion():
    # Everything equal but the top criterion; the loser has the lower id and reference.
    low = candidate(1, criterion_points={TOP: decimals(19, 19, 19)})
    high = candidate(2, criterion_points={TOP: decimals(20, 20, 20)})
    missing = candidate(3, criterion_points={})
    assert order([low, missing, high]) == [2, 1, 3]


def test_tie_break_top_criterion_is_aggregated_by_the_plan_method():
    # Same totals; top points [0, 18, 18, 18, 20] give 18.00 trimmed but 14.80 as a plain mean.
    spiky = candidate(1, totals=(80,) * 5, criterion_points={TOP: decimals(0, 18, 18, 18, 20)})
    steady = candidate(2, totals=(80,) * 5, criterion_points={TOP: decimals(17, 17, 17, 17, 17)})
    assert order([steady, spiky], ScoringPlan(top_criterion_id=TOP)) == [1, 2]
    assert order([spiky, steady], ScoringPlan(top_criterion_id=TOP, method="mean")) == [2, 1]


def test_tie_break_top_criterion_rounds_like_the_evaluation_score():
    # 20.004 and 20.001 both round to 20.00: a tie on the criterion, so the next key decides.
    a = candidate(1, criterion_points={TOP: decimals(20.004)})
    b = candidate(2, criterion_points={TOP: decimals(20.001)}, lead_is_sme=True)
    assert order([a, b]) == [2, 1]


def test_tie_break_sme_lead():
    large = candidate(1, lead_is_sme=False)
    sme = candidate(2, lead_is_sme=True)
    assert order([large, sme]) == [2, 1]


def test_tie_break_lower_subsidy():
    dear = candidate(1, requested_subsidy=200_000_000)
    cheap = candidate(2, requested_subsidy=150_000_000)
    assert order([dear, cheap]) == [2, 1]


def test_tie_break_earlier_submission():
    late = candidate(1, submitted_at=T0 + timedelta(seconds=1))
    early = candidate(2, submitted_at=T0)
    unknown = candidate(0, submitted_at=None)
    assert order([unknown, late, early]) == [2, 1, 0]


def test_tie_break_lower_reference():
    later = candidate(1, reference="PC22-0010")
    earlier = candidate(2, reference="PC22-0002")
    assert order([later, earlier]) == [2, 1]


def test_equal_on_everything_the_application_id_decides():
    a = candidate(5, reference="PC22-0001")
    b = candidate(4, reference="PC22-0001")
    assert order([a, b]) == [4, 5]
    plan = ScoringPlan(top_criterion_id=TOP)
    assert ranking_key(score(b, plan), TIE_BREAKS) < ranking_key(score(a, plan), TIE_BREAKS)


def test_custom_tie_break_order():
    sme_dear = candidate(1, lead_is_sme=True, requested_subsidy=200)
    large_cheap = candidate(2, lead_is_sme=False, requested_subsidy=100)
    assert order([sme_dear, large_cheap]) == [1, 2]  # default: SME lead before lower subsidy
    subsidy_first = ScoringPlan(top_criterion_id=TOP, tie_breaks=("lower_subsidy", "sme_lead"))
    assert order([sme_dear, large_cheap], subsidy_first) == [2, 1]
    # Without the tie-breaks that differ, the next configured one decides, else the application id.
    reference_only = ScoringPlan(top_criterion_id=TOP, tie_breaks=("lower_reference",))
    first_id = candidate(1, lead_is_sme=True, reference="PC22-0009")
    first_reference = candidate(2, reference="PC22-0001")
    assert order([first_id, first_reference], reference_only) == [2, 1]
    assert order([first_reference, first_id], ScoringPlan(tie_breaks=())) == [1, 2]


def test_ranking_key_sorts_best_first():
    plan = ScoringPlan(top_criterion_id=TOP)
    better = score(candidate(1, totals=(90,)), plan)
    worse = score(candidate(2, totals=(80,)), plan)
    no_reviews = score(candidate(3, totals=()), plan)
    keys = [ranking_key(s, plan.tie_breaks) for s in (no_reviews, worse, better)]
    assert sorted(keys) == [keys[2], keys[1], keys[0]]
    assert [s.candidate.application_id for s in rank([no_reviews, worse, better], plan.tie_breaks)] == [
        1,
        2,
        3,
    ]


def test_unknown_tie_break_is_refused():
    scored = score(candidate(), ScoringPlan())
    with pytest.raises(ValueError, match="Unknown tie-breaks"):
        ranking_key(scored, ("top_criterion", "coin_toss"))
    with pytest.raises(ValueError, match="Unknown tie-breaks"):
        rank([scored], ["higher_bonus"])
    with pytest.raises(ValueError, match="Unknown tie-breaks"):
        ScoringPlan(tie_breaks=("sme_lead", "alphabetical"))
    with pytest.raises(ValueError):
        ScoringPlan(tie_breaks="sme_lead")  # a string is not a sequence of names


def test_tie_break_names_match_the_design():
    assert TIE_BREAKS == (
        "top_criterion",
        "sme_lead",
        "lower_subsidy",
        "earlier_submission",
        "lower_reference",
    )
    assert ScoringPlan().tie_breaks == TIE_BREAKS
    assert ScoringPlan(tie_breaks=["sme_lead"]).tie_breaks == ("sme_lead",)
