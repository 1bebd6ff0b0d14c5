"""Who may do what in certification (``rules`` predicates, checked per object on the server):
an applicant's organisation sees its own applications and certificates; assessors see what
they were assigned; staff run rounds, assign, decide and suspend; the public sees only the
catalogue."""

import rules

from accounts.roles import Role, has_role


@rules.predicate
def is_staff_member(user):
    return has_role(user, Role.STAFF)


@rules.predicate
def is_applicant_member(user, application):
    if application is None or not user.is_authenticated:
        return False
    return application.organisation.memberships.filter(user=user).exists()


@rules.predicate
def is_assigned_assessor(user, application):
    if application is None or not user.is_authenticated:
        return False
    return application.assessments.filter(assessor=user).exists()


rules.add_perm(
    "smartcity.view_certificationapplication", is_applicant_member | is_assigned_assessor | is_staff_member
)
rules.add_perm("smartcity.assess_certificationapplication", is_assigned_assessor)
rules.add_perm("smartcity.decide_certificationapplication", is_staff_member)
rules.add_perm("smartcity.change_certificate_state", is_staff_member)
rules.add_perm("smartcity.add_certificationround", is_staff_member)
rules.add_perm("smartcity.change_certificationindex", is_staff_member)
