"""Staff administration (issue 20): people, their role, teams and Prevent clearance.

Administrators manage staff in the service's own pages (``casework.staff_views``), never
case content (DESIGN.md "Access"). Every change is one service in one transaction,
audited with who made it and why; nobody is deleted (deactivated staff keep their
history attributable), and an administrator never changes their own role, clearance or
active status. Prevent clearance is a property of the person: a safeguarding lead with
it holds the "Prevent-cleared lead" role.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from guardian.conf import settings as guardian_settings

from casework.api_tokens import (
    REVOKED_DEACTIVATED,
    REVOKED_PASSWORD,
    api_tokens_revoke_for_user,
)
from casework.audit import AuditVerb, audit_record
from casework.models import AuditEvent, StaffApproval, Team, TeamMembership
from casework.permissions import forget_granted_cases
from casework.role_audit import role_change_approved
from casework.roles import Role, role_of, roles_of
from casework.services import roles_ensure
from notifications.models import Channel
from notifications.services import outbox_enqueue

User = get_user_model()

# The roles an administrator gives; Prevent clearance turns a lead into a Prevent-cleared lead.
ASSIGNABLE_ROLES = [Role.FRONTLINE, Role.LEAD, Role.AUDITOR, Role.ANALYST, Role.ADMINISTRATOR]
CLEARABLE_ROLES = {Role.LEAD}
REASON_MAX = 500
NOT_AN_ADMINISTRATOR = "Only administrators can manage staff."


def is_administrator(user: Any) -> bool:
    return bool(getattr(user, "is_active", False)) and Role.ADMINISTRATOR in roles_of(user)


def require_administrator(actor: Any) -> None:
    if not is_administrator(actor):
        raise PermissionDenied(NOT_AN_ADMINISTRATOR)


def reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter why you are making this change"]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"Reason must be {REASON_MAX} characters or fewer"]})
    return reason


# Reading ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StaffRole:
    """What an administrator sees and sets: the role and whether Prevent-cleared."""

    role: Role | None
    cleared: bool

    @property
    def label(self) -> str:
        if self.role is None:
            return "No role"
        return self.role.label + (" with Prevent clearance" if self.cleared else "")


def staff_role_of(user: Any) -> StaffRole:
    role = role_of(user)
    if role is Role.PREVENT_LEAD:
        return StaffRole(Role.LEAD, True)
    return StaffRole(role, False)


def staff_list_for_user(user: Any) -> QuerySet[Any]:
    """Every member of staff, with groups and teams, for an administrator; none otherwise."""
    if not is_administrator(user):
        return User.objects.none()
    memberships = TeamMembership.objects.select_related("team").order_by("team__name")
    # django-guardian's stand-in for signed-out visitors is not a member of staff.
    return (
        User.objects.exclude(username=guardian_settings.ANONYMOUS_USER_NAME)
        .prefetch_related("groups", Prefetch("team_memberships", queryset=memberships))
        .order_by("last_name", "first_name", "username")
    )


def staff_get_for_user(user: Any, pk: int) -> Any:
    """One member of staff for an administrator (Http404 when missing)."""
    found = staff_list_for_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404("No member of staff found.")
    return found


STAFF_VERBS = [
    AuditVerb.STAFF_ADDED,
    AuditVerb.STAFF_CHANGED,
    AuditVerb.STAFF_DEACTIVATED,
    AuditVerb.STAFF_REACTIVATED,
    AuditVerb.STAFF_RESET_LINK_SENT,
    AuditVerb.STAFF_RESET_LINK_USED,
    AuditVerb.STAFF_UNLOCKED,
    AuditVerb.STAFF_APPROVAL_REQUESTED,
    AuditVerb.STAFF_APPROVAL_DECIDED,
    AuditVerb.API_TOKEN_REVOKED,
    AuditVerb.TWO_FACTOR_ENROLLED,
    AuditVerb.TWO_FACTOR_RESET,
]


def staff_history_for_user(user: Any, person: Any) -> QuerySet[AuditEvent]:
    """The administration of ``person`` (added, role and teams, deactivated, password,
    unlocked, approvals), newest first, for an administrator: staff records, no case
    content."""
    if not is_administrator(user):
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(
            object_type=User._meta.label_lower, object_id=str(person.pk), verb__in=STAFF_VERBS
        )
        .select_related("actor")
        .order_by("-id")
    )


def staff_locked_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these usernames django-axes has locked out now (failures at the limit)."""
    limit = settings.AXES_FAILURE_LIMIT
    attempts = AccessAttempt.objects.filter(
        username__in=list(usernames), failures_since_start__gte=limit
    )
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    if cooloff is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cooloff)
    return set(attempts.values_list("username", flat=True))


