"""The application as ``make bench`` serves it: ``config.wsgi``'s, each request's CPU
and time in its SQL measured in the worker that answers it (issue 18: "the application's
own CPU per page ... at p95; report it beside latency").

The worker's CPU time (``time.process_time``: user and system, every thread of the
process) from the call of the application to its answer is put in the request's WSGI
environ as ``safecase.bench.cpu_us`` (microseconds), where gunicorn's access log reads it
(``bench/run.py``, ``ACCESS_LOG_FORMAT``: ``%({safecase.bench.cpu_us}e)s``). What the
worker does around the call (reading the request, writing the answer's bytes, the log
line) is not in it, nor the body of a streamed answer, made as it is written (the
bench's requests stream none); the scenario's CPU per request, taken from every process of the
server, still is (``app_cpu_ms_per_request``).

The wall time the request spent in its SQL statements (``time.perf_counter`` around
each statement Django's connection runs, as ``execute_wrapper`` sees it: the values
bound into it, the round trip, the server's work and its rows received, not yet made
into Python values) is put there too, as ``safecase.bench.sql_us``: beside the server's
time and the CPU it says what the rest of a request's time was, the database under load
or a wait for a core (docs/performance.md, Method). ``COMMIT`` is sent by the connection
rather than as a statement, so its round trip is not in it; nor, as with the CPU, are a
streamed body's statements.

Production serves ``config.wsgi:application`` (docker/gunicorn.conf.py); this wrapper
adds two clock reads a request and two a statement, and is used by the bench only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection

from config.wsgi import application as _application

CPU_KEY = "safecase.bench.cpu_us"
SQL_KEY = "safecase.bench.sql_us"


class _SqlClock:
    """An execute wrapper summing the wall time of the statements it sees."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: dict[str, Any]) -> Any:  # fmt: skip
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    sql = _SqlClock()
    started = time.process_time()
    try:
        with connection.execute_wrapper(sql):
            return _application(environ, start_response)
    finally:
        environ[CPU_KEY] = str(round((time.process_time() - started) * 1_000_000))
        environ[SQL_KEY] = str(round(sql.seconds * 1_000_000))
