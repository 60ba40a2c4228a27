"""Who may act on a case: the predicates transitions and services use.

Visibility (who may *see* a case) is decided by the selectors; these predicates decide
who may *act*. They follow DESIGN.md "Access": safeguarding leads act on their teams'
cases; restricted case types (Prevent, and any a deployment adds) only for
Prevent-cleared leads; auditors and administrators never act on cases.

Two kinds of need-to-know compartment:

- **cleared by role** (``SAFECASE_RESTRICTED_CASE_TYPES``, Prevent): the compartment is
  open to every Prevent-cleared lead of the case's team (RULES.md §4.5);
- **named** (``SAFECASE_NAMED_CASE_TYPES``, Domestic Homicide Reviews, RULES.md §6): the
  compartment of each case is the people named to it, and nobody else, whatever their
  role or clearance for other compartments. Being named is the case's per-case read
  grant (``casework.services.case_access_grant``, audited; the person who records the
  case is named when it is raised); a named lead of the case's team acts on it. Auditors
  read a named compartment only with its clearance: membership of the group
  ``clearance_group(case_type)`` that administrators give and withdraw.

Named types count as restricted too (``restricted_case_types``), so every place that
keeps restricted cases from the uncleared keeps them out as well.
"""

from __future__ import annotations

import functools
from typing import Any

import rules
from django.conf import settings

from casework.roles import GROUPS_ATTR, Role, group_names_of, roles_of

LEAD_ROLES = {Role.LEAD, Role.PREVENT_LEAD}


def restricted_case_types() -> set[str]:
    """Case types in a need-to-know compartment (default: Prevent, RULES.md §4.5, and the
    named compartments)."""
    return set(getattr(settings, "SAFECASE_RESTRICTED_CASE_TYPES", ["prevent"])) | (
        named_case_types()
    )


def named_case_types() -> set[str]:
    """Case types whose compartment is the people named to each case (default: Domestic
    Homicide Reviews, RULES.md §6)."""
    return set(getattr(settings, "SAFECASE_NAMED_CASE_TYPES", ["dhr"]))


def clearance_group(case_type: str) -> str:
    """The group that clears an auditor to read a named compartment's cases."""
    return f"Cleared auditor: {case_type}"


def auditor_cleared_for(user: Any, case_type: str) -> bool:
    """An auditor given the clearance of a named compartment (cached per request)."""
    if not user.is_authenticated or Role.AUDITOR not in roles_of(user):
        return False
    return clearance_group(case_type) in group_names_of(user)


def is_named_to(user: Any, case: Any) -> bool:
    """``user`` is named to ``case`` (holds its per-case read grant)."""
    from casework.models import CaseUserObjectPermission

    return (
        user.is_authenticated
        and CaseUserObjectPermission.objects.filter(
            user=user, content_object_id=case.pk, permission__codename="view_case"
        ).exists()
    )


GRANTED_CASES_ATTR = "_safecase_granted_cases"


def granted_case_ids_of(user: Any) -> frozenset[int]:
    """The ids of the cases granted to the user, or to one of their groups, to read
    (``view_case``: guardian's per-case grants): read with the user's groups and teams
    (``access_facts_load``) and cached on the user object for the request. The
    visibility condition takes them as a list (``casework.selectors._granted``);
    whatever grants or withdraws one on a user object in hand forgets it there
    (``forget_granted_cases``).

    Every page that shows a case asks this once, so its part of the query is written out
    (``_granted_cases_sql``) rather than built by the ORM each time: the ORM's union of
    two filtered querysets took about 1 ms of Python a request to build and compile, the
    query itself 0.3 ms (docs/performance.md)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, GRANTED_CASES_ATTR, None)
    if cached is None:
        access_facts_load(user)
        cached = getattr(user, GRANTED_CASES_ATTR)
    return cached


TEAM_IDS_ATTR = "_safecase_team_ids"
_GROUP, _TEAM, _GRANT = 1, 2, 3


def access_facts_load(user: Any) -> None:
    """Read a signed-in user's groups (``casework.roles``), teams (``team_ids_of``) and
    granted cases (``granted_case_ids_of``) in one round trip, and cache on the user
    object each of the three not cached yet (one already cached is kept, as it was).

    Nearly every request asks all three, the first for the roles; they were three
    statements, each with its round trip and, for the two the ORM built, about 0.3 ms of
    Python to compile (docs/performance.md). Kept prepared: PostgreSQL planned it in
    0.4-0.5 ms, and ran it in 0.1."""
    from django.db import connection

    from casework.statements import prepared_cursor  # imports this module

    with prepared_cursor(connection) as cursor:
        cursor.execute(
            _access_facts_sql(), [user.pk, user.pk, user.pk, "view_case", "view_case", user.pk]
        )
        rows = cursor.fetchall()
    facts = {
        GROUPS_ATTR: {pk: name for kind, pk, name in rows if kind == _GROUP},
        TEAM_IDS_ATTR: {pk for kind, pk, _ in rows if kind == _TEAM},
        GRANTED_CASES_ATTR: frozenset(pk for kind, pk, _ in rows if kind == _GRANT),
    }
    for attr, value in facts.items():
        if getattr(user, attr, None) is None:
            setattr(user, attr, value)


@functools.cache
def _access_facts_sql() -> str:
    """A user's groups (id, name), teams and granted case ids, each row tagged with its
    kind; table names from the models."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from casework.models import TeamMembership

    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    user_model = get_user_model()
    groups = table(user_model.groups.field.related_model)
    memberships = table(user_model.groups.through)
    # Only quoted table names go into the text; the user and codename are parameters.
    return (
        f"SELECT {_GROUP}, g.id::bigint, g.name FROM {groups} g"  # noqa: S608
        f" JOIN {memberships} m ON m.group_id = g.id WHERE m.user_id = %s"
        " UNION ALL"
        f" SELECT {_TEAM}, t.team_id::bigint, NULL FROM {table(TeamMembership)} t"
        " WHERE t.user_id = %s"
        " UNION ALL"
        f" SELECT {_GRANT}, x.id::bigint, NULL FROM ({_granted_cases_sql()}) x(id)"
    )


