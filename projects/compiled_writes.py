"""Writes whose SQL Django compiles once per process, for the requests that pay for every
millisecond: a submission, which every request of a deadline burst makes, writes its state log
entry, its own row and its receipt in the outbox. The writing counterpart of
projects.compiled_reads.

Saving an instance through the ORM builds a query, compiles it (every column quoted, each value
prepared, the placeholders laid out) and runs it: about 0.3 ms of CPU for a one-row INSERT or
UPDATE, of which running the SQL is a small part. A compiled write runs the SQL the ORM compiled
for the first instance it wrote, on every later one, with that instance's values prepared as
the ORM prepares them:

- CompiledInsert(model).insert(instance): what ``instance.save()`` (``Model.objects.create``)
  writes for a new instance: every concrete column but an automatic primary key, each field's
  ``pre_save`` (auto_now_add) and ``get_db_prep_save``, the primary key read back.
- CompiledUpdate(model, fields).update(instance): what ``instance.save(update_fields=fields)``
  writes (an auto_now field named among them is set), refused as the ORM refuses it when no row
  was updated. The ORM writes a None as ``NULL`` in the SQL: one SQL per pattern of Nones.

The first write compares the values it prepared with the ORM compiler's for the same instance
and refuses to run on any difference, so a compiled write can never write other values than the
ORM would. What a compiled write does not do is send pre_save and post_save: a model with
receivers for either is written through the ORM instead (checked on every write), and a model
that changes how it is saved (save(), save_base() and the like overridden, a parent table) is
refused when the write is declared. On PostgreSQL the SQL is prepared on the connection
(compiled_reads.statement_cursor).
"""

import weakref
from dataclasses import dataclass

from django.db import DatabaseError, connections, router, transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql.subqueries import InsertQuery, UpdateQuery

from .compiled_reads import statement_cursor

# What the ORM calls to save one row: a model that overrides any of them saves differently.
_SAVE_METHODS = ("save", "save_base", "_save_table", "_do_insert", "_do_update", "_save_parents")


def _refuse_unusual(model):
    changed = [name for name in _SAVE_METHODS if getattr(model, name) is not getattr(Model, name)]
    if changed:
        raise ValueError(f"{model.__name__} overrides {', '.join(changed)}: write it through the ORM")
    if model._meta.parents or model._meta.proxy or model._meta.order_with_respect_to:
        raise ValueError(f"{model.__name__} is not saved as one plain row: write it through the ORM")


def _has_receivers(model):
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


def _prepared(fields, values, connection):
    if any(hasattr(value, "resolve_expression") for value in values):
        raise TypeError("A compiled write takes values, not expressions: write it through the ORM")
    return [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values, strict=True)
    ]


def _same_as_the_orms(model, ours, theirs):
    if tuple(ours) != tuple(theirs):
        raise ValueError(f"{model.__name__}: the compiled write would write {ours!r}, the ORM {theirs!r}")


@dataclass
class _Compiled:
    sql: str
    extra_params: tuple = ()  # an INSERT's RETURNING parameters (none on PostgreSQL and SQLite)
    converters: dict | None = None  # an INSERT's: the returned columns' converters
    compiler: object = None  # an INSERT's, to apply them


