"""Whole read statements compiled once per key: a page's fixed queries as SQL, not ORM.

A lead's dashboard reads ten panels' rows and counts, each a query of cases, clocks or
referrals that the lead may see. Django builds each ``QuerySet`` (filters, joins, the
columns, the order) and compiles it to SQL on every request: about 1 ms of the
application's CPU a statement, two thirds of the dashboard's own time at 500,000 cases
(docs/performance.md, 5 December, "the dashboard's statements compiled once").

Such a query depends only on who asks (the facts their visibility is built from,
``casework.selectors.access_key``) and on the time it compares with, never on the data.
``compiled_values`` therefore builds and compiles it once per ``key`` and keeps its SQL,
its parameters and how to convert its columns; at each later use it substitutes the
times given and runs the SQL. Rows come back as ``QuerySet.values()`` gives them (the
same names, the same conversions of the database's values), counts as ``capped_count``
gives them.

The key must name everything the query is built from but the times: the user's access
key (which changes with any role, team, clearance or per-case grant, so a change makes
another key, never a stale statement) and whatever else the builder reads. The times are
given to the builder as stand-ins (1 January 1900 onwards, which no clock of Safecase's
reads) and replaced in the parameters at each use; a query that turns a time into
anything but itself (a date, a string) is never kept, and runs through the ORM each time.

``SAFECASE_COMPILED_CONDITIONS`` off (``casework.conditions.enabled``), every use builds
and runs its ``QuerySet`` as Django does: a test compares the two.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesIterable

from casework import conditions
from casework.counting import COUNT_CAP, capped_count

_CACHE_SIZE = 4096
# Stand-ins for the times a statement compares with, one a day from 1 January 1900.
_TIMES = tuple(datetime(1900, 1, 1, tzinfo=UTC) + timedelta(days=i) for i in range(4))
_FIRST, _LAST = _TIMES[0].date(), _TIMES[-1].date()


class _Statement:
    """One key's statement: SQL, parameters (a stand-in's place holding its index as
    ``_Time``), the result's column names and per-column converters (as Django's
    compiler gives them); ``empty`` when the query can match nothing."""

    __slots__ = ("converters", "database", "empty", "names", "params", "sql")

    def __init__(
        self,
        sql: str = "",
        params: tuple[Any, ...] = (),
        names: tuple[str, ...] = (),
        converters: dict[int, tuple[list[Any], Any]] | None = None,
        database: str = "default",
        empty: bool = False,
    ) -> None:
        self.sql = sql
        self.params = params
        self.names = names
        self.converters = converters or {}
        self.database = database
        self.empty = empty


class _Time:
    """The place of a stand-in time in a statement's parameters."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


# Kept, per key: a statement, or None for a query that cannot be kept (a time turned into
# something else), which then runs through the ORM at every use.
_cache: OrderedDict[Hashable, _Statement | None] = OrderedDict()
_lock = threading.Lock()


def clear() -> None:
    """Forget every kept statement."""
    with _lock:
        _cache.clear()


def _kept(key: Hashable) -> tuple[bool, _Statement | None]:
    with _lock:
        if key not in _cache:
            return False, None
        _cache.move_to_end(key)
        return True, _cache[key]


def _keep(key: Hashable, statement: _Statement | None) -> None:
    with _lock:
        _cache[key] = statement
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def _with_times(params: Sequence[Any]) -> tuple[Any, ...] | None:
    """``params`` with each stand-in time replaced by its place; None when a stand-in
    was turned into something else (a date, or text), which could not be replaced."""
    given: list[Any] = []
    for param in params:
        if isinstance(param, datetime) and param in _TIMES:
            given.append(_Time(_TIMES.index(param)))
            continue
        as_date = param.date() if isinstance(param, datetime) else param
        if isinstance(as_date, date) and _FIRST <= as_date <= _LAST:
            return None
        if isinstance(param, str) and "1900-01-0" in param:
            return None
        given.append(param)
    return tuple(given)


def _compile(queryset: QuerySet[Any], *, count: bool = False) -> _Statement | None:
    """The kept form of ``queryset`` (or of how many rows it has, ``count``)."""
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _Statement(empty=True)
    kept = _with_times(params)
    if kept is None:
        return None
    if count:
        # ``sql`` is Django's own compilation, its values all parameters.
        return _Statement(f"SELECT COUNT(*) FROM ({sql}) counted", kept, ("count",))  # noqa: S608
    # As ``ValuesIterable`` names a row's columns.
    if query.selected:
        names = tuple(query.selected)
    else:
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
    return _Statement(
        sql, kept, tuple(names), compiler.get_converters(fields), database=queryset.db
    )


def _run(statement: _Statement, times: Sequence[datetime]) -> list[tuple[Any, ...]]:
    params = [times[p.index] if isinstance(p, _Time) else p for p in statement.params]
    connection = connections[statement.database]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    if statement.converters:
        converted = []
        for row in rows:
            values = list(row)
            for position, (converters, expression) in statement.converters.items():
                for converter in converters:
                    values[position] = converter(values[position], expression, connection)
            converted.append(tuple(values))
        rows = converted
    return rows


def _values_queryset(queryset: QuerySet[Any]) -> QuerySet[Any]:
    if queryset._iterable_class is not ValuesIterable:
        raise TypeError("a compiled statement is a .values() query")
    return queryset


def _statement(
    key: Hashable, build: Callable[..., QuerySet[Any]], times: Sequence[datetime], count: bool
) -> _Statement | None:
    """The statement kept for ``key``, compiled from ``build`` the first time it is
    asked for; None when it cannot be kept."""
    if len(times) > len(_TIMES):
        raise ValueError(f"at most {len(_TIMES)} times a statement")
    seen, statement = _kept(key)
    if not seen:
        statement = _compile(_values_queryset(build(*_TIMES[: len(times)])), count=count)
        _keep(key, statement)
    return statement


def compiled_values(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    times: Sequence[datetime] = (),
) -> list[dict[str, Any]]:
    """The rows of ``build(*times)``, a ``.values(...)`` query, as it would give them:
    built and compiled once per ``key`` (module docstring); at most four times."""
    if not conditions.enabled():
        return list(_values_queryset(build(*times)))
    statement = _statement(("values", key), build, times, count=False)
    if statement is None:
        return list(build(*times))
    if statement.empty:
        return []
    return [dict(zip(statement.names, row, strict=True)) for row in _run(statement, times)]


def compiled_count(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    times: Sequence[datetime] = (),
    cap: int | None = None,
) -> tuple[int, bool]:
    """``casework.counting.capped_count`` of ``build(*times)`` (how many, up to ``cap``;
    whether there are more), its statement built and compiled once per ``key``."""
    cap = COUNT_CAP if cap is None else cap

    def first_ids(*given: datetime) -> QuerySet[Any]:
        # Neither the rows' columns nor their order change how many there are.
        return build(*given).values("pk").order_by()[: cap + 1]

    if not conditions.enabled():
        return capped_count(build(*times), cap)
    statement = _statement(("count", cap, key), first_ids, times, count=True)
    if statement is None:
        return capped_count(build(*times), cap)
    found = 0 if statement.empty else _run(statement, times)[0][0]
    return min(found, cap), found > cap
