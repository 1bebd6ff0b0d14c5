from django.utils.functional import SimpleLazyObject

from .roles import Role


def roles(request):
    """``user_roles``: the signed-in user's role values, fetched only if a template asks."""

    def load():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return frozenset()
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.STAFF.value)
        return frozenset(names)

    return {"user_roles": SimpleLazyObject(load)}