def team_ids(user: Any) -> list[int]:
    return [m.team_id for m in user.team_memberships.all()]


# Writing ------------------------------------------------------------------------------------


def _set_role(user: Any, role: Role, cleared: bool) -> None:
    groups = roles_ensure()
    held = Role.PREVENT_LEAD if (role is Role.LEAD and cleared) else role
    user.groups.set([groups[held]])
    user._safecase_roles = user._safecase_groups = None
    forget_granted_cases(user)


def _check_role(role: Any, cleared: bool) -> Role:
    try:
        chosen = Role(role)
    except ValueError:
        raise ValidationError({"role": ["Select a role"]}) from None
    if chosen not in ASSIGNABLE_ROLES:
        raise ValidationError({"role": ["Select a role"]})
    if cleared and chosen not in CLEARABLE_ROLES:
        raise ValidationError(
            {"clearance": ["Only a safeguarding lead can be given Prevent clearance"]}
        )
    return chosen


def _set_teams(user: Any, teams: Iterable[Team]) -> None:
    wanted = {t.pk for t in teams}
    TeamMembership.objects.filter(user=user).exclude(team_id__in=wanted).delete()
    have = set(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))
    TeamMembership.objects.bulk_create(
        [TeamMembership(user=user, team_id=pk) for pk in sorted(wanted - have)]
    )


def _clean_person(first_name: str, last_name: str, email: str) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    email = (email or "").strip().lower()
    if not first_name:
        errors["first_name"] = ["Enter their first name"]
    if not last_name:
        errors["last_name"] = ["Enter their last name"]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter an email address in the correct format, like name@example.gov.uk"]
    if not errors.get("email") and User.objects.filter(username__iexact=email).exists():
        errors["email"] = ["A member of staff with this email address already exists"]
    if errors:
        raise ValidationError(errors)
    return first_name, last_name, email


def _reset_link(user: Any) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("staff:set-password", args=[uid, token])


def _send_link(user: Any, *, welcome: bool) -> None:
    subject = "Set your Safecase password" if welcome else "Reset your Safecase password"
    opening = (
        "An account has been made for you on Safecase."
        if welcome
        else "An administrator has reset your Safecase password."
    )
    outbox_enqueue(
        recipient_id=user.pk,
        channel=Channel.EMAIL,
        template="staff.password_link",
        subject=subject,
        body=f"{opening} Use this link once to choose a password. It stops working once "
        "used, or after a few days.",
        link=_reset_link(user),
    )


