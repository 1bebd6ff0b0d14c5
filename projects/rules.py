"""Who may do what with applications, organisations and documents (``rules`` predicates).

Object permissions are checked on the server for every object: an applicant sees only its own
organisations' applications; staff see all; reviewers and auditors get nothing here yet.
"""

import rules

from accounts.roles import Role, has_role


@rules.predicate
def is_staff_member(user):
    return has_role(user, Role.STAFF)


@rules.predicate
def is_auditor(user):
    return has_role(user, Role.AUDITOR)


@rules.predicate
def is_organisation_member(user, organisation):
    if organisation is None or not user.is_authenticated:
        return False
    return organisation.memberships.filter(user=user).exists()


@rules.predicate
def is_organisation_owner(user, organisation):
    if organisation is None or not user.is_authenticated:
        return False
    return organisation.memberships.filter(user=user, role="owner").exists()


@rules.predicate
def is_lead_member(user, application):
    """A member of the application's lead organisation. Read from the lead's people when they
    were read with the application (a submission reads them for its receipt), else asked."""
    if application is None or not user.is_authenticated:
        return False
    lead = application.lead
    members = getattr(lead, "_prefetched_objects_cache", {}).get("members")
    if members is not None:
        return any(member.pk == user.pk for member in members)
    return lead.memberships.filter(user=user).exists()


rules.add_perm("projects.view_organisation", is_organisation_member | is_staff_member)
rules.add_perm("projects.change_organisation", is_organisation_owner)
rules.add_perm("projects.view_application", is_lead_member | is_staff_member)
rules.add_perm("projects.change_application", is_lead_member)
# The printed documents of an application (its receipt, its result letter as PDF): the lead
# organisation's people, staff, and auditors (who read every application).
rules.add_perm("projects.print_application", is_lead_member | is_staff_member | is_auditor)
rules.add_perm("projects.decide_eligibility", is_staff_member)
# Correction requests (projects.corrections): staff ask; the lead's members correct and resubmit.
rules.add_perm("projects.request_correction", is_staff_member)
# Identity (projects.identity): only staff correct a registration number or verify a public body.
rules.add_perm("projects.change_registration_number", is_staff_member)
rules.add_perm("projects.verify_organisation", is_staff_member)
rules.add_perm("projects.check_duplicates", is_staff_member)


@rules.predicate
def is_agreement_party_member(user, project):
    """A member of an organisation that is a party to the project's agreement (the lead, or an
    active consortium member)."""
    if project is None or not user.is_authenticated:
        return False
    from .models import AgreementParty, PartyState

    return AgreementParty.objects.filter(
        project=project, state=PartyState.ACTIVE, organisation__memberships__user=user
    ).exists() or is_lead_member(user, project.award.application)


# The agreement summary PDF (projects.views.printouts.agreement_summary): the parties' people,
# staff and auditors.
rules.add_perm("projects.print_agreement", is_agreement_party_member | is_staff_member | is_auditor)
