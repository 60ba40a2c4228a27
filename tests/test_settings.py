"""Settings fail fast with one clear line, and production passes Django's deployment checks.

Each test runs ``manage.py`` in a subprocess with a controlled environment, as a
container or an operator would.
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Variables that would change what production settings do; unset so the parent shell
# cannot mask a failure.
OVERRIDES = ("DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD")


def random_secret_key(length: int = 60) -> str:
    alphabet = string.ascii_letters + string.digits + "-_!@#%^&*"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def production_env(**changes: str | None) -> dict[str, str]:
    """The test environment turned production; a change of None unsets that variable."""
    env = os.environ.copy()
    for name in OVERRIDES:
        env.pop(name, None)
    env.update(
        SAFECASE_ENV="production",
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="safecase.example.org",
        DATABASE_URL=os.environ["DATABASE_URL"],
        SAFECASE_AUDIT_KEY=random_secret_key(40),
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_naming(result: subprocess.CompletedProcess[str], variable: str) -> str:
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 2, output
    assert "Traceback" not in result.stderr, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, output
    assert variable in lines[0], output
    assert lines[0].startswith("safecase: "), output
    return lines[0]


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        pytest.param({"SECRET_KEY": None}, "SECRET_KEY", id="secret-key-unset"),
        pytest.param({"SECRET_KEY": "   "}, "SECRET_KEY", id="secret-key-blank"),
        pytest.param({"SECRET_KEY": "x" * 49}, "SECRET_KEY", id="secret-key-too-short"),
        pytest.param({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS", id="allowed-hosts-unset"),
        pytest.param({"SAFECASE_AUDIT_KEY": None}, "SAFECASE_AUDIT_KEY", id="audit-key-unset"),
        pytest.param(
            {"SAFECASE_AUDIT_KEY": "k" * 31}, "SAFECASE_AUDIT_KEY", id="audit-key-too-short"
        ),
        pytest.param({"DEBUG": "true"}, "DEBUG", id="debug-on-in-production"),
        pytest.param(
            {"DATABASE_URL": "mysql://safecase:pw@127.0.0.1:3306/safecase"},
            "DATABASE_URL",
            id="database-url-mysql",
        ),
        pytest.param({"DATABASE_URL": None}, "DATABASE_URL", id="database-url-unset"),
        pytest.param({"SAFECASE_ENV": "staging"}, "SAFECASE_ENV", id="unknown-environment"),
    ],
)
def test_misconfiguration_stops_with_one_line_naming_the_variable(changes, variable):
    result = manage("check", env=production_env(**changes))

    line = assert_one_line_naming(result, variable)
    assert line.startswith("safecase: configuration error: ")


def test_development_without_database_url_names_it():
    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    env["SAFECASE_ENV"] = "development"

    assert_one_line_naming(manage("check", env=env), "DATABASE_URL")


def test_secret_key_is_never_echoed_in_the_error():
    short_key = "do-not-print-me-" + "k" * 20

    result = manage("check", env=production_env(SECRET_KEY=short_key))

    assert_one_line_naming(result, "SECRET_KEY")
    assert short_key not in result.stderr


def test_production_passes_the_deployment_checks_without_warnings():
    """Connected as the tests' superuser, the one issue is that it could rewrite the audit
    log (safecase.E101); as the application's role it passes outright
    (tests/casework/test_db_roles.py)."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "System check identified 1 issue" in result.stderr, output
    assert "(safecase.E101)" in result.stderr, output
    assert "WARNINGS" not in result.stdout + result.stderr, output
    assert "Traceback" not in result.stderr, output


def test_unreachable_database_gives_one_line_naming_database_url():
    env = production_env(DATABASE_URL="postgresql://postgres@127.0.0.1:1/x")

    result = manage("migrate", "--noinput", env=env)

    line = assert_one_line_naming(result, "DATABASE_URL")
    assert "127.0.0.1" in line


def test_production_probes_answer_over_http_while_pages_redirect_to_https():
    """Container and load-balancer probes speak plain HTTP to the app (SECURE_REDIRECT_EXEMPT)."""
    code = (
        "from django.test import Client\n"
        "c = Client()\n"
        "host = {'HTTP_HOST': 'safecase.example.org'}\n"
        "print('healthz', c.get('/healthz', **host).status_code)\n"
        "page = c.get('/sign-in/', **host)\n"
        "print('sign-in', page.status_code, page.headers.get('Location'))\n"
    )

    result = manage("shell", "--no-imports", "-c", code, env=production_env())

    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    assert "healthz 200" in result.stdout, output
    assert "sign-in 301 https://safecase.example.org/sign-in/" in result.stdout, output


def test_local_practice_settings_come_from_the_environment():
    """RULES.md marks these local: a deployment sets them without code."""
    env = production_env(
        SAFECASE_WORKING_DAY_CUTOFF="16:30",
        SAFECASE_COMMUNITY_TRIGGER_THRESHOLD="2",
        SAFECASE_RESTRICTED_CASE_TYPES="prevent,cse",
    )
    code = (
        "from django.conf import settings as s; print(s.SAFECASE_WORKING_DAY_CUTOFF, "
        "s.SAFECASE_COMMUNITY_TRIGGER_THRESHOLD, ','.join(s.SAFECASE_RESTRICTED_CASE_TYPES))"
    )
    result = manage("shell", "--verbosity", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["16:30", "2", "prevent,cse"]


def setting_printed(expression: str, env: dict[str, str], argv: str = "") -> str:
    """What ``print(<expression>)`` prints in a fresh process whose settings come from
    ``env`` (``argv``: the command ``manage.py`` would have been given)."""
    code = (
        f"import sys; sys.argv = ['manage.py', {argv!r}]\n"
        "from django.conf import settings\n"
        f"print({expression})"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(("command", "expected"), [("runserver", "0"), ("migrate", "60")])
def test_runserver_keeps_no_database_connection_between_requests(command, expected):
    """runserver serves each connection on a new thread and never closes what a finished
    thread kept open; persistent connections there leaked (issue 16)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_CONN_MAX_AGE"}
    conn_max_age = "settings.DATABASES['default']['CONN_MAX_AGE']"
    assert setting_printed(conn_max_age, env, command) == expected


@pytest.mark.django_db
def test_the_application_connects_without_jit_compilation():
    """PostgreSQL's JIT compiled the planner's costly-looking but short page queries: 315
    ms of a 478 ms audit search at county scale (docs/performance.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "1000000"), ("true", "1000000"), ("false", "None")]
)
def test_prepared_lookups_can_be_turned_off_for_a_connection_pooler(value, expected):
    """DATABASE_PREPARED_STATEMENTS=false leaves psycopg's preparing off (Django's
    default), so nothing is prepared (casework.statements.prepared_cursor)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_PREPARED_STATEMENTS"}
    if value is not None:
        env["DATABASE_PREPARED_STATEMENTS"] = value
    threshold = "settings.DATABASES['default']['OPTIONS'].get('prepare_threshold')"
    assert setting_printed(threshold, env) == expected
