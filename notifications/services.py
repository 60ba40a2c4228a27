"""Notifications writes. Every write is a typed, keyword-only function in one transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from notifications.models import (
    Channel,
    Notification,
    OutboxMessage,
    OutboxStatus,
    WorkerHeartbeat,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def worker_heartbeat_record(*, name: str, at: datetime | None = None) -> WorkerHeartbeat:
    """Stamp the worker ``name`` as seen now (or ``at``): one row per worker, upserted."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": at or timezone.now()}
    )
    return heartbeat


def outbox_enqueue(
    *,
    recipient_id: int,
    channel: str,
    template: str,
    subject: str,
    body: str,
    link: str = "",
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue a message inside the caller's transaction; it is delivered after commit.

    Returns None when a message with the same ``dedupe_key`` already exists.
    """
    if dedupe_key is not None:
        message, created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "recipient_id": recipient_id, "channel": channel, "template": template,
                "subject": subject, "body": body, "link": link,
            },
        )  # fmt: skip
        if not created:
            return None
    else:
        message = OutboxMessage.objects.create(
            recipient_id=recipient_id, channel=channel, template=template,
            subject=subject, body=body, link=link,
        )  # fmt: skip
    transaction.on_commit(lambda: _send_after_commit(message.pk))
    return message


DELIVER_TASK = "notifications.tasks.deliver_outbox_message"


def _send_after_commit(message_id: int) -> None:
    # By name: the task module imports this one. If the broker is down the message stays
    # pending in the database and the sweep re-sends it.
    try:
        current_app.send_task(DELIVER_TASK, args=[message_id])
    except Exception:  # the outbox row is the durable record
        logger.warning("could not enqueue outbox message %s; it stays pending", message_id)


@transaction.atomic
def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one pending message; True if this call sent it.

    The row is locked, so two workers holding the same task cannot both send it; a
    message that is not pending is left alone.
    """
    message = (
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .select_related("recipient")
        .filter(pk=message_id, status=OutboxStatus.PENDING)
        .first()
    )
    if message is None:
        return False
    message.attempts += 1
    if message.channel == Channel.EMAIL:
        if not message.recipient.email:
            message.status, message.last_error = OutboxStatus.FAILED, "recipient has no email"
            message.save()
            return False
        send_mail(message.subject, _email_body(message), None, [message.recipient.email])
    else:
        Notification.objects.create(
            recipient_id=message.recipient_id, outbox_message=message,
            subject=message.subject, body=message.body, link=message.link,
            created_at=message.created_at,
        )  # fmt: skip
    message.status, message.sent_at = OutboxStatus.SENT, timezone.now()
    message.save()
    return True


def _email_body(message: OutboxMessage) -> str:
    if not message.link:
        return message.body
    return f"{message.body}\n\n{settings.SAFECASE_BASE_URL.rstrip('/')}{message.link}"
