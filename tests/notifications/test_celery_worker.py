"""A real Celery worker runs the heartbeat task sent through the configured broker.

Redis when REDIS_URL is set (CI), otherwise the kombu filesystem transport. Each run
uses its own queue, and with the filesystem transport its own folders, so concurrent
test runs (and a `make run` worker on the same machine) never take each other's
messages.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TypeVar

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from kombu import Exchange, Queue

from config.celery import app as celery_app
from notifications.models import WorkerHeartbeat
from notifications.tasks import record_worker_heartbeat

pytestmark = pytest.mark.celery_real

T = TypeVar("T")
POLL_SECONDS = 20.0


def _reset_broker_pools() -> None:
    """Make the next send pick its connection pool for the current broker settings.

    Only the app's references are dropped: kombu keeps one pool per connection (options
    included) for the whole process, so closing one would break its other users.
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def delete_queue(name: str) -> None:
    """Remove a test queue and its exchange binding from the broker (not only its messages)."""
    with celery_app.connection_for_write() as conn:
        queue = Queue(name, Exchange(name), routing_key=name)(conn.default_channel)
        queue.declare()  # registers the binding with this channel, so delete() unbinds it
        queue.delete()


@pytest.fixture
def private_queue(tmp_path) -> Iterator[str]:
    conf = celery_app.conf
    saved_options = conf.broker_transport_options
    if conf.broker_url.startswith("filesystem"):
        folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
        for folder in folders.values():
            folder.mkdir()
        conf.broker_transport_options = {
            **(saved_options or {}),
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            # Exchange bindings and broadcast; kombu's default is ./control in the cwd.
            "control_folder": str(folders["control"]),
        }
    _reset_broker_pools()
    queue = f"test-heartbeat-{uuid.uuid4().hex}"
    try:
        yield queue
    finally:
        delete_queue(queue)
        conf.broker_transport_options = saved_options
        _reset_broker_pools()


def poll(probe: Callable[[], T | None], seconds: float = POLL_SECONDS) -> T | None:
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


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
