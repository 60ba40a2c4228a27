"""Every change of role, group, permission, flag or password is audited, by any path
(issue 17, finding 1), and nobody grants themselves anything.

The staff pages (``casework.staff``) audit their own changes with a reason, but a role
is only a Django group, and groups, permissions, ``is_superuser`` and passwords can also
be changed in the Django admin, a shell or a management command. These receivers are
the one place that sees all of those paths: ``m2m_changed`` on ``User.groups``,
``User.user_permissions`` and ``Group.permissions``, and ``pre_save``/``post_save`` on
the user comparing the flags and the password hash with the stored row. Each change is
an audit event in the same transaction as the change (STYLE.md 2 keeps audit out of
signals; this is the exception, like signing in, because no service of ours is on the
Django admin's or the shell's path).

Three rules are enforced here too, so that no page can get round them:

- nobody adds a group or a permission to their own account (``PermissionDenied``);
- during a request, the auditor role and every clearance (Prevent, and the named
  compartments' "Cleared auditor" groups) are given only inside
  ``role_change_approved``, which ``casework.staff.staff_approval_decide`` opens once a
  second administrator has approved (DESIGN.md "Access");
- during a request, nobody is made a superuser: superuser is for operators, from the
  command line (``manage.py createsuperuser``).

Outside a request (the command line, a task) the actor is not known: the event says so.
``RoleAuditMiddleware`` remembers the request so that the actor is whoever it
authenticated (the API authenticates in the view, and the request's user is read when
the change happens).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from casework.audit import AuditVerb, audit_record
from casework.models import AuditEvent
from casework.permissions import forget_granted_cases
from casework.roles import PREVENT_CLEARANCE_GROUP, Role, roles_of

User = get_user_model()

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "safecase_role_audit_request", default=None
)
_paused: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "safecase_role_audit_paused", default=False
)
_approved: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "safecase_role_change_approved", default=False
)

OUTSIDE_A_REQUEST = "command line or task"
SELF_GRANT_REFUSED = "Nobody can give themselves a role, clearance or permission."
NEEDS_APPROVAL = "The auditor role and clearances need a second administrator's approval."
SUPERUSER_REFUSED = "Superuser is given only from the command line, by an operator."
# The flags of a user that give or take away power, compared on every save.
WATCHED_FLAGS = ("is_superuser", "is_staff", "is_active")
_WATCHED_FIELDS = {*WATCHED_FLAGS, "password"}


def sensitive_group(name: str) -> bool:
    """Groups a second administrator must approve: the auditor role, Prevent clearance
    (by itself or as the Prevent-cleared lead role) and every named compartment's
    clearance (``casework.permissions.clearance_group``)."""
    return name in {
        Role.AUDITOR.group_name,
        Role.PREVENT_LEAD.group_name,
        PREVENT_CLEARANCE_GROUP,
    } or name.startswith("Cleared auditor:")


@contextlib.contextmanager
def role_audit_paused() -> Iterator[None]:
    """Record nothing while setting up users (tests' ``make_user``): the rules still hold."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


@contextlib.contextmanager
def role_change_approved() -> Iterator[None]:
    """Let a second administrator's approved change give the auditor role or a clearance."""
    token = _approved.set(True)
    try:
        yield
    finally:
        _approved.reset(token)


class RoleAuditMiddleware:
    """Remember the request, so that a change made while answering it is attributed to
    the user it authenticated and held to the rules above."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _acting() -> tuple[Any, str]:
    """The signed-in user making the change (None outside a request) and the path."""
    request = _request.get()
    if request is None:
        return None, OUTSIDE_A_REQUEST
    user = getattr(request, "user", None)
    actor = user if getattr(user, "is_authenticated", False) else None
    return actor, request.path


def _record(verb: AuditVerb, target: Any, data: dict[str, Any]) -> None:
    if _paused.get():
        return
    actor, via = _acting()
    with transaction.atomic():
        audit_record(actor=actor, verb=verb, target=target, data={**data, "via": via})


def _forget_roles(user: Any) -> None:
    for cached in ("_safecase_groups", "_safecase_roles"):
        user.__dict__.pop(cached, None)
    forget_granted_cases(user)  # a group's per-case grants came with it


def _check_grant(user_ids: set[int], group_names: list[str]) -> None:
    """Refuse a self-grant always; during a request, refuse a sensitive group that no
    approval opened (superusers, the operators, are held to the self-grant rule only)."""
    actor, _ = _acting()
    if actor is None:
        return
    if actor.pk in user_ids:
        raise PermissionDenied(SELF_GRANT_REFUSED)
    if actor.is_superuser or _approved.get():
        return
    if any(sensitive_group(name) for name in group_names):
        raise PermissionDenied(NEEDS_APPROVAL)


def _names(model: Any, pks: set[int] | None) -> list[str]:
    if not pks:
        return []
    if model is Permission:
        perms = Permission.objects.filter(pk__in=pks).select_related("content_type")
        return sorted(f"{p.name} ({p.content_type.app_label})" for p in perms)
    return sorted(model.objects.filter(pk__in=pks).values_list("name", flat=True))


def _membership_changed(
    *, verb: AuditVerb, sender_model: Any, instance: Any, action: str, reverse: bool,
    pk_set: set[int] | None,
) -> None:  # fmt: skip
    """One of ``user.groups``/``user.user_permissions`` (or, reversed, a group's
    ``user_set`` or a permission's ``user_set``) changed."""
    if action == "pre_clear":
        # Remember what a clear removes, to name it afterwards.
        if reverse:
            instance._safecase_cleared = set(instance.user_set.values_list("pk", flat=True))
        else:
            related = instance.groups if sender_model is Group else instance.user_permissions
            instance._safecase_cleared = set(related.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set, action = instance.__dict__.pop("_safecase_cleared", set()), "post_remove"
    if action == "pre_add" and pk_set:
        if reverse:
            _check_grant(set(pk_set), [instance.name] if sender_model is Group else [])
        else:
            names = _names(Group, pk_set) if sender_model is Group else []
            _check_grant({instance.pk}, names)
        return
    if action not in {"post_add", "post_remove"} or not pk_set:
        return
    key = "added" if action == "post_add" else "removed"
    if reverse:
        # instance is the group (or permission); pk_set the users.
        name = _names(sender_model, {instance.pk})
        for user in User.objects.filter(pk__in=pk_set):
            _forget_roles(user)
            _record(verb, user, {"user": user.pk, key: name})
    else:
        _forget_roles(instance)
        _record(verb, instance, {"user": instance.pk, key: _names(sender_model, pk_set)})


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="role_audit.groups")
def user_groups_changed(sender: Any, instance: Any, action: str, reverse: bool,
                        pk_set: set[int] | None, **kwargs: Any) -> None:  # fmt: skip
    _membership_changed(
        verb=AuditVerb.USER_GROUPS_CHANGED, sender_model=Group, instance=instance,
        action=action, reverse=reverse, pk_set=pk_set,
    )  # fmt: skip


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="role_audit.user_perms")
def user_permissions_changed(sender: Any, instance: Any, action: str, reverse: bool,
                             pk_set: set[int] | None, **kwargs: Any) -> None:  # fmt: skip
    _membership_changed(
        verb=AuditVerb.USER_PERMISSIONS_CHANGED, sender_model=Permission, instance=instance,
        action=action, reverse=reverse, pk_set=pk_set,
    )  # fmt: skip


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="role_audit.group_perms")
def group_permissions_changed(sender: Any, instance: Any, action: str, reverse: bool,
                              pk_set: set[int] | None, **kwargs: Any) -> None:  # fmt: skip
    """A group's permissions: everyone in it gains or loses them."""
    if action == "pre_add" and pk_set:
        # Giving your own group a permission is giving it to yourself.
        actor, _ = _acting()
        groups = (
            Group.objects.filter(pk__in=pk_set) if reverse else Group.objects.filter(pk=instance.pk)
        )
        if actor is not None and groups.filter(user__pk=actor.pk).exists():
            raise PermissionDenied(SELF_GRANT_REFUSED)
    if action == "pre_clear":
        instance._safecase_cleared = set(
            (instance.permissions if not reverse else instance.group_set).values_list(
                "pk", flat=True
            )
        )
        return
    if action == "post_clear":
        pk_set, action = instance.__dict__.pop("_safecase_cleared", set()), "post_remove"
    if action not in {"post_add", "post_remove"} or not pk_set:
        return
    key = "added" if action == "post_add" else "removed"
    if reverse:
        for group in Group.objects.filter(pk__in=pk_set):
            _record(
                AuditVerb.GROUP_PERMISSIONS_CHANGED, group,
                {"group": group.name, key: _names(Permission, {instance.pk})},
            )  # fmt: skip
    else:
        _record(
            AuditVerb.GROUP_PERMISSIONS_CHANGED, instance,
            {"group": instance.name, key: _names(Permission, pk_set)},
        )  # fmt: skip


