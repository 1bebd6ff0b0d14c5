"""A real S3-compatible object store on loopback for these tests (tests/objectstore.py:
SeaweedFS, started once per test session, stopped at the end). The `object_storage` fixture
points Django's default storage at it, as GONGMO_S3_BUCKET does in production."""

import pytest

from tests.objectstore import SeaweedFS
from tests.projects.conftest import (  # noqa: F401 - fixtures shared with the projects tests
    _media_in_tmp,
    applicant,
    draft,
    open_call,
    organisation,
    stranger,
)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    with SeaweedFS(tmp_path_factory.mktemp("seaweedfs")) as store:
        yield store


@pytest.fixture
def object_storage(settings, seaweed):
    """Django's default storage is the bucket (settings.STORAGES, as GONGMO_S3_BUCKET sets it)."""
    settings.STORAGES = {**settings.STORAGES, "default": seaweed.storage_setting()}
    return seaweed
