"""The one selector behind the case list page and ``GET /api/v1/cases/``: the cases a
user may see, filtered, searched and sorted.

Visibility is ``casework.selectors.case_list_for_user``. Whatever a case known only as
received does not show (a Prevent case's raiser sees its reference, type and when it was
received: RULES.md §4.5, ``case_is_limited``) is never used to find or order it: state,
team, owner, overdue clocks, the summary and people's names match only cases the user may
see in full, and sorting by state, team or owner puts limited cases last, as if the value
were blank. Only the reference (which the raiser was given) finds a limited case.

Search (``q``) is one query on the search index (``casework.search_index``), which holds
both what is searched and who may see each case, so a common family name costs the
matches this user may see, not the county's matches filtered afterwards. Its ids are
read first and the page is then read by primary key with the visibility condition
applied again, so a stale index entry could never show a case its viewer may not open.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.expressions import BaseExpression
from django.db.models.lookups import IsNull
from django.utils import timezone

from casework.conditions import case_subquery
from casework.counting import (
    COUNT_CAP,
    TOTAL,
    Later,
    Ops,
    PageRead,
    apply_ops,
    paged_by_ids,
    with_total,
)
from casework.models import Case, Team
from casework.permissions import team_ids_of
from casework.roles import Role, roles_of
from casework.search_index import (
    parse,
    search_case_ids_for_user,
    search_case_ids_newest_first,
    search_found,
    searches_every_team,
)
from casework.selectors import (
    access_key,
    case_content_condition,
    case_full_condition,
    case_is_limited,
    case_list_for_user,
    id_array,
    in_id_array,
    pk_in_array,
)
from casework.statements import compiled_objects, compiled_values, kept_list
from workflows.models import Deadline, overdue_q
from workflows.raiser import raised_summary, referred_to_kind

User = get_user_model()
CASE_WORKER_ROLES = (Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD)

# Sort keys of the list (the page's ``sort`` parameter) and the columns they order by.
# Each is a tuple of fields; ``gated`` ones are case content (see the module docstring).
SORTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "reference": (("reference",), False),
    "type": (("case_type",), False),
    "state": (("state",), True),
    "team": (("team__name",), True),
    "owner": (("owner__last_name", "owner__first_name", "owner__username"), True),
    "raised": (("raised_at",), False),
}
SORT_LABELS = {
    "reference": "Reference",
    "type": "Type",
    "state": "State",
    "raised": "Raised",
    "team": "Team",
    "owner": "Allocated to",
}
DEFAULT_SORT = "raised"
DEFAULT_ORDER = "desc"
ORDERS = ("asc", "desc")
# The matches are read first and the page read by their ids, so PostgreSQL checks
# visibility for the matches only (docs/performance.md). Beyond this many matches the
# search stays one statement, the index query a subquery of the list's.
MATCHED_IDS_LIMIT = 5_000
# A search of every team's cases (an auditor's) in the list's default order with nothing
# narrowing it is paged by its first ids and needs no more than prove "more than" the
# count's cap: it reads that many and one (a year at a time, ``casework.search_index``).
FIRST_IDS_LIMIT = COUNT_CAP


def has_overdue_deadline(now: datetime) -> BaseExpression:
    """Whether the case has an overdue task, for a page of rows: a scalar subquery
    (``LIMIT 1``), probed once per row shown. An ``EXISTS`` in the select list lets
    PostgreSQL pick a hashed subplan when it expects many rows before the page's LIMIT,
    and at county scale that read every overdue clock of the county (36,000 rows,
    10 ms) for the 25 cases of a page (docs/performance.md). Compiled once, ``now`` given
    at each use (``casework.conditions.case_subquery``)."""
    return case_subquery(
        "has_overdue_deadline", _has_overdue_deadline, output_field=BooleanField(), now=now
    )


def _has_overdue_deadline(now: datetime | None) -> IsNull:
    first = overdue_deadlines(now).values("pk")[:1]
    return IsNull(Subquery(first), False)


def overdue_deadlines(now: datetime) -> QuerySet[Deadline]:
    """The case's overdue tasks (an ``Exists`` subquery): past due and not met or
    cancelled, whether or not the sweep marked them missed (``overdue_q``)."""
    return Deadline.objects.filter(overdue_q(now), case=OuterRef("pk"))


def _matching(user: Any, q: str, paged: bool) -> tuple[Q, list[int], bool]:
    """The cases matching ``q`` that ``user`` may see, from the search index: their ids
    read newest first, and given as one array when there are at most ``MATCHED_IDS_LIMIT``,
    else the index's query as a subquery; the ids read (every match's, or the first
    ``MATCHED_IDS_LIMIT + 1``); and whether they are every match's (a bounded list, which
    can be paged by them or whose rows can carry their count: ``casework.counting``).
    A search of every team's cases ``paged`` by its ids (the list's default order, no
    filter) reads at most ``FIRST_IDS_LIMIT + 1``."""
    limit = MATCHED_IDS_LIMIT
    if paged and searches_every_team(user):
        limit = FIRST_IDS_LIMIT
    ids = search_case_ids_newest_first(user, q, limit + 1)
    if not ids:
        return Q(pk__in=[]), [], True  # nothing: Django asks the database nothing more
    if len(ids) <= limit:
        return pk_in_array(ids), ids, True
    return Q(pk__in=search_case_ids_for_user(user, q)), ids, False


def _gated(content: Q | None, field: str) -> BaseExpression:
    """``field``, or NULL for a case the user may know only as received."""
    if content is None:
        return F(field)
    return CaseWhen(When(content, then=F(field)), default=Value(None))


def _ordering(content: Q | None, sort: str, order: str) -> list[Any]:
    """ORDER BY for ``sort``: gated (nullable) columns put NULLs last either way; plain
    NOT NULL columns are left as they are, so an index in either direction serves them
    (``case_raised_at_id`` for the default, newest first)."""
    fields, gated = SORTS.get(sort, SORTS[DEFAULT_SORT])
    desc = order == "desc"
    keys: list[Any] = []
    for field in fields:
        if gated:
            expression = _gated(content, field)
            keys.append(
                expression.desc(nulls_last=True) if desc else expression.asc(nulls_last=True)
            )
        else:
            keys.append(F(field).desc() if desc else F(field).asc())
    if sort == "raised":
        return [*keys, F("pk").desc() if desc else F("pk").asc()]
    return [*keys, F("raised_at").desc(), F("pk").desc()]


def _owner_filter(user: Any, owner: Any) -> Q:
    if owner == "me":
        return Q(owner=user)
    if owner == "unallocated":
        return Q(owner__isnull=True)
    return Q(owner=owner)


def _filtered(
    user: Any,
    cases: QuerySet[Case],
    filters: Mapping[str, Any],
    matching: Q | None,
    now: datetime,
) -> QuerySet[Case]:
    """Apply the filters; those on content (state, team, owner, clocks) keep to cases
    seen in full, never those known only as received or seen only as their raiser. Then
    ``matching``, a search's condition (``_matching``)."""
    content = case_full_condition(user)
    full = Q() if content is None else content
    if filters.get("case_type"):
        cases = cases.filter(case_type=filters["case_type"])
    if filters.get("state"):
        cases = cases.filter(full, state=filters["state"])
    if filters.get("team"):
        cases = cases.filter(full, team=filters["team"])
    if filters.get("owner"):
        cases = cases.filter(full, _owner_filter(user, filters["owner"]))
    if filters.get("assigned_to") == "me":
        cases = cases.filter(owner=user)
    if filters.get("overdue") in ("true", "false"):
        overdue = Exists(overdue_deadlines(now))
        cases = cases.filter(full, overdue if filters["overdue"] == "true" else ~overdue)
    if matching is not None:
        cases = cases.filter(matching)
    return cases


