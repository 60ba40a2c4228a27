"""Liveness and readiness probes for load balancers and container health checks.

``/healthz``: the process serves requests. ``/readyz``: Safecase can do its work: the
database and the broker answer, and a Celery worker recorded a heartbeat within
``SAFECASE_WORKER_HEARTBEAT_MAX_AGE_SECONDS`` (default 180: three of beat's one-minute
heartbeats). A web container should be health-checked on ``/healthz`` (it serves pages
while workers restart); ``/readyz`` is for monitoring and alerts.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from notifications.selectors import worker_heartbeat_latest

logger = logging.getLogger(__name__)

# Shown to callers instead of the exception, whose text names hosts and ports: the
# probes answer anyone, and only the server's log needs the details.
DATABASE_UNREACHABLE = "the database did not answer"
BROKER_UNREACHABLE = "the broker did not answer"


def _log_failure(what: str, exc: Exception) -> None:
    text = str(exc).strip()
    logger.warning(
        "readyz: %s: %s: %s", what, type(exc).__name__, text.splitlines()[0] if text else ""
    )


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means not ready
        _log_failure("database", exc)
        return DATABASE_UNREACHABLE
    return None


def _broker_ok() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any failure means not ready
        _log_failure("broker", exc)
        return BROKER_UNREACHABLE
    return None


def heartbeat_max_age() -> float:
    return float(settings.SAFECASE_WORKER_HEARTBEAT_MAX_AGE_SECONDS)


def _worker_heartbeat() -> dict | None:
    """The latest worker heartbeat and its age, or None when no worker ever reported."""
    try:
        latest = worker_heartbeat_latest()
    except Exception as exc:  # e.g. the table is not migrated yet
        _log_failure("worker heartbeat", exc)
        return {"error": "the worker heartbeat could not be read"}
    if latest is None:
        return None
    age = (timezone.now() - latest.last_seen).total_seconds()
    return {
        "name": latest.name,
        "last_seen": latest.last_seen.isoformat(),
        "age_seconds": round(max(age, 0.0), 1),
    }


def _worker_problem(heartbeat: dict | None) -> str | None:
    """Why the worker is not judged running: beat asks a worker to record a heartbeat
    every minute, so none within SAFECASE_WORKER_HEARTBEAT_MAX_AGE_SECONDS means no
    worker is consuming the queue (or no beat is sending), and no reminder or email
    would go out."""
    limit = heartbeat_max_age()
    if heartbeat is None:
        return "no worker has reported a heartbeat"
    if "error" in heartbeat:
        return heartbeat["error"]
    if heartbeat["age_seconds"] > limit:
        return f"the latest worker heartbeat is older than {limit:g} seconds"
    return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database, the broker and a worker are there; 503 naming whichever is not.

    The errors say what failed, never how it was reached (hosts, ports, users): the
    probe answers anyone, and the details are in the server's log.
    """
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    heartbeat = None
    if checks["database"] is None:  # the heartbeat is in the database
        heartbeat = _worker_heartbeat()
        checks["worker"] = _worker_problem(heartbeat)
    failed = {name: error for name, error in checks.items() if error}
    if failed:
        return JsonResponse(
            {
                "status": "unavailable",
                "failed": sorted(failed),
                "errors": failed,
                "worker_heartbeat": heartbeat,
                "worker_heartbeat_max_age_seconds": heartbeat_max_age(),
            },
            status=503,
        )
    return JsonResponse(
        {
            "status": "ok",
            "checks": {name: "ok" for name in checks},
            "worker_heartbeat": heartbeat,
            "worker_heartbeat_max_age_seconds": heartbeat_max_age(),
        }
    )
