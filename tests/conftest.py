"""Shared fixtures. Tests run against real PostgreSQL (DATABASE_URL) and, where they need
a broker, the configured Celery transport (Redis in CI, the filesystem broker otherwise)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from casework.role_audit import role_audit_paused
from casework.roles import Role
from casework.services import roles_ensure, team_ensure, user_ensure
from workflows.models import BankHoliday

DEMO_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def teams(db):
    return {
        "north": team_ensure(slug="north", name="North locality team"),
        "south": team_ensure(slug="south", name="South locality team"),
    }


@pytest.fixture
def make_user(db, teams):
    """Create a user with a role and teams: make_user("lead", Role.LEAD, ["north"]).
    Setting up users records no role audit events (casework.role_audit), so tests that
    count events count only their own."""
    with role_audit_paused():
        roles_ensure()

    def _make(username: str, role: Role, team_slugs: list[str] | None = None):
        with role_audit_paused():
            return user_ensure(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                teams=[teams[s] for s in (team_slugs or [])],
            )

    return _make


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Let concurrent runs on one server keep apart: SAFECASE_TEST_DB_SUFFIX names the test DB."""
    import os

    from django.conf import settings

    suffix = os.environ.get("SAFECASE_TEST_DB_SUFFIX")
    if suffix:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:  # pytest-xdist: one database per worker
            suffix = f"{suffix}_{worker}"
        test = settings.DATABASES["default"].setdefault("TEST", {})
        test["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_{suffix}"


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(settings, tmp_path):
    """Each test's audit checkpoints in its own directory (casework.audit_checkpoint)."""
    settings.SAFECASE_AUDIT_CHECKPOINT_DIR = str(tmp_path / "audit-checkpoints")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per user; tests create many users and check no hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_sign_ins_give_the_second_factor(monkeypatch):
    """``client.force_login``/``client.login`` stand for a whole sign-in, second factor
    included (casework.two_factor): without this every lead's, auditor's and
    administrator's test session would count as signed out. The sign-in pages' own tests
    go through the real pages."""
    from django.test.client import ClientMixin

    from casework.sessions import RENEWED_AT, _now
    from casework.two_factor import VERIFIED

    login = ClientMixin._login

    def _login(self, user, backend=None):
        login(self, user, backend)
        session = self.session
        session[VERIFIED] = 1
        session[RENEWED_AT] = _now()  # as a sign-in leaves it (casework/sessions.py)
        session.save()

    monkeypatch.setattr(ClientMixin, "_login", _login)


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _reference_data_survives_flushes(request):
    """Make sure the reference data that migrations load is there before a database test.

    A transactional test ends by emptying every table, migrations' seed rows included
    (the bank holidays, the standard partner agencies). Run serially, pytest-django orders
    those tests last; spread over pytest-xdist workers it cannot, so a later test in the
    same worker would find none. One cheap query per test puts them back when missing.
    """
    marker = request.node.get_closest_marker("django_db")
    fixtures = set(request.fixturenames)
    if marker is None and not fixtures & _DB_FIXTURES:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        fixtures & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    if BankHoliday.objects.exists():
        return
    seed_holidays = importlib.import_module("workflows.migrations.0002_seed_bank_holidays").seed
    seed_partners = importlib.import_module("referrals.migrations.0002_seed_partners").seed
    seed_holidays(apps, connection.schema_editor())
    seed_partners(apps, connection.schema_editor())


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, each of its request threads closing its database
    connection after every request, as ``runserver`` does (config/settings.py).

    The server starts a thread per HTTP connection; with the persistent connections of the
    other settings, a thread a browser kept alive still held its database connection at
    the end of the run, and the worker's test database could not be dropped ("is being
    accessed by other users"). Every thread's connection reads the same settings.
    """
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    kept = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = 0
    yield live_server
    settings_dict["CONN_MAX_AGE"] = kept
