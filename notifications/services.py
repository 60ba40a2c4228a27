"""Notifications writes. Every write is a typed, keyword-only function in one transaction."""

from __future__ import annotations

import dataclasses
import logging
import operator
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.inserts import insert_rows
from notifications.models import (
    Channel,
    Notification,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
    WorkerHeartbeat,
)

logger = logging.getLogger(__name__)
DEFAULT_FROM_DOMAIN = re.compile(r"@([A-Za-z0-9.-]+)")


@transaction.atomic
def worker_heartbeat_record(*, name: str, at: datetime | None = None) -> WorkerHeartbeat:
    """Stamp the worker ``name`` as seen now (or ``at``): one row per worker, upserted."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": at or timezone.now()}
    )
    return heartbeat


def case_link(reference: str) -> str:
    """The case page's path, as a notification's link (the email adds the base URL)."""
    return f"/cases/{reference}/"


def outbox_enqueue(
    *,
    recipient_id: int,
    channel: str,
    template: str,
    subject: str,
    body: str,
    link: str = "",
    dedupe_key: str | None = None,
    case: Any = None,
) -> OutboxMessage | None:
    """Queue a message inside the caller's transaction; it is delivered after commit.

    A message about a ``case`` records it, and links to the case page unless it has a
    ``link`` of its own (a referral's page, say): every notification about a case leads
    to it (issue 19). Returns None when a message with the same ``dedupe_key`` already
    exists.
    """
    case_id = case.pk if case is not None else None
    if case is not None and not link:
        link = case_link(case.reference)
    if dedupe_key is not None:
        message, created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "recipient_id": recipient_id, "channel": channel, "template": template,
                "subject": subject, "body": body, "link": link, "queued_at": timezone.now(),
                "case_id": case_id,
            },
        )  # fmt: skip
        if not created:
            return None
    else:
        message = OutboxMessage.objects.create(
            recipient_id=recipient_id, channel=channel, template=template,
            subject=subject, body=body, link=link, queued_at=timezone.now(), case_id=case_id,
        )  # fmt: skip
    _deliver_after_commit([message.pk])
    return message


@dataclasses.dataclass(frozen=True)
class OutboxDraft:
    """One message for ``outbox_enqueue_many``: the arguments of ``outbox_enqueue``."""

    recipient_id: int
    channel: str
    template: str
    subject: str
    body: str
    link: str = ""
    dedupe_key: str | None = None
    case_id: int | None = None


# What ``outbox_enqueue_many`` writes of a message, in this order: its draft's fields
# (named as the model's attributes), then what every new message has (the times it was
# written and queued, and ``OutboxMessage``'s defaults). The other columns are empty.
_DRAFT_FIELDS = tuple(f.name for f in dataclasses.fields(OutboxDraft))
_draft_values = operator.attrgetter(*_DRAFT_FIELDS)
_NEW_FIELDS = ("created_at", "queued_at", "status", "attempts", "last_error")


def outbox_enqueue_many(*, drafts: Sequence[OutboxDraft]) -> list[int]:
    """Queue many messages in the caller's transaction with one insert per thousand
    (a raise telling its leads, the deadline sweep); return their ids in order.

    Written out (``config.inserts.insert_rows``), not through ``bulk_create``, which
    prepares each value of each message through its field: a raise telling its team's
    five leads spent 1.1 ms of CPU on it, 0.4 written out (docs/performance.md). The rows
    are those ``bulk_create`` writes: every default of ``OutboxMessage`` is given.

    Messages with a ``dedupe_key`` only for callers that already hold the lock that makes
    them unique (the sweep): a ``dedupe_key`` that exists makes the insert fail and the
    caller's transaction roll back, rather than silently dropping a message.
    """
    if not drafts:
        return []
    now = timezone.now()
    new = (now, now, OutboxStatus.PENDING.value, 0, "")
    ids = insert_rows(
        OutboxMessage,
        _DRAFT_FIELDS + _NEW_FIELDS,
        [_draft_values(draft) + new for draft in drafts],
        batch=1000,
    )
    _deliver_after_commit(ids)
    return ids


DELIVER_TASK = "notifications.tasks.deliver_outbox_message"
DELIVER_MANY_TASK = "notifications.tasks.deliver_outbox_messages"
# Messages written together go to the broker as one task per this many: a concern about a
# common name told 90 leads of its possible matches and spent 87 ms publishing 90 tasks
# (docs/performance.md); a sweep catching up a day published 19,000.
DELIVERY_BATCH = 100


class _CommitBatch:
    """The messages one transaction wrote, sent to the broker together once it commits.

    A raise told six leads and published six tasks, one after another (each a round trip
    to the broker, about 2 ms of the request's CPU: docs/performance.md). Every message
    registers the batch's ``flush`` with ``on_commit``, so the first of those callbacks
    that survives sends every message of the batch and the rest find it sent. A callback
    registered in a savepoint that was rolled back is dropped by Django with the
    savepoint, and a batch none of whose callbacks is still registered is not added to:
    a message is always sent by a callback that runs when its own row commits. A batch
    may still name a message of a rolled-back savepoint beside the committed ones; the
    delivery task finds no pending row for it and leaves it (``outbox_deliver``).
    """

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.sent = False

    def flush(self) -> None:
        if not self.sent:
            self.sent = True
            _send_after_commit(self.ids)

    def registered(self) -> bool:
        return any(
            getattr(hook, "__self__", None) is self for _sids, hook, *_ in connection.run_on_commit
        )


def _deliver_after_commit(message_ids: Sequence[int]) -> None:
    """Send the delivery tasks of ``message_ids`` once the caller's transaction commits,
    with the other messages it wrote (``_CommitBatch``); at once outside a transaction."""
    if not connection.in_atomic_block:
        _send_after_commit(message_ids)
        return
    batch = getattr(connection, "_safecase_outbox_batch", None)
    if batch is None or batch.sent or not batch.registered():
        batch = connection._safecase_outbox_batch = _CommitBatch()
    batch.ids.extend(message_ids)
    transaction.on_commit(batch.flush)


def _send_after_commit(message_ids: Sequence[int]) -> int:
    """Send the delivery task of the messages; return how many reached the broker.

    One message has a task of its own; several written together share one task per
    ``DELIVERY_BATCH`` (``deliver_outbox_messages``, which delivers each on its own and
    retries only those that fail). By name: the task module imports this one. A message is
    written with ``queued_at`` set, as its task is expected to reach the broker after the
    commit; if the broker is down, the messages whose task did not reach it lose the
    stamp, stay pending, and ``outbox_requeue_stale`` sends them again a minute later.
    (Stamping after a successful send instead would lock the row just when a worker may
    be taking it, and the worker skips a locked row.)
    """
    ids = list(message_ids)
    sent = 0
    try:
        with current_app.producer_or_acquire() as producer:
            if len(ids) == 1:
                current_app.send_task(DELIVER_TASK, args=[ids[0]], producer=producer)
                sent = 1
            else:
                for start in range(0, len(ids), DELIVERY_BATCH):
                    batch = ids[start : start + DELIVERY_BATCH]
                    current_app.send_task(DELIVER_MANY_TASK, args=[batch], producer=producer)
                    sent += len(batch)
    except Exception:  # the outbox row is the durable record
        logger.warning(
            "could not enqueue %d of %d outbox message(s); they stay pending",
            len(ids) - sent,
            len(ids),
        )
        _mark_not_queued(ids[sent:])
    return sent


def _mark_not_queued(message_ids: list[int]) -> None:
    """No task of these messages is in the broker, so no worker holds their rows."""
    try:
        OutboxMessage.objects.filter(pk__in=message_ids).update(queued_at=None)
    except DatabaseError:  # they are sent again after the stale period instead
        logger.warning("could not record that %d message(s) were not queued", len(message_ids))


def _stale_minutes() -> int:
    return int(getattr(settings, "SAFECASE_OUTBOX_STALE_MINUTES", 10))


# A message whose task never reached the broker (down at commit) is sent again after this
# long: long enough for the commit's own send to have stamped it.
NEVER_QUEUED_GRACE = timedelta(minutes=1)


def outbox_requeue_stale(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Send the delivery task again for messages pending longer than they should be.

    A message stays pending when the broker was unreachable at commit (it was never
    queued), or a worker died holding its task (queued, then lost). The first kind is
    sent again a minute after it was written; the second only once its task has been
    with the broker for longer than ``SAFECASE_OUTBOX_STALE_MINUTES`` (default 10), so
    messages still waiting their turn in the queue are not queued twice and a long
    worker outage does not flood the queue. ``now`` is the real time: a sweep run "as
    of" another time (``sweep_deadlines --at``) judges staleness by the clock, not by
    the time it pretends. Delivery skips a message already sent, so an extra task is
    harmless. Returns how many were re-sent.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=_stale_minutes())
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxStatus.PENDING)
            .filter(
                Q(queued_at__isnull=True, created_at__lte=now - NEVER_QUEUED_GRACE)
                | Q(queued_at__lte=cutoff)
            )
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids).update(requeued_at=now, queued_at=now)
    if ids:
        logger.info("re-sending %d outbox message(s) left pending", len(ids))
    return _send_after_commit(ids) if ids else 0


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one pending message; True if this call sent it.

    The row is locked, so two workers holding the same task cannot both send it; a
    message that is not pending is left alone. An in-app message is made and marked sent
    in one transaction. An email is sent at most once: the attempt is committed (status
    ``sending``) before the mail server is called, so a worker that dies after the send
    leaves a row no later task sends again. A send that raises was not made: the row
    goes back to pending for the task's retry.
    """
    message = _claim(message_id)
    if message is None or message.status != OutboxStatus.SENDING:
        return message is not None and message.status == OutboxStatus.SENT
    try:
        _send_email(message)
    except Exception as exc:
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
            status=OutboxStatus.PENDING, last_error=f"{type(exc).__name__}: {exc}"[:1000]
        )
        raise
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now()
    )
    return True


