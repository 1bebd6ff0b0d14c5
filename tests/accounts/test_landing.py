"""Every role lands on its own page after logging in (the most specific one, staff first),
unless a safe ``next`` asks for another page."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def log_in(client, user, **extra):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD, **extra})


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        ([Role.STAFF], "evaluation:staff_home"),
        ([Role.REVIEWER], "evaluation:my_reviews"),
        ([Role.AUDITOR], "audit:exports"),
        ([Role.APPLICANT], "projects:dashboard"),
        ([], "projects:dashboard"),
        ([Role.APPLICANT, Role.REVIEWER], "evaluation:my_reviews"),
        ([Role.REVIEWER, Role.STAFF], "evaluation:staff_home"),
        ([Role.AUDITOR, Role.STAFF], "evaluation:staff_home"),
    ],
    ids=str,
)
def test_each_role_lands_on_its_own_page(client, role_groups, roles, landing):
    user = UserFactory(roles=roles)
    response = log_in(client, user)
    assert response.status_code == 302
    if {Role.STAFF, Role.AUDITOR} & set(roles):
        # Staff and auditors first pass the second step (here: set up their authenticator), with
        # their own page as ``next``.
        expected = f"{reverse('accounts:two_factor_enrol')}?{urlencode({'next': reverse(landing)})}"
        assert response["Location"] == expected
    else:
        assert response["Location"] == reverse(landing)


def test_a_safe_next_is_honoured(client, role_groups):
    user = UserFactory(roles=[Role.REVIEWER])
    response = log_in(client, user, next="/staff/projects/?page=2")
    assert response["Location"] == "/staff/projects/?page=2"


def test_an_off_site_next_lands_on_the_roles_page_instead(client, role_groups):
    user = UserFactory(roles=[Role.AUDITOR])
    response = log_in(client, user, next="https://evil.example/audit/")
    # Through the second step (an auditor's), whose ``next`` is the role's own page.
    enrol = reverse("accounts:two_factor_enrol")
    assert response["Location"] == f"{enrol}?{urlencode({'next': reverse('audit:exports')})}"


def test_a_signed_in_visitor_of_the_sign_up_page_goes_to_their_own_page(client, role_groups):
    client.force_login(UserFactory(roles=[Role.REVIEWER]))
    assert client.get(reverse("accounts:signup"))["Location"] == reverse("evaluation:my_reviews")
