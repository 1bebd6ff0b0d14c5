"""Fixtures of the smart-city tests: a local government with its people, and one of its drafts."""

import pytest

from tests.factories import ApplicationFactory, OrganisationFactory, UserFactory


@pytest.fixture
def city_person(role_groups):
    return UserFactory(email="planner@city.example")


@pytest.fixture
def city(city_person):
    return OrganisationFactory(
        name="시흥시", kind="local_government", government_level="basic", owners=[city_person]
    )


@pytest.fixture
def city_draft(city, city_person):
    return ApplicationFactory(lead=city, created_by=city_person, title="스마트 물관리 실증")


@pytest.fixture
def city_client(client, city_person):
    client.force_login(city_person)
    return client
