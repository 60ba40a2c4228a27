"""Notifications writes. Every write is a typed, keyword-only function in one transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from notifications.models import WorkerHeartbeat


@transaction.atomic
def worker_heartbeat_record(*, name: str, at: datetime | None = None) -> WorkerHeartbeat:
    """Stamp the worker ``name`` as seen now (or ``at``): one row per worker, upserted."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": at or timezone.now()}
    )
    return heartbeat
