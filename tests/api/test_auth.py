"""API sign-in (shared/API.md "Authentication"): tokens, 401s, and the shared lockout."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casework.api_tokens import api_token_issue, token_digest
from casework.audit import AuditVerb
from casework.models import ApiToken, AuditEvent
from casework.roles import Role
from tests.conftest import DEMO_PASSWORD
from tests.two_factor import totp_code, totp_device

TOKEN_URL = "/api/v1/auth/token/"
pytestmark = pytest.mark.django_db


def token_request(client, username, password, **more):
    return client.post(
        TOKEN_URL, {"username": username, "password": password, **more}, format="json"
    )


def web_sign_in(client, username, password):
    return client.post("/sign-in/", {"username": username, "password": password})


@pytest.fixture
def lead(make_user):
    # A lead also gives a second factor (``otp``): tests/api/test_api_tokens.py.
    lead = make_user("lead.north", Role.LEAD, ["north"])
    totp_device(lead)
    return lead


def test_a_correct_password_gets_a_token_that_signs_requests_in(lead):
    response = token_request(APIClient(), "lead.north", DEMO_PASSWORD, otp=totp_code(lead))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "name", "expires_at", "idle_expires_at"}
    # Only the token's digest is kept.
    stored = ApiToken.objects.get(user=lead)
    assert stored.digest == token_digest(body["token"])
    assert body["token"] not in {stored.digest, stored.prefix, stored.name}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/cases/").status_code == 200
    # A new token for each sign-in (one a device), and the sign-in is on the record.
    again = token_request(APIClient(), "lead.north", DEMO_PASSWORD, otp=totp_code(lead)).json()
    assert again["token"] != body["token"]
    assert ApiToken.objects.filter(user=lead).count() == 2
    assert AuditEvent.objects.filter(verb=AuditVerb.USER_SIGNED_IN, actor=lead).count() == 2


def test_a_wrong_password_is_401_and_gives_no_token(lead):
    response = token_request(APIClient(), "lead.north", "not-the-password")

    assert response.status_code == 401
    assert response.json() == {"detail": "Enter a correct username and password."}
    assert response["WWW-Authenticate"] == "Token"
    assert not ApiToken.objects.exists()
    failed = AuditEvent.objects.get(verb=AuditVerb.USER_SIGN_IN_FAILED)
    assert failed.data == {"username": "lead.north"}


def test_an_unknown_or_inactive_user_gets_the_same_401(lead):
    lead.is_active = False
    lead.save()
    for username in ("lead.north", "nobody.here"):
        response = token_request(APIClient(), username, DEMO_PASSWORD)
        assert (response.status_code, response.json()) == (
            401,
            {"detail": "Enter a correct username and password."},
        )


def test_missing_fields_are_400_with_errors_by_field(db):
    # (a NUL in the username is refused before the view: tests/test_control_characters.py)
    response = APIClient().post(TOKEN_URL, {"username": ""}, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"username", "password"}
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)


def test_a_body_that_is_not_json_is_400_with_non_field_errors(db):
    response = APIClient().post(TOKEN_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_after_the_failure_limit_even_the_right_password_is_refused_with_429(lead, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [token_request(APIClient(), "lead.north", "wrong").status_code for _ in range(5)]

    response = token_request(APIClient(), "lead.north", DEMO_PASSWORD)

    # The fifth failure is the one that locks the account.
    assert statuses == [401, 401, 401, 401, 429]
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "Too many failed sign-ins" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_api_failures_lock_the_web_sign_in_too(lead, client):
    for _ in range(5):
        token_request(APIClient(), "lead.north", "wrong")

    assert web_sign_in(client, "lead.north", DEMO_PASSWORD).status_code == 429


def test_web_failures_lock_the_api_sign_in_too(lead, client):
    for _ in range(5):
        web_sign_in(client, "lead.north", "wrong")

    assert token_request(APIClient(), "lead.north", DEMO_PASSWORD).status_code == 429


def test_a_successful_api_sign_in_clears_earlier_failures_as_the_web_one_does(lead):
    for _ in range(4):
        token_request(APIClient(), "lead.north", "wrong")
    assert (
        token_request(APIClient(), "lead.north", DEMO_PASSWORD, otp=totp_code(lead)).status_code
        == 200
    )

    statuses = [token_request(APIClient(), "lead.north", "wrong").status_code for _ in range(4)]

    assert statuses == [401] * 4


@pytest.mark.parametrize(
    "header",
    [None, "Token not-a-real-token", "Bearer abc", "Token"],
    ids=["none", "unknown-token", "other-scheme", "empty-token"],
)
def test_requests_without_good_credentials_are_401_with_detail(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/cases/")

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert response["WWW-Authenticate"] == "Token"


def test_an_inactive_users_token_stops_working(lead):
    _, token = api_token_issue(user=lead)
    lead.is_active = False
    lead.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/v1/cases/").status_code == 401


def test_session_authentication_works_and_checks_csrf_on_writes(lead):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(lead)

    assert client.get("/api/v1/cases/").status_code == 200
    response = client.post("/api/v1/cases/", {"case_type": "cse"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
