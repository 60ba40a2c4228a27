"""Whole read statements compiled once per key: a page's fixed queries as SQL, not ORM.

A lead's dashboard reads ten panels' rows and counts, each a query of cases, clocks or
referrals that the lead may see. Django builds each ``QuerySet`` (filters, joins, the
columns, the order) and compiles it to SQL on every request: about 1 ms of the
application's CPU a statement, two thirds of the dashboard's own time at 500,000 cases
(docs/performance.md, 5 December, "the dashboard's statements compiled once").

Such a query depends only on who asks (the facts their visibility is built from,
``casework.selectors.access_key``) and on a few values given at each use (the time it
compares with, the case it is about), never on the data. ``compiled_values`` therefore
builds and compiles it once per ``key`` and keeps its SQL, its parameters and how to
convert its columns; at each later use it puts the values given in their places and
runs the SQL. Rows come back as ``QuerySet.values()`` gives them (the same names, the
same conversions of the database's values), counts as ``capped_count`` gives them, and
model instances (``compiled_objects``) as iterating the query makes them, with the
models its ``select_related`` joins.

The key must name everything the query is built from but those values (``args``: times,
ids and texts such as a case's reference): the user's access key (which changes with any
role, team, clearance or per-case grant, so a change makes another key, never a stale
statement) and whatever else the builder reads. The builder is given stand-ins for the
values, twice, with two different sets (times in 1900 and 1901, at different hours; ids
above two thousand million; texts no form accepts); the statement is kept only when both
compile to the same SQL with the stand-ins in the same places. A query that turns a value
into anything but itself (a time into its date, an id into text, a text into its upper
case or a pattern) gives different parameters for the two sets and is never kept: it runs
through the ORM at every use. A builder must not decide anything from the values
themselves (``if reference``): it would be asked with the stand-ins only.

``SAFECASE_COMPILED_CONDITIONS`` off (``casework.conditions.enabled``), every use builds
and runs its ``QuerySet`` as Django does: a test compares the two.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from django.db.transaction import TransactionManagementError

from casework import conditions
from casework.counting import COUNT_CAP, ColumnsChosen, Later, apply_ops, capped_count

_CACHE_SIZE = 4096
_MOST = 4  # values a statement takes
# Two sets of stand-ins for the values a statement is given, told apart from each other
# and from anything a query of Safecase's holds: times in 1900 and 1901 (no clock reads
# either), at different hours of different days; ids above two thousand million (within
# a 32-bit column's range, so that no lookup refuses them as out of range).
_STAND_INS = (
    (
        tuple(datetime(1900, 1, 1, tzinfo=UTC) + timedelta(days=i) for i in range(_MOST)),
        tuple(2_013_265_920 + i for i in range(_MOST)),
    ),
    (
        tuple(datetime(1901, 2, 3, 13, 37, 11, 123456, tzinfo=UTC) + timedelta(days=i)
              for i in range(_MOST)),
        tuple(2_013_266_920 + i for i in range(_MOST)),
    ),
)  # fmt: skip
_FIRST, _LAST = date(1900, 1, 1), date(1901, 12, 31)
# Text given at each use (a case's reference): two stand-ins no reference, name or code
# of Safecase's looks like (a separator no form accepts, and a mark of which set).
_TEXTS = (
    tuple(f"\u2063stand-in-{i}-a\u2063" for i in range(_MOST)),
    tuple(f"\u2063stand-in-{i}-b\u2063" for i in range(_MOST)),
)


class _Statement:
    """One key's statement: SQL, parameters (a stand-in's place holding its index as
    ``_Arg``), the result's column names and per-column converters (as Django's
    compiler gives them); ``empty`` when the query can match nothing; ``objects`` for a
    query of model instances, how to make them from a row (``_Objects``); ``locks``
    when it locks the rows it reads (``select_for_update``)."""

    __slots__ = (
        "converters", "database", "empty", "locks", "names", "objects", "params", "prepared",
        "sql",
    )  # fmt: skip

    def __init__(
        self,
        sql: str = "",
        params: tuple[Any, ...] = (),
        names: tuple[str, ...] = (),
        converters: dict[int, tuple[list[Any], Any]] | None = None,
        database: str = "default",
        empty: bool = False,
        objects: _Objects | None = None,
        locks: bool = False,
    ) -> None:
        self.sql = sql
        self.params = params
        self.names = names
        self.converters = converters or {}
        self.database = database
        self.empty = empty
        self.objects = objects
        self.locks = locks
        # Prepared on the server at its first use on a connection (``prepared_cursor``).
        self.prepared = False


class _Objects:
    """How Django's ``ModelIterable`` makes a query's model instances from its rows, kept
    from the compiler that compiled it: the model, its columns' place in a row and their
    attribute names, the populators of the models joined by ``select_related`` and the
    annotations' places. The populators only read what they were made with."""

    __slots__ = ("annotations", "columns", "end", "model", "populators", "start")

    def __init__(self, compiler: Any, database: str) -> None:
        select, klass_info = compiler.select, compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.columns = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, database)
        self.annotations = tuple(compiler.annotation_col_map.items())

    def make(self, row: Sequence[Any], database: str) -> Any:
        made = self.model.from_db(database, self.columns, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, made)
        for name, position in self.annotations:
            setattr(made, name, row[position])
        return made


