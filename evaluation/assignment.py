"""Reviewer assignment (DESIGN.md §3 "Reviewers"): pure Python, no ORM.

``assign`` gives every application ``per_application`` distinct reviewers of its panel, never a
conflicted one, and keeps the panel's loads balanced: in the end no reviewer carries more than
one assignment more than another (max load - min load <= 1), counting the assignments that
already exist. The result depends only on the inputs and the seed.

How it works:

1. Check up front that every application can be served: the panel must have at least
   ``per_application`` reviewers, and each application enough reviewers that are neither
   conflicted nor already on it. The first application in input order that cannot be served
   raises ``AssignmentImpossible``; nothing is assigned.
2. Greedy pass, most constrained application first (least slack = free reviewers - reviewers
   still needed; ties in a seeded random order). Each application takes the least-loaded free
   reviewers. Loads are kept in buckets (load -> list of reviewers) so a pick costs about the
   number of reviewers needed plus the application's conflicts, not the panel size. Among
   reviewers of equal load the choice is a seeded random sample, so that the same reviewers do
   not keep meeting on the same applications.
3. Repair, only when the greedy pass left max - min > 1 (possible when the last free reviewers
   of the lowest load are conflicted with the last applications): move a new assignment along
   a chain of reviewers, from an over-loaded one to one at least two assignments lower, each
   step a valid move (the receiver is not conflicted with, nor already on, that application).
   Every move lowers the sum of squared loads, so the repair ends; it stops when balanced or
   when no chain exists.

Only new assignments are ever moved; ``existing`` ones are fixed. So balance is not always
reachable: existing loads may already be further apart than the new work can level, or
conflicts may be so dense that no chain exists. ``assign`` then returns the most balanced
assignment it found and does not raise; ``loads`` lets the caller check the result.
"""

import random
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType

from django.utils.translation import gettext as _

DEFAULT_REVIEWERS_PER_APPLICATION = 5
MIN_REVIEWERS_PER_APPLICATION = 3

_NONE: Mapping = MappingProxyType({})


class AssignmentImpossible(Exception):
    """The applications cannot all get their reviewers; ``message`` says why, with the numbers."""

    def __init__(self, message: str, application_id: int | None = None):
        super().__init__(message)
        self.message = message
        self.application_id = application_id

    def __str__(self):
        return self.message


def loads(assignments: Mapping[int, Collection[int]], reviewers: Sequence[int]) -> dict[int, int]:
    """Number of applications of ``assignments`` each of ``reviewers`` is on (0 when none), in
    the order of ``reviewers``. Reviewers outside ``reviewers`` are not counted."""
    counts = dict.fromkeys(reviewers, 0)
    for assigned in assignments.values():
        for reviewer in set(assigned):
            if reviewer in counts:
                counts[reviewer] += 1
    return counts


