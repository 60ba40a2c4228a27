"""The demo stays usable with two-factor sign-in (issue 17; casework.demo_devices): the
demo users who need a code have a demo device, and ``demo_codes`` prints a code that
signs them in."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
PASSWORD = "a-demo-password-2026"


def test_seed_demo_gives_those_who_need_a_code_a_device_that_demo_codes_shows(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    call_command("seed_demo", password=PASSWORD, stdout=io.StringIO())
    call_command("seed_demo", password=PASSWORD, stdout=io.StringIO())  # idempotent

    with_device = set(TOTPDevice.objects.values_list("user__username", flat=True))
    assert with_device == {
        "lead.north",
        "lead.south",
        "prevent.lead",
        "auditor",
        "analyst",
        "admin",
    }
    out = io.StringIO()
    call_command("demo_codes", stdout=out)
    code = re.search(r"lead\.north\s+(\d{6})\s+key [A-Z2-7 ]+", out.getvalue()).group(1)

    response = client.post("/sign-in/", {"username": "lead.north", "password": PASSWORD})
    assert response.url == "/sign-in/code/"
    done = client.post("/sign-in/code/", {"code": code})
    assert done.url == "/"
    assert client.get("/").status_code == 200


def test_demo_codes_is_not_for_production(settings, db):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("demo_codes", stdout=io.StringIO())
