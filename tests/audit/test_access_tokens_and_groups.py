"""The access log, continued (issue 18): making and revoking a personal access token (on the
account page or anywhere api.tokens is called), and a group's permissions changing (in the
admin, or from either side of the relation) are recorded with who, when and what."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.roles import Role, group_for
from api.models import PersonalAccessToken
from api.tokens import create_token, revoke_token
from audit.models import AccessEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Action = AccessEvent.Action


def events(action):
    return list(AccessEvent.objects.filter(action=action).order_by("pk"))


def permission(codename):
    return Permission.objects.get(codename=codename)


# --- Personal access tokens ------------------------------------------------------------------------


def test_making_and_revoking_a_token_on_the_account_page_is_recorded(client, role_groups):
    person = UserFactory(email="script@company.example")
    client.force_login(person)
    made = client.post(reverse("api_tokens"), {"name": "nightly sync", "scope": "write", "days": "30"})
    assert made.status_code == 200
    token = PersonalAccessToken.objects.get(user=person)
    [created] = events(Action.TOKEN_CREATED)
    assert (created.actor, created.subject) == (person, person)
    assert created.target == f"nightly sync ({token.prefix}…)"
    assert created.detail["scope"] == "write" and created.detail["token"] == token.pk
    assert created.path == reverse("api_tokens") and created.ip_address == "127.0.0.1"
    # Never the token itself: only its first characters.
    assert made.context["created"]["raw"] not in str(created.detail) + created.target

    client.post(reverse("api_token_revoke", args=[token.pk]))
    client.post(reverse("api_token_revoke", args=[token.pk]))  # a second time changes nothing
    [revoked] = events(Action.TOKEN_REVOKED)
    assert (revoked.actor, revoked.subject, revoked.target) == (person, person, created.target)


def test_a_token_made_and_revoked_outside_the_pages_is_recorded_too(role_groups):
    person = UserFactory(email="shell@company.example")
    token, _raw = create_token(person, name="from the shell", scope="read", days=7)
    revoke_token(token, by=person)
    assert [(e.action, e.actor, e.subject) for e in AccessEvent.objects.order_by("pk")][-2:] == [
        (Action.TOKEN_CREATED, person, person),
        (Action.TOKEN_REVOKED, person, person),
    ]


def test_a_refused_token_records_nothing(role_groups):
    from django.core.exceptions import ValidationError

    person = UserFactory(email="nameless@company.example")
    with pytest.raises(ValidationError):
        create_token(person, name=" ", scope="read", days=7)
    assert events(Action.TOKEN_CREATED) == []


# --- A group's permissions ---------------------------------------------------------------------------


def test_a_groups_permissions_changing_is_recorded_from_either_side(role_groups):
    auditors = group_for(Role.AUDITOR)
    AccessEvent.objects.all()._raw_delete(AccessEvent.objects.db)  # the role groups' own set-up
    view_user, change_user = permission("view_user"), permission("change_user")
    auditors.permissions.add(change_user)
    view_user.group_set.add(auditors)
    auditors.permissions.remove(change_user)
    changes = events(Action.GROUP_CHANGED)
    assert [(event.target, event.actor, event.actor_email) for event in changes] == [
        ("auditor", None, "system")
    ] * 3
    assert [event.detail["permissions"] for event in changes] == [
        {"added": ["accounts.change_user"]},
        {"added": ["accounts.view_user"]},
        {"removed": ["accounts.change_user"]},
    ]
    assert changes[0].detail["group"] == auditors.pk


def test_a_group_edited_in_the_admin_names_who_changed_it(client, role_groups):
    superuser = UserFactory(is_staff=True, is_superuser=True, email="root@gongmo.example")
    group = Group.objects.create(name="helpdesk")
    group.permissions.add(permission("view_user"))
    client.force_login(superuser)
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "helpdesk", "permissions": [permission("change_user").pk]},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    changes = [event for event in events(Action.GROUP_CHANGED) if event.actor == superuser]
    assert {event.target for event in changes} == {"helpdesk"}
    details = [event.detail["permissions"] for event in changes]
    assert {"added": ["accounts.change_user"]} in details
    assert {"removed": ["accounts.view_user"]} in details
    assert all(event.path.startswith("/admin/") for event in changes)


def test_auditors_read_group_and_token_entries_on_the_log_page(client, role_groups):
    auditor = UserFactory(roles=[Role.AUDITOR], email="auditor@audit.example")
    group_for(Role.REVIEWER).permissions.add(permission("view_user"))
    create_token(auditor, name="workbook fetcher", scope="read", days=7)
    client.force_login(auditor)
    page = client.get(reverse("audit:access_log")).content.decode()
    assert "reviewer: permissions +accounts.view_user" in page
    assert "workbook fetcher" in page
