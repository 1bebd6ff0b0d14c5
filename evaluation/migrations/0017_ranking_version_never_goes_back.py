"""A call's ranking version never goes back. The fold made a missing version row anew at 1,
while the call's log could still hold changes stamped 1, 2, ...: stamping the new change then
broke the log's unique (call, version). It happened when a test database was flushed table by
table on SQLite, the version table before the applications and the log (each deleted
application is a change), in one order of tables out of six, which Python's hash seed chose
per run. Now a missing row starts after the call's last logged change."""

import importlib

from django.db import migrations

previous = importlib.import_module("evaluation.migrations.0016_ranking_change_log")

# What the fold stores when the call has no version row yet: one more than its last logged change.
FIRST_VERSION = (
    "1 + COALESCE((SELECT MAX(version) FROM evaluation_rankingchange WHERE call_id = NEW.call_id), 0)"
)


def _folding_after_the_log(statement, first="VALUES (NEW.call_id, 1)"):
    """0016's fold with the one change: a missing version row starts after the last logged change."""
    assert statement.count(first) == 1, statement
    return statement.replace(first, f"VALUES (NEW.call_id, {FIRST_VERSION})")


SQLITE = ["DROP TRIGGER IF EXISTS evaluation_ranking_change_fold", _folding_after_the_log(previous.SQLITE[0])]
SQLITE_BACK = [SQLITE[0], previous.SQLITE[0]]
POSTGRESQL = [_folding_after_the_log(previous.POSTGRESQL[0])]
POSTGRESQL_BACK = [previous.POSTGRESQL[0]]

fold_never_going_back = previous.previous._run({"sqlite": SQLITE, "postgresql": POSTGRESQL})
fold_as_before = previous.previous._run({"sqlite": SQLITE_BACK, "postgresql": POSTGRESQL_BACK})


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0016_ranking_change_log")]

    operations = [migrations.RunPython(fold_never_going_back, fold_as_before)]