class _Arg:
    """The place of a value given at each use in a statement's parameters; ``wrap``, the
    type the ORM gave the value there (psycopg's ``Int4`` for an ``IntegerField``'s
    value, which the server is then told the type of), or None for the value as given."""

    __slots__ = ("index", "wrap")

    def __init__(self, index: int, wrap: type | None = None) -> None:
        self.index = index
        self.wrap = wrap

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Arg) and (other.index, other.wrap) == (self.index, self.wrap)

    def __hash__(self) -> int:
        return hash((self.index, self.wrap))

    def value(self, args: Sequence[Any]) -> Any:
        given = args[self.index]
        return given if self.wrap is None else self.wrap(given)


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


def _stand_ins(args: Sequence[Any], which: int) -> tuple[Any, ...]:
    """Set ``which`` of the stand-ins for ``args``: a time for a time, an id for an id,
    text for text."""
    times, ids = _STAND_INS[which]
    given = []
    for index, arg in enumerate(args):
        if isinstance(arg, datetime):
            given.append(times[index])
        elif isinstance(arg, int) and not isinstance(arg, bool):
            given.append(ids[index])
        elif isinstance(arg, str):
            given.append(_TEXTS[which][index])
        else:
            raise TypeError(f"a statement is given times, ids and text, not {type(arg).__name__}")
    return tuple(given)


