"""Casework writes. Every write is a typed, keyword-only function in one transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from guardian.shortcuts import assign_perm

from casework.audit import AuditVerb, audit_record
from casework.errors import StaleCase
from casework.models import (
    Case,
    CasePerson,
    CasePersonRole,
    CaseUserObjectPermission,
    Person,
    Team,
    TeamMembership,
)
from casework.permissions import lead_may, restricted_case_types, team_ids_of
from casework.roles import Role, roles_of
from casework.selectors import person_list_for_user
from notifications.models import Channel
from notifications.services import outbox_enqueue

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
        "workflows.view_bankholiday",
        "workflows.add_bankholiday",
        "workflows.change_bankholiday",
        "workflows.delete_bankholiday",
        "workflows.view_timescaleoverride",
        "workflows.add_timescaleoverride",
        "workflows.change_timescaleoverride",
        "workflows.delete_timescaleoverride",
        "referrals.view_partneragency",
        "referrals.add_partneragency",
        "referrals.change_partneragency",
        "referrals.view_partnerresponsetime",
        "referrals.add_partnerresponsetime",
        "referrals.change_partnerresponsetime",
        "referrals.delete_partnerresponsetime",
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


def _locked_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("team").get(pk=case.pk)


def _require_lead(case: Case, actor: Any) -> None:
    if not lead_may(case, actor):
        raise PermissionDenied("Only a safeguarding lead of the case's team can do this.")


def _require_compartment(case: Case, user: Any, field: str) -> None:
    if case.case_type in restricted_case_types() and Role.PREVENT_LEAD not in roles_of(user):
        raise ValidationError(
            {field: [f"{user.get_username()} is not cleared for {case.get_case_type_display()}."]}
        )


@transaction.atomic
def case_allocate(*, case: Case, actor: Any, assignee: Any, expected_version: int | None = None):
    """Allocate a case to a worker or lead of its team (or re-allocate it); leads only.

    Restricted types (Prevent) go only to Prevent-cleared staff (DESIGN.md "Access").
    """
    case = _locked_case(case)
    _require_lead(case, actor)
    if expected_version is not None and case.version != expected_version:
        raise StaleCase(
            "This case has changed since you opened it. Reload it and try again.",
            state=case.state,
        )
    if case.is_closed:
        raise ValidationError({"assignee": ["A closed case cannot be allocated."]})
    held = roles_of(assignee)
    if not assignee.is_active or not held & {Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD}:
        raise ValidationError({"assignee": ["Choose a frontline worker or a lead."]})
    if case.team_id not in team_ids_of(assignee):
        raise ValidationError({"assignee": [f"Choose someone in {case.team}."]})
    _require_compartment(case, assignee, "assignee")
    previous = case.owner_id
    if previous == assignee.pk:
        raise ValidationError({"assignee": ["The case is already allocated to them."]})
    Case.objects.filter(pk=case.pk).update(owner=assignee, version=F("version") + 1)
    case.refresh_from_db(fields=["owner", "version"])
    audit_record(
        actor=actor,
        verb=AuditVerb.CASE_ALLOCATED,
        case=case,
        target=case,
        data={"from_owner": previous, "to_owner": assignee.pk},
    )
    outbox_enqueue(
        recipient_id=assignee.pk,
        channel=Channel.IN_APP,
        template="case.allocated",
        subject=f"{case.reference} has been allocated to you",
        body=f"{actor.get_full_name() or actor.get_username()} allocated {case.reference} to you.",
    )
    return case


GRANTABLE = {"view_case": "read the case"}


def _grant_check(case: Case, actor: Any, user: Any, permission: str) -> None:
    _require_lead(case, actor)
    if permission not in GRANTABLE:
        raise ValidationError({"permission": ["Choose a permission that can be granted."]})
    if not user.is_active or not roles_of(user) - {Role.ADMINISTRATOR}:
        raise ValidationError({"user": ["Choose a member of staff with a case role."]})


@transaction.atomic
def case_access_grant(*, case: Case, actor: Any, user: Any, permission: str = "view_case"):
    """Let one more person read a case outside the usual rules (a lead's decision, audited).

    A grant cannot open a need-to-know compartment to someone who is not cleared.
    """
    case = _locked_case(case)
    _grant_check(case, actor, user, permission)
    _require_compartment(case, user, "user")
    if not assign_perm(f"casework.{permission}", user, case):
        raise ValidationError({"user": ["That permission could not be granted."]})
    audit_record(
        actor=actor,
        verb=AuditVerb.ACCESS_GRANTED,
        case=case,
        target=case,
        data={"user": user.pk, "permission": permission},
    )


@transaction.atomic
def case_access_revoke(*, case: Case, actor: Any, user: Any, permission: str = "view_case"):
    """Withdraw a per-case grant; audited."""
    case = _locked_case(case)
    _grant_check(case, actor, user, permission)
    removed, _ = CaseUserObjectPermission.objects.filter(
        content_object=case, user=user, permission__codename=permission
    ).delete()
    if not removed:
        raise ValidationError({"user": ["They have no such grant on this case."]})
    audit_record(
        actor=actor,
        verb=AuditVerb.ACCESS_REVOKED,
        case=case,
        target=case,
        data={"user": user.pk, "permission": permission},
    )


@transaction.atomic
def case_person_link(*, case: Case, actor: Any, person: Person, role: str) -> CasePerson:
    """Link a person already known to the actor to another case (the same victim in two
    cases, say); leads only, and only people the lead may already see."""
    case = _locked_case(case)
    _require_lead(case, actor)
    if role not in CasePersonRole.values:
        raise ValidationError({"role": ["Choose the person's part in the case."]})
    if not person_list_for_user(actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": ["Choose a person from your cases."]})
    link, created = CasePerson.objects.get_or_create(case=case, person=person, role=role)
    if not created:
        raise ValidationError({"person": ["They are already linked to this case in that role."]})
    audit_record(
        actor=actor,
        verb=AuditVerb.PERSON_LINKED,
        case=case,
        target=link,
        data={"person": person.pk, "role": role},
    )
    return link
