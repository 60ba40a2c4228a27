"""Deployment checks of casework (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.db import DatabaseError, connection

from casework.db_roles import privilege_problems


@register("security", deploy=True)
def audit_tables_append_only(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """safecase.E101: the application's database user must not be able to TRUNCATE,
    UPDATE or DELETE the audit and row-history tables, nor own them (so it cannot ALTER
    them or disable their triggers): docs/security.md."""
    try:
        with connection.cursor() as cursor:
            problems = privilege_problems(cursor)
    except DatabaseError as exc:
        return [
            Error(
                f"Could not check the database user's privileges on the audit tables: {exc}",
                hint="Run the deploy checks where the database is reachable.",
                id="safecase.E102",
            )
        ]
    if not problems:
        return []
    return [
        Error(
            "The application's database user can rewrite the audit log: "
            + "; ".join(problems)
            + ".",
            hint="Connect as a role set up by 'manage.py setup_database_roles' (DATABASE_URL), "
            "and run migrations as the owner (DATABASE_OWNER_URL): docs/security.md.",
            id="safecase.E101",
        )
    ]
