"""Session limits: idle timeout warning data, keep-alive, the absolute limit."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.roles import Role
from casework.sessions import RENEWED_AT, SESSION_ENDED_MESSAGE, SIGNED_IN_AT, renew_after_seconds
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


def _seconds_left_on(page: str) -> int:
    return int(re.search(r'data-session-timeout="(\d+)"', page).group(1))


def test_pages_carry_the_idle_timeout_and_warning(signed_in, settings):
    page = signed_in.get("/").content.decode()
    assert settings.SESSION_COOKIE_AGE - 2 <= _seconds_left_on(page) <= settings.SESSION_COOKIE_AGE
    assert f'data-session-idle="{settings.SESSION_COOKIE_AGE}"' in page
    assert 'data-session-warning="120"' in page
    assert 'id="session-timeout-warning"' in page


def test_idle_timeout_defaults_to_30_minutes_renewed_by_reads_at_most_once_a_minute(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SAFECASE_SESSION_RENEW_SECONDS == 60
    assert renew_after_seconds() == 60
    settings.SESSION_COOKIE_AGE = 90  # never more than half a short idle timeout
    assert renew_after_seconds() == 45


def _session_row(client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def _renewed_ago(client, seconds: int, settings) -> None:
    """As if the session had last been saved with a fresh idle timeout ``seconds`` ago."""
    session = client.session
    session[RENEWED_AT] = int(time.time()) - seconds
    session.save()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - seconds)
    Session.objects.filter(session_key=session.session_key).update(expire_date=expires)


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")
    ]


def test_a_page_read_soon_after_a_renewal_does_not_write_the_session(signed_in, settings):
    _renewed_ago(signed_in, 20, settings)
    before = _session_row(signed_in).expire_date
    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get("/cases/")
    assert response.status_code == 200
    assert _session_writes(queries.captured_queries) == []
    assert "sessionid" not in response.cookies  # the browser keeps the cookie it has
    assert _session_row(signed_in).expire_date == before
    # The page counts down from what is really left, not from a whole idle timeout.
    left = _seconds_left_on(response.content.decode())
    assert settings.SESSION_COOKIE_AGE - 22 <= left <= settings.SESSION_COOKIE_AGE - 20


def test_a_page_read_a_minute_after_the_last_renewal_renews_the_idle_timeout(signed_in, settings):
    _renewed_ago(signed_in, 61, settings)
    response = signed_in.get("/cases/")
    assert response.status_code == 200
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE
    expires = _session_row(signed_in).expire_date
    whole = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((expires - whole).total_seconds()) < 5
    assert abs(signed_in.session[RENEWED_AT] - time.time()) < 5
    assert _seconds_left_on(response.content.decode()) >= settings.SESSION_COOKIE_AGE - 2


@pytest.mark.parametrize("path", ["/session/keep-alive/", "/notifications/read-all/"])
def test_a_post_renews_the_idle_timeout_at_once(signed_in, settings, path):
    _renewed_ago(signed_in, 5, settings)
    before = _session_row(signed_in).expire_date
    response = signed_in.post(path)
    assert response.status_code in (204, 302)
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE
    assert (_session_row(signed_in).expire_date - before).total_seconds() >= 4


def test_a_session_idle_past_its_saved_expiry_is_signed_out(signed_in, settings):
    _renewed_ago(signed_in, settings.SESSION_COOKIE_AGE + 1, settings)
    response = signed_in.get("/cases/")
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


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
