"""Casework reads."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.http import Http404

from casework.conditions import CaseCondition, case_condition
from casework.denied import access_denied_note
from casework.models import (
    Case,
    CaseLink,
    CasePerson,
    CasePersonRole,
    CaseUserObjectPermission,
    Person,
    Team,
)
from casework.permissions import (
    auditor_cleared_for,
    granted_case_ids_of,
    named_case_types,
    restricted_case_types,
    team_ids_of,
)
from casework.reads import case_read_note
from casework.roles import NO_CASE_ROLES, Role, has_prevent_clearance, roles_of
from casework.statements import compiled_objects, compiled_values

User = get_user_model()


def _lead_roles(case_type: str) -> list[Role]:
    """The roles of the team's leads who act on a case of ``case_type``: Prevent-cleared
    ones only for a restricted type (DESIGN.md "Access")."""
    if case_type in restricted_case_types() - named_case_types():
        return [Role.PREVENT_LEAD]
    return [Role.LEAD, Role.PREVENT_LEAD]


def case_leads(case: Case) -> QuerySet[Any]:
    """The leads who act on ``case``: its team's leads, Prevent-cleared ones only for a
    restricted case type (DESIGN.md "Access"), only those named to it in a named
    compartment."""
    leads = User.objects.filter(
        is_active=True,
        team_memberships__team_id=case.team_id,
        groups__name__in=[r.group_name for r in _lead_roles(case.case_type)],
    )
    return _named_only(case, leads).distinct().order_by("pk")


def case_lead_contacts(case: Case) -> list[dict[str, Any]]:
    """The leads who act on ``case`` (``case_leads``) as ``{"pk", "email"}`` rows in id
    order, for telling them of a concern just raised. Outside a named compartment who
    they are depends only on the case's team and which leads' roles act on its type, so
    the statement is compiled once per set of roles (``casework.statements``) and given
    the team at each use (0.17 ms of a raise's CPU; the ORM's query took 0.95,
    docs/performance.md)."""
    fields = ("pk", "email")
    if case.case_type in named_case_types():
        return list(case_leads(case).values(*fields))
    groups = tuple(role.group_name for role in _lead_roles(case.case_type))

    def build(team_id: int) -> QuerySet[Any]:
        leads = User.objects.filter(
            is_active=True, team_memberships__team_id=team_id, groups__name__in=groups
        )
        return leads.distinct().order_by("pk").values(*fields)

    return compiled_values(("case_lead_contacts", groups), build, (case.team_id,), prepared=True)


def case_lead_ids(cases: Iterable[Case]) -> dict[int, list[int]]:
    """The ids of the leads who act on each of ``cases`` (``case_leads``), by case id, in
    order: one query for all the cases outside a named compartment however many teams
    they are in, and one for each case in one (its leads are those named to it)."""
    cases = list(cases)
    named = named_case_types()
    plain = [case for case in cases if case.case_type not in named]
    by_group: dict[tuple[int, str], set[int]] = {}
    if plain:
        rows = User.objects.filter(
            is_active=True,
            team_memberships__team_id__in={case.team_id for case in plain},
            groups__name__in=[Role.LEAD.group_name, Role.PREVENT_LEAD.group_name],
        ).values_list("pk", "team_memberships__team_id", "groups__name")
        for pk, team_id, group in rows:
            by_group.setdefault((team_id, group), set()).add(pk)
    found = {}
    for case in cases:
        if case.case_type in named:
            found[case.pk] = list(case_leads(case).values_list("pk", flat=True))
            continue
        groups = [(case.team_id, role.group_name) for role in _lead_roles(case.case_type)]
        found[case.pk] = sorted(set().union(*(by_group.get(g, set()) for g in groups)))
    return found


def _named_only(case: Case, users: QuerySet[Any]) -> QuerySet[Any]:
    """``users`` less those not named to ``case``, for a named compartment (a Domestic
    Homicide Review: only the people named to it; casework.permissions)."""
    if case.case_type not in named_case_types():
        return users
    named = CaseUserObjectPermission.objects.filter(
        content_object_id=case.pk, permission__codename="view_case"
    ).values("user_id")
    return users.filter(pk__in=named)


def _facts(user: Any) -> tuple[Any, ...]:
    """What the visibility conditions are built from (``casework.conditions``): the
    user's id, roles, teams and clearances (each read once a request, cached on the user).
    """
    named = named_case_types()
    held = roles_of(user)
    return (
        user.pk,
        tuple(sorted(r.value for r in held)),
        tuple(sorted(team_ids_of(user))),
        has_prevent_clearance(user),
        tuple(t for t in sorted(named) if auditor_cleared_for(user, t)),
        tuple(sorted(granted_case_ids_of(user))) if _uses_grants(held) else (),
    )


def access_key(user: Any) -> tuple[Any, ...]:
    """Everything what ``user`` may see is built from: whether they are signed in and
    active, their facts (``_facts``) and the restricted and named compartments. A
    statement built from their visibility is kept under it (``casework.statements``):
    any change of role, team, clearance or grant makes another key."""
    signed_in = bool(getattr(user, "is_authenticated", False) and user.is_active)
    if not signed_in:
        return ("nobody",)  # sees no case (``case_list_for_user``)
    return (
        _facts(user),
        tuple(sorted(restricted_case_types())),
        tuple(sorted(named_case_types())),
    )


def _uses_grants(held: set[Role]) -> bool:
    """Whether per-case grants widen what someone with these roles sees: not for an
    auditor (who reads every case) nor for someone with no case role (who reads none)."""
    return Role.AUDITOR not in held and bool(held - NO_CASE_ROLES)


def _visibility(user: Any, *, as_raiser: bool = True) -> Q | CaseCondition | None:
    """``_visibility_q`` compiled once for this user's facts (``casework.conditions``)."""
    return case_condition(
        ("visibility", as_raiser, _facts(user)),
        functools.partial(_visibility_q, user, as_raiser=as_raiser),
    )


