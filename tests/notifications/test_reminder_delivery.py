"""Reminders reach people exactly once through a real Celery worker and broker.

Redis when REDIS_URL is set (CI), otherwise the kombu filesystem transport; each test
has its own queue. The deadline sweep writes the outbox rows, the worker delivers them:
across repeated and concurrent sweeps, a delivery that fails and is retried, a worker
killed mid-delivery and replaced, and a broker that was down when the rows committed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from casework.roles import Role
from casework.services import case_allocate
from config.celery import app as celery_app
from config.env import BASE_DIR, socket_database_url
from notifications import services
from notifications.models import Channel, Notification, OutboxMessage, OutboxStatus
from notifications.services import outbox_enqueue, outbox_enqueue_many, outbox_requeue_stale
from tests.notifications.celery_helpers import POLL_SECONDS, poll, reset_broker_pools
from tests.workflows.walker import default_raise
from workflows import modern_slavery
from workflows.models import Deadline
from workflows.reminders import sweep
from workflows.services import bank_holidays_load

LONDON = ZoneInfo("Europe/London")
CHILD = {"subject_estimated_age": 15, "subject_date_of_birth": None}
DUE = datetime(2026, 12, 29, 23, 59, 59, 999999, tzinfo=LONDON)  # Tuesday 29 December 2026
REMIND_BEFORE = datetime(2026, 12, 24, 9, tzinfo=LONDON)
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def staff(make_user, settings):
    """A worker with an email address, the north lead, and a service manager who leads
    north too; a modern slavery case allocated to the worker with one clock due."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    bank_holidays_load(first_year=2026, last_year=2027)
    worker = make_user("frontline.north", Role.FRONTLINE, ["north"])
    worker.email = "worker@example.org"
    worker.save()
    lead = make_user("lead.north", Role.LEAD, ["north"])
    manager = make_user("manager", Role.LEAD, ["north"])
    Group.objects.get_or_create(name="Service managers")[0].user_set.add(manager)
    case = default_raise(modern_slavery.WORKFLOW, worker)(CHILD)
    case = case_allocate(case=case, actor=lead, assignee=worker)
    deadline = Deadline.objects.create(
        case=case, rule="rg_decision", label="Reasonable grounds decision", unit="working_days",
        duration=5, started_at=DUE - timedelta(days=11), due_at=DUE,
    )  # fmt: skip
    OutboxMessage.objects.all().delete()  # the intake and allocation messages
    return {"worker": worker, "lead": lead, "manager": manager, "case": case, "clock": deadline}


def reminder_messages():
    return OutboxMessage.objects.filter(template__startswith="deadline.")


def all_sent():
    messages = reminder_messages()
    total = messages.count()
    return True if total and messages.filter(status=OutboxStatus.SENT).count() == total else None


def in_threads(target, n):
    barrier = threading.Barrier(n)
    errors = []

    def run():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@pytest.mark.celery_real
def test_a_due_clock_is_delivered_once_per_person_and_stage_across_many_sweeps(
    transactional_db, default_queue, staff
):
    with start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, queues=[default_queue]
    ):
        errors = in_threads(lambda: sweep(at=REMIND_BEFORE), 3)  # three sweeps at once
        sweep(at=REMIND_BEFORE)
        # A catch-up past the due day's reminder and the due time: the escalation alone
        # goes; the due-day reminder it overtook is recorded as skipped, never sent.
        catch_up = DUE + timedelta(hours=6)
        errors += in_threads(lambda: sweep(at=catch_up), 3)
        for _ in range(2):
            sweep(at=catch_up)
        later = DUE + timedelta(days=2)  # past the service managers' escalation
        errors += in_threads(lambda: sweep(at=later), 2)
        sweep(at=later)
        delivered = poll(all_sent)

    assert errors == []
    assert delivered, f"not every reminder was delivered within {POLL_SECONDS:g}s"
    per_stage = Notification.objects.values_list(
        "recipient__username", "outbox_message__template"
    ).annotate(n=Count("id"))
    assert sorted(per_stage) == [
        ("frontline.north", "deadline.remind_before", 1),
        ("lead.north", "deadline.escalate_lead", 1),
        ("manager", "deadline.escalate_lead", 1),
        ("manager", "deadline.escalate_manager", 1),
    ]
    # The worker has an address: one email for their reminder.
    assert [m.subject.split(":")[1].strip() for m in mail.outbox] == [
        "Reasonable grounds decision is due by the end of Tuesday 29 December 2026"
    ]
    assert set(reminder_messages().values_list("attempts", flat=True)) == {1}
    notification = Notification.objects.get(outbox_message__template="deadline.escalate_manager")
    assert notification.link == f"/cases/{staff['case'].reference}/"


