"""No answer with case content may be kept by a browser or a shared cache (issue 17, low
findings: the case page, print view, API and audit CSV were sent without
``Cache-Control: no-store``). ``config.hardening.NoStoreMiddleware`` marks every answer of
the application; static files (no case content) keep their cache lifetimes."""

from __future__ import annotations

import pytest
from django.utils.cache import get_max_age

from tests.test_access_matrix import MATRIX, World

# Routes with case content, each read by someone allowed to (the matrix's own URLs).
CONTENT_ROUTES = {
    "case-detail": "lead",
    "case-history": "lead",
    "person-detail": "lead",
    "referrals:referral-detail": "lead",
    "referrals:referral-print": "lead",
    "referrals:referral-pdf": "lead",
    "case-attachment-download": "lead",
    "api:case-detail": "lead",
    "api:case-history": "lead",
    "api:case-list": "lead",
    "audit:export": "auditor",
    "audit:case-timeline": "auditor",
    "audit:case-chronology": "auditor",
}


def assert_no_store(response, what: str) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, f"{what}: Cache-Control {response.get('Cache-Control')!r}"
    assert "private" in directives, f"{what}: Cache-Control {response.get('Cache-Control')!r}"
    assert "public" not in directives, what
    assert response.get("Pragma") == "no-cache", f"{what}: Pragma {response.get('Pragma')!r}"


@pytest.fixture
def world(teams):
    return World()


@pytest.mark.django_db
def test_case_content_is_never_stored(client, world):
    got = {}
    for name, role in CONTENT_ROUTES.items():
        route = MATRIX[name]
        client.force_login(world.users[role])
        case = world.cases["lead"]["allocated"] if route.per_case else None
        response = client.get(route.url(world, case))
        got[name] = response.status_code
        assert_no_store(response, name)
    # Each was a real answer with content, not a refusal.
    assert all(status == 200 for status in got.values()), got


@pytest.mark.django_db
def test_every_route_answers_with_no_store_whoever_asks(client, world):
    """Refusals, redirects and errors too: a 404 or a sign-in page cached is harmless, but
    one rule for every answer leaves nothing to forget."""
    for role in ("anonymous", "frontline", "lead", "auditor", "administrator"):
        client.logout()
        if role != "anonymous":
            client.force_login(world.users[role])
        for name, route in MATRIX.items():
            if route.method != "get" or name == "django-admin":
                continue
            case = world.cases["lead"]["same_team"] if route.per_case else None
            response = client.get(route.url(world, case))
            assert_no_store(response, f"{role} {name} ({response.status_code})")


def test_static_files_keep_their_cache_lifetime(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert get_max_age(response) is not None
