"""Notifications data: the outbox, in-app notifications and the worker heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the periodic heartbeat task.

    Beat sends ``record_worker_heartbeat`` every minute; whichever worker takes it
    stamps its own row, so an old ``last_seen`` means no worker is consuming the queue
    (or beat is not sending). ``/readyz`` is unavailable when it is too old.
    """

    name = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "Email"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # An email handed to the mail server by an attempt that never confirmed it (the worker
    # died between the send and recording it): perhaps sent, so never sent again.
    SENDING = "sending", "Sending (not confirmed)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """A message to send, written in the transaction of the change it reports.

    Delivery happens after commit (``deliver_outbox_message``); a message that is no
    longer pending is never sent again, so retries cannot send twice (DESIGN.md
    "Notifications"). An in-app message is delivered and marked sent in one transaction
    (exactly once). An email is first marked ``sending`` and committed, then sent, then
    marked ``sent``: a worker killed between the send and the last step leaves it
    ``sending``, and it is not sent again (at most once; docs/operations.md).
    ``dedupe_key`` makes a message that must exist at most once (a
    reminder for one deadline stage, say) impossible to queue twice.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    template = models.CharField(max_length=60)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    # The case the message is about, if any: its notification links to the case page.
    case = models.ForeignKey(
        "casework.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When ``outbox_requeue_stale`` last sent the delivery task again for a message still
    # pending (the broker was down at commit, say); it waits as long again before the next.
    requeued_at = models.DateTimeField(null=True, blank=True)
    # When its delivery task was last handed to the broker (written with the row, for the
    # send after commit); null when the broker refused it. The stale sweep judges by this.
    queued_at = models.DateTimeField(null=True, blank=True)
    # When an attempt to email it was recorded (committed) before handing it to the mail
    # server; its Message-ID is derived from the row (``email_message_id``).
    sending_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.template} to {self.recipient_id} ({self.status})"


class Notification(models.Model):
    """An in-app notification in a user's inbox, made by delivering an OutboxMessage."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    outbox_message = models.OneToOneField(
        OutboxMessage, on_delete=models.PROTECT, related_name="notification"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    # The case it is about, if any: the inbox links to its page (issue 19).
    case = models.ForeignKey(
        "casework.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """A user's choices about what Safecase sends them; no row means the defaults.

    In-app notifications are always made: they are the record of what the user was told.
    Email copies of reminders and the daily digest can be turned off.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_reminders = models.BooleanField(
        default=True, help_text="Email me deadline reminders and escalations as well"
    )
    daily_digest = models.BooleanField(
        default=True, help_text="Send me a daily list of deadlines due in the next 5 working days"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"