@transaction.atomic
def staff_add(
    *,
    actor: Any,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    teams: Iterable[Team],
    cleared: bool,
    reason: str,
) -> Any:
    """Add a member of staff with a role, teams and (leads only) Prevent clearance; they
    are sent a one-time link to choose their password. Their username is their email."""
    require_administrator(actor)
    first_name, last_name, email = _clean_person(first_name, last_name, email)
    chosen = _check_role(role, cleared)
    reason = reason_clean(reason)
    teams = list(teams)
    user = User(username=email, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.save()
    _set_teams(user, teams)
    waits = needs_second_approval(StaffRole(None, False), chosen, cleared)
    if not waits:
        _set_role(user, chosen, cleared)
    audit_record(
        actor=actor,
        verb=AuditVerb.STAFF_ADDED,
        target=user,
        data={
            "user": user.pk,
            "role": "" if waits else str(chosen),
            "clearance": False if waits else cleared,
            "teams": [t.pk for t in teams],
            "email": email,
            "reason": reason,
        },
    )
    if waits:
        _request_approval(actor, user, chosen, cleared, [t.pk for t in teams], reason)
    _send_link(user, welcome=True)
    return user


def _locked_user(user: Any) -> Any:
    return User.objects.select_for_update().get(pk=user.pk)


def _not_self(actor: Any, user: Any, field: str, message: str) -> None:
    if actor.pk == user.pk:
        raise ValidationError({field: [message]})


@transaction.atomic
def staff_change(
    *, actor: Any, user: Any, role: str, teams: Iterable[Team], cleared: bool, reason: str
) -> Any:
    """Change someone's role, teams and Prevent clearance. An administrator never changes
    their own role or clearance (DESIGN.md "Access"); their own teams they may."""
    require_administrator(actor)
    user = _locked_user(user)
    chosen = _check_role(role, cleared)
    reason = reason_clean(reason)
    before_role = staff_role_of(user)
    if actor.pk == user.pk and (before_role.role, before_role.cleared) != (chosen, cleared):
        raise ValidationError(
            {"role": ["You cannot change your own role or clearance. Ask another administrator"]}
        )
    teams = list(teams)
    before_teams = sorted(team_ids(user))
    after_teams = sorted(t.pk for t in teams)
    role_changes = (before_role.role, before_role.cleared) != (chosen, cleared)
    waits = role_changes and needs_second_approval(before_role, chosen, cleared)
    if waits and staff_approval_open(user) is not None:
        raise ValidationError(
            {"role": ["A change to their role is already waiting for a second administrator"]}
        )
    data: dict[str, Any] = {"user": user.pk}
    if role_changes and not waits:
        _set_role(user, chosen, cleared)
        data["role"] = {"before": str(before_role.role or ""), "after": str(chosen)}
        data["clearance"] = {"before": before_role.cleared, "after": cleared}
    if before_teams != after_teams:
        _set_teams(user, teams)
        data["teams"] = {"before": before_teams, "after": after_teams}
    if len(data) == 1 and not waits:
        raise ValidationError({"role": ["Change their role, clearance or teams, or cancel"]})
    if len(data) > 1:
        data["reason"] = reason
        audit_record(actor=actor, verb=AuditVerb.STAFF_CHANGED, target=user, data=data)
    if waits:
        _request_approval(actor, user, chosen, cleared, after_teams, reason)
    return user


# A second administrator approves auditor roles and clearances (DESIGN.md "Access") -------------


def needs_second_approval(before: StaffRole, role: Role, cleared: bool) -> bool:
    """Making someone an auditor, or giving them Prevent clearance, waits for a second
    administrator; taking either away does not (it only narrows what they see)."""
    return (role is Role.AUDITOR and before.role is not Role.AUDITOR) or (
        cleared and not before.cleared
    )


def staff_approval_open(user: Any) -> StaffApproval | None:
    """The undecided approval request for ``user``, if there is one."""
    return StaffApproval.objects.filter(user=user, decided_at__isnull=True).first()


def staff_approval_list_for_user(user: Any) -> QuerySet[StaffApproval]:
    """Undecided approval requests, oldest first, for an administrator."""
    if not is_administrator(user):
        return StaffApproval.objects.none()
    return StaffApproval.objects.filter(decided_at__isnull=True).select_related(
        "user", "requested_by"
    )


def _request_approval(
    actor: Any, user: Any, role: Role, cleared: bool, teams: list[int], reason: str
) -> StaffApproval:
    approval = StaffApproval.objects.create(
        user=user, role=str(role), cleared=cleared, team_ids=teams, reason=reason,
        requested_by=actor, requested_at=timezone.now(),
    )  # fmt: skip
    audit_record(
        actor=actor,
        verb=AuditVerb.STAFF_APPROVAL_REQUESTED,
        target=user,
        data={"user": user.pk, "role": str(role), "clearance": cleared, "reason": reason},
    )
    return approval


@transaction.atomic
def staff_approval_decide(
    *, actor: Any, approval: StaffApproval, approve: bool, reason: str
) -> StaffApproval:
    """A second administrator approves (the role and clearance take effect) or declines
    a request; never the one who asked, and never for their own role."""
    require_administrator(actor)
    approval = StaffApproval.objects.select_for_update().get(pk=approval.pk)
    reason = reason_clean(reason)
    if approval.decided_at is not None:
        raise ValidationError({"reason": ["This request has already been decided"]})
    if actor.pk == approval.requested_by_id:
        raise ValidationError(
            {"reason": ["You asked for this change: another administrator must decide it"]}
        )
    _not_self(actor, approval.user, "reason", "You cannot decide a change to your own role")
    user = _locked_user(approval.user)
    if approve:
        # The one path by which a page gives the auditor role or a clearance
        # (casework.role_audit refuses them otherwise).
        with role_change_approved():
            _set_role(user, Role(approval.role), approval.cleared)
    approval.decided_by, approval.decided_at, approval.approved = actor, timezone.now(), approve
    approval.save(update_fields=["decided_by", "decided_at", "approved"])
    audit_record(
        actor=actor,
        verb=AuditVerb.STAFF_APPROVAL_DECIDED,
        target=user,
        data={
            "user": user.pk,
            "role": approval.role,
            "clearance": approval.cleared,
            "approved": approve,
            "requested_by": approval.requested_by_id,
            "reason": reason,
        },
    )
    return approval


@transaction.atomic
def staff_deactivate(*, actor: Any, user: Any, reason: str) -> Any:
    """Stop someone signing in; they are never deleted, so their history stays theirs."""
    require_administrator(actor)
    user = _locked_user(user)
    reason = reason_clean(reason)
    _not_self(actor, user, "reason", "You cannot deactivate your own account")
    if not user.is_active:
        raise ValidationError({"reason": ["They are already deactivated"]})
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        verb=AuditVerb.STAFF_DEACTIVATED,
        target=user,
        data={"user": user.pk, "reason": reason},
    )
    api_tokens_revoke_for_user(actor=actor, user=user, reason=REVOKED_DEACTIVATED)
    return user