@functools.cache
def _granted_cases_sql() -> str:
    """The case ids granted to a user (their own ``view_case`` grants) and to their
    groups, table names from the models."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db import connection

    from casework.models import CaseGroupObjectPermission, CaseUserObjectPermission

    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    permission = table(Permission)
    memberships = table(get_user_model().groups.through)
    # Only quoted table names go into the text; the user and codename are parameters.
    return (
        f"SELECT p.content_object_id FROM {table(CaseUserObjectPermission)} p"  # noqa: S608
        f" JOIN {permission} a ON a.id = p.permission_id"
        " WHERE p.user_id = %s AND a.codename = %s"
        " UNION ALL"
        f" SELECT g.content_object_id FROM {table(CaseGroupObjectPermission)} g"
        f" JOIN {permission} a ON a.id = g.permission_id"
        " WHERE a.codename = %s"
        f" AND g.group_id IN (SELECT m.group_id FROM {memberships} m WHERE m.user_id = %s)"
    )


def forget_granted_cases(user: Any) -> None:
    """Drop the grants cached on ``user`` (a grant given or withdrawn, a group changed)."""
    user.__dict__.pop(GRANTED_CASES_ATTR, None)


def team_ids_of(user: Any) -> set[int]:
    """The ids of the user's teams (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, TEAM_IDS_ATTR, None)
    if cached is None:
        access_facts_load(user)
        cached = getattr(user, TEAM_IDS_ATTR)
    return cached


@rules.predicate
def is_cleared_for(user: Any, case: Any) -> bool:
    """A named compartment needs the user named to the case, another restricted type
    Prevent clearance; others need none."""
    if case.case_type in named_case_types():
        return is_named_to(user, case)
    if case.case_type in restricted_case_types():
        return Role.PREVENT_LEAD in roles_of(user)
    return True


@rules.predicate
def is_team_lead(user: Any, case: Any) -> bool:
    return bool(roles_of(user) & LEAD_ROLES) and case.team_id in team_ids_of(user)


@rules.predicate
def is_case_owner(user: Any, case: Any) -> bool:
    return user.is_authenticated and case.owner_id == user.pk


@rules.predicate
def can_raise(user: Any) -> bool:
    return bool(roles_of(user) & {Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD})


def may_raise_type(user: Any, case_type: str) -> bool:
    """A named compartment's case is recorded by a lead, who is named to it and acts on
    it (a frontline worker named alone could do nothing and nobody else could see it)."""
    if case_type in named_case_types():
        return bool(roles_of(user) & LEAD_ROLES)
    return bool(can_raise.test(user))


may_manage_case = is_team_lead & is_cleared_for
may_work_on_case = (is_team_lead | is_case_owner) & is_cleared_for

rules.add_perm("casework.manage_case", may_manage_case)
rules.add_perm("casework.work_on_case", may_work_on_case)


def lead_may(case: Any, user: Any) -> bool:
    """django-fsm permission: a lead of the case's team (cleared where restricted)."""
    return bool(may_manage_case.test(user, case))


def worker_may(case: Any, user: Any) -> bool:
    """django-fsm permission: the allocated worker or a lead of the case's team."""
    return bool(may_work_on_case.test(user, case))
