"""Counts that stop: lists and searches count exactly up to a cap, then say "more than".

A lead's team holds 25,000 cases at county scale, and counting them all to print
"Showing 1 to 25 of 23,412 cases" read every one of them twice a page (docs/performance.md).
Nobody pages to the 937th page; "more than 1,000" says as much. So a list counts at most
``COUNT_CAP`` rows past the start of the page asked for (``SELECT count(*) FROM (...
LIMIT n)``), enough to show that page, its neighbours and whether there are more, and
never counts what it does not show.

A list reads its first page before counting: when it is not full, it is the only page
and the count is how many rows it has, so nothing is counted at all. Most searches (a
reference, a full name, a phone number) find fewer than a page and so cost one statement
less (docs/performance.md). A search's page is chosen from its matches (at most a few
thousand ids, every one read and sorted to find the page): its rows carry how many there
are (``with_total``), so a full first page is counted by the statement that read it;
and when the matches' ids came in the list's order (``paged_by_ids``), a page reads only
its own rows and the list is counted by its ids. A search matching more than the ids it
reads (an auditor's common surname county-wide) has its first rows' ids, already more
than the cap: its first pages are read by them and nothing is counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Model, Q, QuerySet, Value, Window
from django.utils.formats import number_format

COUNT_CAP = 1_000
# The annotation by which a row says how many rows its whole list has (``with_total``).
TOTAL = "listed_total"


def with_total(queryset: QuerySet) -> QuerySet:
    """``queryset``, each row carrying how many rows the list has (``COUNT(*) OVER ()``,
    as ``TOTAL``), so that ``CappedPaginator`` counts a full first page from its rows.
    Only for a list whose rows are all read to find a page anyway (a search's matches,
    bounded and sorted): on a list whose page an index reads without the rest, the
    window would read every row the page skips."""
    return queryset.annotate(**{TOTAL: Window(Count("*"))})


@dataclass(frozen=True)
class Later:
    """A list's query not built until the ORM must read it: ``make()`` builds it, a plain
    ``QuerySet`` of ``model`` in a fixed order. A list read another way
    (``ColumnsChosen``) made from it never builds it when only its pages and count are
    read: building a case list's query (its visibility, filters, row subqueries and
    order) was about 1 ms of a list's or a search's application CPU at county scale,
    for a query its kept statements never use (docs/performance.md)."""

    model: type[Model]
    make: Callable[[], QuerySet]


class ColumnsChosen(QuerySet):
    """A list read another way than its own query (``PagedByIds``,
    ``casework.statements.KeptList``) that keeps that way while only its columns and
    related rows are chosen (``all``, ``defer``, ``only``, ``select_related``), noting
    each choice (``ops``, ``Ops``) so that the other way can make it too. Anything that
    could change which rows the list has or their order (a filter, another order) makes
    it an ordinary queryset again; a prefetch (``ops`` None) leaves it to the ORM.

    Made from a ``Later``, its own query is built (and the choices noted made on it) the
    first time anything asks for it (``query``)."""

    # The attributes that say the other way, carried to each clone that keeps it.
    carried: tuple[str, ...] = ()
    ops: Ops | None = ()
    # Builds the list's query when it is first asked for (``Later.make``); None: built.
    later: Callable[[], QuerySet] | None = None

    @classmethod
    def made_later(cls, later: Later) -> ColumnsChosen:
        made = cls(model=later.model)
        made.later = later.make
        return made

    @classmethod
    def made_from(cls, queryset: QuerySet | Later) -> ColumnsChosen:
        """``queryset``, a plain ``QuerySet`` or a ``Later`` that builds one, as this
        kind of list (its own attributes still to be set)."""
        if isinstance(queryset, Later):
            return cls.made_later(queryset)
        if type(queryset) is not QuerySet:
            raise TypeError(f"A {cls.__name__} is made from a plain QuerySet.")
        made = queryset.all()
        made.__class__ = cls
        return made

    @property
    def query(self) -> Any:
        if self.later is not None:
            built = self.later()
            if type(built) is not QuerySet or built.model is not self.model or not built.ordered:
                raise TypeError("A list built later is an ordered, plain QuerySet of its model.")
            self.later = None
            QuerySet.query.fset(self, apply_ops(built, self.ops or ()).query)
        return QuerySet.query.fget(self)

    @query.setter
    def query(self, value: Any) -> None:
        QuerySet.query.fset(self, value)

    @property
    def ordered(self) -> bool:
        return True if self.later is not None else super().ordered  # a Later's is

    @property
    def sliced(self) -> bool:
        """Whether the query is sliced, asked without building it (one built later is not)."""
        return self.later is None and self.query.is_sliced

    def _kept(self, clone: QuerySet, op: tuple[str, tuple[Any, ...]] | None = None) -> QuerySet:
        for name in self.carried:
            setattr(clone, name, getattr(self, name))
        clone.ops = None if self.ops is None or op is None else (*self.ops, op)
        return clone

    def _chosen(self, name: str, args: tuple[Any, ...]) -> QuerySet:
        """A clone with ``name(*args)`` chosen: on its query, or noted to be made when a
        query not built yet is built (``later``)."""
        if self.later is None:
            return self._kept(getattr(QuerySet, name)(self, *args), (name, args))
        clone = self.made_later(Later(self.model, self.later))
        return self._kept(clone, (name, args))

    def all(self) -> QuerySet:
        return self._chosen("all", ())

    def defer(self, *fields: Any) -> QuerySet:
        return self._chosen("defer", fields)

    def only(self, *fields: Any) -> QuerySet:
        return self._chosen("only", fields)

    def select_related(self, *fields: Any) -> QuerySet:
        return self._chosen("select_related", fields)

    def prefetch_related(self, *lookups: Any) -> QuerySet:
        return self._kept(super().prefetch_related(*lookups))  # read by the ORM from now

    def capped(self, cap: int) -> tuple[int, bool] | None:
        """``capped_count``'s answer the other way, or None to count through the ORM."""
        return None

    def page_slice(self, k: Any) -> tuple[int, int | None] | None:
        """``k``'s (start, stop) when it is a slice of rows the other way can read: of
        this whole list, not yet read, in steps of one from non-negative bounds."""
        if self._result_cache is not None or self.sliced or not isinstance(k, slice):
            return None
        if k.step is not None or any(i is not None and i < 0 for i in (k.start, k.stop)):
            return None
        return k.start or 0, k.stop


