"""The writes compiled once per process (projects.compiled_writes) write what the ORM writes, on
the database the tests run on: the submission's row, its state log entry and its receipt must be
the rows Model.save() would have written, column for column."""

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection
from django.db.models import F
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.backends import SimpleBackend
from django_fsm_log.models import StateLog

from projects.compiled_reads import CompiledRead
from projects.compiled_writes import CompiledInsert, CompiledUpdate
from projects.models import Application, ApplicationState, Organisation, OutboxMessage
from projects.state_log import CompiledBackend
from tests.conftest import ON_POSTGRES
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 1, 2, 3, 456789, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    """auto_now and auto_now_add read this clock: the ORM's write and the compiled one agree."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    # StateLog.timestamp's default (a field keeps what its default gives in _get_default).
    monkeypatch.setattr(StateLog._meta.get_field("timestamp"), "_get_default", lambda: NOW)
    return NOW


def row(model, pk, *leave_out):
    values = model.objects.filter(pk=pk).values().get()
    return {name: value for name, value in values.items() if name not in {"id", *leave_out}}


def test_a_compiled_insert_writes_the_row_create_writes(frozen):
    insert = CompiledInsert(OutboxMessage)
    for subject, body in (("첫 번째", "본문 ‘quoted’ %s %(x)s"), ("second", "")):  # compiled, then reused
        orm = OutboxMessage.objects.create(to="a@example.com", subject=subject, body=body)
        compiled = insert.insert(OutboxMessage(to="a@example.com", subject=subject, body=body))
        assert isinstance(compiled.pk, int) and compiled.pk != orm.pk
        assert not compiled._state.adding and compiled._state.db == "default"
        assert row(OutboxMessage, compiled.pk) == row(OutboxMessage, orm.pk)
        assert row(OutboxMessage, compiled.pk)["created_at"] == NOW  # auto_now_add, as the ORM sets it
        assert compiled.created_at == orm.created_at == NOW
    assert len(insert._compiled) == 1  # one connection, one SQL


def test_a_compiled_update_writes_what_save_with_update_fields_writes(frozen):
    user = UserFactory()
    application = ApplicationFactory(created_by=user)
    fields = ["reference", "submitted_at", "state", "updated_at"]
    update = CompiledUpdate(Application, fields)
    before = row(Application, application.pk)

    # A None is written as NULL in the ORM's SQL: one SQL with, one without.
    for reference, submitted_at in (("X-0001", NOW), ("X-0002", None), ("X-0003", NOW)):
        for write in ("orm", "compiled"):
            Application.objects.filter(pk=application.pk).update(**{k: before[k] for k in fields})
            loaded = Application.objects.get(pk=application.pk)
            loaded.reference, loaded.submitted_at, loaded.title = reference, submitted_at, "not written"
            loaded.submit()  # the state is changed only by its transitions
            if write == "orm":
                loaded.save(update_fields=fields)
                expected = row(Application, application.pk)
            else:
                update.update(loaded)
                assert row(Application, application.pk) == expected
        assert expected["reference"] == reference and expected["submitted_at"] == submitted_at
        assert expected["state"] == ApplicationState.SUBMITTED and expected["updated_at"] == NOW
        assert expected["title"] == before["title"]  # only the fields named


def test_a_compiled_update_of_a_row_that_is_gone_is_refused_as_the_orm_refuses_it():
    application = ApplicationFactory()
    gone = Application.objects.get(pk=application.pk)
    gone.pk = gone.id = 10**9
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        CompiledUpdate(Application, ["title"]).update(gone)


def test_the_state_log_entry_is_the_one_django_fsm_logs_backend_writes(frozen):
    user = UserFactory()
    application = ApplicationFactory(created_by=user)
    arguments = dict(
        sender=Application, instance=application, name="submit", source="draft", target="submitted"
    )
    for backend in (SimpleBackend, CompiledBackend):
        # As fsm_log_by and fsm_log_description set them around the transition.
        setattr(application, "__django_fsm_log_attr_by", user)
        setattr(application, "__django_fsm_log_attr_description", "Submitted as X-0001.")
        backend.post_transition_callback(**arguments)
    simple, compiled = (
        row(StateLog, entry.pk) for entry in StateLog.objects.for_(application).order_by("pk")
    )
    assert compiled == simple
    assert compiled["by_id"] == user.pk and compiled["description"] == "Submitted as X-0001."
    assert compiled["content_type_id"] == ContentType.objects.get_for_model(Application).pk
    assert compiled["object_id"] == application.pk and compiled["timestamp"] == NOW


def test_the_submission_logs_who_when_and_why_through_the_compiled_backend(open_call):
    from projects import workflow

    from .test_submit_cost import eligible_draft

    application, user = eligible_draft(open_call)
    before = timezone.now()
    workflow.submit(application, by=user)
    (entry,) = StateLog.objects.for_(application)
    assert (entry.by, entry.source_state, entry.state, entry.transition) == (
        user,
        "draft",
        "submitted",
        "submit",
    )
    assert before <= entry.timestamp <= timezone.now()
    assert Application.objects.get(pk=application.pk).reference in entry.description


def test_receivers_of_save_signals_still_hear_the_write():
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(instance.subject)

    pre_save.connect(receiver, sender=OutboxMessage)
    try:
        message = CompiledInsert(OutboxMessage).insert(
            OutboxMessage(to="a@example.com", subject="s", body="b")
        )
    finally:
        pre_save.disconnect(receiver, sender=OutboxMessage)
    assert heard == ["s"] and OutboxMessage.objects.filter(pk=message.pk, subject="s").exists()


def test_what_a_compiled_write_cannot_write_like_the_orm_is_refused():
    with pytest.raises(ValueError, match="overrides save"):
        CompiledInsert(Organisation)
    with pytest.raises(ValueError, match="no column"):
        CompiledUpdate(Application, ["state", "no_such_field"])
    with pytest.raises(TypeError, match="not expressions"):
        message = OutboxMessage.objects.create(to="a@example.com", subject="s", body="b")
        message.attempts = F("attempts") + 1
        CompiledUpdate(OutboxMessage, ["attempts"]).update(message)
    with pytest.raises(ValueError, match="new instances"):
        CompiledInsert(OutboxMessage).insert(message)


@pytest.mark.skipif(not ON_POSTGRES, reason="prepared statements are PostgreSQL's")
def test_on_postgresql_the_compiled_statements_are_prepared_unless_settings_turn_it_off():
    read = CompiledRead(Organisation, lambda pk: Organisation.objects.filter(pk=pk))
    organisation = ApplicationFactory().lead
    raw = connection.connection

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%FROM "projects_organisation" WHERE%'],
            )
            return cursor.fetchone()[0]

    assert raw.prepare_threshold is not None  # config.settings turns them on
    assert [o.pk for o in read.objects(organisation.pk)] == [organisation.pk]
    assert prepared() == 1
    with CaptureQueriesContext(connection) as queries:
        assert [o.pk for o in read.objects(organisation.pk)] == [organisation.pk]  # the prepared one
    assert prepared() == 1
    # Logged as it ran (with $1 for the id), like any other statement.
    (logged,) = (q["sql"] for q in queries.captured_queries)
    assert logged.startswith('SELECT "projects_organisation"."id"') and '"id" = $1' in logged

    other = CompiledRead(Organisation, lambda pk: Organisation.objects.filter(pk=pk).order_by("name"))
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None  # DATABASE_PREPARED_STATEMENTS=0
    try:
        assert [o.pk for o in other.objects(organisation.pk)] == [organisation.pk]
        assert prepared() == 1  # the first read's only
    finally:
        raw.prepare_threshold = threshold
