"""Every /api/ failure is answered in JSON (shared/API.md "Errors"; issue 16).

The database unreachable is a 503 with Retry-After, not Django's HTML 500; a body over
the upload limit is a 413; JSON nested deeper than any input needs is a 400; a path
under /api/ that does not exist is the contract's 404. The outage is real: the test
closes the connection and points it at a port where nothing listens.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from casework.api_tokens import api_token_issue
from casework.roles import Role
from config.api_middleware import RETRY_AFTER_SECONDS
from config.api_parsers import MAX_DEPTH
from tests.api.conftest import cse_intake, snapshot
from workflows import api as workflows_api


@pytest.fixture
def database_down(transactional_db):
    """PostgreSQL unreachable: connections go to a closed port until the test ends."""
    connection = connections["default"]
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def client_for(token: str | None = None) -> APIClient:
    client = APIClient()
    client.raise_request_exception = False
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def lead_token(transactional_db, make_user):
    lead = make_user("lead.north", Role.LEAD, ["north"])
    return api_token_issue(user=lead, name="Test client")[1]


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.json()
    assert set(body) == {"detail"}
    text = response.content.decode()
    for detail in ("127.0.0.1", "port 1", "OperationalError", "Traceback"):
        assert detail not in text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/workflows/", None),
        ("get", "/api/v1/cases/", None),
        ("get", "/api/v1/deadlines/", None),
        ("post", "/api/v1/cases/", {"case_type": "cse", **cse_intake()}),
        ("post", "/api/v1/cases/SC-2026-000001/transitions/refer_to_mash/", {"version": 1}),
    ],
)
def test_the_database_down_is_a_json_503_with_retry_after(
    lead_token, database_down, method, path, body
):
    client = client_for(lead_token)

    response = getattr(client, method)(path, body, format="json")

    assert_unavailable(response)


def test_the_token_endpoint_with_the_database_down_is_a_json_503(database_down):
    response = client_for().post(
        "/api/v1/auth/token/", {"username": "lead.north", "password": "x" * 12}, format="json"
    )

    assert_unavailable(response)


def test_a_body_over_the_limit_is_a_json_413(lead_token):
    client = client_for(lead_token)
    before = snapshot()
    big = {"case_type": "cse", **cse_intake(summary="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}

    response = client.post("/api/v1/cases/", big, format="json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than" in response.json()["errors"]["non_field_errors"][0]
    assert snapshot() == before


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_json_nested_too_deep_is_a_json_400_even_unauthenticated(db, depth):
    response = client_for().generic(
        "POST", "/api/v1/auth/token/", nested(depth), content_type="application/json"
    )

    assert response.status_code == 400, response.content[:200]
    errors = response.json()["errors"]["non_field_errors"]
    assert f"more than {MAX_DEPTH} levels" in errors[0]


def test_json_nested_within_the_limit_is_read(db):
    body = json.dumps({"username": "nobody", "password": "x" * 12, "extra": json.loads(
        nested(MAX_DEPTH - 1))})  # fmt: skip

    response = client_for().generic(
        "POST", "/api/v1/auth/token/", body, content_type="application/json"
    )

    assert response.status_code == 401  # read, and refused for its credentials


def test_a_missing_api_path_is_the_contracts_404(lead_token):
    response = client_for(lead_token).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_server_error_under_the_api_is_json(lead_token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(workflows_api, "workflow_data", broken)

    response = client_for(lead_token).get("/api/v1/workflows/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "boom" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["/api/v1/cases/?state=", "/api/v1/cases/?case_type=", "/api/v1/deadlines/?status=",
     "/api/v1/deadlines/?overdue=", "/api/v1/cases/?page="],
)  # fmt: skip
def test_an_empty_filter_is_a_400_not_ignored(lead_token, query):
    response = client_for(lead_token).get(query)

    assert response.status_code == 400, response.content
    name = query.split("?")[1].rstrip("=")
    assert name in response.json()["errors"]


def test_an_empty_search_is_still_allowed(lead_token):
    assert client_for(lead_token).get("/api/v1/cases/?q=").status_code == 200
