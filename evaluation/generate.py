"""Synthetic but realistic evaluation data for a Call, deterministic for a seed: organisations,
applications across tracks and fields, reviewers in a panel, assignments (by the real
assignment code) and submitted scores, moved through the workflow to ``scored``.

Used by staff scripts, the benchmarks and tests; everything is written in bulk.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, group_for
from accounts.system import system_user
from competitions.models import Region
from projects.models import Application, ApplicationState, Organisation, ReferenceCounter
from projects.registration_number import check_digit

from .assigning import assign_reviewers
from .models import (
    Assignment,
    BonusAward,
    BonusRule,
    Criterion,
    EvaluationPlan,
    Panel,
    Review,
    Reviewer,
    Score,
)
from .review_progress import recount
from .reviewing import complete_reviews

DEFAULT_CRITERIA = [
    ("Innovation", "혁신성", 30),
    ("Feasibility", "실현 가능성", 25),
    ("Fit with the pilot city", "시범도시 적합성", 20),
    ("Potential to spread", "확산 가능성", 15),
    ("Team capability", "수행 역량", 10),
]
DEFAULT_BONUS = [
    ("sme-lead", "SME lead", "중소기업 주관", 1),
    ("non-capital", "Outside the capital region", "비수도권", 1),
]
SIZE_WEIGHTS = [("sme", 80), ("mid", 12), ("large", 3), ("nonprofit", 5)]


def ensure_plan(call):
    plan, created = EvaluationPlan.objects.get_or_create(call=call)
    if created or not plan.criteria.exists():
        Criterion.objects.bulk_create(
            Criterion(plan=plan, name=name, name_ko=name_ko, max_points=points, position=position)
            for position, (name, name_ko, points) in enumerate(DEFAULT_CRITERIA)
        )
        BonusRule.objects.bulk_create(
            BonusRule(
                plan=plan, code=code, label=label, label_ko=label_ko, points=points, evidence_required=False
            )
            for code, label, label_ko, points in DEFAULT_BONUS
        )
    return plan


def _registration_numbers(rng, count):
    numbers = set(Organisation.objects.values_list("registration_number", flat=True))
    result = []
    while len(result) < count:
        first_nine = f"{rng.randrange(100_000_000, 999_999_999)}"
        number = first_nine + str(check_digit(first_nine))
        if number not in numbers:
            numbers.add(number)
            result.append(number)
    return result


@transaction.atomic
def generate(call, *, count, reviewers, seed=0, by):
    """Everything at once: applicants, reviewers, assignments, scores; returns the eligible
    applications (those that pass the call's own rules; the others are generated ineligible)."""
    rng = random.Random(seed)
    applications = create_applications(call, count=count, reviewers=reviewers, seed=seed, by=by, rng=rng)
    assign_reviewers(call, by=by, seed=seed)
    score_all(call, applications, by=by, rng=rng)
    return applications


def create_applications(call, *, count, reviewers, seed, by, rng):
    """Eligible applications and a panel of reviewers (not yet assigned)."""
    plan = ensure_plan(call)
    regions = list(Region.objects.all())
    tracks = list(call.tracks.all())
    fields = list(call.service_fields.all()) or [None]
    tag = f"{call.slug}-{seed}"

    # Reviewers, each affiliated with an organisation that does not apply.
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"reviewer-{tag}-{n:04d}@gongmo.example", password=password, first_name=f"Reviewer {n}")
        for n in range(reviewers)
    )
    group_for(Role.REVIEWER).user_set.add(*users)
    # Registration numbers come from their own stream, so that skipping numbers already taken
    # never shifts the rest of the generated data.
    numbers = _registration_numbers(random.Random(f"{seed}-{call.slug}"), count + reviewers)
    affiliations = Organisation.objects.bulk_create(
        Organisation(
            name=f"Institute {tag} {n}",
            registration_number=numbers[count + n],
            kind="university",
            region=rng.choice(regions),
            size_class="nonprofit",
        )
        for n in range(reviewers)
    )
    first_code = Reviewer.objects.count() + 1
    panel_members = Reviewer.objects.bulk_create(
        Reviewer(user=user, affiliation=affiliation, code=f"R{first_code + n:05d}")
        for n, (user, affiliation) in enumerate(zip(users, affiliations, strict=True))
    )
    panel, _created = Panel.objects.get_or_create(
        call=call, track=None, service_field=None, defaults={"name": f"Panel {call.slug}"}
    )
    panel.reviewers.add(*panel_members)

    # Applicants and their applications.
    sizes = [code for code, weight in SIZE_WEIGHTS for _ in range(weight)]
    leads = Organisation.objects.bulk_create(
        (
            Organisation(
                name=f"Company {tag} {n}",
                registration_number=numbers[n],
                kind="company",
                region=rng.choice(regions),
                industry="ict",
                size_class=rng.choice(sizes),
            )
            for n in range(count)
        ),
        batch_size=5000,
    )
    counter, _created = ReferenceCounter.objects.get_or_create(call=call)
    prefix = call.reference_prefix or call.slug.upper()[:8]
    start = counter.last_number
    submitted = call.closes_at - timedelta(days=3)

    def application(n, lead):
        track, field = rng.choice(tracks), rng.choice(fields)  # drawn in this order: a seed's data
        plan = _funding_plan(call, track, rng)
        return Application(
            call=call,
            track=track,
            service_field=field,
            lead=lead,
            created_by=by,
            title=f"Generated proposal {n + 1}",
            state=ApplicationState.ELIGIBLE,
            reference=f"{prefix}-{start + n + 1:05d}",
            submitted_at=submitted + timedelta(seconds=rng.randint(0, 3 * 86400)),
            **plan,
        )

    applications = Application.objects.bulk_create(
        (application(n, lead) for n, lead in enumerate(leads)), batch_size=5000
    )
    counter.last_number = start + count
    counter.save(update_fields=["last_number"])
    applications = _refuse_ineligible(call, applications)
    bonus_rules = list(plan.bonus_rules.all())
    BonusAward.objects.bulk_create(
        (
            BonusAward(application=application, rule=rule, evidence="generated")
            for application in applications
            for rule in bonus_rules
            if rng.random() < 0.3
        ),
        batch_size=5000,
    )
    return applications


