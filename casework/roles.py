"""The six roles of DESIGN.md "Access", held as Django groups.

A user's role is the group they belong to; ``role_of`` picks the most senior when a
user holds several (an administrator who is also a lead is shown as a lead, since
case work is what the pages are for).
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(StrEnum):
    FRONTLINE = "frontline"
    LEAD = "lead"
    PREVENT_LEAD = "prevent_lead"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"
    # Figures and reports only, never case content (DESIGN.md "Access", issue 21).
    ANALYST = "analyst"

    @property
    def group_name(self) -> str:
        return ROLE_LABELS[self]

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.FRONTLINE: "Frontline staff",
    Role.LEAD: "Safeguarding lead",
    Role.PREVENT_LEAD: "Prevent-cleared lead",
    Role.AUDITOR: "Auditor",
    Role.ADMINISTRATOR: "Administrator",
    Role.ANALYST: "Partnership analyst",
}

# Prevent clearance is a property of the person, not of a role (RULES.md §4.5, issue 15):
# membership of this group, which an administrator grants (casework.services
# ``prevent_clearance_set``). A Prevent-cleared lead holds it by their role; an auditor
# needs it to see anything of a restricted (Prevent) case.
PREVENT_CLEARANCE_GROUP = "Prevent clearance"

# Roles that open no case at all: administrators and partnership analysts (figures only).
NO_CASE_ROLES = frozenset({Role.ADMINISTRATOR, Role.ANALYST})

# Most senior first: the role shown for a user in several groups.
_PRECEDENCE = [
    Role.PREVENT_LEAD,
    Role.LEAD,
    Role.AUDITOR,
    Role.FRONTLINE,
    Role.ANALYST,
    Role.ADMINISTRATOR,
]


# Where ``_groups`` caches the user's groups on the user object.
GROUPS_ATTR = "_safecase_groups"


def _groups(user: AbstractBaseUser | AnonymousUser) -> dict[int, str]:
    """The user's groups, id to name (one query, cached on the user object: the roles,
    the clearances and the search index's grant keys all read them), read with the
    user's teams and grants (``casework.permissions.access_facts_load``)."""
    cached = getattr(user, GROUPS_ATTR, None)
    if cached is None:
        if not user.is_authenticated:
            cached = {}
            setattr(user, GROUPS_ATTR, cached)
        else:
            from casework.permissions import access_facts_load  # imports this module

            access_facts_load(user)
            cached = getattr(user, GROUPS_ATTR)
    return cached


def group_names_of(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The names of the user's groups (``_groups``)."""
    return set(_groups(user).values())


def group_ids_of(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """The ids of the user's groups, in order (``_groups``)."""
    return sorted(_groups(user))


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[Role]:
    """Every role the user holds, from their groups (cached on the user object)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_safecase_roles", None)
    if cached is None:
        by_label = {label: role for role, label in ROLE_LABELS.items()}
        cached = {by_label[n] for n in group_names_of(user) if n in by_label}
        user._safecase_roles = cached
    return cached


def has_prevent_clearance(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the person is cleared for restricted (Prevent) cases: a Prevent-cleared
    lead, or anyone an administrator put in the ``Prevent clearance`` group."""
    if not user.is_authenticated:
        return False
    return Role.PREVENT_LEAD in roles_of(user) or PREVENT_CLEARANCE_GROUP in group_names_of(user)


def role_of(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    """The user's principal role, or None for a user with no role."""
    held = roles_of(user)
    return next((r for r in _PRECEDENCE if r in held), None)


def figures_only(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A partnership analyst and nothing more: figures and reports, never a case list or
    a case (DESIGN.md "Access", issue 21)."""
    return roles_of(user) == {Role.ANALYST}
