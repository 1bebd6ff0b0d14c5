from django.utils.functional import SimpleLazyObject

from .roles import applies_for_grants, roles_of


def roles(request):
    """``user_roles``: the signed-in user's role values, and ``applies_for_grants``: whether the
    menu offers *My applications*; each fetched only if a template asks."""
    user = getattr(request, "user", None)
    return {
        "user_roles": SimpleLazyObject(lambda: roles_of(user) if user is not None else frozenset()),
        "applies_for_grants": SimpleLazyObject(lambda: user is not None and applies_for_grants(user)),
    }
