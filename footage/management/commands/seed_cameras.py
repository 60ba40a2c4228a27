"""Load the demo camera register: 120 public-space cameras whose footage is overwritten
after 28 or 31 days (issue 22); idempotent, and it never changes a camera already there."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from footage.models import Camera

STREETS = [
    "High Street", "Market Square", "Bus station", "Station Road", "Mill Lane",
    "Canal Street", "Church Street", "Victoria Park", "Northgate car park", "Queen Street",
    "Riverside walk", "Southgate shopping centre",
]  # fmt: skip
COUNT = 120


class Command(BaseCommand):
    help = "Create the demo camera register (120 cameras, 28- or 31-day retention)."

    @transaction.atomic
    def handle(self, *args, **options):
        made = 0
        for n in range(1, COUNT + 1):
            _, created = Camera.objects.get_or_create(
                camera_id=f"CAM-{n:03d}",
                defaults={
                    "location": f"{STREETS[n % len(STREETS)]}, camera {n}",
                    # Older recorders keep 28 days, newer ones 31.
                    "retention_days": 28 if n % 3 == 0 else 31,
                },
            )
            made += created
        self.stdout.write(f"Camera register ready: {COUNT} cameras ({made} added).")
