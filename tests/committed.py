"""For test folders that need a real PostgreSQL server and committed rows (threads, worker and
gunicorn processes read the test database by name): tests/postgres and tests/faults."""

import pytest
from django.db import connection


def commit_tests_in(folder, items):
    """Mark every test below ``folder`` transactional. Serialized rollback restores the reference
    data the migrations loaded, which a flush would otherwise remove."""
    for item in items:
        if folder in item.path.parents:
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


def assert_on_postgresql(folder_name):
    assert connection.vendor == "postgresql", f"{folder_name} must run on PostgreSQL"
