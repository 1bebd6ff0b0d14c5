"""Tests that need a real PostgreSQL server (row locks, concurrent transactions).

tests/conftest.py collects this folder only when DATABASE_URL points at PostgreSQL; .ci/run
runs the whole suite there. Here we fail loudly if that ever stops being true.
"""

from pathlib import Path

import pytest

from tests.committed import assert_on_postgresql, commit_tests_in
from tests.evaluation.conftest import staff  # noqa: F401
from tests.projects.conftest import _media_in_tmp, applicant, draft, open_call, organisation  # noqa: F401


@pytest.hookimpl(tryfirst=True)  # before pytest-django orders transactional tests last
def pytest_collection_modifyitems(items):
    commit_tests_in(Path(__file__).parent, items)


@pytest.fixture(autouse=True)
def _on_postgresql(db):
    assert_on_postgresql("tests/postgres")
