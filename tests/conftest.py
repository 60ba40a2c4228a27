"""Shared fixtures. Tests run against real PostgreSQL (DATABASE_URL) and, where they need
a broker, the configured Celery transport (Redis in CI, the filesystem broker otherwise)."""

from __future__ import annotations

import pytest

from casework.roles import Role
from casework.services import roles_ensure, team_ensure, user_ensure

DEMO_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def teams(db):
    return {
        "north": team_ensure(slug="north", name="North locality team"),
        "south": team_ensure(slug="south", name="South locality team"),
    }


@pytest.fixture
def make_user(db, teams):
    """Create a user with a role and teams: make_user("lead", Role.LEAD, ["north"])."""
    roles_ensure()

    def _make(username: str, role: Role, team_slugs: list[str] | None = None):
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
        test = settings.DATABASES["default"].setdefault("TEST", {})
        test["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_{suffix}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per user; tests create many users and check no hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
