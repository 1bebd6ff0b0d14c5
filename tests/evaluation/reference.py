"""An independent reading of DESIGN.md §3 "Scoring" and "Selection", for the property tests.

It shares nothing with evaluation.scoring or evaluation.selection but the input records: exact
fractions instead of Decimal contexts, an explicit comparison function instead of sort keys, and
the walk written out as the rule book states it. When the product and this disagree, one of the
two misreads the rules.
"""

from fractions import Fraction
from functools import cmp_to_key
from math import floor


def exact(value):
    return Fraction(str(value))


def to_two_places(value):
    """Half-up (away from zero on a tie) to 2 decimals, as a Fraction of hundredths."""
    scaled = value * 100
    sign = -1 if scaled < 0 else 1
    return Fraction(sign * floor(abs(scaled) + Fraction(1, 2)), 100)


def aggregate(values, method, trim_at):
    values = sorted(exact(v) for v in values)
    if not values:
        return None
    if method == "median":
        middle = len(values) // 2
        if len(values) % 2:
            return to_two_places(values[middle])
        return to_two_places((values[middle - 1] + values[middle]) / 2)
    if method == "trimmed_mean" and len(values) >= trim_at:
        values = values[1:-1]  # one highest and one lowest, even when tied
    return to_two_places(sum(values) / len(values))


def score(candidate, plan):
    """(evaluation score, bonus, final score, top-criterion score, below cutoff), as Fractions."""
    evaluation = aggregate(candidate.reviewer_totals, plan.method, plan.trim_at)
    bonus = to_two_places(min(sum(exact(p) for p in candidate.bonus_points), exact(plan.bonus_cap)))
    final = None if evaluation is None else evaluation + bonus
    top = None
    if plan.top_criterion_id is not None:
        top = aggregate(candidate.criterion_points.get(plan.top_criterion_id, ()), plan.method, plan.trim_at)
    below = evaluation is None or evaluation < exact(plan.cutoff)
    for criterion_id, minimum in plan.thresholds.items():
        points = aggregate(candidate.criterion_points.get(criterion_id, ()), plan.method, plan.trim_at)
        if points is None or points < exact(minimum):
            below = True
    return evaluation, bonus, final, top, below


def _higher_first(a, b):
    """Higher value first; a missing value after every present one."""
    if a == b:
        return 0
    if a is None:
        return 1
    if b is None:
        return -1
    return -1 if a > b else 1


def _lower_first(a, b):
    if a == b:
        return 0
    if a is None:
        return 1
    if b is None:
        return -1
    return -1 if a < b else 1


def compare(x, y, tie_breaks):
    """x before y (-1) or after (1): final score, then each tie-break in the plan's order, then the
    application id (so that the order is total)."""
    (cx, sx), (cy, sy) = x, y
    outcome = _higher_first(sx[2], sy[2])
    for name in tie_breaks:
        if outcome:
            return outcome
        if name == "top_criterion":
            outcome = _higher_first(sx[3], sy[3])
        elif name == "sme_lead":
            outcome = _higher_first(cx.lead_is_sme, cy.lead_is_sme)
        elif name == "lower_subsidy":
            outcome = _lower_first(cx.requested_subsidy, cy.requested_subsidy)
        elif name == "earlier_submission":
            outcome = _lower_first(cx.submitted_at, cy.submitted_at)
        elif name == "lower_reference":
            outcome = _lower_first(cx.reference, cy.reference)
    return outcome or _lower_first(cx.application_id, cy.application_id)