def _visibility_q(user: Any, *, as_raiser: bool = True) -> Q | None:
    """The cases ``user`` may open, as a filter; None means every case (DESIGN.md "Access").

    Frontline staff: what they raised, what is allocated to them and what a lead granted
    them. Leads: also their teams' cases. Restricted types (Prevent): only Prevent-cleared
    leads of the team, the allocated worker, and the raiser, who sees only that it was
    received (``case_is_limited``).
    Auditors: every case, read-only, except a restricted (Prevent) case unless the
    auditor has Prevent clearance, and a named compartment's only with its clearance.
    Administrators: none unless they hold a case role.
    Named compartments (Domestic Homicide Reviews, RULES.md §6): only the people named to
    the case, whoever raised it, owns it or leads its team (casework.permissions).
    ``as_raiser=False`` leaves out what the user sees only because they raised it.
    """
    held = roles_of(user)
    named = named_case_types()
    if Role.AUDITOR in held:
        hidden = [t for t in named if not auditor_cleared_for(user, t)]
        if not has_prevent_clearance(user):
            hidden += sorted(restricted_case_types() - named)
        return ~Q(case_type__in=hidden) if hidden else None
    if not held - NO_CASE_ROLES:
        return Q(pk__in=[])
    mine = (Q(raised_by=user) | Q(owner=user)) if as_raiser else Q(owner=user)
    teams = team_ids_of(user)
    restricted = restricted_case_types()
    granted = _granted(user)
    if Role.PREVENT_LEAD in held:
        usual = mine | Q(team_id__in=teams) | granted
    elif Role.LEAD in held:
        unrestricted_grants = granted & ~Q(case_type__in=restricted)
        usual = mine | (Q(team_id__in=teams) & ~Q(case_type__in=restricted)) | unrestricted_grants
    else:
        usual = mine | (granted & ~Q(case_type__in=restricted))
    if not named:
        return usual
    return (usual & ~Q(case_type__in=named)) | (Q(case_type__in=named) & granted)


