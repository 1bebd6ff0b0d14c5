"""Reviewer assignment (DESIGN.md §3 "Reviewers"): pure functions, no database needed."""

import random

import pytest

from evaluation.assignment import AssignmentImpossible, _repair, assign, loads


def instance(seed, n_applications=300, n_reviewers=40, conflict_rate=0.2):
    """Application ids 1.., reviewer ids 1001.., each pair conflicted with probability rate."""
    rnd = random.Random(seed)
    applications = list(range(1, n_applications + 1))
    reviewers = list(range(1001, 1001 + n_reviewers))
    conflicts = {a: {r for r in reviewers if rnd.random() < conflict_rate} for a in applications}
    return applications, reviewers, conflicts


def merged(result, existing):
    """Everyone on each application: the existing reviewers and the new ones."""
    together = {a: set(reviewers) for a, reviewers in existing.items()}
    for application, new in result.items():
        together.setdefault(application, set()).update(new)
    return together


def spread(assignments, reviewers):
    counts = loads(assignments, reviewers).values()
    return max(counts) - min(counts)


def assert_valid(result, applications, reviewers, per_application, conflicts, existing=None):
    existing = existing or {}
    assert list(result) == list(applications)
    for application, new in result.items():
        already = set(existing.get(application, ()))
        assert new == tuple(sorted(new))
        assert len(set(new)) == len(new)
        assert set(new) <= set(reviewers)
        assert not set(new) & set(conflicts.get(application, ()))
        assert not set(new) & already
        assert len(new) + len(already) == max(per_application, len(already))


# -- Every application gets its reviewers, never a conflicted one ------------------------------


def test_every_application_gets_distinct_unconflicted_reviewers():
    applications, reviewers, conflicts = instance(seed=1, conflict_rate=0.35)
    result = assign(applications, reviewers, 5, conflicts, seed=11)
    assert_valid(result, applications, reviewers, 5, conflicts)
    assert all(len(new) == 5 for new in result.values())


def test_the_minimum_of_three_and_more_than_five_reviewers_work():
    applications, reviewers, conflicts = instance(
        seed=2, n_applications=50, n_reviewers=16, conflict_rate=0.1
    )
    for per_application in (3, 7):
        result = assign(applications, reviewers, per_application, conflicts)
        assert_valid(result, applications, reviewers, per_application, conflicts)
        assert spread(result, reviewers) <= 1


@pytest.mark.parametrize("per_application", [0, 2])
def test_fewer_than_three_reviewers_is_refused(per_application):
    with pytest.raises(ValueError, match="at least 3"):
        assign([1], [11, 12, 13], per_application)


def test_no_applications_no_assignments():
    assert assign([], [11, 12, 13], 5) == {}


# -- Balanced loads ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "n_applications", "n_reviewers", "per_application", "conflict_rate"),
    [
        (1, 300, 40, 5, 0.0),
        (2, 300, 40, 5, 0.1),
        (3, 301, 37, 5, 0.3),
        (4, 97, 11, 3, 0.2),
        (5, 500, 60, 5, 0.45),
        (6, 1000, 120, 4, 0.05),
    ],
)
def test_loads_differ_by_at_most_one(seed, n_applications, n_reviewers, per_application, conflict_rate):
    applications, reviewers, conflicts = instance(seed, n_applications, n_reviewers, conflict_rate)
    result = assign(applications, reviewers, per_application, conflicts, seed=seed)
    assert_valid(result, applications, reviewers, per_application, conflicts)
    assert spread(result, reviewers) <= 1


def test_loads_stay_balanced_with_existing_assignments():
    applications, reviewers, conflicts = instance(seed=7, n_applications=400, conflict_rate=0.2)
    first, second = applications[:150], applications[150:]
    existing = assign(first, reviewers, 5, conflicts, seed=1)
    # a few of the second batch already have some reviewers
    rnd = random.Random(7)
    for application in second[:40]:
        free = [r for r in reviewers if r not in conflicts[application]]
        existing[application] = rnd.sample(free, rnd.randint(1, 5))
    result = assign(second, reviewers, 5, conflicts, seed=2, existing=existing)
    assert_valid(result, second, reviewers, 5, conflicts, existing)
    assert spread(merged(result, existing), reviewers) <= 1


def test_existing_load_of_other_applications_is_levelled_first():
    """Reviewers already busy elsewhere in the panel get the new work last."""
    reviewers = [11, 12, 13, 14, 15, 16]
    existing = {100 + i: [11, 12, 13] for i in range(4)}  # 11-13 carry 4 each, 14-16 none
    result = assign([1, 2, 3, 4, 5, 6], reviewers, 3, existing=existing)
    assert loads(merged(result, existing), reviewers) == dict.fromkeys(reviewers, 5)


def test_new_reviewers_are_mixed_not_fixed_groups():
    applications, reviewers, conflicts = instance(seed=8, n_applications=200, n_reviewers=25, conflict_rate=0)
    result = assign(applications, reviewers, 5, conflicts)
    assert len(set(result.values())) > 150


