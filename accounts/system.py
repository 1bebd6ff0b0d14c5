"""The account that scheduled tasks and scripts act as, so that every change they make is
logged with a who, like a person's."""

from accounts.models import User
from accounts.roles import Role, group_for

SYSTEM_EMAIL = "system@gongmo.local"


def system_user():
    """A staff account that cannot log in (no usable password), created on first use."""
    user, created = User.objects.get_or_create(email=SYSTEM_EMAIL, defaults={"first_name": "Gongmo scripts"})
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(group_for(Role.STAFF))
    return user
