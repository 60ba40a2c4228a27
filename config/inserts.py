"""Written-out inserts: rows sent to the database as they are, not through ``bulk_create``.

Shared by the apps that write many rows on a busy path (casework's audit chain and
possible matches, notifications' outbox), so it depends on no app of Safecase's: it
takes the model and the names of its columns' attributes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import JSONField, Model


@functools.lru_cache(maxsize=64)
def _insert_parts(model: type[Model], fields: tuple[str, ...]) -> tuple[str, str, tuple[bool, ...]]:
    """The start of ``model``'s INSERT of ``fields`` (attnames), one row's placeholders
    (a JSON field's cast from its text) and which fields are JSON."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    found = [by_attname[name] for name in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in found)
    json_fields = tuple(isinstance(f, JSONField) for f in found)
    row = "(" + ", ".join("%s::jsonb" if j else "%s" for j in json_fields) + ")"
    table = connection.ops.quote_name(model._meta.db_table)
    # Names from the model and placeholders only; the values are parameters.
    return f"INSERT INTO {table} ({columns}) VALUES ", row, json_fields  # noqa: S608


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, batch: int = 500
) -> list[int]:
    """Insert ``rows`` (each the values of ``fields``, attnames such as ``case_id``) into
    ``model``'s table, ``batch`` rows a statement, and return their ids in order.

    For the writers that add many rows while others wait (the audit chain's events, under
    its lock) or on every raise (its possible matches, its messages to the leads):
    ``bulk_create`` prepares every value of every row through its field, about 75
    microseconds a row of five fields, where this sends them as they are (1.55 → 0.62 ms
    for twenty match rows, docs/performance.md). So the values must be what the column
    takes: ids, texts, booleans, aware times, and for a JSON field the Python value (sent
    as its JSON text, as the field would). No default, ``pre_save`` or signal of the
    model's is applied."""
    start, row, json_fields = _insert_parts(model, tuple(fields))
    ids: list[int] = []
    for first in range(0, len(rows), batch):
        chunk = rows[first : first + batch]
        params: list[Any] = []
        for values in chunk:
            if len(values) != len(json_fields):
                raise ValueError(f"a row of {len(values)} values for {len(json_fields)} fields")
            params += [
                json.dumps(value) if is_json else value
                for value, is_json in zip(values, json_fields, strict=True)
            ]
        sql = start + ", ".join([row] * len(chunk)) + " RETURNING id"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids += [found[0] for found in cursor.fetchall()]
    return ids
