"""An email is sent at most once, even when the worker dies right after sending it.

Before issue 16 the email was sent inside the delivery's transaction, before its commit:
a worker killed between the two left the message pending, and the next delivery sent it
again. Now the attempt is committed (status ``sending``) before the mail server is
called, so a delivery killed after the send is never repeated, by the broker's
redelivery of the lost task or by the stale-message sweep. The worker is a real process,
killed with SIGKILL; the emails are counted in the files Django's file backend wrote.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction
from django.utils import timezone

from casework.roles import Role
from config.celery import app as celery_app
from config.env import BASE_DIR, socket_database_url
from notifications.models import Channel, OutboxMessage, OutboxStatus, WorkerHeartbeat
from notifications.services import (
    email_message_id,
    outbox_deliver,
    outbox_enqueue,
    outbox_requeue_stale,
)
from notifications.tasks import deliver_outbox_message, record_worker_heartbeat
from tests.notifications.celery_helpers import poll


def database_url() -> str:
    db = connection.settings_dict
    if db["HOST"].startswith("/"):
        return socket_database_url(db["HOST"], db["NAME"], db["USER"])
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def emails_in(folder: Path, message: OutboxMessage) -> int:
    """How many copies of the message the mail backend was given."""
    header = f"Message-ID: {email_message_id(message)}"
    return sum(path.read_text().count(header) for path in folder.glob("*.log"))


@pytest.fixture
def mail_dir(tmp_path, settings) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder)
    return folder


def start_doomed_worker(queue: str, mail_dir: Path, marker: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SAFECASE_TEST_STALL_MARKER": str(marker),
        "SAFECASE_TEST_MAIL_DIR": str(mail_dir),
        "SAFECASE_TEST_BROKER_OPTIONS": json.dumps(celery_app.conf.broker_transport_options),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "tests.notifications.crashing_mail_worker",
        "worker", "--pool=solo", "-Q", queue, "-n", f"doomed-{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=BASE_DIR)  # noqa: S603


def drain(queue: str) -> None:
    """Wait until the worker has taken everything sent before: a heartbeat sent after them
    on the same queue is recorded only once they are done (one solo worker, in order)."""
    name = f"drain-{uuid.uuid4().hex[:8]}"
    record_worker_heartbeat.apply_async(kwargs={"name": name}, queue=queue)
    assert poll(lambda: WorkerHeartbeat.objects.filter(name=name).exists() or None)


@pytest.mark.celery_real
def test_a_worker_killed_between_send_and_commit_never_sends_the_email_again(
    transactional_db, default_queue, make_user, mail_dir, tmp_path
):
    user = make_user("lead.north", Role.LEAD, ["north"])
    user.email = "lead@example.org"
    user.save()
    marker = tmp_path / "stalled"
    doomed = start_doomed_worker(default_queue, mail_dir, marker)
    try:
        with transaction.atomic():
            message = outbox_enqueue(
                recipient_id=user.pk, channel=Channel.EMAIL, template="deadline.due",
                subject="A clock is due", body="SC-2026-000001: a clock is due tomorrow.",
            )  # fmt: skip
        assert poll(lambda: marker.exists() or None, seconds=60), "the send never happened"
        assert emails_in(mail_dir, message) == 1
        doomed.send_signal(signal.SIGKILL)  # after the send, before it was recorded
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(10)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENDING, 1)
    assert message.sending_at is not None

    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[default_queue]):
        # The broker hands the lost task to the next worker; the sweep looks for stale
        # pending messages: neither sends it again.
        deliver_outbox_message.apply_async(args=[message.pk], queue=default_queue)
        assert outbox_requeue_stale(now=timezone.now() + timedelta(minutes=30)) == 0
        drain(default_queue)

    assert outbox_deliver(message_id=message.pk) is False
    assert emails_in(mail_dir, message) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENDING


@pytest.mark.django_db
def test_an_email_carries_a_message_id_fixed_by_its_outbox_row(make_user, mail_dir, settings):
    settings.DEFAULT_FROM_EMAIL = "Safecase <safecase@council.example>"
    user = make_user("lead.north", Role.LEAD, ["north"])
    user.email = "lead@example.org"
    user.save()
    message = outbox_enqueue(
        recipient_id=user.pk, channel=Channel.EMAIL, template="t", subject="s", body="b"
    )

    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False

    assert email_message_id(message) == f"<safecase-outbox-{message.pk}@council.example>"
    assert emails_in(mail_dir, message) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
