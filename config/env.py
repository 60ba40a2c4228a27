"""Reading configuration from the environment, failing fast with one clear line.

A misconfigured deployment must say which variable is wrong and why, not print a
traceback wall. ``ConfigError`` carries that one line; ``manage.py``, WSGI and the
Celery app print it and exit.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, unquote

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SAFECASE_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()


class ConfigError(Exception):
    """A configuration variable is missing or invalid; the message names it."""


def require(name: str, reason: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {reason}")
    return value


def database_config(url: str) -> dict:
    """Parse DATABASE_URL into Django's DATABASES entry, naming the variable on error."""
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several kinds
        raise ConfigError(f"DATABASE_URL is invalid ({exc}); expected postgresql://...") from exc
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ConfigError(
            f"DATABASE_URL must point at PostgreSQL (postgresql://...), got {url.split(':')[0]}://"
        )
    # A Unix-socket directory may come percent-encoded as the host or as ?host=.
    options = config.get("OPTIONS", {})
    if "host" in options:
        config["HOST"] = options.pop("host")
    config["HOST"] = unquote(config.get("HOST", ""))
    return config


def socket_database_url(socket_dir: str, name: str, user: str = "postgres") -> str:
    """A DATABASE_URL for a PostgreSQL server listening on a Unix socket directory."""
    return f"postgresql://{user}@{quote(socket_dir, safe='')}/{name}"


def report_and_exit(exc: ConfigError) -> None:
    """Print one line naming the problem and exit with status 2."""
    import sys

    sys.stderr.write(f"safecase: configuration error: {exc}\n")
    raise SystemExit(2)
