"""The session and the signed-in user read through kept statements
(``casework.session_store``), with Django's outcomes: an expired or unknown session and
an inactive or deleted user all sign the visitor out; statements on or off alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from casework import statements
from casework.roles import Role
from casework.session_store import ModelBackend, SessionStore

pytestmark = pytest.mark.django_db

# A page any signed-in member of staff may open, and where a signed-out visitor is sent.
PAGE = "/notifications/"


@pytest.fixture(params=[True, False], ids=["kept", "django"])
def kept(request, settings):
    settings.SAFECASE_COMPILED_CONDITIONS = request.param
    statements.clear()
    return request.param


@pytest.fixture
def worker(make_user):
    return make_user("session.worker", Role.FRONTLINE, ["north"])


def _signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_a_signed_in_session_finds_its_user(client, worker, kept):
    client.force_login(worker)
    for _ in range(3):  # the first use compiles, the next use the kept statements
        response = client.get(PAGE)
        assert response.status_code == 200
        assert response.wsgi_request.user == worker
    if kept:
        assert statements._kept(("objects", ("session", "sessions.session")))[1] is not None
        assert statements._kept(("objects", ("auth.get_user", "auth.user")))[1] is not None


def test_an_expired_session_signs_out(client, worker, kept):
    client.force_login(worker)
    assert client.get(PAGE).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert _signed_out(client.get(PAGE))


def test_an_unknown_session_key_starts_an_empty_session(worker, kept):
    store = SessionStore(session_key="x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_an_inactive_or_deleted_user_is_signed_out(client, worker, kept):
    client.force_login(worker)
    assert client.get(PAGE).status_code == 200
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert _signed_out(client.get(PAGE))

    worker.is_active = True
    worker.save(update_fields=["is_active"])
    client.force_login(worker)
    assert client.get(PAGE).status_code == 200
    assert ModelBackend().get_user(worker.pk) == worker
    assert ModelBackend().get_user("not an id") is None
    assert ModelBackend().get_user(worker.pk + 1000) is None


def test_each_session_reads_its_own_user(client, make_user, worker, kept):
    """One kept statement serves every session: each finds its own user."""
    lead = make_user("session.lead", Role.LEAD, ["north"])
    other = type(client)()
    client.force_login(worker)
    other.force_login(lead)
    for _ in range(2):
        assert client.get(PAGE).wsgi_request.user == worker
        assert other.get(PAGE).wsgi_request.user == lead
