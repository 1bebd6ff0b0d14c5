"""Who may do what in a living lab (``rules`` predicates, checked per object on the server):
the public reads the lab; a citizen joins and gives feedback as a participant; the lab's
staff-approved managers and staff move its phase and read its results; only the approved
managers read participants' personal data (staff see results, not people)."""

import rules

from accounts.roles import Role, has_role


@rules.predicate
def is_staff_member(user):
    return has_role(user, Role.STAFF)


@rules.predicate
def is_lab_manager(user, lab):
    if lab is None or not user.is_authenticated:
        return False
    return lab.managers.filter(user=user).exists()


rules.add_perm("smartcity.run_livinglab", is_lab_manager | is_staff_member)
rules.add_perm("smartcity.view_livinglab_results", is_lab_manager | is_staff_member)
rules.add_perm("smartcity.view_livinglab_participants", is_lab_manager)
rules.add_perm("smartcity.approve_livinglab_manager", is_staff_member)
