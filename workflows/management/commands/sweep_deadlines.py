"""Run the deadline sweep once, now or as of a given time, and say what it did.

The same sweep beat runs every 5 minutes (workflows/reminders.py): reminders and
escalations due by then are sent, exactly once, and outbox messages left pending too
long have their delivery sent again. For operators after an outage, and for tests.
"""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.services import outbox_requeue_stale
from workflows.reminders import sweep


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is UK local time (Europe/London)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--at must be an ISO 8601 date and time such as 2026-12-29T09:00 or "
            f"2026-12-29T09:00:00+00:00, not {text!r}"
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Send the deadline reminders and escalations due now (or as of --at), once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            help="act as of this ISO 8601 time (UK local time if it has no offset)",
        )

    def handle(self, *args, at: str | None = None, **options):
        moment = parse_moment(at) if at else timezone.now()
        report = sweep(at=moment)
        for line in report.lines():
            self.stdout.write(line)
        # By the real clock, whatever --at says: a message queued a moment ago is not
        # stale because the sweep pretends it is later.
        requeued = outbox_requeue_stale()
        self.stdout.write(f"outbox messages sent again: {requeued}")
