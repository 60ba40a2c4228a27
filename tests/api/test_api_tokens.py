"""API tokens that expire and can be revoked (issue 17, finding 6; casework.api_tokens):
hashed at rest, one per device with a name, idle and absolute expiry, revoked by the
client, at web sign-out, on a password change, by their owner and by administrators,
never shown again; and the second factor the token endpoint asks of leads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from casework import staff
from casework.api_tokens import EXPIRED, api_token_issue, token_digest
from casework.audit import AuditVerb
from casework.models import ApiToken, AuditEvent
from casework.roles import Role
from tests.conftest import DEMO_PASSWORD
from tests.two_factor import totp_code, totp_device

TOKEN_URL = "/api/v1/auth/token/"
pytestmark = pytest.mark.django_db


def with_token(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def works(raw: str) -> bool:
    status = with_token(raw).get("/api/v1/cases/").status_code
    assert status in (200, 401)
    return status == 200


@pytest.fixture
def worker(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", Role.ADMINISTRATOR, [])


def sign_in(username: str, **more) -> dict:
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": DEMO_PASSWORD, **more}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


# Stored and shown ---------------------------------------------------------------------------


def test_only_a_digest_is_kept_and_each_sign_in_is_a_named_device(worker):
    laptop = sign_in("frontline.north", name="Reporting laptop")
    script = sign_in("frontline.north")

    rows = {t.name: t for t in ApiToken.objects.filter(user=worker)}
    assert set(rows) == {"Reporting laptop", "API client"}
    laptop_row = rows["Reporting laptop"]
    assert laptop_row.digest == token_digest(laptop["token"])
    assert laptop_row.prefix == laptop["token"][:8]
    # Nothing stored is the token itself.
    stored = [getattr(laptop_row, f.attname) for f in ApiToken._meta.fields]
    assert laptop["token"] not in [str(v) for v in stored]
    assert works(laptop["token"])
    assert works(script["token"])
    created = AuditEvent.objects.filter(verb=AuditVerb.API_TOKEN_CREATED, actor=worker)
    assert created.count() == 2
    assert all(laptop["token"] not in str(e.data) for e in created)


def test_the_plain_text_tokens_are_gone_and_no_admin_lists_tokens(db):
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert "authtoken_token" not in connection.introspection.table_names()
    assert ApiToken not in admin.site._registry
    # Nor the second factor's secrets.
    assert not {TOTPDevice, StaticDevice} & set(admin.site._registry)


def test_the_answer_says_when_the_token_stops_working(worker, settings):
    settings.SAFECASE_API_TOKEN_IDLE_HOURS = 8
    settings.SAFECASE_API_TOKEN_MAX_DAYS = 30
    before = timezone.now()
    body = sign_in("frontline.north", name="x")

    row = ApiToken.objects.get()
    assert row.expires_at - before >= timedelta(days=30)
    assert row.expires_at - before < timedelta(days=30, minutes=1)
    assert body["expires_at"].startswith(timezone.localtime(row.expires_at).date().isoformat())
    assert body["name"] == "x"


# Expiry -------------------------------------------------------------------------------------


def test_a_token_unused_for_the_idle_limit_stops_working(worker, settings):
    settings.SAFECASE_API_TOKEN_IDLE_HOURS = 8
    raw = sign_in("frontline.north")["token"]
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(hours=8, minutes=1))

    response = with_token(raw).get("/api/v1/cases/")

    assert response.status_code == 401
    assert response.json() == {"detail": EXPIRED}


def test_use_keeps_a_token_alive_until_its_absolute_limit(worker, settings):
    settings.SAFECASE_API_TOKEN_IDLE_HOURS = 8
    raw = sign_in("frontline.north")["token"]
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(hours=7))

    assert works(raw)
    assert timezone.now() - ApiToken.objects.get().last_used_at < timedelta(minutes=1)

    # However recently used, it ends at its absolute limit.
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not works(raw)


# Revocation ---------------------------------------------------------------------------------


def test_delete_revokes_the_token_sent_and_no_other(worker):
    first = sign_in("frontline.north", name="first")["token"]
    second = sign_in("frontline.north", name="second")["token"]

    response = with_token(first).delete(TOKEN_URL)

    assert response.status_code == 204
    assert not works(first)
    assert works(second)
    revoked = AuditEvent.objects.get(verb=AuditVerb.API_TOKEN_REVOKED)
    assert (revoked.actor, revoked.data["name"]) == (worker, "first")
    assert with_token(first).delete(TOKEN_URL).status_code == 401


def test_delete_without_a_token_is_401(db):
    response = APIClient().delete(TOKEN_URL)

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_signing_out_of_the_web_revokes_every_token(worker, client):
    raw = sign_in("frontline.north")["token"]
    client.force_login(worker)

    client.post("/sign-out/")

    assert not works(raw)
    assert ApiToken.objects.get().revoked_reason == "signed out of the web"


def test_a_password_changed_any_way_stops_every_token(worker):
    raw = sign_in("frontline.north")["token"]

    worker.set_password("a-brand-new-password-2026")
    worker.save()

    assert not works(raw)


def test_a_password_set_from_a_link_revokes_every_token(worker, admin_user):
    worker.email = "fran@example.org"
    worker.save()
    raw = sign_in("frontline.north")["token"]

    staff.staff_password_reset(actor=admin_user, user=worker, reason="Forgot it")

    assert ApiToken.objects.get().revoked_reason == "password changed"
    assert not works(raw)


def test_the_owner_sees_and_revokes_their_tokens_but_never_a_token(worker, client):
    raw = sign_in("frontline.north", name="Reporting laptop")["token"]
    client.force_login(worker)

    page = client.get("/account/api-tokens/").content.decode()

    assert "Reporting laptop" in page
    assert raw[:8] in page
    assert raw not in page
    token = ApiToken.objects.get()
    response = client.post(f"/account/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert not works(raw)
    after = client.get("/account/api-tokens/").content.decode()
    assert "The token “Reporting laptop” was revoked" in after
    assert "You have no API tokens that work now" in after


def test_nobody_revokes_someone_elses_token_from_their_own_page(worker, lead, client):
    token, raw = api_token_issue(user=lead, name="Lead's")
    client.force_login(worker)

    assert client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    assert works(raw)


def test_an_administrator_sees_a_persons_tokens_and_revokes_them(worker, admin_user, client):
    raw = sign_in("frontline.north", name="Reporting laptop")["token"]
    client.force_login(admin_user)

    page = client.get(f"/staff/people/{worker.pk}/").content.decode()
    assert "Reporting laptop" in page
    assert raw[:8] in page
    assert raw not in page

    response = client.post(
        f"/staff/people/{worker.pk}/revoke-api-tokens/", {"reason": "Laptop lost"}
    )

    assert response.status_code == 302
    assert not works(raw)
    event = AuditEvent.objects.get(verb=AuditVerb.API_TOKEN_REVOKED)
    assert (event.actor, event.data["reason"]) == (admin_user, "Laptop lost")
    again = client.post(f"/staff/people/{worker.pk}/revoke-api-tokens/", {"reason": "again"})
    assert again.status_code == 400
    assert "They have no API tokens to revoke" in again.content.decode()


def test_only_administrators_revoke_someone_elses_tokens(worker, lead, client):
    raw = sign_in("frontline.north")["token"]
    client.force_login(lead)

    response = client.post(f"/staff/people/{worker.pk}/revoke-api-tokens/", {"reason": "x"})

    assert response.status_code == 403
    assert works(raw)


# The second factor --------------------------------------------------------------------------


def test_a_lead_needs_a_code_for_a_token(lead, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own delay after a wrong code
    totp_device(lead)
    missing = APIClient().post(
        TOKEN_URL, {"username": "lead.north", "password": DEMO_PASSWORD}, format="json"
    )
    wrong = APIClient().post(
        TOKEN_URL,
        {"username": "lead.north", "password": DEMO_PASSWORD, "otp": "000000"},
        format="json",
    )

    assert missing.status_code == wrong.status_code == 401
    assert '"otp"' in missing.json()["detail"]
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(verb=AuditVerb.TWO_FACTOR_FAILED).count() == 1
    body = sign_in("lead.north", otp=totp_code(lead))
    assert works(body["token"])


def test_a_lead_without_an_app_is_told_to_set_one_up(lead):
    response = APIClient().post(
        TOKEN_URL, {"username": "lead.north", "password": DEMO_PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert "Set up two-factor sign-in" in response.json()["detail"]


def test_wrong_codes_count_towards_the_lockout(lead, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    totp_device(lead)
    statuses = [
        APIClient()
        .post(
            TOKEN_URL,
            {"username": "lead.north", "password": DEMO_PASSWORD, "otp": "000000"},
            format="json",
        )
        .status_code
        for _ in range(5)
    ]

    assert statuses == [401, 401, 401, 401, 429]
    response = APIClient().post(
        TOKEN_URL,
        {"username": "lead.north", "password": DEMO_PASSWORD, "otp": totp_code(lead)},
        format="json",
    )
    assert response.status_code == 429
    assert not ApiToken.objects.exists()


def test_a_request_finds_its_token_and_user_in_one_statement(worker):
    """The token's lookup is written out (casework.api_tokens.api_token_with_user): it
    reads what the ORM's select_related read, in one statement, and nothing for a token
    that is not there; a deactivated user's token is still refused."""
    from django.test.utils import CaptureQueriesContext

    from casework.api_tokens import api_token_with_user

    token, raw = api_token_issue(user=worker, name="Phone")
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    with CaptureQueriesContext(connection) as reads:
        found = api_token_with_user(token_digest(raw))
    assert len(reads.captured_queries) == 1
    assert found is not None
    assert [getattr(found, f.attname) for f in ApiToken._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in ApiToken._meta.concrete_fields
    ]
    assert [getattr(found.user, f.attname) for f in worker._meta.concrete_fields] == [
        getattr(expected.user, f.attname) for f in worker._meta.concrete_fields
    ]
    assert not found._state.adding
    assert not found.user._state.adding
    assert api_token_with_user(token_digest(raw + "x")) is None
    assert works(raw)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert not works(raw)
