"""Notifications data: the worker heartbeat (the outbox and in-app notifications follow)."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the periodic heartbeat task.

    Beat sends ``record_worker_heartbeat`` every minute; whichever worker takes it
    stamps its own row, so an old ``last_seen`` means no worker is consuming the queue
    (or beat is not sending). ``/readyz`` reports the age for operators.
    """

    name = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
