"""Casework writes. Every write is a typed, keyword-only function in one transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.db import transaction

from casework.models import Team, TeamMembership
from casework.roles import Role

User = get_user_model()

# Model permissions each role's group holds (case permissions are added with the
# access rules; administrators manage people and reference data, not cases).
ROLE_MODEL_PERMISSIONS: dict[Role, list[str]] = {
    Role.ADMINISTRATOR: [
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "casework.view_team",
        "casework.add_team",
        "casework.change_team",
        "casework.view_teammembership",
        "casework.add_teammembership",
        "casework.change_teammembership",
        "casework.delete_teammembership",
    ],
}


@transaction.atomic
def roles_ensure() -> dict[Role, Group]:
    """Create the role groups and give each its model permissions (idempotent)."""
    groups = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.group_name)
        wanted = ROLE_MODEL_PERMISSIONS.get(role, [])
        perms = []
        for dotted in wanted:
            app_label, codename = dotted.split(".")
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*perms)
        groups[role] = group
    return groups


@transaction.atomic
def team_ensure(*, slug: str, name: str) -> Team:
    """Create a team or return the existing one with that slug."""
    team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
    return team


@transaction.atomic
def user_ensure(
    *,
    username: str,
    password: str,
    role: Role,
    teams: list[Team],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> AbstractUser:
    """Create or update a staff user with exactly this role and these teams."""
    groups = roles_ensure()
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_staff = role is Role.ADMINISTRATOR
    user.set_password(password)
    user.save()
    user.groups.set([groups[role]])
    TeamMembership.objects.filter(user=user).exclude(team__in=teams).delete()
    for team in teams:
        TeamMembership.objects.get_or_create(user=user, team=team)
    return user
