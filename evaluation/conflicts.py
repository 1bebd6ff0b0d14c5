"""Conflicts of interest (DESIGN.md §3): a reviewer never reviews an application when

- the reviewer's organisation leads it or is in its consortium;
- the reviewer's organisation applies (as lead or member) to the same Call;
- the reviewer declared a conflict with the lead or a consortium member.
"""

from collections import defaultdict

from projects.models import Application, ConsortiumMember

from .models import DeclaredConflict


def conflicts_for(call, applications, reviewers):
    """{application id: {reviewer ids that may not review it}} for ``reviewers`` (Reviewer
    objects with ``affiliation_id``), in a fixed number of queries."""
    application_ids = [a.pk for a in applications]
    organisations_of = defaultdict(set)  # application -> its organisations
    for application in applications:
        organisations_of[application.pk].add(application.lead_id)
    for application_id, organisation_id in ConsortiumMember.objects.filter(
        application_id__in=application_ids
    ).values_list("application_id", "organisation_id"):
        organisations_of[application_id].add(organisation_id)

    # Organisations taking part anywhere in this call (as lead or member).
    in_call = set(Application.objects.filter(call=call).values_list("lead_id", flat=True))
    in_call |= set(
        ConsortiumMember.objects.filter(application__call=call).values_list("organisation_id", flat=True)
    )

    declared = defaultdict(set)  # organisation -> reviewers who declared a conflict with it
    for reviewer_id, organisation_id in DeclaredConflict.objects.filter(
        reviewer__in=[r.pk for r in reviewers]
    ).values_list("reviewer_id", "organisation_id"):
        declared[organisation_id].add(reviewer_id)

    applying_reviewers = {r.pk for r in reviewers if r.affiliation_id and r.affiliation_id in in_call}
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
