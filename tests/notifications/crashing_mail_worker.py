"""A Celery app for a worker process that a test kills between sending an email and
recording that it was sent.

``celery -A tests.notifications.crashing_mail_worker worker`` runs the project's own app
and tasks, with one change: after an email has really been handed to the mail backend
(Django's file backend, writing to ``SAFECASE_TEST_MAIL_DIR``), the delivery writes its
process id to ``SAFECASE_TEST_STALL_MARKER`` and waits there to be killed, before it can
mark the message sent. ``SAFECASE_TEST_BROKER_OPTIONS`` (JSON) points the filesystem
transport at the test's private folders.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402

from config.celery import app  # noqa: E402
from notifications import services  # noqa: E402

if os.environ.get("SAFECASE_TEST_BROKER_OPTIONS"):
    app.conf.broker_transport_options = json.loads(os.environ["SAFECASE_TEST_BROKER_OPTIONS"])
settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
settings.EMAIL_FILE_PATH = os.environ["SAFECASE_TEST_MAIL_DIR"]

_real_send = services._send_email


def _send_then_stall(message):
    _real_send(message)
    Path(os.environ["SAFECASE_TEST_STALL_MARKER"]).write_text(str(os.getpid()))
    time.sleep(600)  # killed long before this ends


services._send_email = _send_then_stall

__all__ = ["app"]
