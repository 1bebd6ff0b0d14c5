"""Conflicts of interest (DESIGN.md §3): the one definition of "conflicted", used to assign
reviewers, to top up after a recusal and again when a review is saved. A reviewer never reviews
an application when

- one of the reviewer's organisations (the recorded affiliation, and every organisation the
  reviewer's account is a member of) takes part in the same Call: as the lead, or as an accepted
  consortium member of any application (so also of this one);
- the reviewer declared a conflict with the lead or an accepted consortium member.

A consortium member counts only once it accepted (ConsortiumMember.counts): an applicant cannot
make a reviewer conflicted by naming the reviewer's institute without its consent.
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


def conflicts_for(call, applications, reviewers):
    """{application id: {reviewer ids that may not review it}} for ``reviewers`` (Reviewer
    objects with ``user_id`` and ``affiliation_id``), in a fixed number of queries."""
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

    declared = defaultdict(set)  # organisation -> reviewers who declared a conflict with it
    for reviewer_id, organisation_id in DeclaredConflict.objects.filter(
        reviewer__in=[r.pk for r in reviewers]
    ).values_list("reviewer_id", "organisation_id"):
        declared[organisation_id].add(reviewer_id)

    applying_reviewers = {
        reviewer_id
        for reviewer_id, organisations in reviewers_organisations(reviewers).items()
        if organisations & in_call
    }
    conflicts = {}
    for application_id in application_ids:
        blocked = set(applying_reviewers)
        for organisation_id in organisations_of[application_id]:
            blocked |= declared.get(organisation_id, set())
        conflicts[application_id] = blocked
    return conflicts


def is_conflicted(reviewer, application):
    """One pair, for checks at the moment of reviewing (e.g. a conflict found late)."""
    conflicts = conflicts_for(application.call, [application], [reviewer])
    return reviewer.pk in conflicts[application.pk]
