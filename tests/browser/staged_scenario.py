"""Where the staged-call journey starts: a copy of the 2022 pilot-city call (its fields and
places, budget, rules and criteria, built by the seed's own builders) whose reception has just
closed, with applications submitted by companies through projects.workflow, and the helpers
that play the reviewers the journey does not walk in the browser."""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.roles import Role
from competitions.demo import PILOT_2022, CallSpec, _advance, _upsert_call
from competitions.models import Call
from evaluation import pledges, reviewing
from evaluation.demo import PLANS, seed_plan
from evaluation.demo_journey import Journey, submitted_applications
from evaluation.models import Assignment
from projects import duplicates

from .scenarios import demo_user

SLUG = "pilot-city-staged"
JOURNEY = Journey(SLUG, "527", applications=22, reviewers=0, seed=14)


def staged_call():
    """The copy of the 2022 pilot-city call, reception closed an hour ago, and its submitted
    applications (22 over the 5 fields); returns (call, applications)."""
    now = timezone.now()
    spec = CallSpec(
        **{
            **PILOT_2022.__dict__,
            "slug": SLUG,
            "title": "Journey: 2022 national pilot smart city contest, evaluated in stages",
            "title_ko": "여정: 2022년 국가시범도시 스마트시티 혁신기술 공모 (단계 평가)",
            "reference_prefix": "PCST",
            "opens_at": now - timedelta(days=30),
            "closes_at": now - timedelta(hours=1),
            "briefing_at": None,
            "tracks": list(PILOT_2022.tracks),
            "fields": list(PILOT_2022.fields),
            "rules": list(PILOT_2022.rules),
        }
    )
    staff = demo_user(Role.STAFF)
    call = _advance(_upsert_call(spec), ["publish"], staff, "Journey: the staged call.")
    criteria, bonuses = PLANS[PILOT_2022.slug]
    seed_plan(call, criteria, bonuses)
    applications = submitted_applications(call, JOURNEY)
    # The journey's companies also applied to the demo's own copy of this call with much the
    # same words: staff have looked at what the duplicate-funding check found and cleared it
    # (the journey is about stages, not about that check, which tests/projects covers).
    for application in applications:
        for finding in duplicates.open_findings(application):
            duplicates.clear_finding(
                finding, by=staff, reason="Checked: the same company's proposal to another call."
            )
    return Call.objects.get(pk=call.pk), applications


def quality_of(applications):
    """How good each application is (the share of each criterion's maximum reviewers give):
    spread from 0.55 to 0.97 in a shuffled order, so that fields differ."""
    levels = [0.55 + 0.02 * n for n in range(len(applications))]
    random.Random(JOURNEY.seed).shuffle(levels)
    return {a.pk: level for a, level in zip(applications, levels, strict=True)}


def points(criterion, level, wobble):
    return str(round(float(criterion.max_points) * min(1.0, max(0.0, level + wobble))))


def score_rest(call, stage, quality, *, skip=()):
    """Every active assignment of the stage but those in ``skip`` (assignment ids): the reviewer
    signs the pledge (once), declares no conflict, scores and submits."""
    assignments = (
        Assignment.objects.filter(application__call=call, stage=stage, state=Assignment.State.ACTIVE)
        .exclude(pk__in=skip)
        .select_related("reviewer__user", "application", "stage")
        .order_by("application__reference", "reviewer__code")
    )
    for n, assignment in enumerate(assignments):
        user = assignment.reviewer.user
        if not pledges.has_signed(assignment.reviewer_id, call.pk):
            pledges.sign_pledge(assignment, by=user, agreed=True, name=str(user))
        pledges.declare_no_conflict(assignment, by=user)
        wobble = ((n % 3) - 1) * 0.02
        entries = {
            c: (points(c, quality[assignment.application_id], wobble), "") for c in stage.criteria.all()
        }
        reviewing.save_review(assignment, entries, by=user, comment="", submit=True)
