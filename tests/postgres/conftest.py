"""Tests that need a real PostgreSQL server (row locks, concurrent transactions).

tests/conftest.py collects this folder only when DATABASE_URL points at PostgreSQL; .ci/run
runs the whole suite there. Here we fail loudly if that ever stops being true.
"""

from pathlib import Path

import pytest
from django.db import connection

from tests.evaluation.conftest import staff  # noqa: F401
from tests.projects.conftest import _media_in_tmp, applicant, draft, open_call, organisation  # noqa: F401


@pytest.hookimpl(tryfirst=True)  # before pytest-django orders transactional tests last
def pytest_collection_modifyitems(items):
    # Threads need committed rows, so these tests commit; serialized rollback restores the
    # reference data the migrations loaded, which a flush would otherwise remove.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(autouse=True)
def _on_postgresql(db):
    assert connection.vendor == "postgresql", "tests/postgres must run on PostgreSQL"