@transaction.atomic
def _claim(message_id: int) -> OutboxMessage | None:
    """Lock a pending message and either deliver it in-app (SENT), refuse it (FAILED), or
    record the email attempt (SENDING); None if it was not pending."""
    # OF self: locking the joined user row too would make two deliveries to the same
    # person (an in-app and an email copy, say) skip each other and leave one unsent.
    message = (
        OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient")
        .filter(pk=message_id, status=OutboxStatus.PENDING)
        .first()
    )
    if message is None:
        return None
    message.attempts += 1
    if message.channel != Channel.EMAIL:
        Notification.objects.create(
            recipient_id=message.recipient_id, outbox_message=message,
            subject=message.subject, body=message.body, link=message.link,
            case_id=message.case_id, created_at=message.created_at,
        )  # fmt: skip
        message.status, message.sent_at = OutboxStatus.SENT, timezone.now()
    elif not message.recipient.email:
        message.status, message.last_error = OutboxStatus.FAILED, "recipient has no email"
    else:
        message.status, message.sending_at = OutboxStatus.SENDING, timezone.now()
    message.save()
    return message


def email_message_id(message: OutboxMessage) -> str:
    """The email's Message-ID, fixed by the outbox row: a copy sent again by hand carries
    the same one, so mail clients show it once and the mail server's log finds it."""
    domain = DEFAULT_FROM_DOMAIN.search(settings.DEFAULT_FROM_EMAIL)
    return f"<safecase-outbox-{message.pk}@{domain[1] if domain else 'safecase'}>"


def _send_email(message: OutboxMessage) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=_email_body(message),
        to=[message.recipient.email],
        headers={"Message-ID": email_message_id(message)},
    )
    email.send()


def _email_body(message: OutboxMessage) -> str:
    if not message.link:
        return message.body
    return f"{message.body}\n\n{settings.SAFECASE_BASE_URL.rstrip('/')}{message.link}"


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; someone else's is DoesNotExist."""
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notification_preference_set(
    *, user: Any, email_reminders: bool, daily_digest: bool
) -> NotificationPreference:
    """Record whether the user wants reminder emails and the daily digest."""
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_reminders": email_reminders, "daily_digest": daily_digest}
    )
    return preference
