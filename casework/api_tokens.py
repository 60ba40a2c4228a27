"""API tokens that expire and can be revoked (issue 17, finding 6; shared/API.md
"Authentication"; docs/security-sign-in.md).

One token per device, each with a name. Only its SHA-256 digest is stored (with the first
characters, to tell tokens apart on a page), so neither the database nor any page can give
a token back: it is shown once, in the answer to the sign-in that made it. A token stops
working

- after ``SAFECASE_API_TOKEN_IDLE_HOURS`` without a request,
- ``SAFECASE_API_TOKEN_MAX_DAYS`` after it was made, however much it is used,
- when revoked: by ``DELETE /api/v1/auth/token/`` (the token sent), by its owner or an
  administrator on the pages, when its user signs out of the web (all of their tokens) or
  has a password set or reset, or is deactivated (all of them), and
- when its user's password changes by any other route.

Each token made and each revocation is audited (``api_token.created``,
``api_token.revoked``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from casework.audit import AuditVerb, audit_record
from casework.models import ApiToken
from casework.roles import Role, roles_of

PREFIX_LENGTH = 8
NAME_MAX = 100
DEFAULT_NAME = "API client"
# A token's last use is written at most this often, so that a busy client does not write
# on every request; the idle limit is hours, so a minute is well within it.
LAST_USED_RESOLUTION = timedelta(minutes=1)
INVALID = "Invalid token."
EXPIRED = "This token has expired. Sign in again for a new one."

REVOKED_BY_CLIENT = "signed out of the API"
REVOKED_BY_OWNER = "revoked by its owner"
REVOKED_BY_ADMINISTRATOR = "revoked by an administrator"
REVOKED_AT_SIGN_OUT = "signed out of the web"
REVOKED_DEACTIVATED = "deactivated"
REVOKED_PASSWORD = "password changed"  # noqa: S105 (a reason, not a password)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def password_mark(user: Any) -> str:
    """Changes whenever the user's password does (Django's session hash covers it)."""
    return hashlib.sha256(user.get_session_auth_hash().encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(hours=settings.SAFECASE_API_TOKEN_IDLE_HOURS)


def token_is_live(token: ApiToken, now: Any = None) -> bool:
    now = now or timezone.now()
    return (
        token.revoked_at is None
        and now < token.expires_at
        and now < token.last_used_at + idle_limit()
    )


def live_filter(now: Any = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "revoked_at__isnull": True,
        "expires_at__gt": now,
        "last_used_at__gt": now - idle_limit(),
    }


# Writes -------------------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(*, user: Any, name: str = "") -> tuple[ApiToken, str]:
    """A new token for one device of ``user``: the stored row and the token itself, which
    exists nowhere else once this answer is sent."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=(name or "").strip()[:NAME_MAX] or DEFAULT_NAME,
        prefix=raw[:PREFIX_LENGTH],
        digest=token_digest(raw),
        password_mark=password_mark(user),
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=settings.SAFECASE_API_TOKEN_MAX_DAYS),
    )
    audit_record(
        actor=user,
        verb=AuditVerb.API_TOKEN_CREATED,
        target=user,
        data={"user": user.pk, "token": token.pk, "name": token.name, "prefix": token.prefix},
    )
    return token, raw


def _revoke(actor: Any, tokens: list[ApiToken], reason: str) -> int:
    now = timezone.now()
    for token in tokens:
        token.revoked_at = now
        token.revoked_reason = reason
        token.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(
            actor=actor,
            verb=AuditVerb.API_TOKEN_REVOKED,
            target=token.user,
            data={
                "user": token.user_id,
                "token": token.pk,
                "name": token.name,
                "prefix": token.prefix,
                "reason": reason,
            },
        )
    return len(tokens)


def _may_manage(actor: Any, owner: Any) -> bool:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return actor.pk == owner.pk or Role.ADMINISTRATOR in roles_of(actor)


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken, reason: str = "") -> ApiToken:
    """Revoke one token: its owner's, or anyone's by an administrator. Revoking one that
    has already stopped working changes nothing."""
    if not _may_manage(actor, token.user):
        raise PermissionDenied("You cannot revoke this token.")
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is None:
        if not reason:
            reason = REVOKED_BY_OWNER if actor.pk == token.user_id else REVOKED_BY_ADMINISTRATOR
        _revoke(actor, [token], reason)
    return token


@transaction.atomic
def api_tokens_revoke_for_user(*, actor: Any, user: Any, reason: str) -> int:
    """Revoke every token of ``user`` not yet revoked; how many were. ``actor`` is the
    user, an administrator, or None for Safecase itself (a password set from a link)."""
    if actor is not None and not _may_manage(actor, user):
        raise PermissionDenied("You cannot revoke their tokens.")
    tokens = list(
        ApiToken.objects.select_for_update()
        .select_related("user")
        .filter(user=user, revoked_at__isnull=True)
        .order_by("pk")
    )
    return _revoke(actor, tokens, reason)


# Reads --------------------------------------------------------------------------------------


def api_tokens_for_user(viewer: Any, owner: Any) -> QuerySet[ApiToken]:
    """The tokens of ``owner`` still working, newest first: for the owner and for
    administrators; nobody else sees any."""
    if not _may_manage(viewer, owner):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=owner, **live_filter()).order_by("-created_at")


def api_token_get_for_user(viewer: Any, owner: Any, pk: int) -> ApiToken | None:
    return api_tokens_for_user(viewer, owner).filter(pk=pk).select_related("user").first()


# Authentication -----------------------------------------------------------------------------


@functools.cache
def _token_with_user_sql() -> tuple[str, list[str], list[str]]:
    """The token with this digest and its user in one statement, and the two models'
    field names in the order of its columns; names from the models, the digest a
    parameter."""
    user_model = get_user_model()
    name = connection.ops.quote_name
    token_fields = list(ApiToken._meta.concrete_fields)
    user_fields = list(user_model._meta.concrete_fields)
    columns = [f"t.{name(f.column)}" for f in token_fields]
    columns += [f"u.{name(f.column)}" for f in user_fields]
    token_user = name(ApiToken._meta.get_field("user").column)
    sql = (
        f"SELECT {', '.join(columns)} FROM {name(ApiToken._meta.db_table)} t"  # noqa: S608
        f" JOIN {name(user_model._meta.db_table)} u"
        f" ON u.{name(user_model._meta.pk.column)} = t.{token_user}"
        f" WHERE t.{name(ApiToken._meta.get_field('digest').column)} = %s"
    )
    return sql, [f.attname for f in token_fields], [f.attname for f in user_fields]


def api_token_with_user(digest: str) -> ApiToken | None:
    """The token stored with ``digest``, its user loaded with it, or None: what
    ``ApiToken.objects.select_related("user").filter(digest=...).first()`` reads, with
    the statement written out, as every API request asks it (the ORM built and compiled
    it in 0.6 of its 0.85 ms: docs/performance.md)."""
    sql, token_names, user_names = _token_with_user_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(token_names)
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, token_names, row[:split])
    token.user = get_user_model().from_db(DEFAULT_DB_ALIAS, user_names, row[split:])
    return token


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``, looked up by its digest; refused (401) once
    expired, idle too long, revoked, its user inactive or their password changed."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = api_token_with_user(token_digest(key))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(INVALID)
        if not hmac.compare_digest(token.password_mark, password_mark(token.user)):
            raise exceptions.AuthenticationFailed(INVALID)
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(INVALID)
        if not token_is_live(token, now):
            raise exceptions.AuthenticationFailed(EXPIRED)
        if now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