def assign(
    applications: Sequence[int],
    reviewers: Sequence[int],
    per_application: int,
    conflicts: Mapping[int, Collection[int]] = _NONE,
    seed: int = 0,
    existing: Mapping[int, Collection[int]] = _NONE,
    labels: Mapping[int, str] = _NONE,
) -> dict[int, tuple[int, ...]]:
    """New reviewers for each of ``applications``, from the panel ``reviewers``.

    ``conflicts`` maps an application id to the reviewer ids that may not review it (including
    a reviewer who recused). ``existing`` maps an application id to the reviewers already on it:
    they count toward the application's ``per_application`` and toward the reviewers' loads.
    It may hold the panel's whole current assignment, including applications not in
    ``applications`` (they only add load), which is what a top-up or a reassignment after a
    recusal needs. An existing reviewer may not also be listed as conflicted for the same
    application (remove a recused reviewer from ``existing`` and list them in ``conflicts``).
    ``labels`` maps an application id to the reference used in messages (else the id).

    Returns application id -> the NEW reviewer ids, sorted, in the order of ``applications``;
    an application already complete maps to ``()``. Raises ``AssignmentImpossible`` when the
    panel is smaller than ``per_application`` or an application (the first in input order) has
    too few reviewers free of conflicts; raises ``ValueError`` on malformed input. When balance
    is out of reach (see the module docstring) the most balanced assignment found is returned.
    """
    if per_application < MIN_REVIEWERS_PER_APPLICATION:
        raise ValueError(
            f"per_application must be at least {MIN_REVIEWERS_PER_APPLICATION}, not {per_application}."
        )
    panel = list(reviewers)
    panel_set = set(panel)
    if len(panel_set) != len(panel):
        raise ValueError("reviewers holds a reviewer more than once.")
    if len(set(applications)) != len(applications):
        raise ValueError("applications holds an application more than once.")
    if applications and per_application > len(panel):
        raise AssignmentImpossible(
            _("Each application needs %(needed)d reviewers but the panel has only %(available)d.")
            % {"needed": per_application, "available": len(panel)}
        )

    # -- 1. Feasibility, in input order ------------------------------------------------------
    rng = random.Random(seed)
    tie_rank = list(range(len(applications)))
    rng.shuffle(tie_rank)
    blocked_of: dict[int, set[int]] = {}  # application -> reviewers it may not get (conflicted or on it)
    todo = []  # (slack, tie rank, application, reviewers needed)
    for index, application in enumerate(applications):
        on_it = set(existing.get(application, ()))
        conflicted = set(conflicts.get(application, ()))
        if on_it & conflicted:
            raise ValueError(
                f"Application {application}: reviewers {sorted(on_it & conflicted)} are both "
                "assigned and conflicted; remove recused reviewers from existing."
            )
        needed = per_application - len(on_it)
        if needed <= 0:
            continue
        blocked = on_it | conflicted
        free = len(panel) - len(blocked & panel_set)
        if free < needed:
            raise AssignmentImpossible(
                _(
                    "Application %(application)s needs %(needed)d reviewers but only %(available)d "
                    "of the panel's reviewers are free of conflicts."
                )
                % {
                    "application": labels.get(application, application),
                    "needed": per_application,
                    "available": free + len(on_it),
                },
                application_id=application,
            )
        blocked_of[application] = blocked
        todo.append((free - needed, tie_rank[index], application, needed))

    new: dict[int, list[int]] = {application: [] for application in applications}
    if not todo:
        return {application: () for application in applications}

    # -- 2. Greedy pass ----------------------------------------------------------------------
    load = loads(existing, panel)
    order = panel[:]
    rng.shuffle(order)  # bucket order, and the BFS order of the repair
    buckets: dict[int, list[int]] = {}
    position: dict[int, int] = {}
    for reviewer in order:
        bucket = buckets.setdefault(load[reviewer], [])
        position[reviewer] = len(bucket)
        bucket.append(reviewer)
    lowest = min(buckets)
    highest = max(buckets)

    todo.sort(key=lambda item: (item[0], item[1]))
    sample = rng.sample
    for _slack, _rank, application, needed in todo:
        blocked = blocked_of[application]
        chosen = []
        level = lowest
        while needed:
            if level > highest:  # unreachable: feasibility was checked
                raise AssertionError("ran out of reviewers")
            bucket = buckets.get(level)
            if bucket:
                # Sampling (needed + blocked at this level) reviewers guarantees `needed` free
                # ones whenever the bucket has that many.
                blocked_here = sum(1 for reviewer in blocked if load.get(reviewer) == level)
                for reviewer in sample(bucket, min(len(bucket), needed + blocked_here)):
                    if reviewer not in blocked:
                        chosen.append(reviewer)
                        needed -= 1
                        if not needed:
                            break
            level += 1
        for reviewer in chosen:
            level = load[reviewer]
            bucket = buckets[level]
            last = bucket.pop()
            if last != reviewer:
                bucket[position[reviewer]] = last
                position[last] = position[reviewer]
            above = buckets.setdefault(level + 1, [])
            position[reviewer] = len(above)
            above.append(reviewer)
            load[reviewer] = level + 1
            if level + 1 > highest:
                highest = level + 1
        while not buckets.get(lowest):
            lowest += 1
        new[application] = chosen

    # -- 3. Repair ---------------------------------------------------------------------------
    if highest - lowest > 1:
        _repair(new, load, order, blocked_of)

    return {application: tuple(sorted(new[application])) for application in applications}


def _repair(
    new: dict[int, list[int]],
    load: dict[int, int],
    order: list[int],
    blocked_of: dict[int, set[int]],
) -> None:
    """Move new assignments along chains of reviewers until max - min <= 1 or no chain helps.
    Updates ``new`` and ``load`` in place."""
    new_sets = {application: set(chosen) for application, chosen in new.items() if chosen}
    # reviewer -> its new applications, as an insertion-ordered set
    new_of: dict[int, dict[int, None]] = {reviewer: {} for reviewer in order}
    for application, chosen in new.items():
        for reviewer in chosen:
            new_of[reviewer][application] = None

    def can_take(reviewer, application):
        return reviewer not in blocked_of[application] and reviewer not in new_sets[application]

    def chain(sources, is_target):
        """Shortest chain source -> ... -> target as (giver, receiver, application) moves."""
        came_from = {}
        queue = deque(sources)
        seen = set(sources)
        unvisited = [reviewer for reviewer in order if reviewer not in seen]
        while queue and unvisited:
            giver = queue.popleft()
            for application in new_of[giver]:
                left = []
                for receiver in unvisited:
                    if not can_take(receiver, application):
                        left.append(receiver)
                        continue
                    came_from[receiver] = (giver, application)
                    if is_target(receiver):
                        moves = []
                        while receiver in came_from:
                            giver_, application_ = came_from[receiver]
                            moves.append((giver_, receiver, application_))
                            receiver = giver_
                        moves.reverse()
                        return moves
                    queue.append(receiver)
                unvisited = left
                if not unvisited:
                    break
        return None

    while True:
        top = max(load.values())
        bottom = min(load.values())
        if top - bottom <= 1:
            return
        moves = chain([r for r in order if load[r] == top], lambda r, top=top: load[r] <= top - 2)
        if moves is None:
            moves = chain(
                [r for r in order if load[r] >= bottom + 2], lambda r, bottom=bottom: load[r] == bottom
            )
        if moves is None:
            return  # the most balanced assignment reachable by moving new assignments
        for giver, receiver, application in moves:
            chosen = new[application]
            chosen[chosen.index(giver)] = receiver
            new_sets[application].discard(giver)
            new_sets[application].add(receiver)
            del new_of[giver][application]
            new_of[receiver][application] = None
            load[giver] -= 1
            load[receiver] += 1
