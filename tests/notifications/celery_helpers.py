"""Helpers for tests that run a real Celery worker against the configured broker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

from kombu import Exchange, Queue

from config.celery import app as celery_app

T = TypeVar("T")
POLL_SECONDS = 20.0


def reset_broker_pools() -> None:
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


def forget_unacked(queue: str) -> None:
    """Drop Redis's record of messages of ``queue`` taken by a worker that died before
    acknowledging them (kombu would put them back on the deleted queue an hour later)."""
    if not celery_app.conf.broker_url.startswith("redis"):
        return
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        for tag, raw in client.hgetall("unacked").items():
            _, _, routing_key = json.loads(raw)
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


def poll(probe: Callable[[], T | None], seconds: float = POLL_SECONDS) -> T | None:
    """Ask ``probe`` every 0.2 s until it returns something other than None."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
