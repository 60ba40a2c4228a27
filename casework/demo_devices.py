"""The demo's authenticator devices (``seed_demo``, ``demo_codes``; issue 17).

Demo users who must sign in with a second factor get a "Demo authenticator" whose key
comes from their username and the demo password, so that it is the same after every
``make run``: ``manage.py demo_codes`` prints each one's current code and its key (to add
to an authenticator app). A device someone set up for themselves is left alone. Never in
production.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.two_factor import two_factor_required

DEMO_DEVICE_NAME = "Demo authenticator"


def demo_key(username: str, password: str) -> str:
    return hashlib.sha256(f"safecase-demo:{username}:{password}".encode()).hexdigest()[:40]


def demo_device_ensure(user: Any, password: str) -> TOTPDevice | None:
    """The user's demo device, made when they need a second factor and have none."""
    if settings.PRODUCTION or not two_factor_required(user):
        return None
    existing = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if existing is not None:
        return existing if existing.name == DEMO_DEVICE_NAME else None
    return TOTPDevice.objects.create(
        user=user,
        name=DEMO_DEVICE_NAME,
        key=demo_key(user.get_username(), password),
        confirmed=True,
    )


def current_code(device: TOTPDevice, at: float) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return f"{totp.token():0{device.digits}d}"
