"""The four kinds of people and how each is recognised.

Roles are Django groups, so staff can grant them in the admin; the model permissions each
group carries are declared here, in one place, and applied by ``sync_role_groups``.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import CharField, Value
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
    "competitions.district",
    "competitions.sizeclass",
    "competitions.smartservice",
    "competitions.smartservicearea",
    "competitions.eligibilityrule",
]
# The call's notice page (competitions.notices): staff and auditors read it in the admin; it
# changes only on the staff's notice page, never there.
_NOTICE_PAGE_MODELS = [
    "competitions.calldocument",
    "competitions.notice",
    "competitions.noticerevision",
    "competitions.inquiry",
    "competitions.callcontact",
    "competitions.deadlineextension",
]
# Staff see applicants' records and record sanctions; they never edit what applicants submitted.
_STAFF_PROJECT_PERMISSIONS = [
    "projects.organisation:view",
    "projects.organisation:change",
    "projects.fiscalyear:view",
    "projects.registrationnumberrecord:view",
    "projects.sanction:view",
    "projects.sanction:add",
    "projects.sanction:change",
    "projects.application:view",
    "projects.consortiummember:view",
    "projects.document:view",
    "projects.outboxmessage:view",
    "projects.award:view",
    "projects.project:view",
    "projects.phase:view",
    "projects.disbursemententry:view",
    "projects.expenditure:view",
    "projects.settlement:view",
    # Performance indicators: staff set a call's requirements; proposals and results are read.
    "projects.indicatorsettings:view",
    "projects.indicatorsettings:add",
    "projects.indicatorsettings:change",
    "projects.indicator:view",
    "projects.indicatortarget:view",
    "projects.indicatoractual:view",
]
# Staff set up evaluation (plans, reviewers, panels, conflicts, assignments by hand) and read
# its records; runs, results and objections change only through their domain functions.
_STAFF_EVALUATION_PERMISSIONS = [
    f"evaluation.{model}:{action}"
    for model in (
        "evaluationplan",
        "criterion",
        "bonusrule",
        "bonusaward",
        "reviewer",
        "panel",
        "declaredconflict",
        "assignment",
    )
    for action in ("view", "add", "change")
] + [f"evaluation.{model}:view" for model in ("selectionrun", "selectionresult", "objection")]

# Auditors read every call, application, award and ledger; never reviewer identities.
_AUDITOR_PROJECT_PERMISSIONS = [entry for entry in _STAFF_PROJECT_PERMISSIONS if entry.endswith(":view")]
ROLE_PERMISSIONS = {
    Role.STAFF: [f"{model}:{action}" for model in _STAFF_MODELS for action in ("view", "add", "change")]
    + [f"{model}:view" for model in _NOTICE_PAGE_MODELS]
    + ["django_fsm_log.statelog:view"]
    # Staff publish a new version of the personal-data consent and read who accepted which.
    + ["accounts.consenttext:view", "accounts.consenttext:add", "accounts.consenttext:change"]
    + ["accounts.consentacceptance:view"]
    + _STAFF_PROJECT_PERMISSIONS
    + _STAFF_EVALUATION_PERMISSIONS,
    Role.AUDITOR: [f"{model}:view" for model in _STAFF_MODELS + _NOTICE_PAGE_MODELS]
    + ["django_fsm_log.statelog:view"]
    + _AUDITOR_PROJECT_PERMISSIONS,
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


# Not a group name (those are role values): marks organisation membership in ``roles_of``'s query.
_MEMBER_MARKER = " member of an organisation"


def roles_of(user):
    """The role values of ``user``, read once per request (cached on the user object)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_gongmo_roles", None)
    if cached is None:
        # One query for both: the group names, and a marker row if the user belongs to an
        # organisation (read by ``applies_for_grants`` for the menu on every page).
        marker = Value(_MEMBER_MARKER, output_field=CharField())
        found = set(
            user.groups.values_list("name", flat=True).union(user.memberships.values_list(marker, flat=True))
        )
        user._gongmo_member = _MEMBER_MARKER in found
        names = found & set(Role.values)
        if user.is_superuser:
            names.add(Role.STAFF.value)
        cached = user._gongmo_roles = frozenset(names)
    return cached


# Roles that come with an office of their own (and a menu of their own).
OFFICE_ROLES = frozenset({Role.STAFF.value, Role.REVIEWER.value, Role.AUDITOR.value})


def applies_for_grants(user):
    """Whether *My applications* belongs in the user's menu: applicants, members of an
    organisation, and anyone signed in with no office role (a fresh sign-up)."""
    if not user.is_authenticated:
        return False
    roles = roles_of(user)
    return Role.APPLICANT.value in roles or not roles & OFFICE_ROLES or getattr(user, "_gongmo_member", False)


def has_role(user, role):
    return Role(role).value in roles_of(user)


# Where each role lands after logging in, the most specific office first (DESIGN.md: every role
# has its own page). URL names, not imports: accounts sits below the apps that serve them.
LANDING_PAGES = (
    (Role.STAFF, "evaluation:staff_home"),
    (Role.REVIEWER, "evaluation:my_reviews"),
    (Role.AUDITOR, "audit:exports"),
)
APPLICANT_LANDING = "projects:dashboard"


def landing_page(user):
    """The URL name of ``user``'s own page: staff's dashboard, a reviewer's reviews, the
    auditors' room, or (applicants and fresh sign-ups) *My applications*."""
    roles = roles_of(user)
    for role, url_name in LANDING_PAGES:
        if role.value in roles:
            return url_name
    return APPLICANT_LANDING
