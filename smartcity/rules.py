"""Who may do what in the smart-city schemes (``rules`` predicates, autodiscovered)."""

import rules

from projects.rules import is_staff_member

# menu: a service package is read by its local government's members and by staff, and changed
# only by its local government's members (smartcity.menu says when it may change at all).


@rules.predicate
def is_package_member(user, package):
    if package is None or not user.is_authenticated:
        return False
    return package.organisation.memberships.filter(user=user).exists()


rules.add_perm("smartcity.view_package", is_package_member | is_staff_member)
rules.add_perm("smartcity.change_package", is_package_member)