@transaction.atomic
def staff_reactivate(*, actor: Any, user: Any, reason: str) -> Any:
    """Let a deactivated member of staff sign in again."""
    require_administrator(actor)
    user = _locked_user(user)
    reason = reason_clean(reason)
    if user.is_active:
        raise ValidationError({"reason": ["They are already active"]})
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        verb=AuditVerb.STAFF_REACTIVATED,
        target=user,
        data={"user": user.pk, "reason": reason},
    )
    return user


@transaction.atomic
def staff_password_reset(*, actor: Any, user: Any, reason: str) -> Any:
    """Replace someone's password with a one-time link sent to their email address; the
    old password stops working at once."""
    require_administrator(actor)
    user = _locked_user(user)
    reason = reason_clean(reason)
    if not user.is_active:
        raise ValidationError({"reason": ["Reactivate them before resetting their password"]})
    if not user.email:
        raise ValidationError({"reason": ["They have no email address to send the link to"]})
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        verb=AuditVerb.STAFF_RESET_LINK_SENT,
        target=user,
        data={"user": user.pk, "reason": reason},
    )
    api_tokens_revoke_for_user(actor=actor, user=user, reason=REVOKED_PASSWORD)
    _send_link(user, welcome=False)
    return user


@transaction.atomic
def staff_password_set(*, user: Any, password: str) -> Any:
    """Set the password chosen through a one-time link (the link's check is the view's);
    audited as the member of staff themselves. The password must pass
    AUTH_PASSWORD_VALIDATORS whichever form sent it (``ValidationError`` otherwise)."""
    user = _locked_user(user)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=user, verb=AuditVerb.STAFF_RESET_LINK_USED, target=user, data={"user": user.pk}
    )
    api_tokens_revoke_for_user(actor=None, user=user, reason=REVOKED_PASSWORD)
    return user


@transaction.atomic
def staff_api_tokens_revoke(*, actor: Any, user: Any, reason: str) -> Any:
    """Revoke every API token of someone (a lost laptop, a leaver), with the reason."""
    require_administrator(actor)
    reason = reason_clean(reason)
    if not api_tokens_revoke_for_user(actor=actor, user=user, reason=reason):
        raise ValidationError({"reason": ["They have no API tokens to revoke"]})
    return user