class CompiledInsert:
    """Insert new instances of ``model`` as ``instance.save()`` does (see the module)."""

    def __init__(self, model):
        _refuse_unusual(model)
        meta = model._meta
        self.model = model
        self.fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        self.returning = meta.db_returning_fields
        if any(hasattr(field, "get_placeholder") for field in self.fields):
            raise ValueError(f"{model.__name__} has a field with a placeholder of its own")
        self._compiled = weakref.WeakKeyDictionary()  # per connection object (one per thread)

    def insert(self, instance):
        if type(instance) is not self.model:
            raise TypeError(
                f"A compiled insert of {self.model.__name__} was given a {type(instance).__name__}"
            )
        if not instance._state.adding or instance._is_pk_set():
            raise ValueError("A compiled insert writes new instances, without a primary key")
        alias = router.db_for_write(self.model, instance=instance)
        if _has_receivers(self.model):
            instance.save(force_insert=True, using=alias)
            return instance
        instance._prepare_related_fields_for_save(operation_name="save")
        connection = connections[alias]
        params = _prepared(self.fields, [field.pre_save(instance, True) for field in self.fields], connection)
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(instance, alias, params)
        with transaction.mark_for_rollback_on_error(alias), statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, (*params, *compiled.extra_params))
            rows = [connection.ops.fetch_returned_insert_columns(cursor, compiled.extra_params)]
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        for value, field in zip(rows[0], self.returning, strict=True):
            setattr(instance, field.attname, value)
        instance._state.adding = False
        instance._state.db = alias
        return instance

    def _compile(self, instance, alias, params):
        # As Model._do_insert, the values taken as they are (raw): pre_save has set them.
        query = InsertQuery(self.model)
        query.insert_values(self.fields, [instance], raw=True)
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = self.returning
        ((sql, theirs),) = compiler.as_sql()
        extra = tuple(compiler.returning_params)
        _same_as_the_orms(self.model, (*params, *extra), theirs)
        if not compiler.connection.features.can_return_columns_from_insert:
            raise ValueError("A compiled insert needs a database that returns the inserted columns")
        converters = compiler.get_converters([f.get_col(self.model._meta.db_table) for f in self.returning])
        return _Compiled(sql, extra, converters, compiler)


class CompiledUpdate:
    """Write ``fields`` (names) of saved instances of ``model`` as ``save(update_fields=fields)``
    does (see the module)."""

    def __init__(self, model, fields):
        _refuse_unusual(model)
        meta = model._meta
        self.model = model
        self.names = list(fields)
        # In the model's order, as Model._save_table takes them.
        self.fields = [
            f
            for f in meta.local_concrete_fields
            if f not in meta.pk_fields and not f.generated and (f.name in fields or f.attname in fields)
        ]
        if len(self.fields) != len(set(self.names)):
            raise ValueError(f"{model.__name__} has no column for some of {self.names}")
        if any(hasattr(field, "get_placeholder") for field in self.fields):
            raise ValueError(f"{model.__name__} has a field with a placeholder of its own")
        self._compiled = weakref.WeakKeyDictionary()  # per connection: {pattern of Nones: _Compiled}

    def update(self, instance):
        if type(instance) is not self.model:
            raise TypeError(
                f"A compiled update of {self.model.__name__} was given a {type(instance).__name__}"
            )
        alias = router.db_for_write(self.model, instance=instance)
        if _has_receivers(self.model):
            instance.save(update_fields=self.names, using=alias)
            return instance
        if not instance._is_pk_set():
            raise ValueError("Cannot force an update in save() with no primary key.")
        instance._prepare_related_fields_for_save(operation_name="save")
        connection = connections[alias]
        values = [field.pre_save(instance, False) for field in self.fields]
        params = _prepared(self.fields, values, connection)
        pk = self.model._meta.pk
        where = pk.get_db_prep_value(pk.get_prep_value(instance.pk), connection, prepared=True)
        bound = [param for param in params if param is not None] + [where]
        nulls = tuple(param is None for param in params)
        by_nulls = self._compiled.setdefault(connection, {})
        if nulls not in by_nulls:
            by_nulls[nulls] = self._compile(instance, alias, values, bound)
        with transaction.mark_for_rollback_on_error(alias), statement_cursor(connection) as cursor:
            cursor.execute(by_nulls[nulls].sql, bound)
            updated = cursor.rowcount
        if not updated:
            raise DatabaseError("Save with update_fields did not affect any rows.")
        instance._state.adding = False
        instance._state.db = alias
        return instance

    def _compile(self, instance, alias, values, bound):
        # As Model._do_update: the base manager's row by its primary key, updated with the values.
        query = self.model._base_manager.using(alias).filter(pk=instance.pk).query.chain(UpdateQuery)
        query.add_update_fields(
            [(field, None, value) for field, value in zip(self.fields, values, strict=True)]
        )
        query.annotations = {}
        sql, theirs = query.get_compiler(alias).as_sql()
        _same_as_the_orms(self.model, bound, theirs)
        return _Compiled(sql)
