"""The version of a call's ranking: a number that grows whenever anything the ranking of its
score sheets depends on changes, so that a ranking kept whole (``evaluation.kept_ranking``)
is read again only when it may differ.

What a ranking reads (``evaluation.score_sheets.ranked``): which applications are considered
(their state), their reference, track, service field, requested subsidy, submission time and
lead, the lead's size class, and the score sheets. The application and organisation columns
are written from many places (workflow transitions, the admin, bulk updates), so database
triggers record their changes (migration ``0015_ranking_version``); the sheets are written in
one module only (``score_sheets.write_sheets`` and ``mark_stale``), which records them itself:
a row trigger there would run 20,000 times when a scoring change rewrites every sheet.

Every change is first a RankingChange row, naming the application it changed (or none: the
whole call), which a trigger folds into the call's RankingVersion: the version grows by one and
the row is stamped with it. On PostgreSQL that trigger is deferred to the commit, so the version
row is the last lock a transaction takes (two transactions changing the same call never wait on
it in opposite order) and a change becomes visible together with its new version. Until then
the changing transaction sees its own unstamped rows: a ranking read there is read afresh,
never kept. The stamped rows are the call's log of changes: a ranking kept at version v is
brought up to date by reading again only the applications the changes after v name
(``evaluation.kept_ranking``). The fold prunes what no kept ranking can use: the log keeps a
call's last ``LOGGED_CHANGES`` changes.

A version never goes back: the fold makes a call's missing version row one more than its
last logged change (migration ``0017``), as when SQLite's flush deletes the version table
before the applications and the log, table by table.
"""

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

# A change of more applications than this at once is recorded as a change of the whole call:
# ranking the call again is then cheaper than placing each of them.
NAMED_CHANGES = 500
# How many of a call's last changes its log keeps (the fold trigger prunes older ones, in
# migration 0016): a kept ranking more changes behind than this is ranked again.
LOGGED_CHANGES = 1000

# No foreign-key constraints: the triggers write these rows while other rows are deleted (a
# test database flushed table by table), and a number left behind for a deleted call is harmless.


class RankingVersion(models.Model):
    call = models.OneToOneField(
        "competitions.Call",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
        verbose_name=_("call"),
    )
    version = models.PositiveBigIntegerField(_("ranking version"), default=0)

    class Meta:
        verbose_name = _("ranking version")
        verbose_name_plural = _("ranking versions")

    def __str__(self):
        return f"{self.call_id}: {self.version}"


class RankingChange(models.Model):
    """A change of a call's ranking inputs not yet folded into its version (PostgreSQL: until
    the changing transaction commits; SQLite: never seen, folded at once)."""

    call = models.ForeignKey(
        "competitions.Call",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("call"),
    )
    application = models.ForeignKey(
        "projects.Application",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the log is read by call and version only
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("application"),
        help_text=_("The application whose ranking inputs changed; none: the whole call."),
    )
    version = models.PositiveBigIntegerField(
        _("ranking version"), null=True, blank=True, help_text=_("The version it was folded into.")
    )

    class Meta:
        verbose_name = _("change of a ranking's inputs")
        verbose_name_plural = _("changes of rankings' inputs")
        constraints = [
            # Also the index the log is read and pruned by (pending rows have no version).
            models.UniqueConstraint(fields=["call", "version"], name="evaluation_rankingchange_call_version"),
        ]

    def __str__(self):
        return f"{self.call_id}: {self.application_id or '*'} @ {self.version}"

    @staticmethod
    def record_for_calls(call_ids):
        """Anything of these calls' rankings may have changed (every score sheet was written)."""
        RankingChange.objects.bulk_create(RankingChange(call_id=pk) for pk in sorted(set(call_ids)))

    @staticmethod
    def record_for_applications(application_ids):
        """The ranking inputs of these applications changed (their sheets were written or marked
        stale), in one statement: a change of each, or of their calls when there are more than
        ``NAMED_CHANGES``."""
        from projects.models import Application

        ids = sorted(set(application_ids))
        if not ids:
            return
        change, application = RankingChange._meta.db_table, Application._meta.db_table
        marks = ", ".join(["%s"] * len(ids))
        insert = (
            f"INSERT INTO {change} (call_id, application_id) SELECT call_id, id FROM {application}"
            f" WHERE id IN ({marks}) ORDER BY id"
            if len(ids) <= NAMED_CHANGES
            else f"INSERT INTO {change} (call_id) SELECT DISTINCT call_id FROM {application} WHERE id IN ({marks})"
        )
        with connection.cursor() as cursor:
            cursor.execute(insert, ids)


def version_columns(call_id, since=None):
    """SQL selecting the call's version and whether this transaction has a change of the call's
    ranking inputs not yet committed (two columns), and its parameters. With ``since`` (a
    version), two more: how many changes the log holds after it, and how many of those name an
    application (``changes_since``)."""
    version, change = RankingVersion._meta.db_table, RankingChange._meta.db_table
    sql = (
        f"(SELECT version FROM {version} WHERE call_id = %s),"
        f" EXISTS (SELECT 1 FROM {change} WHERE call_id = %s AND version IS NULL)"
    )
    params = [call_id, call_id]
    if since is not None:
        sql += (
            f", (SELECT COUNT(*) FROM {change} WHERE call_id = %s AND version > %s),"
            f" (SELECT COUNT(application_id) FROM {change} WHERE call_id = %s AND version > %s)"
        )
        params += [call_id, since, call_id, since]
    return sql, params


def changes_since(since, version, logged, named):
    """Whether the changes from version ``since`` to ``version`` are all in the log (``logged``
    rows after ``since``, as many as the versions between) and each names an application
    (``named``), few enough to place one by one: then a ranking kept at ``since`` can be brought
    up to ``version`` by reading those applications again (``score_sheets.changed_since``)."""
    return since < version and logged == version - since == named and named <= NAMED_CHANGES


def version_of(current, pending):
    return None if pending else (current or 0)


def ranking_version(call_id):
    """The call's ranking version, or None when this transaction has changed the call's ranking
    inputs and not yet committed (its ranking must then be read afresh). One query."""
    columns, params = version_columns(call_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}", params)
        return version_of(*cursor.fetchone())
