"""The bench's server times (bench/run.py): gunicorn's access log, in the bench's format,
read back as each named request's median and 95th percentile at the server."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

from bench.run import ACCESS_LOG_FORMAT, server_times


def _logger(path):
    config = Config()
    config.set("accesslog", str(path))
    config.set("access_log_format", ACCESS_LOG_FORMAT)
    return Logger(config)


def _log(logger, name, millis):
    headers = [("HOST", "127.0.0.1")] + ([("X-BENCH-REQUEST", name)] if name else [])
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/", "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/", "QUERY_STRING": "",
    }  # fmt: skip
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
    for millis in range(1, 21):  # 1 ms to 20 ms
        _log(logger, "search name (API)", millis)
    _log(logger, "search reference (API)", 7.5)
    _log(logger, None, 900)  # the bench's own warm-up names no request
    for handler in logger.access_log.handlers:
        handler.flush()

    found = server_times(path, start)

    assert found == {
        "search name (API)": {"p50_ms": 10.5, "p95_ms": 19.0},
        "search reference (API)": {"p50_ms": 7.5, "p95_ms": 7.5},
    }
