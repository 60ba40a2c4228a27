"""Celery tasks of the notifications app. Tasks stay thin: they call a service."""

from __future__ import annotations

import logging
import socket
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from celery.utils.time import get_exponential_backoff_interval
from django.db import DatabaseError

from notifications.services import (
    DELIVER_MANY_TASK,
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


@shared_task(bind=True, name=DELIVER_MANY_TASK, acks_late=True, max_retries=8, ignore_result=True)
def deliver_outbox_messages(self: Task, message_ids: list[int]) -> int:
    """Send several outbox messages written together, each on its own: one that fails does
    not hold up the rest. Those that failed for a reason worth retrying (the mail server
    unreachable: ``OSError``) are retried as ``deliver_outbox_message`` is, with backoff;
    any other failure leaves its message pending for ``requeue_stale_outbox_messages``.
    A message already sent is left alone, so a repeated task is harmless. Returns how
    many this call sent."""
    sent, retry, last_error = 0, [], None
    for message_id in message_ids:
        try:
            sent += outbox_deliver(message_id=message_id)
        except OSError as exc:
            retry.append(message_id)
            last_error = exc
        except Exception:
            logger.exception("outbox message %s was not delivered; it stays pending", message_id)
    if retry:
        countdown = get_exponential_backoff_interval(
            factor=1, retries=self.request.retries, maximum=600, full_jitter=True
        )
        raise self.retry(args=[retry], exc=last_error, countdown=countdown)
    return sent


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
