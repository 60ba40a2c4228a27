"""Separate database roles (issue 17, finding 2; docs/security.md).

The owner (``DATABASE_OWNER_URL``) owns every table and runs the migrations. The
application connects as another role (``DATABASE_URL``) that owns nothing and holds, on
the append-only tables (the audit log, its verification runs and the row-history
tables: every model with an ``append_only`` trigger, and every pghistory event model),
INSERT and SELECT only: no UPDATE, DELETE, TRUNCATE, TRIGGER or REFERENCES, and since it
is not the owner no ALTER TABLE (so it cannot disable the triggers either). On every
other table it may SELECT, INSERT, UPDATE and DELETE, never TRUNCATE.

``roles_setup`` (``manage.py setup_database_roles``) makes it so, idempotently;
``privilege_problems`` is what the deploy check (``casework.checks``) asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pghistory.models
from django.apps import apps
from psycopg import sql

APPEND_ONLY_TRIGGER = "append_only"
ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_PRIVILEGES = "SELECT, INSERT"


def append_only_tables() -> list[str]:
    """The tables the application may only add to and read."""
    tables = set()
    for model in apps.get_models():
        triggers = getattr(model._meta, "triggers", [])
        if any(getattr(t, "name", "") == APPEND_ONLY_TRIGGER for t in triggers) or issubclass(
            model, pghistory.models.Event
        ):
            tables.add(model._meta.db_table)
    return sorted(tables)


def _role_exists(cursor: Any, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def roles_setup(cursor: Any, *, app_role: str, app_password: str | None) -> list[str]:
    """As the owner (or a superuser) on the application's database: create the app role
    when missing (with this password), keep it unprivileged, give the owner anything the
    app role owned, and grant as above. Returns what was done, in words."""
    done = []
    app = sql.Identifier(app_role)
    cursor.execute("SELECT current_user, current_database()")
    owner, database = cursor.fetchone()
    if owner == app_role:
        raise ValueError("the application's role must not be the owner of the tables")
    if not _role_exists(cursor, app_role):
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(app))
        done.append(f"created role {app_role}")
    cursor.execute(
        sql.SQL("ALTER ROLE {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS").format(app)
    )
    if app_password:
        cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(app, sql.Literal(app_password)))
    # Anything the app role owns (an older single-role deployment) goes to the owner.
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm') "
        "AND pg_get_userbyid(c.relowner) = %s",
        [app_role],
    )
    for (name,) in cursor.fetchall():
        cursor.execute(
            sql.SQL("ALTER TABLE {} OWNER TO {}").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
        done.append(f"gave {name} to {owner}")
    owner_id = sql.Identifier(owner)
    for statement in (
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), app),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(app),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(app),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(app),
        sql.SQL("GRANT " + ROW_PRIVILEGES + " ON ALL TABLES IN SCHEMA public TO {}").format(app),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app),
        # Tables a later migration adds are usable at once; run this command after each
        # migrate so that a new append-only table loses UPDATE and DELETE.
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT "
            + ROW_PRIVILEGES
            + " ON TABLES TO {}"
        ).format(owner_id, app),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE, SELECT "
            "ON SEQUENCES TO {}"
        ).format(owner_id, app),
    ):
        cursor.execute(statement)
    for table in _existing(cursor, append_only_tables()):
        name = sql.Identifier(table)
        cursor.execute(sql.SQL("REVOKE ALL ON {} FROM {}, PUBLIC").format(name, app))
        cursor.execute(
            sql.SQL("GRANT " + APPEND_ONLY_PRIVILEGES + " ON {} TO {}").format(name, app)
        )
        done.append(f"{app_role} may only read and add to {table}")
    return done


def _existing(cursor: Any, tables: Iterable[str]) -> list[str]:
    found = []
    for table in tables:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{table}"])
        if cursor.fetchone()[0]:
            found.append(table)
    return found


def privilege_problems(cursor: Any) -> list[str]:
    """What the connected role can do to the append-only tables that it must not, in
    words (nothing when it is the application role set up as above)."""
    cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
    user, superuser = cursor.fetchone()
    if superuser:
        return [f"the database user {user} is a superuser"]
    problems = []
    for table in _existing(cursor, append_only_tables()):
        cursor.execute(
            "SELECT pg_get_userbyid(c.relowner) = current_user, "
            "has_table_privilege(c.oid, 'TRUNCATE'), has_table_privilege(c.oid, 'UPDATE'), "
            "has_table_privilege(c.oid, 'DELETE'), has_table_privilege(c.oid, 'TRIGGER') "
            "FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [f"public.{table}"],
        )
        owns, *privileges = cursor.fetchone()
        if owns:
            problems.append(f"{user} owns {table}")
        names = ("TRUNCATE", "UPDATE", "DELETE", "TRIGGER")
        can = [p for p, held in zip(names, privileges, strict=True) if held]
        if can:
            problems.append(f"{user} can {', '.join(can)} {table}")
    return problems
