"""Reads whose SQL Django compiles once per process, for the requests that pay for every
millisecond (a submission, which every request of a deadline burst makes).

Building and compiling a queryset costs about 0.3–0.7 ms of CPU (a lookup resolved, every column
named, the joins and the ordering worked out), running the SQL it gives about 0.1 ms. A
CompiledRead keeps the queryset as the one readable statement of what is read, compiles it the
first time, and from then on runs the compiled SQL with the new values, converting the values
each row holds the way the queryset would have (dates, decimals, JSON).

The queryset is built once with stand-in ids (``build(*args)``: each argument an id, or a list of
ids, that the queryset only compares with) and the SQL kept per database connection and per
length of each list (``IN (%s, %s)`` is longer for more ids). A queryset whose SQL does not carry
each stand-in exactly once as a parameter (a value folded into the SQL text, or transformed) is
refused when first compiled, so a read can never run with the wrong values.

A read of one row can bring other tables' rows with it, in the same statement (NestedRead): the
submission reads its application, the application's consortium, documents and answers, its
call's rules and questions and its parties' sanctions in one statement rather than seven.

On PostgreSQL the compiled SQL is also prepared on each database connection (statement_cursor):
PostgreSQL then parses and plans it once per connection, not on every run. Planning the
submission's locking read (five tables joined, every column named) cost its backend about
0.4 ms a time, running it 0.05 ms.
"""

import functools
import json
import weakref
from datetime import UTC
from decimal import Decimal
from itertools import count

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models.functions import Cast, JSONArray
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError

_STAND_IN = -(10**15)  # ids the database never hands out: one per argument and list position
# Compiled SQL kept per read and connection: one per length of its lists (a staff page's reads
# vary with the page), the oldest dropped beyond this.
MAX_SHAPES = 64


class _Compiled:
    def __init__(self, sql, params, slots, compiler, locks):
        self.sql = sql
        self.params = params  # the queryset's own parameters (constants), the slots to fill
        self.slots = slots  # [(position in params, argument, index in its list or None)]
        self.compiler = compiler  # only to convert values, as the queryset's iterator does
        self.converters = compiler.get_converters([col for col, _alias, _ in compiler.select])
        self.locks = locks  # select_for_update: only inside a transaction
        self.names = None  # model reads: the attribute each of the model's columns loads
        self.columns = None  # model reads: where the model's columns are in a row
        self.related = ()  # model reads: what fills in the select_related rows (as Django does)
        self.annotations = {}  # model reads: {name: where its value is in a row}

    def bind(self, args):
        params = list(self.params)
        for position, argument, index in self.slots:
            params[position] = args[argument] if index is None else args[argument][index]
        return params


