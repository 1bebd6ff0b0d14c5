"""Who may call what: the token's scope, then the person's role. Objects are checked with the
same ``rules`` predicates as the pages (in the views, per object: an object the caller may not
see answers 404, as on the pages)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.roles import Role, has_role


class TokenScope(permissions.BasePermission):
    """Reading needs any token; writing needs a token with the write scope."""

    message = _("This token may only read; make a token with the write scope to change anything.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return token is not None and getattr(token, "allows_writing", False)


class Authenticated(permissions.IsAuthenticated):
    message = _("Give a personal access token: Authorization: Bearer gm_…")


class _RolePermission(permissions.BasePermission):
    role = None

    def has_permission(self, request, view):
        return request.user.is_authenticated and has_role(request.user, self.role)


class IsStaff(_RolePermission):
    role = Role.STAFF
    message = _("Only ministry staff may call this.")


class IsAuditor(_RolePermission):
    role = Role.AUDITOR
    message = _("Only auditors may call this.")
