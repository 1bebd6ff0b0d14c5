"""Who may assess a certification application (issue 17): the evaluation's reviewers, held to
the evaluation's conflict rule (evaluation.conflicts.reviewers_conflicted_with). A reviewer
whose affiliation is the applicant, whose account is a member of it, or who declared a conflict
with it never assesses it: refused when staff assign, and again when the scores come in (a
conflict declared late)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from evaluation.conflicts import reviewers_conflicted_with
from evaluation.models import Reviewer


@dataclass
class Candidate:
    """A reviewer as staff see them when assigning assessors: the technology fields of their
    expertise that the application names first, then the others; conflicted or not."""

    reviewer: Reviewer
    matching: list
    other: list
    conflicted: bool

    @property
    def user(self):
        return self.reviewer.user


def assessor_candidates(application):
    """Every reviewer of the pool, those whose expertise matches the application's technology
    fields first (most matches first), each marked conflicted or not. Four queries."""
    wanted = set(application.technology_fields.values_list("pk", flat=True))
    reviewers = list(
        Reviewer.objects.select_related("user", "affiliation").prefetch_related("expertise").order_by("code")
    )
    conflicted = reviewers_conflicted_with(reviewers, [application.organisation_id])
    candidates = []
    for reviewer in reviewers:
        fields = list(reviewer.expertise.all())
        candidates.append(
            Candidate(
                reviewer,
                matching=[f for f in fields if f.pk in wanted],
                other=[f for f in fields if f.pk not in wanted],
                conflicted=reviewer.pk in conflicted,
            )
        )
    candidates.sort(key=lambda c: (c.conflicted, -len(c.matching)))  # stable: by code within
    return candidates


NOT_A_REVIEWER, CONFLICTED = "not_a_reviewer", "conflicted"


def _refusals(application, people):
    """{user id: NOT_A_REVIEWER or CONFLICTED} for those of ``people`` who may not assess."""
    reviewers = {r.user_id: r for r in Reviewer.objects.filter(user__in=[p.pk for p in people])}
    conflicted = reviewers_conflicted_with(list(reviewers.values()), [application.organisation_id])
    refusals = {}
    for person in people:
        reviewer = reviewers.get(person.pk)
        if reviewer is None:
            refusals[person.pk] = NOT_A_REVIEWER
        elif reviewer.pk in conflicted:
            refusals[person.pk] = CONFLICTED
    return refusals


def assessor_problems(application, people):
    """Why each of ``people`` (users) may not be assigned to assess ``application``: not in the
    reviewer pool, or conflicted with the applicant. Empty when all may."""
    refusals = _refusals(application, people)
    problems = []
    for person in people:
        if refusals.get(person.pk) == NOT_A_REVIEWER:
            problems.append(
                _("%(person)s is not in the reviewer pool: only reviewers assess certification applications.")
                % {"person": person}
            )
        elif refusals.get(person.pk) == CONFLICTED:
            problems.append(
                _(
                    "%(person)s has a conflict of interest with %(organisation)s (affiliation, "
                    "membership or a declared conflict) and cannot assess its application."
                )
                % {"person": person, "organisation": application.organisation.name}
            )
    return problems


def scoring_problems(application, assessor):
    """Why the assessor may not score now (checked again when the scores come in): no longer a
    reviewer, or a conflict found or declared since the assignment."""
    refusal = _refusals(application, [assessor]).get(assessor.pk)
    if refusal == NOT_A_REVIEWER:
        return [_("Only reviewers in the pool assess certification applications.")]
    if refusal == CONFLICTED:
        # The evaluation's own words for the same rule.
        return [
            _("You have a conflict of interest with this application and cannot score it; recuse yourself.")
        ]
    return []
