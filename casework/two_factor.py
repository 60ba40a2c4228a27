"""Two-factor sign-in (issue 17; docs/security-sign-in.md): a code from an authenticator
app (TOTP, django-otp's ``TOTPDevice``) after the password, or one of ten single-use
recovery codes (django-otp's ``StaticDevice``).

Who must use it: leads, Prevent-cleared leads, auditors, partnership analysts,
administrators and superusers;
frontline staff too when ``SAFECASE_2FA_FRONTLINE`` is on, and otherwise anyone who has
set it up for themselves (``two_factor_needed``). Someone who must and has no app yet
sets one up straight after their password (``casework.sign_in_views``).

A session counts as signed in for such a person only once the code was given
(``TwoFactorMiddleware``): a session made any other way (the Django admin's own sign-in
form) is treated as signed out. A wrong code counts towards the same lockout as a wrong
password (django-axes, by the ``user_login_failed`` signal) and is audited
(``two_factor.failed``), as are set-up, use of a recovery code and an administrator's
reset.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.audit import AuditVerb, audit_record
from casework.roles import Role, roles_of

# Partnership analysts too: they see every team's figures, Prevent's included (issue 21).
REQUIRED_ROLES = frozenset(
    {Role.LEAD, Role.PREVENT_LEAD, Role.AUDITOR, Role.ANALYST, Role.ADMINISTRATOR}
)
RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
KEY_BYTES = 20

# Session keys.
VERIFIED = "safecase_2fa_verified"
PENDING = "safecase_2fa_pending"
SETUP_KEY = "safecase_2fa_setup_key"
SHOW_RECOVERY_CODES = "safecase_2fa_recovery_codes"
# How long the password stays good for while the code is asked for.
PENDING_SECONDS = 10 * 60

CODE_WRONG = "Enter a correct code"


def two_factor_required(user: Any) -> bool:
    """Whether the person must sign in with a second factor, by their role."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    held = roles_of(user)
    if held & REQUIRED_ROLES:
        return True
    return Role.FRONTLINE in held and settings.SAFECASE_2FA_FRONTLINE


def two_factor_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_needed(user: Any) -> bool:
    """Required by role, or set up by the person themselves."""
    return two_factor_required(user) or two_factor_enrolled(user)


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Codes --------------------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _failed(user: Any, request: HttpRequest | None) -> None:
    """A wrong code: counted by django-axes as a failed sign-in (the same lockout as a
    wrong password) and audited by ``casework.signals``."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "two_factor": True},
        request=request,
    )


def two_factor_locked_out(user: Any, request: HttpRequest) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def two_factor_verify(*, user: Any, code: str, request: HttpRequest | None) -> bool:
    """Whether ``code`` is the app's current code or an unused recovery code of ``user``
    (which is then used up). A locked-out account is refused whatever the code, with
    ``request.axes_locked_out`` set, as a wrong password would be."""
    if request is not None and two_factor_locked_out(user, request):
        request.axes_locked_out = True
        return False
    code = _normalise(code)
    if not code:
        _failed(user, request)
        return False
    with transaction.atomic():
        if code.isdigit():
            for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
                if device.verify_token(code):
                    return True
        else:
            for device in StaticDevice.objects.select_for_update().filter(
                user=user, confirmed=True
            ):
                if device.verify_token(code):
                    audit_record(
                        actor=user,
                        verb=AuditVerb.TWO_FACTOR_RECOVERY_USED,
                        target=user,
                        data={"user": user.pk, "recovery_codes_left": recovery_codes_left(user)},
                    )
                    return True
    _failed(user, request)
    return False


# Setting up ---------------------------------------------------------------------------------


def new_key() -> str:
    """A new secret for an authenticator app, hex as django-otp keeps it."""
    return secrets.token_hex(KEY_BYTES)


def key_for_people(key: str) -> str:
    """The key as people type it into an app: base32 in groups of four."""
    text = base64.b32encode(binascii.unhexlify(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def config_url(user: Any, key: str) -> str:
    return TOTPDevice(user=user, key=key, name=APP_DEVICE_NAME).config_url


def qr_svg(user: Any, key: str) -> str:
    """The app's set-up link as an SVG QR code, drawn here (no script, no other site)."""
    return segno.make(config_url(user, key), error="m").svg_inline(
        scale=4,
        title="QR code to scan with your authenticator app",
        svgclass="app-qr-code",
        lineclass=None,
        omitsize=False,
    )


def _matching_step(key: str, code: str) -> int | None:
    code = _normalise(code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = TOTP(binascii.unhexlify(key))
    totp.time = time.time()
    if totp.verify(int(code), tolerance=1):
        return totp.t() + totp.drift
    return None


@transaction.atomic
def two_factor_enrol(*, user: Any, key: str, code: str) -> list[str]:
    """Turn on two-factor sign-in for ``user`` with the app set up with ``key``, once
    ``code`` shows the app has it; replaces any earlier app and recovery codes. Returns
    the new recovery codes, which are shown once."""
    step = _matching_step(key, code)
    if step is None:
        raise ValidationError({"code": [CODE_WRONG]})
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, key=key, confirmed=True, last_t=step)
    codes = _recovery_codes_make(user)
    audit_record(
        actor=user, verb=AuditVerb.TWO_FACTOR_ENROLLED, target=user, data={"user": user.pk}
    )
    return codes


def _recovery_codes_make(user: Any) -> list[str]:
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = []
    while len(codes) < RECOVERY_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@transaction.atomic
def two_factor_reset(*, actor: Any, user: Any, reason: str) -> Any:
    """An administrator turns off someone's app and recovery codes (a lost phone): they
    set up a new one at their next sign-in. Never one's own; audited with the reason."""
    from casework import staff

    staff.require_administrator(actor)
    reason = staff.reason_clean(reason)
    if actor.pk == user.pk:
        raise ValidationError({"reason": ["You cannot reset your own two-factor sign-in"]})
    if not TOTPDevice.objects.filter(user=user).exists():
        raise ValidationError({"reason": ["They have not set up two-factor sign-in"]})
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        verb=AuditVerb.TWO_FACTOR_RESET,
        target=user,
        data={"user": user.pk, "reason": reason},
    )
    return user


# Sessions -----------------------------------------------------------------------------------


def session_verified(request: HttpRequest) -> None:
    request.session[VERIFIED] = int(time.time())


class TwoFactorMiddleware:
    """Treat a session as signed out when its person must use two-factor sign-in and
    did not give a code in it. After ``AuthenticationMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None:
            return self.get_response(request)
        if (
            user.is_authenticated
            and not request.session.get(VERIFIED)
            and two_factor_required(user)
        ):
            request.user = AnonymousUser()
        elif isinstance(user, LazyObject):
            # Read by now (``is_authenticated`` above), so the object itself replaces
            # Django's lazy proxy: a page reads ``request.user`` about 130 times
            # (middleware, access facts, templates), each through the proxy's
            # ``__getattribute__``, which took 0.2-0.4 ms of CPU a page
            # (docs/performance.md, 7 December 2026, a twenty-third session).
            request.user = user._wrapped
        return self.get_response(request)