class CompiledRead:
    """``build(*args)`` -> a QuerySet of ``model`` (with select_related and select_for_update if
    wanted: its rows become instances, with their related rows and annotations, as the queryset
    would give them) or a ``values_list`` of it (its rows become tuples). Call ``objects(*args)``
    or ``rows(*args)`` with real ids. (prefetch_related is not run: read those rows with a
    CompiledRead of their own and attach_prefetched them.)"""

    def __init__(self, model, build):
        self.model = model
        self.build = build
        # Per connection object (one per thread), so compilers are never shared across threads.
        self._compiled = weakref.WeakKeyDictionary()

    def _compile(self, alias, shape):
        ids = count(_STAND_IN, -1)
        stand_ins = [next(ids) if length is None else [next(ids) for _ in range(length)] for length in shape]
        queryset = self.build(*stand_ins)
        if queryset.model is not self.model:
            raise ValueError(f"A read of {self.model.__name__} built a queryset of {queryset.model.__name__}")
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # an empty list the queryset says matches nothing: no SQL to run
            return None
        wanted = {}
        for argument, value in enumerate(stand_ins):
            if isinstance(value, list):
                wanted.update({stand_in: (argument, index) for index, stand_in in enumerate(value)})
            else:
                wanted[value] = (argument, None)
        slots = [(position, *wanted[p]) for position, p in enumerate(params) if p in wanted]
        if sorted(slot[1:] for slot in slots) != sorted(wanted.values()):
            raise ValueError(f"{queryset.model.__name__}: each id must be one parameter of its SQL")
        locks = queryset.query.select_for_update and compiler.connection.features.has_select_for_update
        compiled = _Compiled(sql, list(params), slots, compiler, locks)
        if issubclass(queryset._iterable_class, ModelIterable):
            # As django.db.models.query.ModelIterable builds its instances.
            if queryset._known_related_objects:
                raise ValueError("A compiled read loads models, their select_related and annotations")
            compiled.annotations = dict(compiler.annotation_col_map)
            fields = compiler.klass_info["select_fields"]
            compiled.columns = slice(fields[0], fields[-1] + 1)
            compiled.names = [col.target.attname for col, _alias, _ in compiler.select[compiled.columns]]
            compiled.related = get_related_populators(compiler.klass_info, compiler.select, alias)
        return compiled

    def _run(self, args):
        shape = tuple(len(a) if isinstance(a, (list, tuple)) else None for a in args)
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        by_shape = self._compiled.setdefault(connection, {})
        if shape not in by_shape:
            if len(by_shape) >= MAX_SHAPES:
                del by_shape[next(iter(by_shape))]
            by_shape[shape] = self._compile(alias, shape)
        compiled = by_shape[shape]
        if compiled is None:
            return alias, compiled, []
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, compiled.bind(args))
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        return alias, compiled, rows

    def rows(self, *args):
        """The rows of a values_list read, as tuples."""
        _alias, _compiled, rows = self._run(args)
        return [tuple(row) for row in rows]

    def objects(self, *args):
        """The instances of a model read."""
        alias, compiled, rows = self._run(args)
        if compiled is not None and compiled.names is None:
            raise TypeError("objects() reads a queryset of model instances; use rows()")
        instances = []
        for row in rows:
            instance = self.model.from_db(alias, compiled.names, row[compiled.columns])
            for related in compiled.related:
                related.populate(row, instance)
            for name, position in compiled.annotations.items():
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


@functools.cache
def _preparing_cursor():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Binds the values on the server and prepares each statement the first time it runs
        on the connection (psycopg keeps the connection's prepared statements, the most recent
        hundred; none when the connection's prepare_threshold is None)."""

        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

        def _send_query_prepared(self, name, pgq, *, binary=None):
            # The query Django logs (last_executed_query), which psycopg keeps only for a
            # statement it does not run prepared.
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)

    return PreparingCursor


def statement_cursor(connection):
    """A cursor for SQL this process compiled once and runs again and again with other values
    (the compiled reads, projects.compiled_writes). On PostgreSQL, one that prepares it on the
    connection, through Django's cursor wrapper as connection.cursor() gives (the statement is
    logged, and counted by CaptureQueriesContext, with $1-style placeholders). Unless settings
    turn prepared statements off (config.settings, DATABASE_PREPARED_STATEMENTS=0: for a
    connection pooler that cannot keep them), when it only binds on the server. Elsewhere
    (SQLite), the connection's usual cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    # As BaseDatabaseWrapper._cursor, with another cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor()(connection.connection))


def attach_prefetched(instance, name, objects):
    """Store ``objects`` as what ``instance.<name>.all()`` returns, as prefetch_related does
    (django.db.models.query.prefetch_one_level): the related manager answers from them without
    a query, and a filter on it still queries the database with the relation's own filter."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


class RowsOf(models.Subquery):
    """The rows of ``queryset`` (filtered on its outer row with OuterRef), each the JSON array
    of its ``columns``, as one JSON array in one column of the outer row (text). In no order:
    NestedRead.decode orders them."""

    template = '(SELECT JSON_GROUP_ARRAY(JSON(rows."j")) FROM (%(subquery)s) rows)'

    def __init__(self, queryset, columns):
        super().__init__(queryset.order_by().values(j=JSONArray(*columns)), output_field=models.TextField())

    def as_postgresql(self, compiler, connection, **extra_context):
        template = """(SELECT COALESCE(JSONB_AGG(rows."j"), '[]')::text FROM (%(subquery)s) rows)"""
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _field_at(model, path):
    """The field a values() path (``organisation__name``, ``section_id``) reads."""
    *hops, last = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    for field in model._meta.concrete_fields:
        if last in (field.name, field.attname):
            return field
    return model._meta.get_field(last)


