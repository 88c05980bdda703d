"""Writing many rows at once: COPY on PostgreSQL, bulk_create elsewhere.

Billing issues hundreds of invoices per transaction; Django's bulk_create on PostgreSQL spends most of
its time quoting array parameters in Python, while COPY streams rows in the server's own format. Rows
inserted with COPY get their ids reserved first from the table's sequence, so children can point at
their parents in the same transaction.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.models import JSONField


def chunks(values: Sequence[Any], size: int = 5000) -> Iterator[Sequence[Any]]:
    """``values`` in slices of ``size``: long id lists sent to the database a slice at a time."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch builds hundreds of thousands of objects that all stay
    alive until it ends: each collection would walk them all again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def ids_reserve(*, model: type[models.Model], count: int) -> list[int]:
    """Take ``count`` ids from the table's sequence (PostgreSQL only)."""
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def rows_insert(
    *, model: type[models.Model], objects: Sequence[models.Model], batch_size: int = 2000
) -> None:
    """Insert unsaved model instances; on PostgreSQL their ids are set before the rows are copied."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=batch_size)
        return
    missing = [obj for obj in objects if obj.pk is None]
    for obj, pk in zip(missing, ids_reserve(model=model, count=len(missing)), strict=True):
        obj.pk = pk
    names = [f.attname for f in model._meta.concrete_fields]
    rows_copy(model=model, fields=names, rows=[[getattr(obj, name) for name in names] for obj in objects])


def rows_insert_ids(
    *, model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert plain rows and return their new ids, in order: ids reserved and COPY on PostgreSQL,
    bulk_create elsewhere. For many rows whose ids children need, without building model instances."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=2000)
        return [obj.pk for obj in objects]
    ids = ids_reserve(model=model, count=len(rows))
    rows_copy(
        model=model, fields=("id", *fields), rows=[(pk, *row) for pk, row in zip(ids, rows, strict=True)]
    )
    return ids


def rows_copy(*, model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert plain rows (values in the order of ``fields``, by attribute name) without building model
    instances on PostgreSQL; elsewhere through bulk_create. For rows nobody needs the ids of."""
    if not rows:
        return
    meta_fields = [_concrete(model, name) for name in fields]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
        )
        return
    json_positions = [i for i, f in enumerate(meta_fields) if isinstance(f, JSONField)]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in meta_fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            if json_positions:
                row = list(row)
                for i in json_positions:
                    row[i] = json.dumps(row[i], ensure_ascii=False)
            copy.write_row(row)


def rows_update(*, model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Update many rows by primary key; each row is (pk, *values in the order of ``fields``).

    On PostgreSQL the new values are copied into a temporary table and applied by one UPDATE … FROM;
    elsewhere one parametrised UPDATE runs per row. (Django's bulk_update spends most of its time
    building CASE expressions in Python: about a millisecond a row.)
    """
    if not rows:
        return
    meta_fields = [_concrete(model, name) for name in fields]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(str(model._meta.pk.column))
    columns = [quote(str(f.column)) for f in meta_fields]
    if connection.vendor != "postgresql":
        assignments = ", ".join(f"{column} = %s" for column in columns)
        prepared = [
            [f.get_db_prep_save(value, connection) for f, value in zip(meta_fields, row[1:], strict=True)]
            + [row[0]]
            for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", prepared)
        return
    temporary = quote(f"kw_update_{model._meta.db_table}")
    listed = ", ".join([pk, *columns])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temporary} AS SELECT {listed} FROM {table} WITH NO DATA")
        json_positions = [i + 1 for i, f in enumerate(meta_fields) if isinstance(f, JSONField)]
        with cursor.cursor.copy(f"COPY {temporary} ({listed}) FROM STDIN") as copy:
            for row in rows:
                if json_positions:
                    row = list(row)
                    for i in json_positions:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                copy.write_row(row)
        assignments = ", ".join(f"{column} = source.{column}" for column in columns)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {temporary} source WHERE {table}.{pk} = source.{pk}"
        )
        cursor.execute(f"DROP TABLE {temporary}")


def _concrete(model: type[models.Model], name: str) -> models.Field:
    """The concrete field of a name or attname (``customer`` or ``customer_id``)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field
