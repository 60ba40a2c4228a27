"""Visibility conditions on a case, built and compiled once per set of facts.

Who may see which case is one SQL condition (``casework.selectors``): the raiser, owner,
team and per-case grant OR, the grants given as one array of case ids. Django resolves and
compiles such a ``Q`` again for every query that uses it, and a page uses it several
times (the list for its rows and again for its count, each gated column, each filter on
content): at 500,000 cases that was the larger part of a page's own CPU, more than its
SQL (docs/performance.md, "What remains").

The condition depends only on a few facts about the user (their id, roles, teams,
clearances) and two settings (the restricted and named compartments). ``case_condition``
takes those facts as a key and keeps, per key, the condition's SQL compiled once, with the
case table's alias left open; ``CaseCondition`` puts it into a query on cases under
whatever alias the case table has there (``casework_case`` at the top level, ``U0`` when
the query becomes a subquery). Anything that would make the reuse unsafe falls back to the
``Q`` itself: a query on another model, or a condition that needs a join.

The key must name every fact the condition is built from: the user's per-case grants
are among them (``casework.permissions.granted_case_ids_of``, read once a request), so a
grant given or withdrawn makes another key, never a stale condition.

The same holds for the scalar subqueries a list of cases annotates its rows with (the
summary as raised, the partner referred to, whether a clock is overdue): each is a
subquery on the row's case, the same for every user, that Django built and compiled again
for every page, about half of the list query's own CPU (docs/performance.md, 5 December,
late). ``case_subquery`` compiles one once per process with its own tables under their own
names, so that, whatever alias the case table has in the query it is put into, only the
case's alias is written in; the time it compares with is a parameter given at each use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS
from django.db.models import BooleanField, Field, Q
from django.db.models.expressions import Col, Expression
from django.db.models.sql import Query

from casework.models import Case
from casework.permissions import named_case_types, restricted_case_types

# Stands for the alias of a query's base table (the case table, or the audit events for
# casework.audit's written-out condition) in a compiled template.
OPEN_ALIAS = "\x00case\x00"
_CACHE_SIZE = 2048
# A condition that matches nothing or everything compiles to no SQL: Django raises these
# for the WHERE clause to drop or short-circuit, and so does its compiled form.
_EMPTY = ("FALSE", ())
_FULL = ("TRUE", ())


class _Compiled:
    """One key's condition: None (every case), or its SQL template with the case table's
    alias left open (None until first used; False when it needs a join, so cannot be
    reused as text)."""

    __slots__ = ("none", "template")

    def __init__(self, none: bool) -> None:
        self.none = none
        self.template: tuple[str, tuple[Any, ...]] | bool | None = None


_cache: OrderedDict[Hashable, _Compiled] = OrderedDict()
_lock = threading.Lock()


def _entry(key: Hashable) -> _Compiled | None:
    with _lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
        return entry


def _store(key: Hashable, entry: _Compiled) -> None:
    with _lock:
        _cache[key] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def clear() -> None:
    """Forget every compiled condition and subquery."""
    with _lock:
        _cache.clear()
        _subqueries.clear()


def enabled() -> bool:
    """``SAFECASE_COMPILED_CONDITIONS`` (default on): off, every query resolves and
    compiles the ``Q`` itself, as Django does (a test compares the two)."""
    return bool(getattr(settings, "SAFECASE_COMPILED_CONDITIONS", True))


def case_condition(key: Hashable, build: Callable[[], Q | None]) -> Q | CaseCondition | None:
    """The condition ``build`` returns for these facts (``key``), as an expression for
    ``Case.objects.filter``, ``When`` or ``~``; None when it is every case. ``build`` is
    called only the first time a key is seen (or when the compiled form cannot serve)."""
    if not enabled():
        return build()
    key = (key, tuple(sorted(restricted_case_types())), tuple(sorted(named_case_types())))
    entry = _entry(key)
    if entry is None:
        q = build()
        entry = _Compiled(none=q is None)
        _store(key, entry)
        if q is None:
            return None
        return CaseCondition(key, build, q)
    return None if entry.none else CaseCondition(key, build)


def _compile(q: Q) -> tuple[str, tuple[Any, ...]] | bool:
    """``q``'s WHERE SQL and parameters on a query of cases with the case table's alias
    left open, or False when it needs a join. Compiled for the default database: Safecase
    has one (PostgreSQL)."""
    query = Case.objects.filter(q).query
    base = query.get_initial_alias()
    if any(query.alias_refcount[a] for a in query.alias_map if a != base):
        return False  # a join the condition needs (joins set up and trimmed are not)
    if _correlated(query.where):
        # Its subqueries would name the case table by an alias that, once the query
        # is itself a subquery, their own aliases could shadow.
        return False
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    try:
        sql, params = compiler.compile(query.where)
    except EmptyResultSet:  # no case at all (a user with no case role)
        return _EMPTY
    except FullResultSet:
        return _FULL
    table = compiler.quote_name_unless_alias(Case._meta.db_table)
    if sql.count(table) != sql.count(f"{table}."):
        return False  # the case table named other than as this query's own columns
    return sql.replace(f"{table}.", f"{OPEN_ALIAS}."), tuple(params)


def _correlated(node: Any) -> bool:
    """Whether a subquery in ``node`` (a WHERE tree) names a table of an outer query
    (conservatively: any column not from the subquery's own tables)."""
    inner = getattr(node, "query", None)
    if isinstance(inner, Query):
        return _names_outside(inner.where, set(inner.alias_map))
    return any(_correlated(child) for child in _children(node))


def _names_outside(node: Any, aliases: set[str]) -> bool:
    if isinstance(node, Col) and node.alias not in aliases:
        return True
    if isinstance(getattr(node, "query", None), Query):
        return True  # a subquery within a subquery: not worth telling apart
    return any(_names_outside(child, aliases) for child in _children(node))


def _children(node: Any) -> list[Any]:
    children = getattr(node, "children", None)
    if children is None:
        getter = getattr(node, "get_source_expressions", None)
        children = [*(getter() if getter else []), getattr(node, "lhs", None)]
        children.append(getattr(node, "rhs", None))
    return [c for c in children if c is not None and not isinstance(c, (str, int, bool))]


class OnBaseTable(Expression):
    """What a compiled condition and a compiled subquery share (and the audit's
    written-out condition, ``casework.audit.RestrictedPeopleAndPremises``): the key they
    were compiled for, how to build them otherwise, and once resolved against a query,
    its base table's alias there (the case table's for these two; followed when that
    query is relabelled) and the compiled template written with it (``OPEN_ALIAS``
    replaced by the alias)."""

    def __init__(
        self, key: Hashable, build: Callable[..., Any], alias: str | None, output_field: Field
    ) -> None:
        super().__init__(output_field=output_field)
        self.key = key
        self.build = build
        self.alias = alias
        self.template: tuple[str, tuple[Any, ...]] | None = None

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.key!r})"

    def resolve_expression(
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: Any = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> Any:
        if self.alias is not None:
            # Already resolved: a subquery's WHERE is resolved again against the outer
            # query (for its outer references); these have none of their own.
            return self
        return self._resolve(query, allow_joins, reuse, summarize, for_save)

    def _resolve(self, query: Any, *args: Any) -> Any:
        """Resolve against ``query``: the compiled template, or what ``build`` gives."""
        raise NotImplementedError

    def _resolved(self, query: Any, template: tuple[str, tuple[Any, ...]]) -> Any:
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        clone.template = template
        return clone

    def relabeled_clone(self, change_map: dict[str, str]) -> Any:
        clone = self.copy()
        if self.alias is not None:
            clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def get_source_expressions(self) -> list[Any]:
        return []

    def _template(self) -> tuple[str, tuple[Any, ...]]:
        if self.alias is None or self.template is None:
            name = self.__class__.__name__
            raise ValueError(f"{name} compiled before it was resolved against a query")
        return self.template

    def _written(self, compiler: Any, sql: str) -> str:
        return sql.replace(OPEN_ALIAS, compiler.quote_name_unless_alias(self.alias))


class CaseCondition(OnBaseTable):
    """A visibility condition on the case table, compiled once per key (module docstring).

    Resolved against a query of cases, it remembers the case table's alias there, follows
    it when the query is relabelled as a subquery, and writes the cached SQL with that
    alias. Against anything else, or when the condition needs a join, it resolves its
    ``Q`` as Django would."""

    conditional = True

    def __init__(
        self,
        key: Hashable,
        build: Callable[[], Q | None],
        q: Q | None = None,
        alias: str | None = None,
    ) -> None:
        super().__init__(key, build, alias, BooleanField())
        self.q = q

    @property
    def identity(self) -> tuple[Any, ...]:
        return (self.__class__, self.key, self.alias)

    def _as_q(self) -> Q:
        q = self.q if self.q is not None else self.build()
        if q is None:
            raise ValueError("a condition that was not None became None")
        return q

    def _resolve(self, query: Any, *args: Any) -> Any:
        entry = _entry(self.key)
        if entry is None:  # evicted since it was made
            entry = _Compiled(none=False)
            _store(self.key, entry)
        if entry.template is None and query is not None and query.model is Case:
            entry.template = _compile(self._as_q())
        if query is None or query.model is not Case or entry.template is False:
            return self._as_q().resolve_expression(query, *args)
        return self._resolved(query, entry.template)

    def __invert__(self) -> Any:
        """The complement, as Django negates the ``Q`` (a row whose owner is NULL is not
        "owned by this user", so it is in the complement); SQL's NOT of the compiled text
        would leave such rows out of both. For the same reason never ``exclude()`` with a
        condition: negate it with ``~``."""
        q = self.q
        return case_condition(("not", self.key), lambda: ~(q if q is not None else self.build()))

    def get_group_by_cols(self) -> list[Any]:
        return []

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        template = self._template()
        if template is _EMPTY:
            raise EmptyResultSet
        if template is _FULL:
            raise FullResultSet
        sql, params = template
        return self._written(compiler, sql), list(params)


# --- Subqueries on each row's case -----------------------------------------------------------

# Stands for the time a subquery compares with (``now``) in its compiled template; each use
# gives its own. No clock of Safecase's reads 1 January 1900.
_NOW = datetime(1900, 1, 1, tzinfo=UTC)
_subqueries: dict[Hashable, tuple[str, tuple[Any, ...]] | bool] = {}


def case_subquery(
    key: Hashable,
    build: Callable[[datetime | None], Any],
    *,
    output_field: Field,
    now: datetime | None = None,
) -> Expression:
    """``build(now)``, an expression on each row's case (a subquery by ``OuterRef("pk")``),
    to annotate a query of cases with: compiled by Django once per process for ``key``
    (module docstring), as it would compile ``build(now)`` itself when the setting is off
    or the query is not on cases. ``key`` must name everything ``build`` depends on but
    ``now``."""
    if not enabled():
        return build(now)
    return CaseSubquery(key, build, now, output_field)


def _subquery_template(key: Hashable, build: Callable[[datetime | None], Any]) -> Any:
    with _lock:
        template = _subqueries.get(key)
    if template is None:
        template = _compile_subquery(build(_NOW))
        with _lock:
            _subqueries[key] = template
    return template


def _compile_subquery(expression: Any) -> tuple[str, tuple[Any, ...]] | bool:
    """``expression``'s SQL on a query of cases with the case table's alias left open, or
    False when its own tables include the case table (whose name it could then not tell
    from the outer case's). The outer query is given another alias prefix than Django's
    own, so that the subquery is not relabelled: its tables keep their own names, which no
    case alias can be, in whatever query it is put into later."""
    query = Case.objects.all().query
    query.alias_prefix = "S"
    query.get_initial_alias()
    resolved = expression.resolve_expression(query, allow_joins=True, reuse=None)
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    sql, params = compiler.compile(resolved)
    table = compiler.quote_name_unless_alias(Case._meta.db_table)
    if sql.count(table) != sql.count(f"{table}."):
        return False
    return sql.replace(f"{table}.", f"{OPEN_ALIAS}."), tuple(params)


class CaseSubquery(OnBaseTable):
    """A subquery on each row's case compiled once (``case_subquery``); resolved against
    a query of cases it remembers the case table's alias and follows it when the query is
    relabelled; against anything else it is ``build(now)`` resolved as Django would."""

    def __init__(
        self,
        key: Hashable,
        build: Callable[[datetime | None], Any],
        now: datetime | None,
        output_field: Field,
        alias: str | None = None,
    ) -> None:
        super().__init__(key, build, alias, output_field)
        self.now = now

    @property
    def identity(self) -> tuple[Any, ...]:
        return (self.__class__, self.key, self.now, self.alias)

    def _resolve(self, query: Any, *args: Any) -> Any:
        template = None
        if query is not None and query.model is Case:
            template = _subquery_template(self.key, self.build)
        if not template:
            return self.build(self.now).resolve_expression(query, *args)
        return self._resolved(query, template)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = self._template()
        given = []
        for param in params:
            if isinstance(param, datetime) and param == _NOW:
                if self.now is None:
                    raise ValueError("this subquery compares with a time: give it now")
                param = self.now
            given.append(param)
        return self._written(compiler, sql), given
