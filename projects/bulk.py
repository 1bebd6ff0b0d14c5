"""Lean inserts for staff-side bulk operations (assigning 100,000 reviews, logging 20,000
transitions): one executemany per batch instead of Django model instances, which cost ten
times more at this size. Values must already be plain column values; datetimes are adapted
by the database backend."""

from datetime import datetime

from django.db import connection


def insert_rows(model, columns, rows, batch_size=5000):
    """Insert ``rows`` (tuples in the order of ``columns``, which are field attnames)."""
    fields = [model._meta.get_field(name) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
    adapt = connection.ops.adapt_datetimefield_value
    datetime_positions = [i for i, field in enumerate(fields) if field.get_internal_type() == "DateTimeField"]
    batch = []
    with connection.cursor() as cursor:
        for row in rows:
            if datetime_positions:
                row = list(row)
                for i in datetime_positions:
                    if isinstance(row[i], datetime):
                        row[i] = adapt(row[i])
            batch.append(tuple(row))
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
