"""Faults injected into a running Safecase, and what is left when they are over (issue 16).

Each scenario breaks something for real and counts the outcome at the end: nothing lost,
nothing written twice, nothing half-written.

- The database connection killed in the middle of a write (the server terminates the
  request's backend between the transition and its audit event): 503, nothing written;
  the retry writes once.
- A short database outage under the API: every request during it is a JSON 503 with
  Retry-After; the client retries with its Idempotency-Key after it and creates once.
- The broker down when a change commits: the change is kept, its messages wait in the
  outbox, and the stale sweep delivers each once when the broker is back.
- A worker killed (SIGKILL, a real process) in the middle of a batch: with the next worker
  and the sweep, every in-app message is delivered exactly once and every email at most
  once, none lost.

Outages are simulated by pointing connections at a closed port and back, and time by
the sweep's ``now``, so the file runs in well under a minute.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from casework.api_tokens import api_token_issue
from casework.models import ApiIdempotencyKey, AuditEvent, Case
from casework.roles import Role
from config.api_middleware import RETRY_AFTER_SECONDS
from config.celery import app as celery_app
from notifications.models import Channel, Notification, OutboxMessage, OutboxStatus
from notifications.services import outbox_enqueue, outbox_requeue_stale
from tests.notifications.celery_helpers import poll, reset_broker_pools
from tests.notifications.test_email_once import drain, emails_in, start_doomed_worker
from tests.samples import LAWFUL_BASIS_STEP
from workflows import services as workflow_services

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
INTAKE = {
    "case_type": "cse",
    "summary": "Picked up from school by an unknown adult.",
    "subject_given_names": "Amy",
    "subject_family_name": "Walsh",
    "subject_estimated_age": 15,
    "what_has_happened": "Picked up from school by an unknown adult in a car; new phone.",
    "parental_consent": "given",
    "immediate_danger": False,
}
REFER = {"referral_method": "marf", "police_informed": True, **LAWFUL_BASIS_STEP}


def client_for(user) -> APIClient:
    client = APIClient()
    client.raise_request_exception = False
    _, token = api_token_issue(user=user, name="Test client")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def people(transactional_db, make_user):
    lead = make_user("lead.north", Role.LEAD, ["north"])
    lead.email = "lead@example.org"
    lead.save()
    return {"frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]), "lead": lead}


@contextmanager
def database_outage() -> Iterator[None]:
    """Every new connection is refused (a closed port) until the block ends."""
    db = connections["default"]
    saved = {key: db.settings_dict[key] for key in ("HOST", "PORT")}
    db.close()
    db.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        db.close()
        db.settings_dict.update(saved)


@contextmanager
def broker_outage() -> Iterator[None]:
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = UNREACHABLE_BROKER
    reset_broker_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved
        reset_broker_pools()


def terminate_backend(pid: int) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        dbname="postgres", host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"],
        password=db["PASSWORD"] or None, autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_the_database_killed_under_a_write_leaves_nothing_and_the_retry_writes_once(
    people, monkeypatch
):
    client = client_for(people["lead"])
    case = Case.objects.get(reference=client.post("/api/v1/cases/", INTAKE, format="json")
                            .json()["reference"])  # fmt: skip
    events = AuditEvent.objects.filter(case=case).count()
    real_audit = workflow_services.audit_record
    killed = []

    def audit_after_the_server_dies(**kwargs):
        if not killed:  # the transition is saved; the server drops the connection now
            killed.append(connection.connection.info.backend_pid)
            terminate_backend(killed[0])
        return real_audit(**kwargs)

    monkeypatch.setattr(workflow_services, "audit_record", audit_after_the_server_dies)
    url = f"/api/v1/cases/{case.reference}/transitions/refer_to_mash/"

    failed = client.post(url, {"version": 1, **REFER}, format="json")

    assert killed
    assert failed.status_code == 503
    assert failed["Retry-After"] == str(RETRY_AFTER_SECONDS)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.version) == ("concern_raised", 1)
    assert AuditEvent.objects.filter(case=case).count() == events

    retried = client.post(url, {"version": 1, **REFER}, format="json")

    assert retried.status_code == 200
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.version) == ("referred_to_mash", 2)
    assert AuditEvent.objects.filter(case=case, verb="case.transitioned").count() == 1


def test_a_database_outage_is_503_throughout_and_the_retry_with_its_key_creates_once(people):
    client = client_for(people["frontline"])
    key = {"HTTP_IDEMPOTENCY_KEY": f"intake-{uuid.uuid4().hex}"}

    with database_outage():
        during = [client.post("/api/v1/cases/", INTAKE, format="json", **key) for _ in range(3)]
        during.append(client.get("/api/v1/cases/"))

    assert {r.status_code for r in during} == {503}
    assert {r["Retry-After"] for r in during} == {str(RETRY_AFTER_SECONDS)}
    assert not Case.objects.exists()
    after = [client.post("/api/v1/cases/", INTAKE, format="json", **key) for _ in range(2)]
    assert [r.status_code for r in after] == [201, 201]
    assert after[0].json()["reference"] == after[1].json()["reference"]
    assert Case.objects.count() == 1
    assert ApiIdempotencyKey.objects.count() == 1


@pytest.mark.celery_real
def test_the_broker_down_at_commit_loses_nothing_and_sends_once(people, default_queue):
    client = client_for(people["frontline"])
    with broker_outage():
        raised = client.post("/api/v1/cases/", INTAKE, format="json")

    assert raised.status_code == 201  # the change does not depend on the broker
    waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    assert waiting.count() == 1  # the lead's message
    assert waiting.get().queued_at is None

    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[default_queue]):
        later = timezone.now() + timedelta(minutes=2)
        assert outbox_requeue_stale(now=later) == 1
        assert poll(lambda: not waiting.exists() or None)
        assert outbox_requeue_stale(now=later + timedelta(minutes=30)) == 0

    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.get().attempts == 1


@pytest.mark.celery_real
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    people, default_queue, tmp_path, settings
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    marker = tmp_path / "stalled"
    doomed = start_doomed_worker(default_queue, mail_dir, marker)
    try:
        with transaction.atomic():
            messages = [
                outbox_enqueue(
                    recipient_id=people["lead"].pk,
                    channel=channel,
                    template="fault.test",
                    subject=f"Message {n}",
                    body="A clock is due.",
                )  # fmt: skip
                for n, channel in enumerate([Channel.IN_APP, Channel.EMAIL] * 3)
            ]
        assert poll(lambda: marker.exists() or None, seconds=60), "no email was sent"
        doomed.send_signal(signal.SIGKILL)  # after an email was sent, before it was recorded
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(10)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[default_queue]):
        # The tasks the killed worker had not taken wait in the queue for this one; the
        # sweep, later, sends again whatever is still pending. Then everything sent
        # before the drain's marker has been handled.
        outbox_requeue_stale(now=timezone.now() + timedelta(minutes=11))
        drain(default_queue)

    by_status = dict(
        OutboxMessage.objects.filter(template="fault.test").values_list("pk", "status")
    )
    in_app = [m for m in messages if m.channel == Channel.IN_APP]
    emails = [m for m in messages if m.channel == Channel.EMAIL]
    # In-app: exactly once each.
    assert all(by_status[m.pk] == OutboxStatus.SENT for m in in_app)
    assert [Notification.objects.filter(outbox_message=m).count() for m in in_app] == [1, 1, 1]
    # Email: at most once each, and none lost: the interrupted one was sent, and stays
    # "sending" (unconfirmed) rather than being sent again.
    assert [emails_in(mail_dir, m) for m in emails] == [1, 1, 1]
    assert sorted(by_status[m.pk] for m in emails) == [
        OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.SENT,
    ]  # fmt: skip