def test_repair_levels_a_piled_up_assignment():
    """The repair moves new assignments along chains until loads differ by at most one."""
    applications, reviewers, conflicts = instance(seed=9, n_applications=200, n_reviewers=30)
    # pile the work onto the lowest-numbered free reviewers
    new = {a: [r for r in reviewers if r not in conflicts[a]][:5] for a in applications}
    order = reviewers[:]
    random.Random(9).shuffle(order)
    load = loads(new, reviewers)
    assert max(load.values()) - min(load.values()) > 1

    _repair(new, load, order, {a: set(conflicts[a]) for a in applications})

    assert load == loads(new, reviewers)
    assert max(load.values()) - min(load.values()) <= 1
    for application, chosen in new.items():
        assert len(set(chosen)) == 5
        assert not set(chosen) & conflicts[application]


def test_unreachable_balance_returns_the_best_assignment_without_raising():
    """Reviewer 16 is conflicted with everything: it stays at 0, the rest stay within one."""
    reviewers = [11, 12, 13, 14, 15, 16]
    applications = list(range(1, 8))
    conflicts = dict.fromkeys(applications, {16})
    result = assign(applications, reviewers, 3, conflicts)
    assert_valid(result, applications, reviewers, 3, conflicts)
    counts = loads(result, reviewers)
    assert counts[16] == 0
    assert max(counts[r] for r in reviewers[:5]) - min(counts[r] for r in reviewers[:5]) <= 1


# -- Deterministic for a seed ------------------------------------------------------------------


def test_same_seed_same_assignment():
    applications, reviewers, conflicts = instance(seed=10)
    assert assign(applications, reviewers, 5, conflicts, seed=42) == assign(
        applications, reviewers, 5, conflicts, seed=42
    )


def test_different_seed_different_assignment():
    applications, reviewers, conflicts = instance(seed=10)
    assert assign(applications, reviewers, 5, conflicts, seed=1) != assign(
        applications, reviewers, 5, conflicts, seed=2
    )


# -- Refusals ----------------------------------------------------------------------------------


def test_application_with_too_few_free_reviewers_is_refused_by_label():
    reviewers = [11, 12, 13, 14, 15, 16]
    conflicts = {2: {11, 12}, 3: {11, 12, 13}}  # 2 has 4 free reviewers, 3 has 3
    labels = {1: "PC22-0001", 2: "PC22-0002", 3: "PC22-0003"}
    with pytest.raises(AssignmentImpossible) as raised:
        assign([1, 2, 3], reviewers, 5, conflicts, labels=labels)
    assert raised.value.application_id == 2  # the first in input order
    assert str(raised.value) == (
        "Application PC22-0002 needs 5 reviewers but only 4 of the panel's reviewers are free of conflicts."
    )


def test_refusal_names_the_id_without_a_label():
    with pytest.raises(AssignmentImpossible, match=r"^Application 7 needs 3 reviewers but only 2 ") as raised:
        assign([7], [11, 12, 13], 3, {7: [13]})
    assert raised.value.application_id == 7


def test_per_application_larger_than_the_panel_is_refused():
    with pytest.raises(AssignmentImpossible) as raised:
        assign([1, 2], [11, 12, 13, 14], 5)
    assert raised.value.application_id is None
    assert str(raised.value) == "Each application needs 5 reviewers but the panel has only 4."


def test_existing_reviewer_listed_as_conflicted_is_a_caller_error():
    with pytest.raises(ValueError, match="both assigned and conflicted"):
        assign([1], [11, 12, 13, 14, 15, 16], 5, {1: {11}}, existing={1: [11, 12, 13, 14, 15]})


def test_duplicate_ids_are_a_caller_error():
    with pytest.raises(ValueError):
        assign([1, 1], [11, 12, 13], 3)
    with pytest.raises(ValueError):
        assign([1], [11, 12, 12, 13], 3)


# -- Top-ups and reassignment after a recusal --------------------------------------------------


def test_top_up_after_a_recusal_adds_exactly_one_new_reviewer():
    applications, reviewers, conflicts = instance(seed=12, n_applications=60, n_reviewers=20)
    current = assign(applications, reviewers, 5, conflicts, seed=3)
    application = applications[0]
    recused = current[application][2]
    existing = dict(current)
    existing[application] = tuple(r for r in current[application] if r != recused)
    conflicts[application] = set(conflicts[application]) | {recused}

    result = assign([application], reviewers, 5, conflicts, seed=4, existing=existing)

    (added,) = result[application]
    assert added != recused
    assert added not in existing[application]
    assert added not in conflicts[application]
    assert added in reviewers


def test_top_up_takes_the_least_loaded_free_reviewer():
    reviewers = [11, 12, 13, 14, 15, 16, 17, 18]
    existing = {
        1: [11, 12, 13, 14],  # 15 recused
        2: [16, 17, 11, 12, 13],
        3: [16, 17, 14, 15, 11],
    }
    result = assign([1], reviewers, 5, {1: {15}}, existing=existing)
    assert result == {1: (18,)}  # 18 is the only free reviewer with no other application


def test_complete_applications_get_nothing_new():
    existing = {1: [11, 12, 13], 2: [11, 12, 13, 14]}
    assert assign([1, 2], [11, 12, 13, 14], 3, existing=existing) == {1: (), 2: ()}


# -- loads -------------------------------------------------------------------------------------


def test_loads_counts_each_panel_reviewer_including_idle_ones():
    assignments = {1: (11, 12), 2: [12, 13], 3: {12, 99}}
    assert loads(assignments, [11, 12, 13, 14]) == {11: 1, 12: 3, 13: 1, 14: 0}
