"""Liveness and readiness probes for load balancers and container health checks."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from notifications.selectors import worker_heartbeat_latest


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means not ready
        return _first_line(exc)
    return None


def _broker_ok() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any failure means not ready
        return _first_line(exc)
    return None


def _worker_heartbeat() -> dict | None:
    """The latest worker heartbeat and its age: informational, it never fails readiness.

    Web containers start before workers and may serve while workers restart, so a
    stale heartbeat is for operators and alerts to judge, not a reason to stop traffic.
    """
    try:
        latest = worker_heartbeat_latest()
    except Exception as exc:  # e.g. the table is not migrated yet
        return {"error": _first_line(exc)}
    if latest is None:
        return None
    age = (timezone.now() - latest.last_seen).total_seconds()
    return {
        "name": latest.name,
        "last_seen": latest.last_seen.isoformat(),
        "age_seconds": round(max(age, 0.0), 1),
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the broker are reachable; 503 naming whichever is not."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    failed = {name: error for name, error in checks.items() if error}
    heartbeat = None if "database" in failed else _worker_heartbeat()
    if failed:
        return JsonResponse(
            {
                "status": "unavailable",
                "failed": sorted(failed),
                "errors": failed,
                "worker_heartbeat": heartbeat,
            },
            status=503,
        )
    return JsonResponse(
        {
            "status": "ok",
            "checks": {name: "ok" for name in checks},
            "worker_heartbeat": heartbeat,
        }
    )