def _granted(user: Any) -> Q:
    """Cases granted to the user or one of their groups (``granted_case_ids_of``, read
    once a request), as ``id = ANY(%s)`` with the ids as one array parameter, or nothing
    (an empty ``Q(pk__in=[])``, which drops out of the condition) when there are none.

    The ids are facts of the compiled condition's key (``_facts``), so a grant given or
    withdrawn makes a new key. They were two array subqueries, and the condition appears
    up to three times in a list's query (its rows, their full content, their clocks):
    PostgreSQL planned those twelve subqueries for longer than it took to run the whole
    query (2.5 ms against 1.4 ms for a page of the case list; 1.1 ms to plan with the ids
    given: docs/performance.md)."""
    ids = granted_case_ids_of(user)
    if not ids:
        return Q(pk__in=[])
    return pk_in_array(sorted(ids))


def pk_in_array(ids: list[int]) -> Q:
    """``id = ANY(%s)`` with ``ids`` as one array parameter: the same rows as
    ``Q(pk__in=ids)``, but one parameter to adapt and one constant to plan rather than
    one per id (a search matching hundreds of cases listed each of them).

    The array is given as its text (``'{1,2,3}'::bigint[]``), not as a list: Django
    prepares each element of a list parameter of an ``ArrayField`` in Python, four
    calls an id for every query the condition is in, which for a lead's search of a
    common surname (hundreds of ids, in the count and in the page) was 2 ms of the
    request's application time (docs/performance.md)."""
    return in_id_array("pk", id_array(ids))


