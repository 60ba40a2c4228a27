"""Who may act on a case: the predicates transitions and services use.

Visibility (who may *see* a case) is decided by the selectors; these predicates decide
who may *act*. They follow DESIGN.md "Access": safeguarding leads act on their teams'
cases; restricted case types (Prevent, and any a deployment adds) only for
Prevent-cleared leads; auditors and administrators never act on cases.
"""

from __future__ import annotations

from typing import Any

import rules
from django.conf import settings

from casework.roles import Role, roles_of

LEAD_ROLES = {Role.LEAD, Role.PREVENT_LEAD}


def restricted_case_types() -> set[str]:
    """Case types in a need-to-know compartment (default: Prevent; RULES.md §4.5)."""
    return set(getattr(settings, "SAFECASE_RESTRICTED_CASE_TYPES", ["prevent"]))


def team_ids_of(user: Any) -> set[int]:
    """The ids of the user's teams (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_safecase_team_ids", None)
    if cached is None:
        cached = set(user.team_memberships.values_list("team_id", flat=True))
        user._safecase_team_ids = cached
    return cached


@rules.predicate
def is_cleared_for(user: Any, case: Any) -> bool:
    """A restricted case type needs Prevent clearance; others need none."""
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
