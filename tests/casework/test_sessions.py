"""Session limits: idle timeout warning data, keep-alive, the absolute limit."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from casework.roles import Role
from casework.sessions import SESSION_ENDED_MESSAGE, SIGNED_IN_AT
from tests.conftest import DEMO_PASSWORD
from tests.two_factor import complete_sign_in


@pytest.fixture
def signed_in(client, make_user):
    make_user("lead.north", Role.LEAD, ["north"])
    response = client.post("/sign-in/", {"username": "lead.north", "password": DEMO_PASSWORD})
    response = complete_sign_in(client, response, "lead.north")
    assert response.status_code == 302
    return client


def test_sign_in_records_when_the_session_started(signed_in):
    assert abs(signed_in.session[SIGNED_IN_AT] - time.time()) < 5


def test_pages_carry_the_idle_timeout_and_warning(signed_in, settings):
    page = signed_in.get("/").content.decode()
    assert f'data-session-timeout="{settings.SESSION_COOKIE_AGE}"' in page
    assert 'data-session-warning="120"' in page
    assert 'id="session-timeout-warning"' in page


def test_idle_timeout_defaults_to_30_minutes_and_is_renewed_by_requests(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_keep_alive_needs_a_post_and_a_session(signed_in, client):
    assert signed_in.post("/session/keep-alive/").status_code == 204
    assert signed_in.get("/session/keep-alive/").status_code == 405


def test_keep_alive_without_a_session_goes_to_sign_in(client, db):
    response = client.post("/session/keep-alive/")
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


def test_a_session_older_than_the_absolute_limit_is_ended(signed_in, settings):
    session = signed_in.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.SAFECASE_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = signed_in.get("/workflows/")
    assert response.status_code == 302
    assert response.url == "/sign-in/?next=/workflows/"
    page = signed_in.get(response.url).content.decode()
    assert SESSION_ENDED_MESSAGE in page
    assert signed_in.get("/").status_code == 302


def test_a_young_session_is_kept(signed_in):
    assert signed_in.get("/").status_code == 200


def test_passwords_must_be_strong():
    for weak in ("short", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("a-long-unusual-passphrase-7")
