"""The OpenAPI schema validates, and it and the docs are served with local assets only."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    text = out.read_text()
    assert "openapi: 3.0.3" in text
    paths = ["/api/v1/auth/token/", "/api/v1/workflows/{case_type}/", "/api/v1/cases/",
             "/api/v1/cases/{reference}/transitions/{name}/", "/api/v1/deadlines/"]  # fmt: skip
    for path in paths:
        assert f"  {path}:" in text


def test_the_schema_is_served_to_signed_in_users(api, users):
    assert api().get("/api/schema/").status_code == 401

    response = api(users["frontline"]).get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Safecase API"
    errors = schema["paths"]["/api/v1/cases/{reference}/transitions/{name}/"]["post"]["responses"]
    assert set(errors) == {"200", "400", "401", "403", "404", "409"}


@pytest.mark.parametrize("url", ["/api/docs/", "/api/docs/redoc/"])
def test_the_docs_load_their_assets_from_safecase_itself(client, users, url):
    client.force_login(users["lead"])

    page = client.get(url).content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', page)
    assert assets, page
    assert all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets), assets
    assert "cdn" not in page.lower()
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
