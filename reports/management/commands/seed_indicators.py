"""Load the demo performance indicators (reports/demo.py); idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casework.roles import Role
from reports.demo import demo_indicators_seed
from reports.indicators import last_complete_month


class Command(BaseCommand):
    help = "Define the demo performance indicators with 24 months of values."

    def handle(self, *args, **options):
        admin = (
            get_user_model()
            .objects.filter(groups__name=Role.ADMINISTRATOR.group_name, is_active=True)
            .order_by("pk")
            .first()
        )
        if admin is None:
            raise CommandError("No administrator to enter the values as: run seed_demo first.")
        added = demo_indicators_seed(admin, last_complete_month())
        self.stdout.write(f"Demo indicators ready ({added} values added).")