def _converter(field, vendor):
    """Turns a column's value, as JSON gave it (dates as text, booleans as 0/1 on SQLite, JSON
    columns as text on SQLite), into what the model's own read gives."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        from django.utils.dateparse import parse_datetime

        def to_datetime(value):
            moment = parse_datetime(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps UTC, naive

        return to_datetime
    if kind == "DateField":
        from django.utils.dateparse import parse_date

        return parse_date
    if kind == "DecimalField":
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda value: Decimal(value).quantize(places)
    if kind == "BooleanField":
        return bool
    if kind == "JSONField" and vendor != "postgresql":
        return json.loads
    return None


class NestedRead:
    """Rows of another table that a read of one row brings along in its own statement:
    ``build()`` gives their queryset, filtered on the outer row with OuterRef. ``expression()``
    is what the outer read annotates with, and ``decode(value, alias)`` turns the annotation's
    value back into what a read of their own gives: instances of ``model`` with every column
    (and, as select_related, of each relation in ``related``), or, given ``fields``, tuples of
    those values (``instances=True``: instances with only those fields loaded), ordered by
    ``ordering`` (names among the columns, "-" for descending)."""

    def __init__(self, model, build, *, fields=None, related=(), instances=None, ordering=None):
        self.model = model
        self.build = build
        self.related = tuple(related)
        self.instances = fields is None if instances is None else instances
        if fields is None:
            fields = [field.attname for field in model._meta.concrete_fields]
            for name in self.related:
                other = model._meta.get_field(name).related_model
                fields += [f"{name}__{field.attname}" for field in other._meta.concrete_fields]
        self.fields = tuple(fields)
        self.ordering = tuple(("id",) if ordering is None and "id" in self.fields else ordering or ())
        unknown = {name.lstrip("-") for name in self.ordering} - set(self.fields)
        if unknown:
            raise ValueError(f"{model.__name__}: ordered by {sorted(unknown)}, which it does not read")
        self._converters = {}

    def expression(self):
        # A decimal as text, so that JSON carries its digits (not a float's) and JSON columns'
        # numbers stay the floats Django's own read gives.
        return RowsOf(
            self.build(),
            [
                Cast(path, models.TextField())
                if isinstance(_field_at(self.model, path), models.DecimalField)
                else path
                for path in self.fields
            ],
        )

    def _converters_for(self, vendor):
        if vendor not in self._converters:
            self._converters[vendor] = [
                (position, convert)
                for position, path in enumerate(self.fields)
                if (convert := _converter(_field_at(self.model, path), vendor)) is not None
            ]
        return self._converters[vendor]

    def decode(self, value, alias):
        """The rows (tuples, or instances) in ``value``, a RowsOf's text."""
        rows = json.loads(value) if value else []
        for position, convert in self._converters_for(connections[alias].vendor):
            for row in rows:
                if row[position] is not None:
                    row[position] = convert(row[position])
        for name in reversed(self.ordering):  # stable sorts, the last key first
            position = self.fields.index(name.lstrip("-"))
            rows.sort(
                key=lambda row: (row[position] is not None, row[position]), reverse=name.startswith("-")
            )
        if not self.instances:
            return [tuple(row) for row in rows]
        return [self._instance(row, alias) for row in rows]

    def _instance(self, row, alias):
        values = dict(zip(self.fields, row, strict=True))
        instance = _from_db(self.model, alias, {p: v for p, v in values.items() if "__" not in p})
        for name in self.related:
            prefix = f"{name}__"
            own = {p[len(prefix) :]: v for p, v in values.items() if p.startswith(prefix)}
            other = self.model._meta.get_field(name).related_model
            # A null relation is None, as select_related gives it, not an empty instance.
            related = None if own.get(other._meta.pk.attname) is None else _from_db(other, alias, own)
            setattr(instance, name, related)
        return instance


def _from_db(model, alias, values):
    """An instance of ``model`` as a read of these columns ({attname: value}) gives it (the
    others deferred): Model.from_db takes them in the model's column order."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(alias, names, [values[name] for name in names])