@transaction.atomic
def staff_unlock(*, actor: Any, user: Any, reason: str) -> Any:
    """Clear django-axes' lockout of someone's account after failed sign-ins."""
    require_administrator(actor)
    reason = reason_clean(reason)
    if not staff_locked_usernames([user.get_username()]):
        raise ValidationError({"reason": ["Their account is not locked"]})
    axes_reset(username=user.get_username())
    audit_record(
        actor=actor,
        verb=AuditVerb.STAFF_UNLOCKED,
        target=user,
        data={"user": user.pk, "reason": reason},
    )
    return user


# Teams ----------------------------------------------------------------------------------------


def team_list_for_user(user: Any) -> QuerySet[Team]:
    """Every team with its number of active members, for an administrator."""
    if not is_administrator(user):
        return Team.objects.none()
    return Team.objects.annotate(
        members=Count("memberships", filter=Q(memberships__user__is_active=True))
    ).order_by("name")


def _unique_slug(name: str, team: Team | None) -> str:
    base = slugify(name)[:40] or "team"
    slug, n = base, 1
    while Team.objects.filter(slug=slug).exclude(pk=getattr(team, "pk", None)).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# A UK phone number as people write it: digits with spaces, brackets or hyphens, or +44.
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{8,24}")


def _duty_lead_clean(name: str, phone: str) -> dict[str, str]:
    """The duty lead's name and phone number (issue 19), both or neither: the urgent
    confirmation page tells a raiser to call them by name on that number."""
    name, phone = (name or "").strip(), " ".join((phone or "").split())
    errors: dict[str, list[str]] = {}
    digits = re.sub(r"\D", "", phone)
    if phone and (not PHONE.fullmatch(phone) or not 10 <= len(digits) <= 13):
        errors["duty_phone"] = ["Enter a phone number, like 01632 960 001 or +44 1632 960 001"]
    if name and not phone:
        errors["duty_phone"] = ["Enter the duty lead's phone number"]
    if phone and not name:
        errors["duty_lead_name"] = ["Enter the duty lead's name"]
    if errors:
        raise ValidationError(errors)
    return {"duty_lead_name": name, "duty_phone": phone}


@transaction.atomic
def team_save(
    *,
    actor: Any,
    team: Team | None,
    name: str,
    area: str,
    duty_lead_contact: str,
    reason: str,
    duty_lead_name: str = "",
    duty_phone: str = "",
) -> Team:
    """Add a team, or change one's name, area or duty lead contact; audited with before
    and after of what changed and why. A team's short name (slug) never changes, since
    its cases and demo data refer to it."""
    require_administrator(actor)
    name, area = (name or "").strip(), (area or "").strip()
    contact = (duty_lead_contact or "").strip()
    duty = _duty_lead_clean(duty_lead_name, duty_phone)
    if not name:
        raise ValidationError({"name": ["Enter the team's name"]})
    duplicate = Team.objects.filter(name__iexact=name).exclude(pk=getattr(team, "pk", None))
    if duplicate.exists():
        raise ValidationError({"name": ["A team with this name already exists"]})
    reason = reason_clean(reason)
    after = {"name": name, "area": area, "duty_lead_contact": contact, **duty}
    if team is None:
        team = Team.objects.create(slug=_unique_slug(name, None), **after)
        data: dict[str, Any] = {"team": team.pk, **after}
    else:
        team = Team.objects.select_for_update().get(pk=team.pk)
        before = {k: getattr(team, k) for k in after}
        changed = {k: {"before": before[k], "after": v} for k, v in after.items() if before[k] != v}
        if not changed:
            raise ValidationError({"name": ["Change the team's details, or cancel"]})
        for key, value in after.items():
            setattr(team, key, value)
        team.save()
        data = {"team": team.pk, **changed}
    audit_record(
        actor=actor, verb=AuditVerb.TEAM_SAVED, target=team, data={**data, "reason": reason}
    )
    return team
