"""The four kinds of people and how each is recognised.

Roles are Django groups, so staff can grant them in the admin; the model permissions each
group carries are declared here, in one place, and applied by ``sync_role_groups``.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    STAFF = "staff", _("Ministry staff")
    REVIEWER = "reviewer", _("Reviewer")
    AUDITOR = "auditor", _("Auditor")


# Group name (stable, English) -> model permissions "app_label.codename".
_STAFF_MODELS = [
    "competitions.programme",
    "competitions.call",
    "competitions.track",
    "competitions.servicefield",
    "competitions.technologyfield",
    "competitions.servicetype",
    "competitions.region",
    "competitions.sizeclass",
    "competitions.smartservice",
    "competitions.smartservicearea",
]
ROLE_PERMISSIONS = {
    Role.STAFF: [f"{model}:{action}" for model in _STAFF_MODELS for action in ("view", "add", "change")]
    + ["django_fsm_log.statelog:view"],
    Role.AUDITOR: [f"{model}:view" for model in _STAFF_MODELS] + ["django_fsm_log.statelog:view"],
    Role.REVIEWER: [],
    Role.APPLICANT: [],
}


def group_for(role):
    return Group.objects.get_or_create(name=Role(role).value)[0]


def sync_role_groups():
    """Create one group per role with exactly the permissions listed above."""
    for role, entries in ROLE_PERMISSIONS.items():
        group = group_for(role)
        perms = []
        for entry in entries:
            model, action = entry.split(":")
            app_label, model_name = model.split(".")
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model_name}")
            )
        group.permissions.set(perms)


def has_role(user, role):
    if not user.is_authenticated:
        return False
    if role == Role.STAFF and user.is_superuser:
        return True
    return user.groups.filter(name=Role(role).value).exists()