def id_array(ids: Iterable[int]) -> str:
    """``ids`` as the text of a PostgreSQL array (``{1,2,3}``), one parameter."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def in_id_array(column: str, ids: str, *, as_text: bool = False) -> Q:
    """``column = ANY(%s::bigint[])``, ``ids`` an array's text (``id_array``): a query
    given its ids as one text can be compiled once (``casework.statements``), whatever
    their number. ``as_text``: the column holds ids as text (an audit event's
    ``object_id``), compared with ``text[]``."""
    cast, field = ("text[]", CharField()) if as_text else ("bigint[]", BigIntegerField())
    # ``cast`` is one of the two constants above; ``ids`` is a parameter.
    array = RawSQL(f"%s::{cast}", (ids,), output_field=ArrayField(field))  # noqa: S611
    return Q(_InArray(F(column), array))


class _InArray(Func):
    """``column = ANY(ARRAY(SELECT ...))``, a condition for ``filter`` and ``Q``."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def case_list_for_user(user: Any) -> QuerySet[Case]:
    """Every case ``user`` may see, filtered in the database; the only way lists, searches,
    counts and exports find cases."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Case.objects.none()
    condition = _visibility(user)
    cases = Case.objects.all()
    return cases if condition is None else cases.filter(condition)


def case_get_for_user(user: Any, reference: str) -> Case:
    """The case with ``reference`` if ``user`` may see it; Http404 otherwise, the same
    whether it does not exist or is hidden.

    Every case page and action finds its case here: the statement is built and compiled
    once per access key (``casework.statements``), the reference given at each use."""

    def visible(given: str) -> QuerySet[Case]:
        return (
            case_list_for_user(user)
            .select_related("team", "owner", "raised_by")
            .filter(reference=given)
            .order_by("pk")[:1]
        )

    found = compiled_objects(
        ("case by reference", access_key(user)), visible, (str(reference),), prepared=True
    )
    case = found[0] if found else None
    if case is None:
        _note_denied(reference, "case")
        raise Http404("No case found.")
    case_read_note(case)
    return case


def _note_denied(reference: str, kind: str, exists: bool | None = None) -> None:
    """Note the refused request for the audit log (casework.denied), keeping whether the
    case exists for the auditor only."""
    found = Case.objects.filter(reference=str(reference).strip().upper()).values("pk").first()
    access_denied_note(
        reference=str(reference),
        exists=(found is not None) if exists is None else exists,
        case_id=found["pk"] if found else None,
        kind=kind,
    )


def case_denied_note(*, reference: str, kind: str, exists: bool) -> None:
    """For other selectors: note a refused request for a ``kind`` of case ``reference``
    (a referral, an attachment), and whether the thing asked for exists."""
    _note_denied(reference, kind, exists)


def case_is_limited(user: Any, case: Case) -> bool:
    """True when ``user`` sees only that a restricted case was received (its reference and
    date), not its content: the frontline raiser of a Prevent case (RULES.md §4.5)."""
    if case.case_type not in restricted_case_types() - named_case_types():
        return False
    held = roles_of(user)
    if (Role.AUDITOR in held and has_prevent_clearance(user)) or case.owner_id == user.pk:
        return False
    return not (Role.PREVENT_LEAD in held and case.team_id in team_ids_of(user))


@dataclasses.dataclass(frozen=True)
class CaseAccess:
    """What one user may read of one case, decided once by ``case_access_for_user``: its
    content (False for a restricted case they know only as received) and its full
    content (False for a case they see only as its raiser). A page that reads several
    parts of one case (notes, files, referrals) passes it to their selectors, which then
    read by the case's id instead of composing and compiling the whole visibility
    condition again for each part (the case page did so 7-10 times: docs/performance.md).
    Valid for the request that made it: it is not kept anywhere."""

    user_id: int
    case_id: int
    content: bool
    full: bool

    def check(self, user: Any, case: Case) -> None:
        """Refuse an access decided for another user or case."""
        if self.user_id != user.pk or self.case_id != case.pk:
            raise ValueError("this access was decided for another user or case")


def case_access_for_user(user: Any, case: Case) -> CaseAccess:
    """What ``user`` may read of ``case`` (``CaseAccess``): one statement, the same rules
    as ``case_content_list_for_user`` and ``case_full_list_for_user``."""

    def access(pk: int) -> QuerySet[Any]:
        return (
            Case.objects.filter(pk=pk)
            .annotate(
                may_content=Exists(case_content_list_for_user(user).filter(pk=OuterRef("pk"))),
                may_full=Exists(case_full_list_for_user(user).filter(pk=OuterRef("pk"))),
            )
            .values("may_content", "may_full")
        )

    # Built and compiled once per access key, the case's id given each time (every case
    # page asks it: casework.statements).
    rows = compiled_values(("case access", access_key(user)), access, (case.pk,), prepared=True)
    row = rows[0] if rows else None
    content = bool(row and row["may_content"])
    return CaseAccess(user.pk, case.pk, content, content and bool(row["may_full"]))


def case_full_list_for_user(user: Any) -> QuerySet[Case]:
    """The cases whose full content ``user`` may see, as the case page shows it: their
    clocks, states' history, notes, files and referrals. ``case_content_list_for_user``
    less the cases they see only because they raised them (DESIGN.md "Access": the
    raiser sees the status and their own contributions; the raiser of a Prevent case
    only that it was received, RULES.md §4.5). Everything that names a case's clock or
    state to someone (reminders, escalations, digests) goes only to these readers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Case.objects.none()
    cases = case_content_list_for_user(user)
    condition = _visibility(user, as_raiser=False)
    return cases if condition is None else cases.filter(condition)


def case_full_condition(user: Any) -> Q | CaseCondition | None:
    """``case_full_list_for_user`` as a filter on the cases the user may see (None: all
    of them), for lists that gate columns and filters on content (clocks, state);
    compiled once for the user's facts (``casework.conditions``)."""
    return case_condition(("full", _facts(user)), functools.partial(_full_q, user))


def _full_q(user: Any) -> Q | None:
    visibility = _visibility_q(user, as_raiser=False)
    content = _content_q(user)
    if visibility is None:
        return content
    return visibility if content is None else visibility & content


def teams_by_name(ids: Iterable[int] | None) -> list[Team]:
    """Teams by name: every team (``ids`` None) or those of ``ids``, through a statement
    compiled once for each set (the report pages' and the intake's choice of team)."""
    chosen = None if ids is None else tuple(sorted(ids))
    if chosen == ():
        return []

    def teams() -> QuerySet[Team]:
        found = Team.objects.all() if chosen is None else Team.objects.filter(pk__in=chosen)
        return found.order_by("name")

    return compiled_objects(("teams by name", chosen), teams)