@pytest.mark.celery_real
def test_a_delivery_that_fails_is_retried_and_sends_once(
    transactional_db, default_queue, staff, monkeypatch
):
    """The mail server refuses the first connection (OSError from the send): the row goes
    back to pending, the task retries with backoff and the email goes once."""
    real_send = services._send_email
    calls = []

    def flaky_send(message):
        calls.append(message.pk)
        if len(calls) == 1:
            raise ConnectionRefusedError("SMTP server not answering")
        return real_send(message)

    monkeypatch.setattr(services, "_send_email", flaky_send)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[default_queue]):
        sweep(at=REMIND_BEFORE)
        delivered = poll(all_sent)

    assert delivered
    assert len(calls) == 2
    assert len(mail.outbox) == 1
    email = reminder_messages().get(channel=Channel.EMAIL)
    assert (email.status, email.attempts) == (OutboxStatus.SENT, 2)  # both tries recorded
    assert "SMTP server not answering" in email.last_error
    assert Notification.objects.count() == 1  # the in-app copy, delivered once


def _database_url() -> str:
    settings = connection.settings_dict
    if settings["HOST"].startswith("/"):
        return socket_database_url(settings["HOST"], settings["NAME"], settings["USER"])
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (
        f"postgresql://{settings['USER']}{password}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.mark.celery_real
def test_a_worker_killed_mid_delivery_is_replaced_and_the_message_delivered_once(
    transactional_db, default_queue, staff, tmp_path
):
    staff["worker"].email = ""  # one message, in-app
    staff["worker"].save()
    marker = tmp_path / "stalled"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SAFECASE_TEST_STALL_MARKER": str(marker),
        "SAFECASE_TEST_BROKER_OPTIONS": json.dumps(celery_app.conf.broker_transport_options),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "tests.notifications.crashing_worker", "worker",
        "--pool=solo", "-Q", default_queue, "-n", f"doomed-{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
    ]  # fmt: skip
    doomed = subprocess.Popen(command, env=env, cwd=BASE_DIR)
    try:
        sweep(at=REMIND_BEFORE)  # one in-app reminder to the allocated worker
        stalled = poll(lambda: marker.exists() or None, seconds=60)
        assert stalled, "the worker never started the delivery"
        doomed.send_signal(signal.SIGKILL)  # killed inside the delivery's transaction
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(10)

    message = reminder_messages().get()
    assert message.status == OutboxStatus.PENDING
    assert not Notification.objects.exists()  # the half-done delivery rolled back

    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[default_queue]):
        # The next sweep re-sends what has been pending too long; the row may stay
        # locked for a moment while the server notices the dead connection.
        stale = timezone.now() + timedelta(minutes=11)
        assert poll(lambda: outbox_requeue_stale(now=stale) or None, seconds=10) == 1
        delivered = poll(all_sent)
        outbox_requeue_stale(now=stale + timedelta(minutes=11))  # a late duplicate task

    assert delivered
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert Notification.objects.filter(outbox_message=message).count() == 1


@pytest.mark.celery_real
def test_messages_queued_while_the_broker_was_down_are_sent_once_when_it_is_back(
    transactional_db, default_queue, staff, monkeypatch
):
    staff["worker"].email = ""  # one message, in-app
    staff["worker"].save()
    warnings = []  # (the worker takes over the root logger, so caplog sees nothing)
    monkeypatch.setattr(services.logger, "warning", lambda text, *args: warnings.append(text))
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[default_queue]):
        saved = celery_app.conf.broker_url
        celery_app.conf.broker_url = UNREACHABLE_BROKER
        reset_broker_pools()
        try:
            sweep(at=REMIND_BEFORE)
        finally:
            celery_app.conf.broker_url = saved
            reset_broker_pools()
        assert "stay pending" in " ".join(warnings)
        assert reminder_messages().get().status == OutboxStatus.PENDING
        assert reminder_messages().get().queued_at is None  # never reached the broker
        # A message that never reached the broker is sent again a minute after it was
        # written, by the real clock (whatever --at says).
        reminder_messages().update(created_at=timezone.now() - timedelta(minutes=2))

        out = StringIO()
        later = (REMIND_BEFORE + timedelta(minutes=11)).isoformat()
        # The clock dates are in December; the message was written today, so "later" is
        # always long after it was written.
        call_command("sweep_deadlines", "--at", later, stdout=out)
        delivered = poll(all_sent)
        again = StringIO()
        call_command("sweep_deadlines", "--at", later, stdout=again)

    assert "outbox messages sent again: 1" in out.getvalue()
    assert "outbox messages sent again: 0" in again.getvalue()
    assert delivered
    assert Notification.objects.count() == 1
    assert reminder_messages().get().attempts == 1