class PagedByIds(ColumnsChosen):
    """A list whose rows' ids are known in its order (a search's matches, read newest
    first from the search index): a slice reads only the rows of its own ids (the list's
    condition kept, their order the list's), each row saying how many the list has
    (``TOTAL``), and the list is counted by its ids (``ColumnsChosen``: what keeps it).

    Given a ``read`` (``paged_by_ids``), a slice is that page's rows as ``read`` gives
    them (a list: the selector's statement compiled once, ``casework.statements``), the
    columns and related rows chosen since (``Ops``) told to it; otherwise, and once
    anything is prefetched, the slice is a queryset of the page's rows.

    When the ids are only the first of the list's rows (``complete`` False: a search
    matching more than it reads the ids of), a slice within them is read as above and one
    reaching past them through the list's own query; the list is counted by its ids only
    when they are more than the cap (they prove "more than" it), otherwise by the ORM,
    and a row's ``TOTAL`` is how many ids there are, not how many rows.

    Made by ``paged_by_ids``; the ids must be those of the list's rows (or its first
    rows), in its order."""

    carried = ("ids", "rows_of", "read", "complete")
    ids: list[int] | None = None
    rows_of: Callable[[list[int]], Q] | None = None
    read: PageRead | None = None
    complete: bool = True

    def count(self) -> int:
        if self.ids is None or self.sliced or not self.complete:
            return super().count()
        return len(self.ids)

    def capped(self, cap: int) -> tuple[int, bool] | None:
        if self.ids is None or not (self.complete or len(self.ids) > cap):
            return None
        return min(len(self.ids), cap), len(self.ids) > cap

    def __getitem__(self, k: Any) -> Any:
        if self.ids is None or (bounds := self.page_slice(k)) is None:
            return super().__getitem__(k)
        if not self.complete and (bounds[1] is None or bounds[1] > len(self.ids)):
            return super().__getitem__(k)  # past the ids read: the list's own query
        page = self.ids[k]
        if self.read is not None and self.ops is not None:
            return self.read(page, len(self.ids), self.ops)
        return self.filter(self.rows_of(page)).annotate(**{TOTAL: Value(len(self.ids))})


