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

Every change is first a RankingChange row, which a trigger folds into the call's RankingVersion.
On PostgreSQL that trigger is deferred to the commit, so the version row is the last lock a
transaction takes (two transactions changing the same call never wait on it in opposite order)
and a change becomes visible together with its new version. Until then the changing
transaction sees its own RankingChange rows: a ranking read there is read afresh, never kept.
"""

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

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

    class Meta:
        verbose_name = _("change of a ranking's inputs")
        verbose_name_plural = _("changes of rankings' inputs")

    def __str__(self):
        return f"{self.call_id}"

    @staticmethod
    def record_for_calls(call_ids):
        """The ranking inputs of these calls changed (their score sheets were written)."""
        RankingChange.objects.bulk_create(RankingChange(call_id=pk) for pk in sorted(set(call_ids)))

    @staticmethod
    def record_for_applications(application_ids):
        """The ranking inputs of these applications' calls changed (their sheets were marked
        stale), in one statement."""
        from projects.models import Application

        ids = list(application_ids)
        if not ids:
            return
        change, application = RankingChange._meta.db_table, Application._meta.db_table
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {change} (call_id) SELECT DISTINCT call_id FROM {application}"
                f" WHERE id IN ({marks})",
                ids,
            )


def version_columns(call_id):
    """SQL selecting the call's version and whether this transaction has a change of the call's
    ranking inputs not yet committed (two columns), and its parameters."""
    version, change = RankingVersion._meta.db_table, RankingChange._meta.db_table
    return (
        f"(SELECT version FROM {version} WHERE call_id = %s), EXISTS (SELECT 1 FROM {change} WHERE call_id = %s)",
        [call_id, call_id],
    )


def version_of(current, pending):
    return None if pending else (current or 0)


def ranking_version(call_id):
    """The call's ranking version, or None when this transaction has changed the call's ranking
    inputs and not yet committed (its ranking must then be read afresh). One query."""
    columns, params = version_columns(call_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}", params)
        return version_of(*cursor.fetchone())
