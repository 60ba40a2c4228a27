"""A real Celery worker runs the heartbeat task sent through the configured broker.

Redis when REDIS_URL is set (CI), otherwise the kombu filesystem transport. Each run
uses its own queue, and with the filesystem transport its own folders, so concurrent
test runs (and a `make run` worker on the same machine) never take each other's
messages.
"""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from config.celery import app as celery_app
from notifications.models import WorkerHeartbeat
from notifications.tasks import record_worker_heartbeat
from tests.notifications.celery_helpers import POLL_SECONDS, poll

pytestmark = pytest.mark.celery_real


def test_private_queue_uses_the_configured_broker(private_queue):
    transport = celery_app.connection_for_write().transport_cls
    expected = "redis" if celery_app.conf.broker_url.startswith("redis") else "filesystem"

    assert transport == expected


def test_heartbeat_task_reaches_a_real_worker_through_the_broker(transactional_db, private_queue):
    assert not celery_app.conf.task_always_eager, "the task must travel through the broker"
    node = f"celery@test-{uuid.uuid4().hex[:12]}"

    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        hostname=node,
        queues=[private_queue],
        shutdown_timeout=30,
    ):
        # No name, as beat sends it: the worker stamps the host name Celery gives the
        # task (the node name under prefork; the machine's name under solo, as here).
        record_worker_heartbeat.apply_async(queue=private_queue)
        heartbeat = poll(lambda: WorkerHeartbeat.objects.first())

    assert heartbeat is not None, f"no heartbeat from {node} within {POLL_SECONDS:g}s"
    assert heartbeat.name in {node, socket.gethostname()}
    assert WorkerHeartbeat.objects.count() == 1
    assert timezone.now() - heartbeat.last_seen < timedelta(minutes=1)


def test_a_named_heartbeat_reaches_a_real_worker(transactional_db, private_queue):
    name = f"probe-{uuid.uuid4().hex}"

    with start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, queues=[private_queue]
    ):
        record_worker_heartbeat.apply_async(kwargs={"name": name}, queue=private_queue)
        heartbeat = poll(lambda: WorkerHeartbeat.objects.filter(name=name).first())

    assert heartbeat is not None, f"no heartbeat named {name} within {POLL_SECONDS:g}s"
