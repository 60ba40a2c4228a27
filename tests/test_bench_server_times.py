"""The bench's server times (bench/run.py): gunicorn's access log, in the bench's format,
read back as each named request's median and 95th percentile at the server, of the
application's CPU in the worker, and of the wall time in its SQL (bench/wsgi.py)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from bench.run import ACCESS_LOG_FORMAT, server_times
from bench.wsgi import CPU_KEY, SQL_KEY


def _logger(path):
    config = Config()
    config.set("accesslog", str(path))
    config.set("access_log_format", ACCESS_LOG_FORMAT)
    return Logger(config)


def _log(logger, name, millis, cpu_us=None, sql_us=None):
    headers = [("HOST", "127.0.0.1")] + ([("X-BENCH-REQUEST", name)] if name else [])
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/", "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/", "QUERY_STRING": "",
    }  # fmt: skip
    if cpu_us is not None:
        environ[CPU_KEY] = str(cpu_us)
    if sql_us is not None:
        environ[SQL_KEY] = str(sql_us)
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=headers)
    logger.access(response, request, environ, datetime.timedelta(milliseconds=millis))


def test_each_named_requests_times_are_read_from_where_the_scenario_began(tmp_path):
    path = tmp_path / "access.log"
    logger = _logger(path)
    _log(logger, "case page", 500)  # an earlier scenario's
    for handler in logger.access_log.handlers:
        handler.flush()
    start = path.stat().st_size
    for millis in range(1, 21):  # 1 ms to 20 ms, a third of it CPU and a half SQL
        _log(logger, "search name (API)", millis, cpu_us=millis * 1000 // 3, sql_us=millis * 500)
    _log(logger, "search reference (API)", 7.5)
    _log(logger, None, 900)  # the bench's own warm-up names no request
    for handler in logger.access_log.handlers:
        handler.flush()

    found = server_times(path, start)

    assert found == {
        "search name (API)": {
            "p50_ms": 10.5, "p95_ms": 19.0, "cpu_p50_ms": 3.5, "cpu_p95_ms": 6.3,
            "sql_p50_ms": 5.2,
        },
        # A line without the CPU and SQL (a server not run by bench/wsgi.py) gives times
        # only.
        "search reference (API)": {"p50_ms": 7.5, "p95_ms": 7.5},
    }  # fmt: skip


def test_the_bench_application_puts_its_cpu_in_the_environ_it_was_called_with():
    from bench import wsgi

    calls = []

    def busy(environ, start_response):
        calls.append(environ)
        sum(i * i for i in range(200_000))  # some CPU
        return [b"ok"]

    environ = {}
    original, wsgi._application = wsgi._application, busy
    try:
        answer = wsgi.application(environ, lambda *args: None)
    finally:
        wsgi._application = original

    assert answer == [b"ok"]
    assert calls == [environ]
    assert int(environ[CPU_KEY]) > 0
    assert environ[SQL_KEY] == "0"  # it ran no SQL


@pytest.mark.django_db
def test_the_bench_application_puts_the_wall_time_of_its_sql_in_the_environ():
    """The time in the database is wall time, which a statement waiting in PostgreSQL
    takes and the worker's CPU does not; the clock is the request's alone."""
    from django.db import connection

    from bench import wsgi

    def waits(environ, start_response):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.02)")
            cursor.execute("SELECT pg_sleep(0.01)")
        return [b"ok"]

    environ = {}
    original, wsgi._application = wsgi._application, waits
    try:
        wsgi.application(environ, lambda *args: None)
    finally:
        wsgi._application = original

    assert connection.execute_wrappers == []
    assert 30_000 <= int(environ[SQL_KEY]) < 80_000
    assert int(environ[CPU_KEY]) < int(environ[SQL_KEY])


def test_each_page_and_write_is_held_to_the_cpu_budget_at_p95_and_reports_are_not():
    from bench.run import APP_CPU_BUDGET_MS, app_cpu_checks

    results = {
        "scenarios": {
            "search": {
                "requests": {
                    "search name (API)": {"app_cpu_p95_ms": APP_CPU_BUDGET_MS},
                    "search phone (API)": {"app_cpu_p95_ms": APP_CPU_BUDGET_MS + 0.1},
                    "search postcode (API)": {"p95_ms": 20.0},  # a log without CPU
                }
            },
            "reports": {"requests": {"report: case statistics": {"app_cpu_p95_ms": 90.0}}},
        }
    }

    checks = {c["budget"]: c["pass"] for c in app_cpu_checks(results)}

    assert checks == {
        f"app CPU p95 search name (API) <= {APP_CPU_BUDGET_MS} ms": True,
        f"app CPU p95 search phone (API) <= {APP_CPU_BUDGET_MS} ms": False,
    }