# The outbox services the sweep relies on (no worker) -----------------------------------------


@pytest.fixture
def sends(monkeypatch):
    """Record the delivery tasks the outbox would send instead of sending them."""
    sent: list[int] = []

    def record(ids):
        sent.extend(ids)
        return len(ids)

    monkeypatch.setattr(services, "_send_after_commit", record)
    return sent


def _message(user, **fields):
    return outbox_enqueue(
        recipient_id=user.pk, channel=Channel.IN_APP, template="t", subject="s", body="b",
        **fields,
    )  # fmt: skip


@pytest.mark.django_db
def test_requeue_resends_only_messages_pending_too_long_once_a_period(make_user, sends):
    user = make_user("lead.north", Role.LEAD, ["north"])
    old, recent, done = _message(user), _message(user), _message(user)
    now = timezone.now()
    OutboxMessage.objects.filter(pk__in=[old.pk, done.pk]).update(
        created_at=now - timedelta(minutes=30), queued_at=now - timedelta(minutes=30)
    )
    OutboxMessage.objects.filter(pk=done.pk).update(status=OutboxStatus.SENT)
    sends.clear()

    assert outbox_requeue_stale(now=now) == 1
    assert outbox_requeue_stale(now=now + timedelta(minutes=5)) == 0  # sent again just now
    assert outbox_requeue_stale(now=now + timedelta(minutes=11)) == 2  # old, and recent now
    assert sends == [old.pk, old.pk, recent.pk]


@pytest.mark.django_db
def test_enqueue_many_inserts_in_bulk_and_sends_after_commit(
    make_user, django_capture_on_commit_callbacks, django_assert_num_queries
):
    user = make_user("lead.north", Role.LEAD, ["north"])
    drafts = [
        services.OutboxDraft(
            recipient_id=user.pk,
            channel=Channel.IN_APP,
            template="t",
            subject=f"s{i}",
            body="b",
            dedupe_key=f"k{i}",
        )  # fmt: skip
        for i in range(50)
    ]
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(1):
        ids = outbox_enqueue_many(drafts=drafts)
    assert len(callbacks) == 1
    assert len(set(ids)) == 50
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 50
    assert list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk").values_list(
        "subject", flat=True
    )) == [f"s{i}" for i in range(50)]  # fmt: skip


def _written(ids):
    """Every column of the messages but the id and the times they were written."""
    return [
        {k: v for k, v in row.items() if k not in {"id", "created_at", "queued_at"}}
        for row in OutboxMessage.objects.filter(pk__in=ids).order_by("pk").values()
    ]


@pytest.mark.django_db
def test_many_messages_are_written_as_bulk_create_writes_them(make_user):
    """The written-out insert gives each message what ``bulk_create`` of the model would:
    its defaults (pending, no attempt, no error), no case or link when none is given, and
    the time it was written as the time its task was queued."""
    lead = make_user("lead.north", Role.LEAD, ["north"])
    drafts = [
        services.OutboxDraft(
            recipient_id=lead.pk, channel=Channel.IN_APP, template="case.raised",
            subject="New concern SC-1", body="Waiting for triage.", link="/cases/SC-1/",
        ),
        services.OutboxDraft(
            recipient_id=lead.pk, channel=Channel.EMAIL, template="t", subject="é \"q\"",
            body="", dedupe_key="k",
        ),
    ]  # fmt: skip
    before = timezone.now()
    ids = outbox_enqueue_many(drafts=drafts)
    made = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(**{**dataclasses.asdict(d), "dedupe_key": None}, queued_at=before)
            for d in drafts
        ]
    )
    written, expected = _written(ids), _written([m.pk for m in made])
    expected[1]["dedupe_key"] = "k"
    assert written == expected
    assert written[0]["status"] == OutboxStatus.PENDING
    assert written[0]["attempts"] == 0
    for message in OutboxMessage.objects.filter(pk__in=ids):
        assert message.queued_at == message.created_at >= before


