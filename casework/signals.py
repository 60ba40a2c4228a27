"""Signal receivers for casework: the sign-out message, and the audit of signing in and out.

Signals are otherwise kept for UI concerns (STYLE.md 2: never audit or notifications).
Signing in and out is the exception: Django's authentication views do it, there is no
service of ours in that path, and these signals are the hook Django gives for it. Each
receiver writes its event in its own transaction. The search index follows the per-case
grant rows here too (``index_case_grant``): search is a decoupled concern.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from casework.api_tokens import REVOKED_AT_SIGN_OUT, api_tokens_revoke_for_user
from casework.audit import AuditVerb, audit_record
from casework.models import CaseGroupObjectPermission, CaseUserObjectPermission
from casework.permissions import forget_granted_cases
from casework.search_index import search_index_update

SIGNED_OUT_MESSAGE = "You have been signed out"
# Enough for any real username; a longer "username" is cut rather than stored whole.
MAX_ATTEMPTED_USERNAME = 150


@receiver(user_logged_out, dispatch_uid="casework.signed_out_message")
def signed_out_message(sender: type, request: HttpRequest | None, **kwargs: object) -> None:
    """Tell the user on the sign-in page (LOGOUT_REDIRECT_URL) that sign-out worked.

    The message outlives the session flush that follows this signal: it is only written
    (to the messages cookie) when the redirect response goes out. Logouts without the
    messages middleware (the test client's logout(), scripts) are left alone.
    """
    if request is not None:
        messages.success(request, SIGNED_OUT_MESSAGE, fail_silently=True)


@receiver(user_logged_in, dispatch_uid="casework.audit_signed_in")
def audit_signed_in(sender: type, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Record a successful sign-in: who and when."""
    with transaction.atomic():
        audit_record(actor=user, verb=AuditVerb.USER_SIGNED_IN, target=user)


@receiver(user_logged_out, dispatch_uid="casework.audit_signed_out")
def audit_signed_out(
    sender: type, request: HttpRequest | None, user: Any = None, **kwargs: Any
) -> None:
    """Record a sign-out; a sign-out with no one signed in changes nothing and is not."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    with transaction.atomic():
        audit_record(actor=user, verb=AuditVerb.USER_SIGNED_OUT, target=user)


@receiver(user_login_failed, dispatch_uid="casework.audit_sign_in_failed")
def audit_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Record a failed sign-in with the username that was tried (never the password),
    whether or not such a user exists; no actor, since no one signed in."""
    username = str(credentials.get("username") or "")[:MAX_ATTEMPTED_USERNAME]
    # A wrong second-factor code (casework.two_factor) after a right password.
    verb = AuditVerb.TWO_FACTOR_FAILED if credentials.get("two_factor") else None
    with transaction.atomic():
        audit_record(
            actor=None, verb=verb or AuditVerb.USER_SIGN_IN_FAILED, data={"username": username}
        )


@receiver(user_logged_out, dispatch_uid="casework.revoke_api_tokens_at_sign_out")
def revoke_api_tokens_at_sign_out(
    sender: type, request: HttpRequest | None, user: Any = None, **kwargs: Any
) -> None:
    """Signing out of the web revokes every API token of the person (issue 17,
    docs/security-sign-in.md): sign-out means signed out everywhere."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    api_tokens_revoke_for_user(actor=user, user=user, reason=REVOKED_AT_SIGN_OUT)


@receiver(post_save, sender=CaseUserObjectPermission, dispatch_uid="casework.index_user_grant")
@receiver(post_delete, sender=CaseUserObjectPermission, dispatch_uid="casework.index_user_ungrant")
@receiver(post_save, sender=CaseGroupObjectPermission, dispatch_uid="casework.index_group_grant")
@receiver(
    post_delete, sender=CaseGroupObjectPermission, dispatch_uid="casework.index_group_ungrant"
)
def index_case_grant(sender: type, instance: Any, **kwargs: Any) -> None:
    """Keep the search index's grants (who may see a case) with the grant rows, however
    they are written: ``case_access_grant``/``case_access_revoke``, guardian's shortcuts
    or the admin. STYLE.md 2 keeps signals for decoupled concerns such as search; this is
    the same transaction as the grant, so the index never lags it.

    The grantee's object in hand, when the grant was made with it (guardian's
    ``assign_perm``), forgets the grants it had cached for this request."""
    search_index_update([instance.content_object_id])
    grantee = instance._state.fields_cache.get("user")
    if grantee is not None:
        forget_granted_cases(grantee)