def _funding_plan(call, track, rng):
    """A funding plan within the call's rules: the request between the call's minimum and the
    track's cap (in whole millions), and a private contribution at least as large as the request
    (a government share of at most 50 %, the strictest matching rule) with at least a quarter of
    it in cash."""
    million = 1_000_000
    low = max(-(-call.subsidy_min // million), 10)
    high = track.effective_subsidy_max // million
    if high < low:
        raise ValueError(f"Track {track} of {call.slug} allows no request in whole millions.")
    requested = rng.randint(low, high) * million
    cash = rng.randint(20, 120) * million
    in_kind = rng.randint(0, 60) * million
    return {
        "requested_subsidy": requested,
        "private_cash": max(cash, requested - in_kind),
        "private_in_kind": in_kind,
    }


# Generated applications carry no files: the one rule not checked when they are generated.
UNCHECKED_RULES = {"required_documents"}


def _refuse_ineligible(call, applications):
    """Only applications that pass the call's own eligibility rules stay eligible: the others
    (a non-SME lead where the call wants one, say) are ineligible, with the failing reasons.
    Returns the eligible ones."""
    from competitions.models import EligibilityRule
    from projects.eligibility_check import check_many, with_eligibility_data

    if not EligibilityRule.objects.filter(call=call).exclude(kind__in=UNCHECKED_RULES).exists():
        return applications
    refused = {}
    ids = [a.pk for a in applications]
    for first in range(0, len(ids), 2000):
        batch = with_eligibility_data(Application.objects.filter(pk__in=ids[first : first + 2000]))
        for pk, results in check_many(batch).items():
            failing = [r for r in results if not r.passed and r.kind not in UNCHECKED_RULES]
            if failing:
                refused[pk] = " ".join(f"{r.label}: {r.reason}" for r in failing)
    for pk, reason in refused.items():
        Application.objects.filter(pk=pk).update(state=ApplicationState.INELIGIBLE, decision_reason=reason)
    return [a for a in applications if a.pk not in refused]


def score_all(call, applications, *, by, rng):
    """Submitted reviews for every assignment: each application has a quality, each review
    adds the reviewer's noise. Then the applications are scored."""
    criteria = list(Criterion.objects.filter(plan__call=call))
    quality = {a.pk: rng.uniform(0.45, 0.98) for a in applications}
    now = timezone.now()
    assignments = list(
        Assignment.objects.filter(application__call=call, application_id__in=quality)
        .order_by("pk")
        .values_list("pk", "application_id")
    )
    reviews = Review.objects.bulk_create(
        (
            Review(
                assignment_id=pk,
                application_id=application_id,
                state=Review.State.SUBMITTED,
                submitted_at=now,
            )
            for pk, application_id in assignments
        ),
        batch_size=5000,
    )
    scores = []
    for review in reviews:
        level = quality[review.application_id]
        total = Decimal(0)
        for criterion in criteria:
            share = min(1.0, max(0.0, level + rng.gauss(0, 0.08)))
            points = (criterion.max_points * Decimal(str(round(share, 2)))).quantize(Decimal("1"))
            total += points * criterion.weight
            scores.append(Score(review=review, criterion=criterion, points=points))
        review.total = total
    Review.objects.bulk_update(reviews, ["total"], batch_size=5000)
    Score.objects.bulk_create(scores, batch_size=10000)
    recount(call.pk)
    complete_reviews(quality, by=by, description="Generated scores.")


__all__ = ["ensure_plan", "generate", "system_user"]
