"""Celery tasks of the workflows app: thin wrappers over ``workflows.reminders``.

Both are safe to run twice or at once (the sweep's unique rows and locks, the digest's
dedupe keys), so they acknowledge late and retry with backoff when the database or the
broker fails for a moment.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from workflows.drafts import drafts_expire
from workflows.reminders import digest_send, sweep

logger = logging.getLogger(__name__)

SWEEP_TASK = "workflows.tasks.sweep_deadlines"
DIGEST_TASK = "workflows.tasks.send_daily_digests"
EXPIRE_DRAFTS_TASK = "workflows.tasks.expire_intake_drafts"

_RETRY = {
    "acks_late": True,
    "autoretry_for": (OSError, DatabaseError),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(name=SWEEP_TASK, **_RETRY)
def sweep_deadlines() -> dict[str, int]:
    """Send the reminders and escalations that are due (beat, every 5 minutes)."""
    report = sweep()
    logger.info("; ".join(report.lines()))
    return {
        "missed": report.missed,
        "ended": report.ended,
        **{str(k): v for k, v in report.messages.items()},
    }


@shared_task(name=DIGEST_TASK, **_RETRY)
def send_daily_digests() -> int:
    """Send each person their digest of deadlines due soon (beat, 07:00 UK time)."""
    return digest_send().sent


@shared_task(name=EXPIRE_DRAFTS_TASK, **_RETRY)
def expire_intake_drafts() -> int:
    """Delete unfinished concerns past SAFECASE_DRAFT_RETENTION_DAYS (beat, daily)."""
    deleted = drafts_expire()
    logger.info("expired %d intake draft(s)", deleted)
    return deleted
