"""The main menu offers *My applications* to the people who apply, not to every signed-in user."""

import pytest
from django.urls import reverse

from accounts.roles import Role, applies_for_grants
from projects.models import Membership
from tests.factories import OrganisationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

MY_APPLICATIONS = f'href="{reverse("projects:dashboard")}"'


def menu_of(client, user):
    client.force_login(user)
    page = client.get(reverse("competitions:call_list")).content.decode()
    return page.split('class="krds-main-menu', 1)[1].split("</nav>", 1)[0]


@pytest.mark.parametrize(
    "roles", [[Role.STAFF], [Role.AUDITOR], [Role.REVIEWER], [Role.STAFF, Role.AUDITOR]], ids=str
)
def test_office_roles_do_not_see_my_applications(client, role_groups, roles):
    user = UserFactory(roles=roles)
    assert not applies_for_grants(user)
    assert MY_APPLICATIONS not in menu_of(client, user)


@pytest.mark.parametrize("roles", [[], [Role.APPLICANT], [Role.APPLICANT, Role.REVIEWER]], ids=str)
def test_applicants_and_fresh_sign_ups_see_my_applications(client, role_groups, roles):
    user = UserFactory(roles=roles)
    assert applies_for_grants(user)
    assert MY_APPLICATIONS in menu_of(client, user)


def test_a_reviewer_who_belongs_to_an_organisation_sees_my_applications(client, role_groups):
    user = UserFactory(roles=[Role.REVIEWER])
    Membership.objects.create(user=user, organisation=OrganisationFactory())
    assert MY_APPLICATIONS in menu_of(client, user)


def test_a_superuser_is_staff_and_sees_no_my_applications(client, role_groups):
    user = StaffFactory(is_superuser=True, roles=[])
    assert MY_APPLICATIONS not in menu_of(client, user)


def test_visitors_see_no_my_applications(client, db):
    page = client.get(reverse("competitions:call_list")).content.decode()
    assert MY_APPLICATIONS not in page


ROLE_LINKS = {
    Role.STAFF: [
        "evaluation:staff_home",
        "projects:eligibility_queue",
        "evaluation:reviewer_pool",
        "projects:project_list",
        "audit:exports",
    ],
    Role.REVIEWER: ["evaluation:my_reviews"],
    Role.AUDITOR: ["projects:project_list", "audit:exports"],
}


@pytest.mark.parametrize("role", list(ROLE_LINKS), ids=str)
def test_each_role_sees_the_links_of_its_own_pages_and_no_other_roles(client, role_groups, role):
    menu = menu_of(client, UserFactory(roles=[role]))
    for name in ROLE_LINKS[role]:
        assert f'href="{reverse(name)}"' in menu, name
    others = {name for other, names in ROLE_LINKS.items() if other != role for name in names}
    for name in others - set(ROLE_LINKS[role]):
        assert f'href="{reverse(name)}"' not in menu, name