# The columns and related rows chosen on a ``ColumnsChosen`` list, in order: each
# ``QuerySet`` method's name and its arguments (``apply_ops`` makes them again).
Ops = tuple[tuple[str, tuple[Any, ...]], ...]
# Reads a page: (the page's ids, how many the list has, the ``Ops``) -> its rows.
PageRead = Callable[[list[int], int, Ops], list[Any]]


def apply_ops(queryset: QuerySet, ops: Ops) -> QuerySet:
    """``queryset`` with the columns and related rows ``ops`` chose (``ColumnsChosen``)."""
    for name, args in ops:
        queryset = getattr(QuerySet, name)(queryset, *args)
    return queryset


def paged_by_ids(
    queryset: QuerySet | Later,
    ids: list[int],
    rows_of: Callable[[list[int]], Q],
    read: PageRead | None = None,
    *,
    complete: bool = True,
) -> PagedByIds:
    """``queryset`` (its rows exactly those of ``ids``, in the same order; or a
    ``Later`` that builds it) paged by ``ids``: ``rows_of(ids)`` is the condition that
    picks rows by their ids (``casework.selectors.pk_in_array``). ``read``, when given,
    reads a page instead of a query made from ``queryset`` (``PagedByIds``): it must
    give the same rows, with the same annotations and ``TOTAL``, as ``queryset``
    filtered by ``rows_of(page)`` with the ``Ops`` applied. ``complete`` False: ``ids``
    are the list's first rows only, and it has more."""
    paged = PagedByIds.made_from(queryset)
    paged.ids, paged.rows_of, paged.read, paged.ops = list(ids), rows_of, read, ()
    paged.complete = complete
    return paged


def capped_count(queryset: Any, cap: int | None = None) -> tuple[int, bool]:
    """(how many, whether there are more): at most ``cap`` (``COUNT_CAP``) rows are
    counted."""
    cap = COUNT_CAP if cap is None else cap
    if isinstance(queryset, ColumnsChosen) and not queryset.sliced:
        known = queryset.capped(cap)
        if known is not None:
            return known
    if isinstance(queryset, QuerySet):
        # Neither the rows' columns and annotations nor their order change how many there
        # are: a count that kept the order sorted every row it counted.
        queryset = queryset.values("pk").order_by()
    found = queryset[: cap + 1].count()
    return min(found, cap), found > cap


def count_text(count: int, more: bool) -> str:
    """``1,000`` or ``more than 1,000``."""
    text = number_format(count, force_grouping=True)
    return f"more than {text}" if more else text


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap`` rows, or at the end of the page asked
    for when that is further: ``more`` says there are rows beyond the count, and the
    page after the last counted one exists, so "Next" keeps working."""

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        page: Any = 1,
        cap: int | None = None,
        count: int | None = None,
    ) -> None:
        """``count``: how many rows the list has, when the caller has counted them
        already (the triage queue's tabs say it): capped as a count of its own would be,
        and nothing is counted again."""
        super().__init__(object_list, per_page)
        try:
            asked = max(int(page), 1)
        except (TypeError, ValueError):
            asked = 1
        self.limit = max(COUNT_CAP if cap is None else cap, asked * per_page)
        self.more = False
        if count is not None:
            self.__dict__["count"] = min(count, self.limit)  # the cached property, known
            self.more = count > self.limit

    def page(self, number: Any) -> Page:
        """The page ``number``; the first is read before anything is counted, and when it
        is not full it is the only page and says how many there are. A later page is
        counted first, as Django does: one past the end (reached by changing the address,
        not by a link) is then refused without reading it."""
        if str(number) != "1" or "count" in self.__dict__:
            return super().page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # the cached property, known
            self.more = False
        elif isinstance(self.object_list, PagedByIds):  # counted by its ids, or later
            known = self.object_list.capped(self.limit)
            if known is not None:
                self.__dict__["count"], self.more = known  # the cached property, known
        elif getattr(rows[0], TOTAL, None) is not None:  # with_total: the rows say
            total = getattr(rows[0], TOTAL)
            self.__dict__["count"] = min(total, self.limit)
            self.more = total > self.limit
        return self._get_page(rows, 1, self)

    def get_page(self, number: Any) -> Page:
        """As ``Paginator.get_page`` (the first page for a number that is none, the last
        for one past the end), without counting a first page that is the only one."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    @cached_property
    def count(self) -> int:
        found, self.more = capped_count(self.object_list, self.limit)
        return found

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return pages + 1 if self.count and self.more else pages

    @property
    def count_text(self) -> str:
        return count_text(self.count, self.more)
