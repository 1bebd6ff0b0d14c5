import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from api.tokens import create_token
from tests.factories import StaffFactory, UserFactory
from tests.projects.conftest import (  # noqa: F401 - the applicant's fixtures, shared
    _media_in_tmp,
    applicant,
    draft,
    open_call,
    organisation,
    stranger,
)
from tests.projects.test_answers import asked  # noqa: F401 - the open call's own questions


def token_for(user, scope="write", days=30):
    return create_token(user, name="script", scope=scope, days=days)[1]


def api_client(user=None, scope="write", language="en"):
    client = APIClient(headers={"accept-language": language})
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope)}")
    return client


@pytest.fixture
def auditor(role_groups):
    return UserFactory(email="auditor@gongmo.example", roles=[Role.AUDITOR])


@pytest.fixture
def staff(role_groups):
    return StaffFactory(email="officer@gongmo.example")
