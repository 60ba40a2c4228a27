"""Separate database roles (issue 17, finding 2), on the real PostgreSQL: the application's
role may read and add to the audit and row-history tables and nothing more (no TRUNCATE,
no ALTER TABLE ... DISABLE TRIGGER, no UPDATE, no DELETE), owns nothing, and
``manage.py check --deploy`` fails (safecase.E101) for a database user that could."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection

from casework.db_roles import append_only_tables, privilege_problems
from tests.test_settings import production_env

ROOT = Path(__file__).resolve().parents[2]
APP_PASSWORD = "app-role-password-for-tests"


def _conninfo(settings_dict, **changes) -> dict:
    info = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or "postgres",
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    info.update(changes)
    return {k: v for k, v in info.items() if v is not None}


def database_url_of(settings_dict, *, user: str = "", password: str = "", name: str = "") -> str:
    """A DATABASE_URL for the test database's server: host and port, or the socket
    directory of the embedded server that ``make test`` starts without DATABASE_URL."""
    host = settings_dict.get("HOST") or "127.0.0.1"
    user = user or settings_dict.get("USER") or "postgres"
    auth = f"{user}:{password}" if password else user
    name = name or settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgresql://{auth}@{quote(host, safe='')}/{name}"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{auth}@{host}:{port}/{name}"


def _owner_url(settings_dict) -> str:
    return database_url_of(settings_dict)


@contextlib.contextmanager
def app_role_set_up(settings) -> Iterator[tuple[str, dict]]:
    """A role set up by ``manage.py setup_database_roles`` on the test database (its own
    connection, committed), dropped afterwards; yields its name and the test database's
    settings. Needs the test database (the ``db`` fixture)."""
    role = f"safecase_test_app_{os.getpid()}"
    settings_dict = dict(connection.settings_dict)
    settings.DATABASE_OWNER_URL = _owner_url(settings_dict)
    out = io.StringIO()
    for _ in range(2):  # idempotent
        call_command("setup_database_roles", app_role=role, app_password=APP_PASSWORD, stdout=out)
    assert f"OK: {role} set up" in out.getvalue()
    try:
        yield role, settings_dict
    finally:
        with psycopg.connect(**_conninfo(settings_dict), autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def app_role(db, settings):
    with app_role_set_up(settings) as found:
        yield found


def _as_app(role, settings_dict):
    return psycopg.connect(
        **_conninfo(settings_dict, user=role, password=APP_PASSWORD), autocommit=True
    )


def test_the_append_only_tables_are_the_audit_and_row_history_tables(db):
    tables = append_only_tables()
    expected = {
        "casework_auditevent", "casework_auditchainverification",
        "casework_caseevent", "casework_personevent", "casework_premisesevent",
    }  # fmt: skip
    assert expected <= set(tables)


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE casework_auditevent",
        "TRUNCATE casework_auditevent CASCADE",
        "TRUNCATE casework_caseevent",
        "TRUNCATE casework_auditchainverification",
        "ALTER TABLE casework_auditevent DISABLE TRIGGER ALL",
        "ALTER TABLE casework_auditevent DISABLE TRIGGER USER",
        "ALTER TABLE casework_caseevent DISABLE TRIGGER USER",
        "UPDATE casework_auditevent SET verb = 'forged'",
        "DELETE FROM casework_auditevent",
        "DELETE FROM casework_personevent",
        "UPDATE casework_auditchainverification SET ok = true",
        "DROP TABLE casework_auditevent",
        "CREATE TABLE casework_sneaky (id int)",
    ],
)
def test_the_application_role_cannot_rewrite_the_audit_tables(app_role, statement):
    role, settings_dict = app_role
    with _as_app(role, settings_dict) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_application_role_can_read_and_add_to_them_and_work_normally(app_role):
    role, settings_dict = app_role
    with _as_app(role, settings_dict) as conn:
        conn.execute("SELECT count(*) FROM casework_auditevent").fetchone()
        with conn.transaction():  # rolled back by psycopg.Rollback below
            conn.execute(
                "INSERT INTO casework_auditevent (at, verb, object_type, object_id, data, "
                "names, prev_hash, hash, key_id) VALUES (now(), 'x', '', '', '{}', '{}', "
                "'0', 'test-only-hash', '')"
            )
            # An ordinary table: every row operation.
            conn.execute(
                "INSERT INTO casework_team (slug, name, area, duty_lead_contact, "
                "duty_lead_name, duty_phone) VALUES ('role-test', 'Role test', '', '', '', '')"
            )
            conn.execute("UPDATE casework_team SET area = 'x' WHERE slug = 'role-test'")
            conn.execute("DELETE FROM casework_team WHERE slug = 'role-test'")
            raise psycopg.Rollback
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE casework_team")
        assert privilege_problems(conn.cursor()) == []


def test_the_deploy_check_fails_for_a_user_that_can_rewrite_the_audit_log(db):
    # The tests connect as the superuser that owns everything.
    errors = [m for m in run_checks(include_deployment_checks=True) if m.id == "safecase.E101"]
    assert len(errors) == 1
    assert "is a superuser" in errors[0].msg
    # Nor only for deploy: an ordinary check leaves it alone.
    assert not [m for m in run_checks() if m.id == "safecase.E101"]


def test_the_deploy_check_names_what_an_owner_could_do(app_role):
    role, settings_dict = app_role
    owner_role = f"{role}_owner"
    with psycopg.connect(**_conninfo(settings_dict), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{owner_role}" LOGIN')
        conn.execute(f'GRANT "{owner_role}" TO "{role}"')  # a member of the owner role
        conn.execute(f'ALTER TABLE casework_auditevent OWNER TO "{owner_role}"')
        try:
            with _as_app(role, settings_dict) as app:
                problems = privilege_problems(app.cursor())
        finally:
            conn.execute("ALTER TABLE casework_auditevent OWNER TO CURRENT_USER")
            conn.execute(f'DROP OWNED BY "{owner_role}"')
            conn.execute(f'DROP ROLE "{owner_role}"')
    assert f"{role} can TRUNCATE, UPDATE, DELETE, TRIGGER casework_auditevent" in problems


def test_check_deploy_passes_in_production_as_the_application_role(app_role):
    role, settings_dict = app_role
    env = production_env(
        DATABASE_URL=database_url_of(settings_dict, user=role, password=APP_PASSWORD)
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    owner = production_env(DATABASE_URL=_owner_url(settings_dict))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT, env=owner, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "safecase.E101" in result.stderr + result.stdout


def test_migrate_connects_as_the_owner_when_one_is_named(app_role, settings, monkeypatch):
    """With DATABASE_OWNER_URL, migrate connects with its credentials (here a stand-in
    role, to tell them apart), and the application's connection is itself again after."""
    from django.core.management.commands.migrate import Command as DjangoMigrate
    from django.db import connections

    from casework.management.commands.migrate import Command

    role, settings_dict = app_role
    settings.DATABASE_OWNER_URL = database_url_of(
        settings_dict, user=role, password=APP_PASSWORD, name="ignored"
    )
    seen = []
    monkeypatch.setattr(
        DjangoMigrate,
        "handle",
        lambda self, *args, **options: seen.append(
            dict(connections[options["database"]].settings_dict)
        ),
    )
    Command().handle(database="default")
    assert (seen[0]["USER"], seen[0]["PASSWORD"]) == (role, APP_PASSWORD)
    assert seen[0]["NAME"] == settings_dict["NAME"]  # the same database, always
    assert connections["default"].settings_dict["USER"] == settings_dict["USER"]