def _narrows(filters: Mapping[str, Any]) -> bool:
    """Whether a filter other than the search is given, one ``_filtered`` applies."""
    return any(filters.get(name) for name in ("case_type", "state", "team", "owner")) or (
        filters.get("assigned_to") == "me" or filters.get("overdue") in ("true", "false")
    )


def case_search_for_user(
    user: Any,
    filters: Mapping[str, Any],
    *,
    sort: str = DEFAULT_SORT,
    order: str = DEFAULT_ORDER,
) -> QuerySet[Case]:
    """The cases ``user`` may see matching ``filters``, sorted (newest first by default).

    ``filters`` (all optional, already validated): ``case_type``; ``state``; ``team`` (a
    Team or its id); ``owner`` ("me", "unallocated" or a user); ``assigned_to`` ("me",
    the API's name for owner=me); ``overdue`` ("true": with an open clock past due,
    "false": without); ``q`` (reference, summary or a person's names). Each row carries
    ``has_overdue_deadline``; team, owner and raiser come in the same query.
    """
    q = str(filters.get("q") or "").strip()
    paged = (sort, order) == (DEFAULT_SORT, DEFAULT_ORDER) and not _narrows(filters)
    matching, matched, complete = _matching(user, q, paged) if q else (None, None, True)
    now = timezone.now()
    # The list's own query, built only when the ORM reads it: a list read through its
    # kept statements and a search paged by its matches never do (``Later``).
    cases = Later(Case, lambda: _listed(user, filters, sort, order, matching, now))
    if not q:
        return _kept_list(user, cases, filters, sort, order, now)
    if not matched:
        # Nothing matched (another team's postcode, a name nobody has): an empty list,
        # whatever its filters and order, read and counted as no rows without building
        # or compiling the list's query (docs/performance.md).
        return paged_by_ids(cases, [], pk_in_array, _no_rows)
    if paged:
        # The matches are the list, their ids already in its order: a page reads its own
        # 25 cases, not every match to sort them, through a statement compiled once
        # (``_page_read``; docs/performance.md). With more matches than the ids read
        # (an auditor's search of a common surname county-wide), those ids are its first
        # rows, and more than the count's cap: the first pages are read by them and
        # nothing is counted; a page past them reads the list's own query.
        read = _page_read(user, now)
        return paged_by_ids(cases, matched, pk_in_array, read, complete=complete)
    if not complete:
        return cases.make()
    # Every match is read and sorted to find the page: the same statement counts them,
    # so a full first page needs no count of its own (docs/performance.md).
    return with_total(cases.make())