@receiver(pre_save, sender=User, dispatch_uid="role_audit.user_pre_save")
def user_before_save(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """Read the stored flags and password hash (one query) to compare after the save;
    refuse making anyone a superuser during a request."""
    if update_fields is not None and not set(update_fields) & _WATCHED_FIELDS:
        return  # e.g. the last sign-in time
    stored = None
    if instance.pk is not None:
        stored = User.objects.filter(pk=instance.pk).values(*WATCHED_FLAGS, "password").first()
    was_superuser = bool(stored and stored["is_superuser"])
    if instance.is_superuser and not was_superuser and _acting()[0] is not None:
        raise PermissionDenied(SUPERUSER_REFUSED)
    instance._safecase_stored = stored


@receiver(post_save, sender=User, dispatch_uid="role_audit.user_post_save")
def user_after_save(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if "_safecase_stored" not in instance.__dict__:
        return
    stored = instance.__dict__.pop("_safecase_stored")
    before = stored or {flag: False for flag in WATCHED_FLAGS}
    if created:
        before = {**before, "is_active": instance.is_active}  # new and active is no change
    flags = {
        flag.removeprefix("is_"): {"before": before[flag], "after": getattr(instance, flag)}
        for flag in WATCHED_FLAGS
        if before[flag] != getattr(instance, flag)
    }
    if flags:
        _record(AuditVerb.USER_FLAGS_CHANGED, instance, {"user": instance.pk, **flags})
    if stored is not None and stored["password"] != instance.password:
        _record(
            AuditVerb.USER_PASSWORD_CHANGED,
            instance,
            {"user": instance.pk, "usable": instance.has_usable_password()},
        )


# Reading: the auditor's dashboard shows the latest of these (reports.dashboards) ----------

ROLE_CHANGE_VERBS = [
    AuditVerb.USER_GROUPS_CHANGED,
    AuditVerb.USER_PERMISSIONS_CHANGED,
    AuditVerb.GROUP_PERMISSIONS_CHANGED,
    AuditVerb.USER_FLAGS_CHANGED,
    AuditVerb.USER_CLEARANCE_CHANGED,
    AuditVerb.STAFF_APPROVAL_REQUESTED,
    AuditVerb.STAFF_APPROVAL_DECIDED,
]


def role_change_list_for_user(user: Any) -> QuerySet[AuditEvent]:
    """Changes of role, clearance, permission and superuser flag, and the approvals of
    roles and clearances, newest first, for an auditor; nothing for anyone else. Staff
    records only, never case content."""
    if not getattr(user, "is_active", False) or Role.AUDITOR not in roles_of(user):
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(verb__in=ROLE_CHANGE_VERBS)
        .select_related("actor")
        .order_by("-pk")
    )
