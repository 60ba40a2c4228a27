"""The five roles of DESIGN.md "Access", held as Django groups.

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
}

# Most senior first: the role shown for a user in several groups.
_PRECEDENCE = [Role.PREVENT_LEAD, Role.LEAD, Role.AUDITOR, Role.FRONTLINE, Role.ADMINISTRATOR]


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[Role]:
    """Every role the user holds, from their groups (cached on the user object)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_safecase_roles", None)
    if cached is None:
        by_label = {label: role for role, label in ROLE_LABELS.items()}
        names = user.groups.values_list("name", flat=True)
        cached = {by_label[n] for n in names if n in by_label}
        user._safecase_roles = cached
    return cached


def role_of(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    """The user's principal role, or None for a user with no role."""
    held = roles_of(user)
    return next((r for r in _PRECEDENCE if r in held), None)