def _listed(
    user: Any,
    filters: Mapping[str, Any],
    sort: str,
    order: str,
    matching: Q | None,
    now: datetime,
) -> QuerySet[Case]:
    """``case_search_for_user``'s query, a search's matches given as ``matching``."""
    cases = case_list_for_user(user).select_related("team", "owner", "raised_by")
    cases = _filtered(user, cases, filters, matching, now)
    content = case_content_condition(user)
    full = case_full_condition(user)
    overdue = has_overdue_deadline(now)
    if full is not None:
        # A case seen only as its raiser (or as received) shows no clock (issue 17).
        overdue = CaseWhen(
            When(full, then=overdue), default=Value(False), output_field=BooleanField()
        )
        # What the raiser's view shows (the summary as raised and the partner its status
        # names, issue 19) is looked up for the rows seen only as raiser: a row seen in
        # full never probes the audit log and the referrals for it (docs/performance.md).
        cases = cases.annotate(
            full_content=CaseWhen(
                When(full, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            raised_summary=CaseWhen(
                When(full, then=Value(None)), default=raised_summary(), output_field=JSONField()
            ),
            raiser_referred_to=CaseWhen(
                When(full, then=Value(None)), default=referred_to_kind(), output_field=CharField()
            ),
        )
    return cases.annotate(has_overdue_deadline=overdue).order_by(*_ordering(content, sort, order))


# The filters whose values are given at each use of a list's kept statement, and their
# types; the others' values ("me", "unallocated", "true") are part of the statement.
_GIVEN = {"case_type": str, "state": str, "team": int, "owner": int}
_FILTERS = ("case_type", "state", "team", "owner", "assigned_to", "overdue")


def _kept_list(
    user: Any,
    cases: Later,
    filters: Mapping[str, Any],
    sort: str,
    order: str,
    now: datetime,
) -> QuerySet[Case]:
    """The list (``cases`` builds its query; no search) read a page and a count at a time through
    statements compiled once per access key, filters chosen, order and columns
    (``casework.statements.KeptList``): the time and the filters' values (a type, a
    state, a team's or an owner's id) given at each use. Building and compiling a page
    and its count was about 2.5-3.5 ms of a list's application CPU at county scale
    (docs/performance.md)."""
    shape: list[tuple[str, Any]] = []
    values: list[Any] = [now]
    for name in _FILTERS:
        value = filters.get(name)
        if not value:
            continue
        given = _GIVEN.get(name)
        if name == "owner" and value in ("me", "unallocated"):
            given = None
        if given is None and isinstance(value, str):
            shape.append((name, value))
            continue
        value = getattr(value, "pk", value)
        if given is None or type(value) is not given:
            return cases.make()  # not a value a statement is given: the ORM's query
        shape.append((name, None))  # given at each use (a filter's value is never None)
        values.append(value)
    kept_names = [name for name, value in shape if value is None]
    fixed = {name: value for name, value in shape if value is not None}

    def build(at: datetime, *given: Any) -> QuerySet[Case]:
        chosen = fixed | dict(zip(kept_names, given, strict=True))
        return _listed(user, chosen, sort, order, None, at)

    key = ("case list", access_key(user), tuple(shape), sort, order)
    return kept_list(cases, key, build, values)


def _no_rows(page: list[int], total: int, ops: Ops) -> list[Case]:
    """The page of a search that matched nothing (``PageRead``)."""
    return []


def _page_read(user: Any, now: datetime) -> PageRead:
    """How a page of a search's matches is read (``casework.counting.PagedByIds``): the
    query ``case_search_for_user`` pages, built and compiled once per access key and
    choice of columns (``casework.statements``); the page's ids, the time and how many
    matches' ids were read given at each use. Building and compiling it was about 3 ms
    of a search's 12 ms of application CPU at county scale (docs/performance.md).

    The page's ids are among the matches, so the statement is given those alone: with
    every match's ids too (up to 5,001), PostgreSQL costed an index scan by two arrays
    of ids as one by the larger and read the whole case table instead (90 ms at county
    scale for an auditor's common surname, docs/performance.md)."""

    def read(page: list[int], total: int, ops: Ops) -> list[Case]:
        def build(these: str, at: datetime, listed: int) -> QuerySet[Case]:
            cases = _listed(user, {}, DEFAULT_SORT, DEFAULT_ORDER, None, at)
            cases = apply_ops(cases, ops).filter(in_id_array("pk", these))
            return cases.annotate(**{TOTAL: Value(listed)})

        key = ("search page", access_key(user), ops)
        return compiled_objects(key, build, (id_array(page), now, total))

    return read


# A person's fields a search is said to have found (``casework.search_index.search_found``).
_FOUND_FIELDS = ("given_names", "family_name", "aliases", "date_of_birth", "phone", "address")

PeopleAndPremises = tuple[list[dict[str, Any]], tuple[str, str] | None]


def case_people_and_premises(case_ids: Sequence[int]) -> dict[int, PeopleAndPremises]:
    """Each case's people (their id, names, date of birth, phone and address, in the
    order they were added) and premises (address and postcode, or None), for ``case_ids``:
    cases the caller has found its user may see in full (a page of a search), so that
    the page can say what the search found in each (issue 18). One statement, compiled
    once, whatever the number of cases."""
    if not case_ids:
        return {}

    def build(ids: str) -> QuerySet[Any]:
        person = [f"case_people__person__{name}" for name in _FOUND_FIELDS]
        return (
            Case.objects.filter(in_id_array("pk", ids))
            .order_by("pk", "case_people__id")
            .values(
                "pk",
                "premises__address",
                "premises__postcode",
                "case_people__id",
                "case_people__person_id",
                *person,
            )  # fmt: skip
        )

    found: dict[int, PeopleAndPremises] = {}
    for row in compiled_values(("search: people and premises",), build, (id_array(case_ids),)):
        premises = None
        if row["premises__address"] is not None:
            premises = (row["premises__address"], row["premises__postcode"] or "")
        people, _ = found.setdefault(row["pk"], ([], premises))
        if row["case_people__id"] is not None:
            person = {name: row[f"case_people__person__{name}"] for name in _FOUND_FIELDS}
            people.append({"id": row["case_people__person_id"], **person})
    return found


@dataclasses.dataclass(frozen=True)
class FoundIn:
    """What a search found in one case: the people its words match (their fields, as
    ``case_people_and_premises`` gives them) and its premises ``(address, postcode)``
    when they match, else None."""

    people: list[dict[str, Any]]
    premises: tuple[str, str] | None


def case_search_found(user: Any, q: str, cases: Sequence[Case]) -> dict[int, FoundIn]:
    """For each of ``cases`` (a page of the search ``q``) that ``user`` sees in full,
    by case id, what the search found in it (``casework.search_index.search_found``), so
    that the list answers "is this person or address already known to us?" (issue 18)
    without opening each case. A case known only as received (``case_is_limited``) or
    only as its raiser (``full_content`` False) is found by its reference alone, and
    nothing more is said of it. Empty for a search by reference alone.
    """
    case_ids = [
        case.pk
        for case in cases
        if not case_is_limited(user, case) and getattr(case, "full_content", True)
    ]
    parsed = parse(q)
    if not parsed.choices or not case_ids:
        return {}
    facts = case_people_and_premises(case_ids)
    said = {}
    for pk in case_ids:
        people, premises = facts.get(pk, ([], None))
        found = search_found(parsed, people, premises)
        said[pk] = FoundIn(
            [people[place] for place in found.people], premises if found.premises else None
        )
    return said


def case_filter_teams(user: Any) -> list[dict[str, Any]]:
    """The teams the user may filter the list by (``pk``, ``slug``, ``name``), by name:
    every team for an auditor (who reads every case), otherwise their own teams (the
    cases they see are theirs). Its statement is compiled once for every auditor and
    once per set of teams (``casework.statements``); the rows are read every time."""
    every = Role.AUDITOR in roles_of(user)
    ids = () if every else tuple(sorted(team_ids_of(user)))

    def teams() -> QuerySet[Any]:
        found = Team.objects.all() if every else Team.objects.filter(pk__in=ids)
        return found.order_by("name").values("pk", "slug", "name")

    return compiled_values(("filter teams", every, ids), teams)


def case_filter_owners(
    user: Any, team: int | None = None, chosen: str = ""
) -> list[dict[str, Any]]:
    """Who the user may filter the list by as the case's owner (``pk``, ``username``,
    ``first_name``, ``last_name``), by name: the active case workers (frontline staff
    and leads) of their teams. One statement, bounded by the number of staff, never by
    the number of cases; compiled as ``case_filter_teams``'s is.

    An auditor reads every team's cases, and every team's case workers are hundreds at
    county scale (960 at 500,000 cases: 65 KB of a 105 KB page, and 5-6 ms of a search's
    time, docs/performance.md), too many for one list to choose from. They are offered
    the case workers of the ``team`` chosen in the team filter (its id), and none until
    one is; the owner already ``chosen`` (a username: an address kept, or a team filter
    removed) stays offered whichever team is chosen, so that it is never refused."""
    every = owners_by_team(user)
    if every:
        ids: tuple[int, ...] = () if team is None else (team,)
    else:
        ids = tuple(sorted(team_ids_of(user)))

    def owners() -> QuerySet[Any]:
        return _case_workers().filter(team_memberships__team_id__in=ids)

    found = compiled_values(("filter owners", ids), owners) if ids else []
    if every and chosen not in ("", "me", "unallocated"):
        if not any(u["username"] == chosen for u in found):
            found = sorted(
                [*found, *_case_workers().filter(username=chosen)],
                key=lambda u: (u["last_name"], u["first_name"], u["username"]),
            )
    return found


def owners_by_team(user: Any) -> bool:
    """Whether the owner filter offers ``user`` one chosen team's case workers at a time
    (an auditor, who reads every team's cases: ``case_filter_owners``)."""
    return Role.AUDITOR in roles_of(user)


def _case_workers() -> QuerySet[Any]:
    """Active case workers (frontline staff and leads) as the owner filter offers them."""
    workers = User.objects.filter(
        is_active=True, groups__name__in=[r.group_name for r in CASE_WORKER_ROLES]
    )
    ordered = workers.distinct().order_by("last_name", "first_name", "username")
    return ordered.values("pk", "username", "first_name", "last_name")
