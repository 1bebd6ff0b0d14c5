"""Auditors read everything the admin shows them and can change nothing: every write view
refuses, in the admin and in the staff pages. Reviewer identities stay hidden from them."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client(client, role_groups):
    client.force_login(UserFactory(is_staff=True, roles=[Role.AUDITOR]))
    return client


def registered_models():
    return [(model._meta.app_label, model._meta.model_name) for model in admin.site._registry]


@pytest.mark.parametrize(("app_label", "model_name"), registered_models())
def test_no_admin_add_for_auditors(auditor_client, app_label, model_name):
    url = reverse(f"admin:{app_label}_{model_name}_add")
    assert auditor_client.get(url).status_code == 403
    assert auditor_client.post(url, {}).status_code == 403


def test_auditors_read_calls_applications_awards_and_ledgers(auditor_client):
    for name in [
        "competitions_call",
        "projects_application",
        "projects_award",
        "projects_project",
        "projects_disbursemententry",
        "projects_expenditure",
        "projects_settlement",
    ]:
        assert auditor_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name


def test_reviewer_identities_are_hidden_from_auditors(auditor_client):
    for name in ["evaluation_reviewer", "evaluation_assignment", "accounts_user"]:
        assert auditor_client.get(reverse(f"admin:{name}_changelist")).status_code == 403, name


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("projects:eligibility_bulk", []),
        ("projects:staff_application", [1]),
        ("evaluation:assign", ["any"]),
        ("evaluation:close", ["any"]),
        ("evaluation:remind", ["any"]),
        ("evaluation:selection", ["any"]),
        ("evaluation:objection_decide", [1]),
    ],
)
def test_staff_pages_refuse_auditors(auditor_client, name, args):
    assert auditor_client.post(reverse(name, args=args), {}).status_code == 403
