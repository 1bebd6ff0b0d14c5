"""The ranking's changes kept as a log: each RankingChange names the application it changed (none:
the whole call) and is stamped with the version it was folded into instead of deleted, so that a
kept ranking can be brought up to date by reading again only the applications changed since
(evaluation.kept_ranking). The fold prunes the log to a call's last LOGGED_CHANGES changes."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

previous = importlib.import_module("evaluation.migrations.0015_ranking_version")
CONSIDERED = previous.CONSIDERED
application_changed = previous._application_changed

# evaluation.models.ranking_version.LOGGED_CHANGES when this was written (tested equal).
LOGGED_CHANGES = 1000

# SQLite remakes the table to add its columns, which it refuses while triggers name it: they
# are dropped first and made again after.
SQLITE_DROP = previous.SQLITE_DROP
SQLITE = [
    f"""CREATE TRIGGER evaluation_ranking_change_fold AFTER INSERT ON evaluation_rankingchange
    BEGIN
        INSERT INTO evaluation_rankingversion (call_id, version) VALUES (NEW.call_id, 1)
            ON CONFLICT (call_id) DO UPDATE SET version = version + 1;
        UPDATE evaluation_rankingchange
            SET version = (SELECT version FROM evaluation_rankingversion WHERE call_id = NEW.call_id)
            WHERE id = NEW.id;
        DELETE FROM evaluation_rankingchange WHERE call_id = NEW.call_id
            AND version <= (SELECT version FROM evaluation_rankingversion WHERE call_id = NEW.call_id) - {LOGGED_CHANGES};
    END""",
    f"""CREATE TRIGGER evaluation_ranking_application_insert AFTER INSERT ON projects_application
    WHEN NEW.state IN {CONSIDERED}
    BEGIN
        INSERT INTO evaluation_rankingchange (call_id, application_id) VALUES (NEW.call_id, NEW.id);
    END""",
    f"""CREATE TRIGGER evaluation_ranking_application_update AFTER UPDATE ON projects_application
    WHEN {application_changed("IS NOT")}
    BEGIN
        INSERT INTO evaluation_rankingchange (call_id, application_id) VALUES (NEW.call_id, NEW.id);
        INSERT INTO evaluation_rankingchange (call_id, application_id)
            SELECT OLD.call_id, OLD.id WHERE OLD.call_id IS NOT NEW.call_id;
    END""",
    f"""CREATE TRIGGER evaluation_ranking_application_delete AFTER DELETE ON projects_application
    WHEN OLD.state IN {CONSIDERED}
    BEGIN
        INSERT INTO evaluation_rankingchange (call_id, application_id) VALUES (OLD.call_id, OLD.id);
    END""",
    f"""CREATE TRIGGER evaluation_ranking_organisation_update AFTER UPDATE OF size_class ON projects_organisation
    WHEN OLD.size_class IS NOT NEW.size_class
    BEGIN
        INSERT INTO evaluation_rankingchange (call_id, application_id)
            SELECT call_id, id FROM projects_application WHERE lead_id = NEW.id AND state IN {CONSIDERED};
    END""",
]

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION evaluation_ranking_fold() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        folded bigint;
    BEGIN
        INSERT INTO evaluation_rankingversion (call_id, version) VALUES (NEW.call_id, 1)
            ON CONFLICT (call_id) DO UPDATE SET version = evaluation_rankingversion.version + 1
            RETURNING version INTO folded;
        UPDATE evaluation_rankingchange SET version = folded WHERE id = NEW.id;
        DELETE FROM evaluation_rankingchange WHERE call_id = NEW.call_id AND version <= folded - {LOGGED_CHANGES};
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION evaluation_ranking_application_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO evaluation_rankingchange (call_id, application_id) VALUES (NEW.call_id, NEW.id);
        END IF;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.call_id IS DISTINCT FROM NEW.call_id) THEN
            INSERT INTO evaluation_rankingchange (call_id, application_id) VALUES (OLD.call_id, OLD.id);
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION evaluation_ranking_organisation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO evaluation_rankingchange (call_id, application_id)
            SELECT call_id, id FROM projects_application WHERE lead_id = NEW.id AND state IN {CONSIDERED};
        RETURN NULL;
    END $$""",
]
# The functions as 0015 made them (its triggers call them by name).
POSTGRESQL_BACK = [previous.POSTGRESQL[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")] + [
    statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    for statement in previous.POSTGRESQL
    if "CREATE FUNCTION evaluation_ranking_application_changed" in statement
    or "CREATE FUNCTION evaluation_ranking_organisation_changed" in statement
]

drop_sqlite_triggers = previous._run({"sqlite": SQLITE_DROP})
restore_sqlite_triggers = previous._run({"sqlite": previous.SQLITE})
create_triggers = previous._run({"sqlite": SQLITE, "postgresql": POSTGRESQL})
restore_triggers = previous._run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_BACK})


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0015_ranking_version"),
        ("projects", "0019_dashboard_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, restore_sqlite_triggers),
        migrations.AddField(
            model_name="rankingchange",
            name="application",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The application whose ranking inputs changed; none: the whole call.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="projects.application",
                verbose_name="application",
            ),
        ),
        migrations.AddField(
            model_name="rankingchange",
            name="version",
            field=models.PositiveBigIntegerField(
                blank=True, help_text="The version it was folded into.", null=True, verbose_name="ranking version"
            ),
        ),
        migrations.AddConstraint(
            model_name="rankingchange",
            constraint=models.UniqueConstraint(fields=("call", "version"), name="evaluation_rankingchange_call_version"),
        ),
        migrations.RunPython(create_triggers, restore_triggers),
    ]
