"""Wait until the database named by DATABASE_URL accepts connections, for a bounded time.

Containers start in any order: docker/entrypoint.sh runs this before migrating or
starting web, worker or beat, so a database that is still starting delays the
container instead of crashing it, and one that never comes fails with one line.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import OperationalError


def _describe(settings_dict: dict) -> str:
    """Where the database is, without the password: host:port/name."""
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT")
    where = f"{host}:{port}" if port else host
    return f"{where}/{settings_dict.get('NAME', '')}"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Command(BaseCommand):
    help = "Wait until the database named by DATABASE_URL accepts connections."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="Give up after this many seconds (default 60).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between attempts (default 1).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, timeout: float, interval: float, database: str, **options):
        connection = connections[database]
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except OperationalError as exc:
                error = _first_line(exc)
                connection.close()
            else:
                if options["verbosity"] >= 1:
                    self.stdout.write(
                        f"safecase: database {_describe(connection.settings_dict)} is ready"
                    )
                return
            if time.monotonic() + interval > deadline:
                raise CommandError(
                    f"cannot reach the database named by DATABASE_URL "
                    f"({_describe(connection.settings_dict)}) after {attempts} attempts "
                    f"in {timeout:g}s: {error}",
                    returncode=2,
                )
            time.sleep(interval)
