"""Print the current two-factor codes of the demo users (``casework.demo_devices``)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.demo_devices import DEMO_DEVICE_NAME, current_code
from casework.two_factor import key_for_people


class Command(BaseCommand):
    help = "Show each demo user's current sign-in code, and the key to add to an app."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_codes is for the demo only, not production.")
        devices = (
            TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, confirmed=True)
            .select_related("user")
            .order_by("user__username")
        )
        if not devices:
            raise CommandError("No demo devices: run manage.py seed_demo first.")
        now = time.time()
        left = 30 - int(now) % 30
        self.stdout.write(f"Codes for the next {left} seconds (then run this again):")
        for device in devices:
            self.stdout.write(
                f"  {device.user.get_username():<16} {current_code(device, now)}"
                f"   key {key_for_people(device.key)}"
            )
