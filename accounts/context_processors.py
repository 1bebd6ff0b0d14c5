from django.utils.functional import SimpleLazyObject

from .roles import roles_of


def roles(request):
    """``user_roles``: the signed-in user's role values, fetched only if a template asks."""
    return {
        "user_roles": SimpleLazyObject(
            lambda: roles_of(getattr(request, "user", None)) if hasattr(request, "user") else frozenset()
        )
    }
