"""Fixtures for tests with a real Celery worker: a private queue on the configured broker.

Redis when REDIS_URL is set (CI), otherwise the kombu filesystem transport. Each test
uses its own queue, and with the filesystem transport its own folders, so concurrent
test runs (and a `make run` worker on the same machine) never take each other's
messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from config.celery import app as celery_app
from tests.notifications.celery_helpers import delete_queue, forget_unacked, reset_broker_pools


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
    reset_broker_pools()
    queue = f"test-queue-{uuid.uuid4().hex}"
    try:
        yield queue
    finally:
        forget_unacked(queue)
        delete_queue(queue)
        conf.broker_transport_options = saved_options
        reset_broker_pools()


@pytest.fixture
def default_queue(private_queue) -> Iterator[str]:
    """Tasks sent without a queue (the outbox's delivery tasks) go to the private queue."""
    conf = celery_app.conf
    saved = conf.task_default_queue
    conf.task_default_queue = private_queue
    try:
        yield private_queue
    finally:
        conf.task_default_queue = saved
