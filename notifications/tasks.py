"""Celery tasks of the notifications app. Tasks stay thin: they call a service."""

from __future__ import annotations

import logging
import socket
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.db import DatabaseError

from notifications.services import (
    DELIVER_TASK,
    outbox_deliver,
    outbox_requeue_stale,
    worker_heartbeat_record,
)

HEARTBEAT_TASK = "notifications.tasks.record_worker_heartbeat"
REQUEUE_TASK = "notifications.tasks.requeue_stale_outbox_messages"
logger = logging.getLogger(__name__)


@worker_ready.connect
def record_heartbeat_on_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker that has just started is running: say so at once rather than after beat's
    first heartbeat a minute later, so /readyz is not "unavailable" for that minute."""
    name = getattr(sender, "hostname", None) or socket.gethostname()
    try:
        worker_heartbeat_record(name=name)
    except DatabaseError as exc:  # the beat heartbeat will try again
        logger.warning("could not record the heartbeat of %s at start: %s", name, exc)


@shared_task(bind=True, name=HEARTBEAT_TASK, ignore_result=True)
def record_worker_heartbeat(self: Task, name: str | None = None) -> str:
    """Record that a worker is consuming the queue, under ``name`` or the worker's node name."""
    worker = name or self.request.hostname or socket.gethostname()
    worker_heartbeat_record(name=worker)
    return worker


@shared_task(
    bind=True,
    name=DELIVER_TASK,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    ignore_result=True,
)
def deliver_outbox_message(self: Task, message_id: int) -> bool:
    """Send one outbox message; a message already sent is left alone (safe to retry)."""
    return outbox_deliver(message_id=message_id)


@shared_task(
    name=REQUEUE_TASK,
    acks_late=True,
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=3,
    ignore_result=True,
)
def requeue_stale_outbox_messages() -> int:
    """Send again the delivery tasks of messages left pending (beat, every 5 minutes)."""
    return outbox_requeue_stale()
