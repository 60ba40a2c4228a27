"""The Celery app. Tasks live in each app's ``tasks.py``; the beat schedule is in code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("safecase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One beat process sends these (DESIGN.md "Stack"). Entries name tasks by string so this
# module imports no app code. Each expires before its next run, so a backlog left while
# no worker was consuming does not run in a burst when one comes back.
HEARTBEAT_INTERVAL_SECONDS = 60.0

app.conf.beat_schedule = {
    "record-worker-heartbeat": {
        "task": "notifications.tasks.record_worker_heartbeat",
        "schedule": HEARTBEAT_INTERVAL_SECONDS,
        "options": {"expires": HEARTBEAT_INTERVAL_SECONDS - 5},
    },
    # Reminders and escalations (workflows/reminders.py). A missed run loses nothing:
    # the next one acts on every stage that fell due in between.
    "sweep-deadlines": {
        "task": "workflows.tasks.sweep_deadlines",
        "schedule": 300.0,
        "options": {"expires": 290.0},
    },
    # Outbox messages left pending (broker down at commit, a worker lost mid-delivery).
    "requeue-stale-outbox": {
        "task": "notifications.tasks.requeue_stale_outbox_messages",
        "schedule": 300.0,
        "options": {"expires": 290.0},
    },
    # Possible matches whose leads are still to be told (their raise's task never ran).
    "tell-possible-match-leads": {
        "task": "casework.tasks.tell_possible_match_leads",
        "schedule": 300.0,
        "options": {"expires": 290.0},
    },
    # CELERY_TIMEZONE is Europe/London, so this is 07:00 UK time all year.
    "daily-digest": {
        "task": "workflows.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 6 * 3600},
    },
    # Unfinished concerns (workflows/drafts.py) past SAFECASE_DRAFT_RETENTION_DAYS are
    # deleted at 03:15 UK time; a missed night is caught up by the next.
    "expire-intake-drafts": {
        "task": "workflows.tasks.expire_intake_drafts",
        "schedule": crontab(hour=3, minute=15),
        "options": {"expires": 6 * 3600},
    },
    # Idempotency keys of the API's creating requests are kept a day (casework/idempotency.py).
    "expire-idempotency-keys": {
        "task": "casework.tasks.expire_idempotency_keys",
        "schedule": crontab(minute=40),
        "options": {"expires": 3000},
    },
    # A signed checkpoint of the audit chain, written outside the database every hour
    # and emailed to the auditors (casework/audit_checkpoint.py, issue 17).
    "write-audit-checkpoint": {
        "task": "casework.tasks.write_audit_checkpoint",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
    # The audit log's hash chain (casework/audit.py), checked nightly at 02:30 UK time
    # when little is written; the auditor's workspace shows the latest result.
    "verify-audit-chain": {
        "task": "casework.tasks.verify_audit_chain",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 3600},
    },
}
