"""Conflicts of interest (DESIGN.md §3): the one definition of "conflicted", used to assign
reviewers, to top up after a recusal and again when a review is saved. A reviewer never reviews
an application when

- one of the reviewer's organisations (the recorded affiliation, and every organisation the
  reviewer's account is a member of) takes part in the same Call: as the lead, or as an accepted
  consortium member of any application (so also of this one);
- the reviewer declared a conflict with the lead or an accepted consortium member.

A consortium member counts only once it accepted (ConsortiumMember.counts): an applicant cannot
make a reviewer conflicted by naming the reviewer's institute without its consent.

Underneath both is one rule, ``reviewers_conflicted_with``: a reviewer is conflicted with an
organisation that is one of the reviewer's organisations or that the reviewer declared a
conflict with. The certification's assessors (smartcity.certification) are held to it too.
"""

from collections import defaultdict

from projects.models import Application, ConsortiumMember, Membership

from .models import DeclaredConflict


def reviewers_organisations(reviewers):
    """{reviewer id: {organisation ids}}: affiliation and memberships, in one query."""
    by_user = defaultdict(set)
    for user_id, organisation_id in Membership.objects.filter(
        user_id__in={r.user_id for r in reviewers}
    ).values_list("user_id", "organisation_id"):
        by_user[user_id].add(organisation_id)
    return {
        r.pk: by_user.get(r.user_id, set()) | ({r.affiliation_id} if r.affiliation_id else set())
        for r in reviewers
    }


def reviewers_conflicted_with(reviewers, organisation_ids, *, organisations=None):
    """{reviewer id: the organisations of ``organisation_ids`` the reviewer is conflicted with},
    only for reviewers conflicted with at least one. A reviewer is conflicted with an
    organisation that is the reviewer's affiliation, one the reviewer's account is a member of,
    or one the reviewer declared a conflict with (DeclaredConflict). Two queries, one when
    ``organisations`` (reviewers_organisations' answer for the same reviewers) is given."""
    organisation_ids = set(organisation_ids)
    if organisations is None:
        organisations = reviewers_organisations(reviewers)
    conflicted = defaultdict(set)
    for reviewer_id, own in organisations.items():
        conflicted[reviewer_id] |= own & organisation_ids
    for reviewer_id, organisation_id in DeclaredConflict.objects.filter(
        reviewer__in=[r.pk for r in reviewers]
    ).values_list("reviewer_id", "organisation_id"):
        if organisation_id in organisation_ids:
            conflicted[reviewer_id].add(organisation_id)
    return {reviewer_id: found for reviewer_id, found in conflicted.items() if found}


def conflicts_for(call, applications, reviewers):
    """{application id: {reviewer ids that may not review it}} for ``reviewers`` (Reviewer
    objects with ``user_id`` and ``affiliation_id``), in a fixed number of queries: a reviewer
    conflicted with one of the application's organisations (reviewers_conflicted_with), and a
    reviewer whose own organisation takes part anywhere in the call."""
    application_ids = [a.pk for a in applications]
    organisations_of = defaultdict(set)  # application -> its organisations
    for application in applications:
        organisations_of[application.pk].add(application.lead_id)
    for application_id, organisation_id in (
        ConsortiumMember.objects.taking_part()
        .filter(application_id__in=application_ids)
        .values_list("application_id", "organisation_id")
    ):
        organisations_of[application_id].add(organisation_id)

    # Organisations taking part anywhere in this call (as lead or accepted member).
    in_call = set(Application.objects.filter(call=call).values_list("lead_id", flat=True))
    in_call |= set(
        ConsortiumMember.objects.taking_part()
        .filter(application__call=call)
        .values_list("organisation_id", flat=True)
    )

    own = reviewers_organisations(reviewers)
    conflicted = reviewers_conflicted_with(
        reviewers, set().union(*organisations_of.values()), organisations=own
    )
    applying_reviewers = {
        reviewer_id for reviewer_id, organisations in own.items() if organisations & in_call
    }
    return {
        application_id: applying_reviewers
        | {
            reviewer_id
            for reviewer_id, organisations in conflicted.items()
            if organisations & organisations_of[application_id]
        }
        for application_id in application_ids
    }


def is_conflicted(reviewer, application):
    """One pair, for checks at the moment of reviewing (e.g. a conflict found late)."""
    conflicts = conflicts_for(application.call, [application], [reviewer])
    return reviewer.pk in conflicts[application.pk]
