"""Create and grant the application's database role (issue 17; casework/db_roles.py).

Connects as the owner (``DATABASE_OWNER_URL``) to the application's database and makes
``DATABASE_URL``'s role (its name and password) an unprivileged login role that owns
nothing and may only read and add to the audit and row-history tables. Idempotent: run
it before and after every ``migrate`` (docker/entrypoint.sh does).
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.db_roles import roles_setup
from config.env import ConfigError, database_config


def owner_conninfo(database: str) -> dict[str, Any]:
    """psycopg connection arguments for the owner on the application's database."""
    if not settings.DATABASE_OWNER_URL:
        raise CommandError("DATABASE_OWNER_URL is not set: name the owner of the tables")
    try:
        owner = database_config(settings.DATABASE_OWNER_URL)
    except ConfigError as exc:
        raise CommandError(str(exc).replace("DATABASE_URL", "DATABASE_OWNER_URL")) from exc
    info = {
        "dbname": database,
        "user": owner.get("USER") or None,
        "password": owner.get("PASSWORD") or None,
        "host": owner.get("HOST") or None,
        "port": owner.get("PORT") or None,
    }
    return {k: v for k, v in info.items() if v is not None}


class Command(BaseCommand):
    help = "Create the application's database role and grant it only what it needs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")
        parser.add_argument("--app-role", help="The role to set up (default DATABASE_URL's).")
        parser.add_argument(
            "--app-password", help="Its password (default DATABASE_URL's; kept if neither)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = settings.DATABASES[options["database"]]
        app_role = options.get("app_role") or config.get("USER")
        password = options.get("app_password") or (
            None if options.get("app_role") else config.get("PASSWORD")
        )
        if not app_role:
            raise CommandError("DATABASE_URL names no user: the application's role is needed")
        try:
            with psycopg.connect(**owner_conninfo(config["NAME"]), autocommit=True) as conn:
                with conn.cursor() as cursor:
                    done = roles_setup(cursor, app_role=app_role, app_password=password or None)
        except (psycopg.Error, ValueError) as exc:
            raise CommandError(f"could not set up the database roles: {exc}") from exc
        for line in done:
            self.stdout.write(line)
        self.stdout.write(f"OK: {app_role} set up")