def select(candidates, plan, quotas):
    """[(application id, outcome, reason, rank, evaluation, bonus, final)]: the ranked ones in
    order, then the ones below the cutoff (best final score first, then by reference)."""
    scored = [(c, score(c, plan)) for c in candidates]
    ranked = sorted(
        (pair for pair in scored if not pair[1][4]),
        key=cmp_to_key(lambda x, y: compare(x, y, plan.tie_breaks)),
    )
    selected, reserves, rows = [], {}, []
    for position, (c, s) in enumerate(ranked, 1):
        spent = sum(x.requested_subsidy for x in selected)
        if c.field_id in quotas.field_max and (
            sum(1 for x in selected if x.field_id == c.field_id) >= quotas.field_max[c.field_id]
        ):
            reason = "field_quota_full"
        elif c.track_id in quotas.track_max and (
            sum(1 for x in selected if x.track_id == c.track_id) >= quotas.track_max[c.track_id]
        ):
            reason = "track_quota_full"
        elif len(selected) >= quotas.call_max:
            reason = "call_quota_full"
        elif spent + c.requested_subsidy > quotas.budget:
            reason = "budget_exhausted"
        else:
            reason = "selected"
        if reason == "selected":
            selected.append(c)
            outcome = "selected"
        else:
            reserves[c.field_id] = reserves.get(c.field_id, 0) + 1
            outcome = "reserve" if reserves[c.field_id] <= quotas.reserve_per_field else "not_selected"
        rows.append((c.application_id, outcome, reason, position, *s[:3]))
    below = sorted(
        (pair for pair in scored if pair[1][4]),
        key=cmp_to_key(
            lambda x, y: (
                _higher_first(x[1][2], y[1][2])
                or _lower_first(x[0].reference, y[0].reference)
                or _lower_first(x[0].application_id, y[0].application_id)
            )
        ),
    )
    rows += [(c.application_id, "below_cutoff", "below_cutoff", None, *s[:3]) for c, s in below]
    return rows


# -- Stages (DESIGN.md §3 "Stages") ------------------------------------------------------------


def field_places(rule, count, multiple, field_max, call_max, field_id):
    """N for a field: a fixed number, the multiple of the field's maximum awards rounded up, or
    None (everyone at or above the cutoff)."""
    if rule == "top_n":
        return count
    if rule == "multiple":
        places = exact(multiple) * field_max.get(field_id, call_max)
        return -floor(-places)  # rounded up
    return None


def advance(candidates, plan, rule, count, multiple, field_max, call_max, minimum_reviews=0):
    """{application id: (outcome, reason, margin)}, as the rule book states it: an application
    with fewer reviews than the stage's minimum is not scored (held, with the reviews missing);
    below the stage's cutoff eliminated with the distance to the cutoff (or to a failed
    threshold); the rest, field by field, ranked by stage score and tie-breaks; the first N
    advance; the others are eliminated with the distance to the last advancing score."""
    outcomes = {}
    by_field = {}
    for c in candidates:
        if len(c.reviewer_totals) < minimum_reviews:
            outcomes[c.application_id] = ("held", "too_few_reviews", minimum_reviews - len(c.reviewer_totals))
            continue
        s = score(c, plan)
        if s[4]:
            shortfalls = [exact(plan.cutoff) - (s[0] if s[0] is not None else 0)]
            if s[0] is not None:
                for criterion_id, minimum in plan.thresholds.items():
                    points = aggregate(c.criterion_points.get(criterion_id, ()), plan.method, plan.trim_at)
                    shortfalls.append(exact(minimum) - (points if points is not None else 0))
            outcomes[c.application_id] = ("eliminated", "below_cutoff", to_two_places(max(shortfalls)))
        else:
            by_field.setdefault(c.field_id, []).append((c, s))
    for field_id, pairs in by_field.items():
        ordered = sorted(pairs, key=cmp_to_key(lambda x, y: compare(x, y, plan.tie_breaks)))
        n = field_places(rule, count, multiple, field_max, call_max, field_id)
        if n is None:
            n = len(ordered)
        last = ordered[min(n, len(ordered)) - 1][1][0] if n else None
        for position, (c, s) in enumerate(ordered, 1):
            if position <= n:
                outcomes[c.application_id] = ("advanced", "advanced", None)
            else:
                outcomes[c.application_id] = (
                    "eliminated",
                    "not_advanced",
                    None if last is None else last - s[0],
                )
    return outcomes


def weighted_final(stage_scores, weights):
    """The weighted sum of the stage scores (already rounded), weights in percent, rounded half-up."""
    return to_two_places(sum(exact(w) * exact(s) for w, s in zip(weights, stage_scores, strict=True)) / 100)


def shortfall(rows, minimum):
    """(minimum, selected) when the rows of ``select`` hold fewer selected applications than the
    call's minimum number of awards, else None (no minimum: None)."""
    selected = len([row for row in rows if row[1] == "selected"])
    if minimum > 0 and selected < minimum:
        return (minimum, selected)
    return None
