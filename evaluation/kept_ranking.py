"""A call's ranking kept whole between changes, so that a preview of the selection reads it
instead of ranking 20,000 score sheets again when nothing it depends on has changed (staff
trying quotas, paging back to the ranking, a second member of staff looking).

The ranking (``score_sheets.ranked``: the considered applications in rank order, with their
scores) is kept in the cache under the call's ranking version (``models.ranking_version``:
database triggers and the sheet writers bump it on every change of what the ranking reads), the
plan's scoring fingerprint and its tie-breaks: its ``Inputs``. The quotas are not part of it:
they are applied when the ranking is walked. A recorded run never reads a kept ranking: it
checks every sheet against every review (``selection_runs.recorded_inputs``).

Why it can be trusted: the version is read before the ranking, so a ranking is never kept under
a version newer than its rows; a transaction that has changed the inputs and not yet committed
gets no version and ranks afresh; tests compare the kept ranking with a fresh one after every
kind of change, and after random sequences of the lifecycle's operations.
"""

from typing import NamedTuple

from django.core.cache import cache
from django.db import connection

from .models.ranking_version import ranking_version, version_columns, version_of
from .score_sheets import one_sheet_fingerprint, plan_fingerprint, ranked

RANKING_SECONDS = 60 * 60
KEPT_FORMAT = 1  # bump when the rows ranked() returns change shape (the cache outlives a deploy)


class Inputs(NamedTuple):
    """What a call's ranking is kept under. ``version`` None: this transaction changed the
    ranking's inputs and has not committed; its ranking is read afresh and not kept.
    ``one_sheet_under``: the fingerprint one of its sheets was computed under (not part of the
    key: it tells ``ranked`` whether a scoring change left every sheet to compute again)."""

    call_id: int
    version: int | None
    fingerprint: str
    tie_breaks: tuple
    one_sheet_under: str | None = None

    @property
    def key(self):
        return f"ranking:{KEPT_FORMAT}:{self.call_id}:{self.version}:{self.fingerprint}:{','.join(self.tie_breaks)}"


def inputs_of(call, plan, scoring):
    """The Inputs of the call's ranking now (two queries: the plan's bonus rules; the version
    with one sheet's fingerprint)."""
    columns, params = version_columns(call.pk)
    probe, probe_params = one_sheet_fingerprint(call)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}, ({probe})", [*params, *probe_params])
        current, pending, one_sheet_under = cursor.fetchone()
    return Inputs(
        call.pk,
        version_of(current, pending),
        plan_fingerprint(plan, scoring),
        tuple(scoring.tie_breaks),
        one_sheet_under,
    )


def kept_ranked(call, plan, scoring, inputs=None):
    """``score_sheets.ranked(call, plan, scoring)``, read from the cache when the call's ranking
    has not changed since it was last ranked, else ranked and kept. ``inputs``: ``inputs_of``
    the call, when just read."""
    inputs = inputs or inputs_of(call, plan, scoring)
    if inputs.version is not None:
        kept = cache.get(inputs.key)
        if kept is not None:
            return kept

    # The version before each read of the ranking: the one just read, unless ranked() has just
    # written sheets (which changes it): then read again.
    read_at = []

    def before_read(written):
        read_at.append(ranking_version(call.pk) if written else inputs.version)

    ranking = ranked(
        call,
        plan,
        scoring,
        fingerprint=inputs.fingerprint,
        before_read=before_read,
        one_sheet_under=inputs.one_sheet_under,
    )
    if read_at[-1] is not None:
        cache.set(inputs._replace(version=read_at[-1]).key, ranking, RANKING_SECONDS)
    return ranking
