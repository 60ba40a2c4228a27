"""A Celery app for a worker process that a test kills in the middle of a delivery.

``celery -A tests.notifications.crashing_worker worker`` runs the project's own app and
tasks, with one change: an in-app delivery stops inside its transaction, after writing
the Notification row and before committing, and waits there to be killed. It first
writes its process id to ``SAFECASE_TEST_STALL_MARKER`` so the test knows when.
``SAFECASE_TEST_BROKER_OPTIONS`` (JSON) points the filesystem transport at the test's
private folders.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from config.celery import app  # noqa: E402
from notifications import services  # noqa: E402

if os.environ.get("SAFECASE_TEST_BROKER_OPTIONS"):
    app.conf.broker_transport_options = json.loads(os.environ["SAFECASE_TEST_BROKER_OPTIONS"])

_real_model = services.Notification


class _StallingManager:
    def create(self, **fields):
        row = _real_model.objects.create(**fields)
        Path(os.environ["SAFECASE_TEST_STALL_MARKER"]).write_text(str(os.getpid()))
        time.sleep(600)  # killed long before this ends
        return row


class _StallingNotification:
    objects = _StallingManager()


services.Notification = _StallingNotification

__all__ = ["app"]
