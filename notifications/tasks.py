"""Celery tasks of the notifications app. Tasks stay thin: they call a service."""

from __future__ import annotations

import socket

from celery import Task, shared_task
from django.db import DatabaseError

from notifications.services import (
    DELIVER_TASK,
    outbox_deliver,
    outbox_requeue_stale,
    worker_heartbeat_record,
)

HEARTBEAT_TASK = "notifications.tasks.record_worker_heartbeat"
REQUEUE_TASK = "notifications.tasks.requeue_stale_outbox_messages"


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
