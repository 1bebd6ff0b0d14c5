"""A call's ranking kept whole between changes, so that a preview of the selection reads it
instead of ranking 20,000 score sheets again: when nothing it depends on has changed (staff
trying quotas, paging back to the ranking, a second member of staff looking), and, after a few
applications changed (a review completed, an application withdrawn), by placing just those again.

The ranking (``score_sheets.ranked``: the considered applications in rank order, with their
scores) is kept in the cache under the call's ranking version (``models.ranking_version``:
database triggers and the sheet writers bump it on every change of what the ranking reads and
log which application changed), the plan's scoring fingerprint and its tie-breaks: its
``Inputs``; a small entry beside it says the version last kept. The quotas are not part of it:
they are applied when the ranking is walked. A ranking kept at an older version whose changes
since are all in the log, each naming an application and few enough, is brought up to date:
those applications are taken out and those still considered read again and placed by their key
(``score_sheets.row_key``, the ORDER BY's order in Python). Otherwise the call is ranked again.
A recorded run never reads a kept ranking: it checks every sheet against every review
(``selection_runs.recorded_inputs``).

Why it can be trusted: the version is read before the ranking (or the changed rows), so a
ranking is never kept under a version newer than its rows; a transaction that has changed the
inputs and not yet committed gets no version and ranks afresh; tests compare the kept ranking
with a fresh one after every kind of change, and after random sequences of the lifecycle's
operations.
"""

from bisect import bisect_left
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection

from .models.ranking_version import changes_since, ranking_version, version_columns, version_of
from .score_sheets import Ranking, changed_since, one_sheet_fingerprint, plan_fingerprint, ranked, row_key

RANKING_SECONDS = 60 * 60
# A ranking brought up to date is kept as the new one to place changes in once this many
# changes separate it from the one kept (each read places every change since that one).
KEEP_PLACED_AFTER = 50
KEPT_FORMAT = 2  # bump when the Ranking ranked() returns changes shape (the cache outlives a deploy)


class Inputs(NamedTuple):
    """What a call's ranking is kept under. ``version`` None: this transaction changed the
    ranking's inputs and has not committed; its ranking is read afresh and not kept.
    ``one_sheet_under``: the fingerprint one of its sheets was computed under (not part of the
    key: it tells ``ranked`` whether a scoring change left every sheet to compute again).
    ``kept_version``: the version of the ranking last kept under these settings, if any;
    ``up_to_date``: whether the changes since can be placed one by one (``changes_since``)."""

    call_id: int
    version: int | None
    fingerprint: str
    tie_breaks: tuple
    one_sheet_under: str | None = None
    kept_version: int | None = None
    up_to_date: bool = False

    @property
    def key(self):
        return f"ranking:{KEPT_FORMAT}:{self.call_id}:{self.version}:{self.fingerprint}:{','.join(self.tie_breaks)}"

    @property
    def kept_version_key(self):
        return f"ranking-kept:{KEPT_FORMAT}:{self.call_id}:{self.fingerprint}:{','.join(self.tie_breaks)}"


def inputs_of(call, plan, scoring):
    """The Inputs of the call's ranking now (two queries: the plan's bonus rules; the version,
    the changes since the version last kept and one sheet's fingerprint)."""
    inputs = Inputs(call.pk, None, plan_fingerprint(plan, scoring), tuple(scoring.tie_breaks))
    kept_version = cache.get(inputs.kept_version_key)
    columns, params = version_columns(call.pk, since=kept_version)
    probe, probe_params = one_sheet_fingerprint(call)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}, ({probe})", [*params, *probe_params])
        current, pending, *changes, one_sheet_under = cursor.fetchone()
    version = version_of(current, pending)
    return inputs._replace(
        version=version,
        one_sheet_under=one_sheet_under,
        kept_version=kept_version,
        up_to_date=version is not None
        and kept_version is not None
        and changes_since(kept_version, version, *changes),
    )


def kept_ranked(call, plan, scoring, inputs=None):
    """``score_sheets.ranked(call, plan, scoring)``, read from the cache when the call's ranking
    has not changed since it was last ranked, brought up to date when a few applications have,
    else ranked and kept. ``inputs``: ``inputs_of`` the call, when just read."""
    inputs = inputs or inputs_of(call, plan, scoring)
    if inputs.version is not None and inputs.kept_version == inputs.version:
        kept = cache.get(inputs.key)
        if kept is not None:
            return kept
    elif inputs.up_to_date:
        kept = cache.get(inputs._replace(version=inputs.kept_version).key)
        if kept is not None:
            named, changed, written = changed_since(
                call, plan, scoring, inputs.fingerprint, inputs.kept_version, inputs.version
            )
            ranking = placed(kept, named, changed, inputs.tie_breaks)
            # Kept again only once many changes are placed at each read (keeping costs more
            # than placing a few). Sheets just written are newer than the version: kept under
            # it, they are read again by the next placing; uncommitted (written inside a
            # transaction that has not committed), they are not kept at all.
            if inputs.version - inputs.kept_version >= KEEP_PLACED_AFTER and (
                not written or not connection.in_atomic_block or ranking_version(call.pk) is not None
            ):
                _keep(inputs, ranking)
            return ranking

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
        _keep(inputs._replace(version=read_at[-1]), ranking)
    return ranking


def ranks_afresh(inputs):
    """Whether a preview read now, with these Inputs, would rank the call afresh: its ranking
    was never kept under these settings, or was kept before a change of the whole call (a
    scoring change, a bulk change) or before more changes than are placed one by one."""
    if inputs.version is None:
        return False  # an uncommitted change of this transaction: nothing can be kept now
    if inputs.kept_version == inputs.version:
        return not cache.has_key(inputs.key)
    if inputs.up_to_date:
        return not cache.has_key(inputs._replace(version=inputs.kept_version).key)
    return True


def placed(kept, named, changed, tie_breaks):
    """The Ranking ``kept`` without the applications ``named``, with those of ``changed`` (a
    Ranking of the named ones still considered) placed where their keys sort."""
    above_key, below_key = row_key(tie_breaks)
    above, ties = [], []
    for row, tie in zip(kept.above, kept.ties, strict=True):
        if row[0] not in named:
            above.append(row)
            ties.append(tie)
    below = [row for row in kept.below if row[0] not in named]
    for row, tie in zip(changed.above, changed.ties, strict=True):
        at = bisect_left(range(len(above)), above_key(row, tie), key=lambda i: above_key(above[i], ties[i]))
        above.insert(at, row)
        ties.insert(at, tie)
    for row in changed.below:
        below.insert(bisect_left(below, below_key(row), key=below_key), row)
    return Ranking(above, below, ties)


def _keep(inputs, ranking):
    cache.set_many({inputs.key: ranking, inputs.kept_version_key: inputs.version}, RANKING_SECONDS)