def case_is_raiser_only(user: Any, case: Case) -> bool:
    """True when ``user`` sees ``case`` (not a restricted one known only as received)
    only because they raised it: they get the raiser's view, its status in plain words
    and their own contributions (DESIGN.md "Access")."""
    if case.raised_by_id != user.pk or case.owner_id == user.pk or case_is_limited(user, case):
        return False
    return not case_access_for_user(user, case).full


def case_readers(case: Case, user_ids: Iterable[int]) -> list[int]:
    """Of ``user_ids``, those who may read ``case`` in full (``case_full_list_for_user``),
    in the order given: the one content check for every message that names a case's
    clock or state."""
    wanted = list(user_ids)
    users = {}
    if case.owner_id in wanted and Case.owner.is_cached(case):
        users[case.owner_id] = case.owner  # read with the case: not read again
    rest = [pk for pk in wanted if pk not in users]
    users.update(User.objects.in_bulk(rest) if rest else {})
    return [
        pk
        for pk in wanted
        if pk in users
        and (
            _owner_reads_in_full(users[pk], case)
            or case_full_list_for_user(users[pk]).filter(pk=case.pk).exists()
        )
    ]


def _owner_reads_in_full(user: Any, case: Case) -> bool:
    """Whether ``case_full_list_for_user(user)`` holds ``case`` because ``user`` owns it,
    decided from their roles alone (no query of their teams or grants, no visibility
    condition): an active owner with a case role who is not an auditor reads their
    case in full, a restricted one included (``_visibility_q``, ``_content_q``), unless
    it is a named compartment's, which only those named to it read. False means ask
    the query, never that they may not read it."""
    if case.owner_id != user.pk or not user.is_active or case.case_type in named_case_types():
        return False
    held = roles_of(user)
    return Role.AUDITOR not in held and bool(held - NO_CASE_ROLES)