@pytest.mark.django_db
def test_a_manual_sweep_as_of_a_later_time_leaves_queued_messages_alone(make_user, sends):
    """`sweep_deadlines --at <later>` once re-sent the tasks of up to 5,000 messages still
    waiting their turn in the queue (issue 16): staleness is judged by the real clock and
    by when each task reached the broker."""
    user = make_user("lead.north", Role.LEAD, ["north"])
    queued = [_message(user) for _ in range(3)]
    OutboxMessage.objects.update(queued_at=timezone.now())  # the broker took their tasks
    sends.clear()

    out = StringIO()
    call_command("sweep_deadlines", "--at", "2030-01-01T09:00", stdout=out)

    assert "outbox messages sent again: 0" in out.getvalue()
    assert sends == []
    # Queued 11 minutes ago and still pending: a worker lost them; now they go again.
    OutboxMessage.objects.update(queued_at=timezone.now() - timedelta(minutes=11))
    assert outbox_requeue_stale() == 3
    assert sends == [m.pk for m in queued]


@pytest.mark.django_db
def test_a_message_is_written_queued_and_unstamped_when_the_broker_refuses_it(
    make_user, monkeypatch
):
    user = make_user("lead.north", Role.LEAD, ["north"])
    taken, refused = _message(user), _message(user)
    assert taken.queued_at is not None  # its task goes to the broker after the commit

    def broker(name, args, producer):
        if args == [refused.pk]:
            raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_app, "send_task", broker)

    assert services._send_after_commit([taken.pk]) == 1
    assert services._send_after_commit([refused.pk]) == 0

    taken.refresh_from_db()
    refused.refresh_from_db()
    assert taken.queued_at is not None
    assert refused.queued_at is None


@pytest.mark.django_db
def test_messages_written_together_go_to_the_broker_in_batches(make_user, monkeypatch):
    """250 messages are three tasks, not 250 (a raise about a common name wrote 90 and
    spent 87 ms publishing them); the broker refusing the second batch leaves that batch
    and the third unstamped, for the requeue, and the first queued."""
    user = make_user("lead.north", Role.LEAD, ["north"])
    messages = [_message(user) for _ in range(250)]
    ids = [m.pk for m in messages]
    published = []

    def broker(name, args, producer):
        published.append((name, list(args[0]) if isinstance(args[0], list) else args[0]))

    monkeypatch.setattr(celery_app, "send_task", broker)
    assert services._send_after_commit(ids) == 250
    assert [name for name, _ in published] == [services.DELIVER_MANY_TASK] * 3
    assert [batch for _, batch in published] == [ids[:100], ids[100:200], ids[200:]]

    calls = []

    def refusing(name, args, producer):
        calls.append(args)
        if len(calls) == 2:
            raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_app, "send_task", refusing)
    assert services._send_after_commit(ids) == 100
    stamped = OutboxMessage.objects.filter(pk__in=ids, queued_at__isnull=False)
    assert set(stamped.values_list("pk", flat=True)) == set(ids[:100])


@pytest.mark.django_db
def test_a_batch_delivers_each_message_and_retries_only_those_that_failed(make_user, monkeypatch):
    from notifications import tasks

    user = make_user("lead.north", Role.LEAD, ["north"])
    user.email = "lead@example.org"
    user.save()
    in_app = _message(user)
    email = outbox_enqueue(
        recipient_id=user.pk, channel=Channel.EMAIL, template="t", subject="s", body="b"
    )
    later = _message(user)

    def unreachable(message):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(services, "_send_email", unreachable)
    retried = {}

    def retry(args, exc, countdown):
        retried.update(args=args, exc=exc)
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.deliver_outbox_messages, "retry", retry)
    with pytest.raises(RuntimeError):
        tasks.deliver_outbox_messages.run([in_app.pk, email.pk, later.pk])

    assert retried["args"] == [[email.pk]]
    assert isinstance(retried["exc"], ConnectionRefusedError)
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert statuses == {
        in_app.pk: OutboxStatus.SENT,
        email.pk: OutboxStatus.PENDING,
        later.pk: OutboxStatus.SENT,
    }
    assert Notification.objects.filter(recipient=user).count() == 2
    # Run again (the retry, or a duplicate task): nothing is sent twice.
    monkeypatch.setattr(services, "_send_email", lambda message: None)
    assert tasks.deliver_outbox_messages.run([in_app.pk, email.pk, later.pk]) == 1
    assert Notification.objects.filter(recipient=user).count() == 2
