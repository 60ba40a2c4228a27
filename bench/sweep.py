"""Benchmark (not a test): one deadline sweep over many open clocks.

    .venv/bin/python -m config.embedded -- .venv/bin/python bench/sweep.py --deadlines 100000

Creates a throwaway database on the server DATABASE_URL points at (``safecase_bench_*``,
dropped afterwards unless ``--keep``), migrates it, and bulk-creates N open clocks on
N/10 cases of 10 teams, due at times spread evenly over 30 days either side of now, with
staff to tell: an allocated worker on most cases, three leads per team (one
Prevent-cleared lead in every team), two service managers, and email addresses for half
of them. Delivery tasks go to a private queue on the configured broker (Redis with
REDIS_URL, else the filesystem transport in a temporary folder), deleted at the end.

Then it times sweeps:

- ``steady``: the usual five-minute sweep. History is seeded as if earlier sweeps had
  run until ``--gap-minutes`` ago (default 5): Reminder rows for every stage that fell
  due before then, and overdue clocks marked missed. The sweep acts on what fell due in
  the gap and scans everything else.
- ``again``: the same sweep repeated at once: nothing left to do.
- ``outage``: with ``--outage-hours H``, history stops H hours ago instead, as after the
  broker and workers were down; the sweep catches up everything in the gap.
- ``cold``: with ``--cold``, no history at all: the first sweep ever over the data,
  every stage of the overdue half at once (hundreds of thousands of messages).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import admin_connection, with_database  # noqa: E402

TEAMS = 10


def _setup_django(url: str, queue: str, broker_dir: Path) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    from config.celery import app

    # The staff's passwords are never used: skip the deliberately slow hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    if app.conf.broker_url.startswith("filesystem"):
        for sub in ("queue", "processed", "control"):
            (broker_dir / sub).mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "store_processed": False,
        }
    app.conf.task_default_queue = queue


def _staff():
    from django.conf import settings
    from django.contrib.auth.models import Group

    from casework.roles import Role
    from casework.services import roles_ensure, team_ensure, user_ensure

    roles_ensure()
    teams = [team_ensure(slug=f"team-{i}", name=f"Team {i}") for i in range(TEAMS)]
    password = uuid.uuid4().hex

    def user(name, role, in_teams, email=True):
        address = f"{name}@example.org" if email else ""
        return user_ensure(
            username=name, password=password, role=role, teams=in_teams, email=address
        )

    workers = {t.pk: [user(f"worker-{t.slug}-{j}", Role.FRONTLINE, [t], j % 2 == 0)
                      for j in range(5)] for t in teams}  # fmt: skip
    for t in teams:
        for j in range(2):
            user(f"lead-{t.slug}-{j}", Role.LEAD, [t], j == 0)
    user("prevent-lead", Role.PREVENT_LEAD, teams)
    managers, _ = Group.objects.get_or_create(name=settings.SAFECASE_SERVICE_MANAGER_GROUP)
    for j in range(2):
        managers.user_set.add(user(f"manager-{j}", Role.AUDITOR, [], j == 0))
    return teams, workers


def seed(n: int, rng: random.Random) -> None:
    """N open clocks on N/10 cases, due evenly over 30 days either side of now."""
    from django.utils import timezone

    from casework.models import Case
    from workflows.models import Deadline
    from workflows.registry import WORKFLOWS

    teams, workers = _staff()
    now = timezone.now()
    types = list(WORKFLOWS.values())
    cases = []
    for i in range(max(n // 10, 1)):
        team = teams[i % TEAMS]
        workflow = types[i % len(types)]
        owner = rng.choice(workers[team.pk]) if rng.random() < 0.7 else None
        cases.append(
            Case(
                reference=f"BN-{i:07d}",
                case_type=workflow.case_type,
                state=workflow.initial_state,
                summary="Benchmark case.",
                team=team,
                owner=owner,
                raised_by=workers[team.pk][0],
                raised_at=now - timedelta(days=60),
            )  # fmt: skip
        )
    cases = Case.objects.bulk_create(cases, batch_size=2000)
    span = timedelta(days=30).total_seconds()
    clocks = []
    for i in range(n):
        due = now + timedelta(seconds=rng.uniform(-span, span))
        clocks.append(
            Deadline(
                case=cases[i % len(cases)],
                rule="bench",
                label="Strategy discussion",
                unit="working_days",
                duration=5,
                due_at=due,
                started_at=due - timedelta(days=rng.randint(5, 20)),
            )  # fmt: skip
        )
    Deadline.objects.bulk_create(clocks, batch_size=5000)


def seed_history(until) -> tuple[int, int]:
    """Reminder rows for every stage due before ``until``, as earlier sweeps left them,
    and overdue clocks marked missed (no messages: those were delivered long ago)."""
    from workflows.clocks import bank_holidays
    from workflows.models import Deadline, DeadlineStatus, Reminder
    from workflows.reminders import ReminderPolicy, stage_schedule

    policy, holidays = ReminderPolicy.from_settings(), bank_holidays(until)
    rows = []
    for pk, due_at, started_at in Deadline.objects.values_list("pk", "due_at", "started_at"):
        for stage in stage_schedule(
            due_at=due_at, started_at=started_at, holidays=holidays, policy=policy
        ):
            if stage.at <= until:
                rows.append(
                    Reminder(
                        deadline_id=pk,
                        stage=stage.stage,
                        due_at=due_at,
                        scheduled_for=stage.at,
                        acted_at=stage.at,
                        recipients=1,
                        skipped=not stage.applies,
                    )  # fmt: skip
                )
    Reminder.objects.bulk_create(rows, batch_size=10000)
    missed = Deadline.objects.filter(due_at__lte=until).update(status=DeadlineStatus.MISSED)
    return len(rows), missed


def timed_sweep(label: str, at) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from notifications import services
    from workflows.reminders import sweep

    publishing = [0.0]
    send = services._send_after_commit

    def timed_send(ids):
        started = time.perf_counter()
        try:
            return send(ids)
        finally:
            publishing[0] += time.perf_counter() - started

    services._send_after_commit = timed_send
    reset_queries()
    try:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            report = sweep(at=at)
            seconds = time.perf_counter() - started
    finally:
        services._send_after_commit = send
    acted = sum(report.acted.values())
    messages = sum(report.messages.values())
    print(
        f"{label:8} {seconds:8.2f} s  (of which {publishing[0]:6.2f} s publishing tasks)  "
        f"{len(queries):6d} queries  {report.missed:7d} missed  {acted:7d} stages sent  "
        f"{sum(report.skipped.values()):6d} skipped  {messages:7d} messages"
    )


def run(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from workflows.models import Deadline, Reminder

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    seed(args.deadlines, random.Random(args.seed))  # noqa: S311 (not security)
    print(
        f"seeded {Deadline.objects.count()} open clocks on {args.deadlines // 10} cases "
        f"in {time.perf_counter() - started:.1f} s"
    )
    now = timezone.now()
    if args.cold:
        timed_sweep("cold", now)
        return
    gap = (
        timedelta(hours=args.outage_hours)
        if args.outage_hours
        else timedelta(minutes=args.gap_minutes)
    )
    history, missed = seed_history(now - gap)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have, in a running system
    print(f"history until {gap} ago: {history} reminder rows, {missed} clocks missed")
    timed_sweep("outage" if args.outage_hours else "steady", now)
    timed_sweep("again", now)
    print(f"reminder rows now: {Reminder.objects.count()}")


def _delete_queue(queue: str) -> None:
    from kombu import Exchange, Queue

    from config.celery import app

    with app.connection_for_write() as conn:
        bound = Queue(queue, Exchange(queue), routing_key=queue)(conn.default_channel)
        bound.declare()
        bound.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--gap-minutes", type=int, default=5)
    parser.add_argument("--outage-hours", type=float, default=0)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set: run under python -m config.embedded --")
    name = f"safecase_bench_{uuid.uuid4().hex[:8]}"
    with admin_connection(url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    broker_dir = Path(tempfile.mkdtemp(prefix="safecase-bench-"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    print(f"database {name}, {args.deadlines} clocks, private queue {queue}")
    try:
        _setup_django(with_database(url, name), queue, broker_dir)
        run(args)
    finally:
        from django.db import connections

        try:
            _delete_queue(queue)
        finally:
            shutil.rmtree(broker_dir, ignore_errors=True)
            connections.close_all()
            if not args.keep:
                with admin_connection(url) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