def _placed(params: Sequence[Any], stand_ins: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """``params`` with each stand-in replaced by its place; None when a stand-in was
    turned into something else (a date, or text), which could not be replaced."""
    given: list[Any] = []
    for param in params:
        found = next(
            (i for i, s in enumerate(stand_ins) if type(s) is type(param) and s == param), None
        )
        if found is not None:
            given.append(_Arg(found))
            continue
        if isinstance(param, int) and type(param) not in (int, bool):
            # An id the ORM adapted to its column's type (``Int4``): placed, and adapted
            # to the same type at each use.
            found = next(
                (i for i, s in enumerate(stand_ins) if type(s) is int and s == int(param)), None
            )
            if found is not None:
                given.append(_Arg(found, type(param)))
                continue
        as_date = param.date() if isinstance(param, datetime) else param
        if isinstance(as_date, date) and _FIRST <= as_date <= _LAST:
            return None
        if isinstance(param, str) and any(str(s) in param for s in stand_ins):
            return None  # text made of a value (``%value%``); other changes of a value
            # (its upper case) differ between the two sets, and are not kept for that
        given.append(param)
    return tuple(given)


def _compile(
    build: Callable[..., QuerySet[Any]], args: Sequence[Any], kind: str
) -> _Statement | None:
    """The kept form of ``build(*args)``: its rows as ``kind`` "values" (a ``.values()``
    query) or "objects" (model instances) give them, or how many there are ("count");
    built with both sets of stand-ins, None when the two do not agree (module
    docstring)."""
    compiled = []
    for which in (0, 1):
        stand_ins = _stand_ins(args, which)
        queryset = _checked(build(*stand_ins), kind)
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            if any(isinstance(arg, int) for arg in args):
                return None  # perhaps a stand-in out of a column's range: not kept
            return _Statement(empty=True)
        placed = _placed(params, stand_ins)
        if placed is None:
            return None
        compiled.append((sql, placed, queryset, query, compiler))
    (sql, placed, queryset, query, compiler), (other_sql, other_placed, *_) = compiled
    if (sql, placed) != (other_sql, other_placed):
        return None
    if kind == "count":
        # ``sql`` is Django's own compilation, its values all parameters.
        counted = f"SELECT COUNT(*) FROM ({sql}) counted"  # noqa: S608
        return _Statement(counted, placed, ("count",), database=queryset.db)
    fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(fields)
    if kind == "objects":
        made = _Objects(compiler, queryset.db)
        locks = bool(query.select_for_update)
        return _Statement(
            sql, placed, (), converters, database=queryset.db, objects=made, locks=locks
        )
    # As ``ValuesIterable`` names a row's columns.
    if query.selected:
        names = tuple(query.selected)
    else:
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    return _Statement(sql, placed, tuple(names), converters, database=queryset.db)


class _Prepared(psycopg.Cursor):
    """psycopg's cursor binding on the server, preparing each statement at its first
    use on its connection (psycopg keeps the last ``prepared_max`` of a connection)."""

    def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
        return super().execute(query, params, prepare=True)


@contextlib.contextmanager
def prepared_cursor(connection: Any) -> Iterator[Any]:
    """A cursor on ``connection`` whose statements PostgreSQL keeps prepared, for
    lookups whose plan does not depend on the values given (a row by its key, the rows
    of one parent): the session, the signed-in user and their access facts, a case, a
    person and what hangs from them.

    Django binds values into the text of every statement (psycopg's client-side
    cursor), so PostgreSQL parses and plans each one afresh: 0.3-0.7 ms of planning for
    a case or person page's statements, each of which then ran in 0.05 ms
    (docs/performance.md, a fourteenth session). Prepared, the plan is made for the
    first uses and kept for the rest (PostgreSQL's generic plan). A list, a search or a
    dashboard panel is never prepared: the best plan for a lead's 25,000 cases is not a
    frontline worker's 20, and a generic plan would be one of them for both.

    Made as ``connection.cursor()`` makes one (the health check, the connection, the
    execute wrappers and errors as Django's), and logged as Django logs a statement
    when queries are logged (tests, ``DEBUG``), with its values in place."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = connection.make_cursor(_Prepared(connection.connection))
    if not connection.queries_logged:
        with cursor:
            yield cursor
        return
    with cursor:
        yield _Logged(cursor, connection)


class _Logged:
    """A prepared cursor whose statements are logged as Django's debug cursor logs
    them (``connection.queries``), with the values in the text, and marked
    ``"prepared"`` when it was: the bench's replay of a page's SQL (``bench/run.py``,
    ``sql_direct``) sends each statement as the page did, prepared or planned afresh."""

    def __init__(self, cursor: Any, connection: Any) -> None:
        self._cursor, self._connection = cursor, connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def execute(self, sql: str, params: Any = None) -> Any:
        started = time.monotonic()
        try:
            return self._cursor.execute(sql, params)
        finally:
            took = time.monotonic() - started
            text = psycopg.ClientCursor(self._connection.connection).mogrify(sql, params)
            # Off (DATABASE_PREPARED_STATEMENTS=false), psycopg prepares nothing.
            prepared = self._connection.connection.prepare_threshold is not None
            self._connection.queries_log.append(
                {"sql": text, "time": f"{took:.3f}", "prepared": prepared}
            )


def _run(statement: _Statement, args: Sequence[Any]) -> list[tuple[Any, ...]]:
    params = [p.value(args) if isinstance(p, _Arg) else p for p in statement.params]
    connection = connections[statement.database]
    if statement.locks and connection.get_autocommit():
        # As Django refuses it: a lock outside a transaction ends with its statement.
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    with prepared_cursor(connection) if statement.prepared else connection.cursor() as cursor:
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


def _checked(queryset: QuerySet[Any], kind: str) -> QuerySet[Any]:
    """``queryset``, if a statement of ``kind`` can be kept for it: rows as
    ``.values()`` gives them for "values" and "count", model instances for "objects"
    (with ``select_related``, annotations and a lock, ``select_for_update``; not a
    related manager's query, which sets the object it came from on each, nor one with
    ``prefetch_related``). A lock is taken at each use, and only in a transaction, as
    Django takes it."""
    if kind == "objects":
        if queryset._iterable_class is not ModelIterable:
            raise TypeError("a compiled statement of objects is a query of model instances")
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("a compiled statement of objects prefetches nothing")
    elif queryset._iterable_class is not ValuesIterable:
        raise TypeError("a compiled statement is a .values() query")
    elif queryset.query.select_for_update:
        raise TypeError("a compiled statement of values locks nothing")
    return queryset


def _statement(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any],
    kind: str,
    prepared: bool = False,
) -> _Statement | None:
    """The statement kept for ``key``, compiled from ``build`` the first time it is
    asked for; None when it cannot be kept."""
    if len(args) > _MOST:
        raise ValueError(f"at most {_MOST} values a statement")
    seen, statement = _kept(key)
    if not seen:
        statement = _compile(build, args, kind)
        if statement is not None:
            statement.prepared = prepared
        _keep(key, statement)
    return statement


def _statement_or_rows(
    kind: str,
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any],
    prepared: bool = False,
) -> _Statement | list[Any]:
    """The statement of ``kind`` kept for ``key``; or, when statements are off or this
    one cannot be kept, the rows of ``build(*args)`` as Django gives them."""
    if not conditions.enabled():
        return list(_checked(build(*args), kind))
    statement = _statement((kind, key), build, args, kind, prepared)
    return list(build(*args)) if statement is None else statement


def compiled_values(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any] = (),
    *,
    prepared: bool = False,
) -> list[dict[str, Any]]:
    """The rows of ``build(*args)``, a ``.values(...)`` query, as it would give them:
    built and compiled once per ``key`` (module docstring). ``args``: at most four
    times, ids and texts, given at each use. ``prepared``: see ``prepared_cursor``."""
    kept = _statement_or_rows("values", key, build, args, prepared)
    if not isinstance(kept, _Statement):
        return kept
    if kept.empty:
        return []
    return [dict(zip(kept.names, row, strict=True)) for row in _run(kept, args)]


def compiled_column(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any] = (),
) -> list[Any]:
    """The one column of ``build(*args)``, a ``.values(name)`` query, as a list (as
    ``values_list(name, flat=True)`` gives it), compiled as ``compiled_values``'s: a
    search's matched ids, up to 5,001 of them, were a dict a row before their ids were
    taken out of them (4.8 ms of CPU, against 0.1, docs/performance.md)."""
    kept = _statement_or_rows("values", ("column", key), build, args)
    if not isinstance(kept, _Statement):
        return [value for row in kept for value in row.values()]
    if kept.empty:
        return []
    if len(kept.names) != 1:
        raise TypeError("a compiled column is a .values() query of one column")
    return [row[0] for row in _run(kept, args)]


def compiled_count(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any] = (),
    cap: int | None = None,
) -> tuple[int, bool]:
    """``casework.counting.capped_count`` of ``build(*args)`` (how many, up to ``cap``;
    whether there are more), its statement built and compiled once per ``key``."""
    cap = COUNT_CAP if cap is None else cap

    def first_ids(*given: Any) -> QuerySet[Any]:
        # Neither the rows' columns nor their order change how many there are.
        return build(*given).values("pk").order_by()[: cap + 1]

    if not conditions.enabled():
        return capped_count(build(*args), cap)
    statement = _statement(("count", cap, key), first_ids, args, "count")
    if statement is None:
        return capped_count(build(*args), cap)
    found = 0 if statement.empty else _run(statement, args)[0][0]
    return min(found, cap), found > cap


def compiled_objects(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any] = (),
    *,
    prepared: bool = False,
) -> list[Any]:
    """The model instances of ``build(*args)``, as iterating it would give them (with
    the models its ``select_related`` joins): built and compiled once per ``key``
    (module docstring). ``args``: at most four times, ids and texts, given at each use.
    Not for a related manager's query (``case.notes``); build it from the model's
    manager instead. ``prepared``: see ``prepared_cursor``."""
    kept = _statement_or_rows("objects", key, build, args, prepared)
    if not isinstance(kept, _Statement):
        return kept
    if kept.empty:
        return []
    if kept.objects is None:
        raise TypeError(f"{key!r} is kept as another kind of statement")
    made, database = kept.objects, kept.database
    return [made.make(row, database) for row in _run(kept, args)]


class KeptList(ColumnsChosen):
    """A list whose pages and count are read through statements compiled once: a slice
    of it (a page) is ``compiled_objects`` of its query so sliced, its count
    ``compiled_count`` (``casework.counting.capped_count``), with the columns and related
    rows chosen since it was made (``ColumnsChosen``). Otherwise (filtered again,
    ordered otherwise, read whole) it is the ordinary queryset it also is.

    Made by ``kept_list``."""

    carried = ("kept_key", "kept_build", "kept_args")
    kept_key: Hashable | None = None
    kept_build: Callable[..., QuerySet[Any]] | None = None
    kept_args: tuple[Any, ...] = ()

    def _built(self) -> Callable[..., QuerySet[Any]]:
        build, ops = self.kept_build, self.ops

        def built(*given: Any) -> QuerySet[Any]:
            return apply_ops(build(*given), ops)

        return built

    def capped(self, cap: int) -> tuple[int, bool] | None:
        if self.kept_build is None or self.ops is None:
            return None
        return compiled_count((self.kept_key, self.ops), self._built(), self.kept_args, cap)

    def __getitem__(self, k: Any) -> Any:
        bounds = self.page_slice(k)
        if self.kept_build is None or self.ops is None or bounds is None:
            return super().__getitem__(k)
        start, stop = bounds
        built = self._built()

        def page(*given: Any) -> QuerySet[Any]:
            return built(*given)[start:stop]

        return compiled_objects((self.kept_key, self.ops, start, stop), page, self.kept_args)


def kept_list(
    queryset: QuerySet[Any] | Later,
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any] = (),
) -> QuerySet[Any]:
    """``queryset`` (or a ``Later`` that builds it) as a ``KeptList``: ``build(*args)``
    must make the same query (the module docstring says what ``key`` must name and what
    ``args`` may be). More values than a statement takes: ``queryset`` as it is."""
    if len(args) > _MOST:
        return queryset.make() if isinstance(queryset, Later) else queryset
    kept = KeptList.made_from(queryset)
    kept.kept_key, kept.kept_build, kept.kept_args, kept.ops = key, build, tuple(args), ()
    return kept
