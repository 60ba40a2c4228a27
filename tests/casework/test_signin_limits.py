"""Sign-in limits per address across user names, and whose address it is (issue 17, low
findings: the lockout was per user name and address only, so password spraying across
user names was unlimited, and behind a proxy anyone could lock out anyone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from casework.roles import Role
from config.client_ip import client_ip
from tests.conftest import DEMO_PASSWORD

SIGN_IN = "/sign-in/"
pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str, address: str = "203.0.113.7", **headers):
    return client.post(
        SIGN_IN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.SAFECASE_ADDRESS_FAILURE_LIMIT = 8
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    return settings


def test_spraying_one_password_across_user_names_locks_the_address(client, make_user, limits):
    make_user("lead.north", Role.LEAD, ["north"])
    for n in range(limits.SAFECASE_ADDRESS_FAILURE_LIMIT):
        # a different user name each time: the per-user limit is never reached
        response = sign_in(client, f"someone.{n}", "Summer2026!")
        # the failure that reaches the limit is itself answered with the lockout page
        assert response.status_code == (
            200 if n < limits.SAFECASE_ADDRESS_FAILURE_LIMIT - 1 else 429
        ), n

    # Now even a right password, for a user never tried, is refused from that address...
    response = sign_in(client, "lead.north", DEMO_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # ...and by the API from the same address.
    api = APIClient()
    token = api.post(
        "/api/v1/auth/token/",
        {"username": "lead.north", "password": DEMO_PASSWORD},
        format="json",
        REMOTE_ADDR="203.0.113.7",
    )
    assert token.status_code == 429
    # Another address is not affected.
    other = Client_for(other_address := "198.51.100.20")
    assert sign_in(other, "lead.north", DEMO_PASSWORD, address=other_address).status_code == 302


def Client_for(address: str):  # noqa: N802 - reads as a constructor
    from django.test import Client

    return Client(REMOTE_ADDR=address)


def test_below_the_address_limit_sign_in_still_works(client, make_user, limits):
    make_user("lead.north", Role.LEAD, ["north"])
    for n in range(limits.SAFECASE_ADDRESS_FAILURE_LIMIT - 1):
        sign_in(client, f"someone.{n}", "Summer2026!")
    assert sign_in(client, "lead.north", DEMO_PASSWORD).status_code == 302


def test_the_address_limit_is_configurable(client, make_user, limits):
    limits.SAFECASE_ADDRESS_FAILURE_LIMIT = 3
    make_user("lead.north", Role.LEAD, ["north"])
    for n in range(3):
        sign_in(client, f"someone.{n}", "Summer2026!")
    assert sign_in(client, "lead.north", DEMO_PASSWORD).status_code == 429


def test_old_failures_from_the_address_have_expired(client, make_user, limits):
    from axes.models import AccessAttempt
    from django.utils import timezone

    make_user("lead.north", Role.LEAD, ["north"])
    for n in range(limits.SAFECASE_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"someone.{n}", "Summer2026!")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "lead.north", DEMO_PASSWORD).status_code == 302


# --- whose address: X-Forwarded-For only from trusted proxies ------------------------------


def request_from(remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@override_settings(SAFECASE_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(SAFECASE_TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1"])
def test_a_trusted_proxy_names_the_client():
    assert client_ip(request_from("10.1.2.3", "198.51.100.1")) == "198.51.100.1"
    # a client's own forged entry sits left of what the proxy added: the proxy's wins
    assert client_ip(request_from("10.1.2.3", "192.0.2.66, 198.51.100.1")) == "198.51.100.1"
    # a chain of trusted proxies is skipped
    assert client_ip(request_from("127.0.0.1", "198.51.100.1, 10.9.9.9")) == "198.51.100.1"
    # no header, or one that is not an address: the peer itself
    assert client_ip(request_from("10.1.2.3")) == "10.1.2.3"
    assert client_ip(request_from("10.1.2.3", "not-an-address")) == "10.1.2.3"


@override_settings(SAFECASE_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_an_untrusted_peer_cannot_choose_its_address():
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_a_forged_header_cannot_lock_out_someone_elses_address(client, make_user, limits):
    """Without trusted proxies, failures sent with a victim's address in X-Forwarded-For
    count against the sender's own address, never the victim's."""
    limits.SAFECASE_TRUSTED_PROXIES = []
    make_user("lead.north", Role.LEAD, ["north"])
    for n in range(limits.SAFECASE_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"x.{n}", "wrong", address="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.5")
    assert sign_in(client, "lead.north", DEMO_PASSWORD, address="192.0.2.5").status_code == 302


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client, make_user, limits):
    limits.SAFECASE_TRUSTED_PROXIES = ["172.16.0.0/12"]
    make_user("lead.north", Role.LEAD, ["north"])
    proxy = "172.18.0.1"
    for n in range(limits.SAFECASE_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"x.{n}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9")
    # the sprayer is locked out...
    assert (
        sign_in(client, "lead.north", DEMO_PASSWORD, address=proxy,
                HTTP_X_FORWARDED_FOR="198.51.100.9").status_code
        == 429
    )  # fmt: skip
    # ...and everyone else behind the same proxy is not.
    response = sign_in(
        client, "lead.north", DEMO_PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.44"
    )
    assert response.status_code == 302


def test_a_bad_trusted_proxies_setting_stops_the_process():
    from tests.test_settings import assert_one_line_naming, manage, production_env

    result = manage("check", env=production_env(SAFECASE_TRUSTED_PROXIES="10.0.0.0/8,nonsense"))
    assert_one_line_naming(result, "SAFECASE_TRUSTED_PROXIES")
