"""The application as ``make bench`` serves it: ``config.wsgi``'s, each request's CPU
measured in the worker that answers it (issue 18: "the application's own CPU per page ...
at p95; report it beside latency").

The worker's CPU time (``time.process_time``: user and system, every thread of the
process) from the call of the application to its answer is put in the request's WSGI
environ as ``safecase.bench.cpu_us`` (microseconds), where gunicorn's access log reads it
(``bench/run.py``, ``ACCESS_LOG_FORMAT``: ``%({safecase.bench.cpu_us}e)s``). What the
worker does around the call (reading the request, writing the answer's bytes, the log
line) is not in it, nor the body of a streamed answer, made as it is written (the
bench's requests stream none); the scenario's CPU per request, taken from every process of the
server, still is (``app_cpu_ms_per_request``).

Production serves ``config.wsgi:application`` (docker/gunicorn.conf.py); this wrapper
adds two clock reads a request and is used by the bench only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from config.wsgi import application as _application

CPU_KEY = "safecase.bench.cpu_us"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    started = time.process_time()
    try:
        return _application(environ, start_response)
    finally:
        environ[CPU_KEY] = str(round((time.process_time() - started) * 1_000_000))
