"""Add England and Wales bank holidays for a range of years (existing rows are kept)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workflows.services import bank_holidays_load


class Command(BaseCommand):
    help = "Load England and Wales bank holidays from the 'holidays' package into the table."

    def add_arguments(self, parser):
        this_year = timezone.localdate().year
        parser.add_argument("--from", dest="first", type=int, default=this_year - 1)
        parser.add_argument("--to", dest="last", type=int, default=this_year + 5)

    def handle(self, *args, first: int, last: int, **options):
        try:
            added = bank_holidays_load(first_year=first, last_year=last)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"Added {added} bank holidays for {first} to {last}.")
