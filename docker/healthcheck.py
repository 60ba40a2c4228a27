"""Container health checks: ``python docker/healthcheck.py [web|worker|beat]``.

Exits 0 when healthy, 1 otherwise (Docker reserves 2), printing one line either way.

- ``web`` (the image's HEALTHCHECK): GET /healthz on the local gunicorn with python's
  urllib. The Host header is the first of ALLOWED_HOSTS, as production refuses others.
- ``worker``: the Celery worker in this container answers a ping (``celery@<hostname>``).
- ``beat``: beat, started with ``--enable-remote-control``, answers a ping
  (``celerybeat@<hostname>``); it stops answering when its scheduler stalls.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path

WEB_URL = os.environ.get("SAFECASE_HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
TIMEOUT_SECONDS = float(os.environ.get("SAFECASE_HEALTHCHECK_TIMEOUT", "5"))


def host_header(allowed_hosts: str) -> str | None:
    """A Host value that ALLOWED_HOSTS accepts: its first entry, made concrete."""
    first = next((h.strip() for h in allowed_hosts.split(",") if h.strip()), "")
    if not first:
        return None
    if first == "*":
        return "localhost"
    return first.lstrip(".")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (e.g. to HTTPS on the public host) is an answer to report, not to follow."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def check_web() -> str:
    request = urllib.request.Request(WEB_URL)  # noqa: S310 - a fixed local http URL
    host = host_header(os.environ.get("ALLOWED_HOSTS", ""))
    if host:
        request.add_header("Host", host)
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
        if response.status != 200:
            raise RuntimeError(f"{WEB_URL} answered {response.status}")
    return f"{WEB_URL} answered 200 (Host: {host or 'from the URL'})"


def check_node(prefix: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from config.celery import app

    node = os.environ.get("SAFECASE_HEALTHCHECK_NODE") or f"{prefix}@{socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=TIMEOUT_SECONDS)
    if not any(node in reply for reply in replies):
        raise RuntimeError(f"{node} did not answer a ping within {TIMEOUT_SECONDS:g}s")
    return f"{node} answered a ping"


CHECKS = {
    "web": check_web,
    "worker": lambda: check_node("celery"),
    "beat": lambda: check_node("celerybeat"),
}


def main(argv: list[str]) -> int:
    kind = argv[1] if len(argv) > 1 else "web"
    if kind not in CHECKS:
        print(f"unhealthy: unknown check {kind!r}; use one of {', '.join(CHECKS)}")
        return 1
    try:
        message = CHECKS[kind]()
    except Exception as exc:  # any failure is "unhealthy"; Docker reads only the exit code
        print(f"unhealthy: {kind}: {exc}")
        return 1
    print(f"healthy: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