def prefetched(case: Case, name: str) -> list[Any] | None:
    """The rows of ``case``'s relation ``name`` read with it (``prefetch_related``, as
    ``workflows.selectors.case_answer_prefetch`` does), in the order they were read;
    None when they were not read with it."""
    cache = getattr(case, "_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else None


def prefetched_set(case: Case, name: str, rows: list[Any]) -> None:
    """Keep ``rows`` on ``case`` as its relation ``name`` read with it, as
    ``prefetch_related`` keeps them (the relation's own query, its rows given): the
    relation's ``all()`` and ``prefetched`` then read them, nothing else."""
    found = getattr(case, name).all()
    found._result_cache = rows
    found._prefetch_done = True
    if not hasattr(case, "_prefetched_objects_cache"):
        case._prefetched_objects_cache = {}
    case._prefetched_objects_cache[name] = found


def case_subject(case: Case) -> Person | None:
    """The case's subject (the first person linked to it as such), from the links read
    with the case when they were (``prefetched``), else in one query: what the guards
    and pre-filled answers that depend on the subject's age or gender read."""
    links = prefetched(case, "case_people")
    if links is not None:
        links.sort(key=lambda link: link.pk)
        link = next((k for k in links if k.role == CasePersonRole.SUBJECT), None)
    else:
        link = case.case_people.filter(role=CasePersonRole.SUBJECT).select_related("person").first()
    return link.person if link is not None else None


def person_list_for_user(user: Any) -> QuerySet[Person]:
    """People linked to at least one case the user may see (and, for a restricted case,
    may see in full); a person known only from hidden cases does not exist for them."""
    visible = case_list_for_user(user)
    if not (roles_of(user) & {Role.AUDITOR, Role.PREVENT_LEAD} and has_prevent_clearance(user)):
        visible = visible.exclude(case_type__in=restricted_case_types() - named_case_types())
    return Person.objects.filter(case_links__case__in=visible.values("pk")).distinct()


def person_cases_for_user(user: Any, person: Person) -> QuerySet[CasePerson]:
    """The person's links to cases the user may see, in the database."""
    return (
        CasePerson.objects.filter(person=person, case__in=case_list_for_user(user).values("pk"))
        .select_related("case")
        .order_by("-case__raised_at")
    )


def person_shown_for_user(user: Any, person_id: int) -> tuple[Person | None, list[CasePerson]]:
    """A person's page: the person, if ``person_list_for_user`` has them, and their links
    to the cases the user may see in full (``case_full_list_for_user``), newest first,
    each with its case. Two statements, each built and compiled once per access key
    (``casework.statements``), the person's id given each time."""
    key = access_key(user)

    def person(pk: int) -> QuerySet[Person]:
        return person_list_for_user(user).filter(pk=pk).order_by("pk")[:1]

    def links(pk: int) -> QuerySet[CasePerson]:
        full = case_full_list_for_user(user).values("pk")
        shown = CasePerson.objects.filter(person_id=pk, case__in=full)
        return shown.select_related("case").order_by("-case__raised_at")

    found = compiled_objects(("person", key), person, (int(person_id),), prepared=True)
    if not found:
        return None, []
    return found[0], compiled_objects(("person's cases", key), links, (found[0].pk,), prepared=True)


def case_content_list_for_user(user: Any) -> QuerySet[Case]:
    """The visible cases whose content the user may see: ``case_list_for_user`` less the
    restricted cases they know only as received (``case_is_limited``), in the database."""
    cases = case_list_for_user(user)
    condition = case_content_condition(user)
    return cases if condition is None else cases.filter(condition)


def team_case_list_for_user(user: Any) -> QuerySet[Case]:
    """The cases a lead sees in full because they are their teams' cases (a Prevent-cleared
    lead's including Prevent): a subset of ``case_content_list_for_user`` written with the
    team and type columns alone, so that an index answers a team's counts without the
    raiser/owner/grant OR of the full visibility (docs/performance.md). Dashboards of a
    team use it; lists and searches keep to ``case_list_for_user``. Nobody else has team
    cases: frontline staff, auditors and administrators get none."""
    condition = team_case_condition(user)
    return Case.objects.none() if condition is None else Case.objects.filter(condition)


def team_case_condition(user: Any) -> Q | None:
    """``team_case_list_for_user`` as a filter on ``team_id`` and ``case_type`` alone, so
    that it applies to any table holding a case's team and type (the figures' facts,
    ``workflows.models.FigureSum``); None: the user has no team cases."""
    held = roles_of(user)
    if not held & {Role.LEAD, Role.PREVENT_LEAD}:
        return None
    teams = Q(team_id__in=sorted(team_ids_of(user)))
    if Role.PREVENT_LEAD not in held:
        return teams & ~Q(case_type__in=sorted(restricted_case_types()))
    # A named compartment is nobody's by team (casework.permissions).
    return teams & ~Q(case_type__in=sorted(named_case_types()))


def case_content_condition(user: Any) -> Q | CaseCondition | None:
    """Among the cases ``user`` may see, those they may see in full, as a filter with no
    subquery (None: all of them), so that lists can filter and sort on content cheaply;
    the complement is exactly the cases ``case_is_limited`` for them. Compiled once for
    the user's facts (``casework.conditions``)."""
    return case_condition(("content", _facts(user)), functools.partial(_content_q, user))


def _content_q(user: Any) -> Q | None:
    held = roles_of(user)
    if Role.AUDITOR in held and has_prevent_clearance(user):
        return None
    full = Q(owner=user)
    if Role.PREVENT_LEAD in held:
        full |= Q(team_id__in=team_ids_of(user))
    # A named compartment's case is seen in full by everyone who may see it.
    return ~Q(case_type__in=restricted_case_types() - named_case_types()) | full


def case_assignees(case: Case) -> QuerySet[Any]:
    """Who a lead may allocate ``case`` to: active frontline workers and leads of its team,
    only Prevent-cleared leads for a restricted type (DESIGN.md "Access")."""
    roles = (
        [Role.PREVENT_LEAD]
        if case.case_type in restricted_case_types() - named_case_types()
        else [Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD]
    )
    users = User.objects.filter(
        is_active=True,
        team_memberships__team_id=case.team_id,
        groups__name__in=[r.group_name for r in roles],
    )
    return _named_only(case, users).distinct().order_by("last_name", "first_name", "username")


def case_share_candidates(case: Case, actor: Any) -> list[Any]:
    """The colleagues a lead may share ``case`` with, to pick by name (issue 19): active
    frontline workers and leads, cleared leads only for a restricted type (Prevent), less
    the lead, the case's owner and raiser and those it is already shared with. People in
    the lead's own teams come first; each has ``team_names`` for telling namesakes apart.
    The grant service still checks whoever is chosen."""
    restricted = case.case_type in restricted_case_types() - named_case_types()
    roles = [Role.PREVENT_LEAD] if restricted else [Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD]
    granted = CaseUserObjectPermission.objects.filter(
        content_object_id=case.pk, permission__codename="view_case"
    ).values("user_id")
    people = (
        User.objects.filter(is_active=True, groups__name__in=[r.group_name for r in roles])
        .exclude(pk__in=[actor.pk, case.owner_id, case.raised_by_id])
        .exclude(pk__in=granted)
        .distinct()
        .prefetch_related("team_memberships__team")
        .order_by("first_name", "last_name", "username")
    )
    own = team_ids_of(actor)
    found = []
    for person in people:
        teams = [m.team for m in person.team_memberships.all()]
        person.team_names = ", ".join(sorted(t.name for t in teams))
        person.in_my_team = any(t.pk in own for t in teams)
        found.append(person)
    return sorted(found, key=lambda p: not p.in_my_team)


def case_grants(case: Case) -> QuerySet[CaseUserObjectPermission]:
    """The per-case read grants on ``case``, with their users."""
    return (
        CaseUserObjectPermission.objects.filter(
            content_object=case, permission__codename="view_case"
        )
        .select_related("user")
        .order_by("user__username")
    )


def case_links_for_user(user: Any, case: Case) -> list[tuple[Case, CaseLink]]:
    """The cases linked to ``case`` (either way) that ``user`` may see in full, with the
    link, oldest first. A linked case the user may not see is left out without a trace:
    the link never tells anyone it exists (issue 15; DESIGN.md "Access", RULES.md §4.5).

    The case's links first (by the link's own indexes), and only when it has any, which
    of the cases at both ends the user sees in full: one small query for the many cases
    with no link, where asking both ends' visibility in the same query made PostgreSQL
    plan the visibility condition twice on every case page (1 ms of planning, 2.5 ms in
    all at 500,000 cases; docs/performance.md)."""
    rows = compiled_values(("case links",), _links_of, (case.pk,), prepared=True)
    if not rows:
        return []
    ends = {case.pk} | {r["from_case_id"] for r in rows} | {r["to_case_id"] for r in rows}
    seen = set(case_content_list_for_user(user).filter(pk__in=ends).values_list("pk", flat=True))
    if case.pk not in seen:
        return []
    found = []
    for row in rows:
        end = "to_case" if row["from_case_id"] == case.pk else "from_case"
        if row[f"{end}_id"] not in seen:
            continue
        other = Case(
            pk=row[f"{end}_id"],
            reference=row[f"{end}__reference"],
            case_type=row[f"{end}__case_type"],
        )
        link = CaseLink(**{name: row[name] for name in _LINK_VALUES[:6]})
        found.append((other, link))
    return found


# What a link on the case page shows (the other case's reference and type, the reason),
# and what tells its ends apart.
_LINK_VALUES = (
    "pk", "reason", "linked_at", "from_case_id", "to_case_id", "linked_by_id",
    "from_case__reference", "from_case__case_type", "to_case__reference", "to_case__case_type",
)  # fmt: skip


def _links_of(pk: int) -> QuerySet[Any]:
    """The links of the case ``pk`` either way, oldest first: a statement built and
    compiled once, the case's id given each time (``casework.statements``)."""
    links = CaseLink.objects.filter(Q(from_case_id=pk) | Q(to_case_id=pk))
    return links.order_by("linked_at", "pk").values(*_LINK_VALUES)
