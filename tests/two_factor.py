"""Two-factor sign-in in tests (casework.two_factor): a device for a user and a code it
accepts now, for the tests that sign in through the real pages or ask for an API token."""

from __future__ import annotations

import time
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device(user: Any) -> TOTPDevice:
    """The user's confirmed authenticator app, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def totp_code(user: Any) -> str:
    """A code the user's app would show and Safecase accepts now: each code works once, so
    after one was used in this time step, the next step's (within the tolerance)."""
    device = totp_device(user)
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():06d}"


SECOND_STEP = ("/sign-in/code/", "/sign-in/set-up/")


def complete_sign_in(client: Any, response: Any, username: str) -> Any:
    """After the password page's answer: when it asks for the second step, give the code
    (setting up the person's app first if they had none), as the person would; any other
    answer is returned as it was."""
    if response.status_code != 302 or response.url not in SECOND_STEP:
        return response
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return client.post("/sign-in/code/", {"code": totp_code(user)})
