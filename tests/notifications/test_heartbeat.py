"""The worker heartbeat: the service upserts one row per worker; the task calls it."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from celery.signals import worker_ready
from django.utils import timezone

from config.celery import HEARTBEAT_INTERVAL_SECONDS
from config.celery import app as celery_app
from notifications.models import WorkerHeartbeat
from notifications.selectors import worker_heartbeat_latest
from notifications.services import worker_heartbeat_record
from notifications.tasks import HEARTBEAT_TASK, record_worker_heartbeat

pytestmark = pytest.mark.django_db


def test_record_creates_then_updates_one_row_per_worker():
    earlier = timezone.now() - timedelta(minutes=5)

    worker_heartbeat_record(name="celery@a", at=earlier)
    worker_heartbeat_record(name="celery@a")
    worker_heartbeat_record(name="celery@b", at=earlier)

    assert WorkerHeartbeat.objects.count() == 2
    assert WorkerHeartbeat.objects.get(name="celery@a").last_seen > earlier


def test_latest_is_the_most_recently_seen_worker():
    now = timezone.now()
    worker_heartbeat_record(name="celery@a", at=now - timedelta(minutes=3))
    worker_heartbeat_record(name="celery@b", at=now - timedelta(minutes=1))

    assert worker_heartbeat_latest().name == "celery@b"


def test_latest_is_none_before_any_worker_reported():
    assert worker_heartbeat_latest() is None


def test_task_records_the_given_name():
    result = record_worker_heartbeat.apply(kwargs={"name": "celery@given"})

    assert result.successful(), result.traceback
    assert WorkerHeartbeat.objects.filter(name="celery@given").exists()


def test_task_without_a_name_uses_the_host_it_runs_on():
    # Run in-process the request's hostname is this host; a worker's is its node name
    # (test_celery_worker.py).
    result = record_worker_heartbeat.apply()

    assert result.get() == socket.gethostname()
    assert WorkerHeartbeat.objects.filter(name=socket.gethostname()).exists()


def test_beat_sends_the_heartbeat_every_minute():
    entries = [
        entry for entry in celery_app.conf.beat_schedule.values() if entry["task"] == HEARTBEAT_TASK
    ]

    assert len(entries) == 1
    assert entries[0]["schedule"] == HEARTBEAT_INTERVAL_SECONDS == 60
    # A heartbeat left queued while no worker ran is dropped, not replayed in a burst.
    assert entries[0]["options"]["expires"] < HEARTBEAT_INTERVAL_SECONDS


def test_the_scheduled_task_is_registered_under_its_scheduled_name():
    celery_app.loader.import_default_modules()

    assert record_worker_heartbeat.name == HEARTBEAT_TASK
    assert HEARTBEAT_TASK in celery_app.tasks


def test_a_worker_records_a_heartbeat_as_soon_as_it_is_ready():
    """/readyz judges the heartbeat's age; a new worker must not wait a minute for beat."""

    class Consumer:
        hostname = "celery@fresh"

    worker_ready.send(sender=Consumer())

    assert worker_heartbeat_latest().name == "celery@fresh"
