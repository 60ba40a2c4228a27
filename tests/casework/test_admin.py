"""Administrators manage teams, people, bank holidays and local timescales, not cases."""

from __future__ import annotations

import pytest

from casework.roles import Role
from workflows.models import BankHoliday, TimescaleOverride


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, []))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/django-admin/",
        "/django-admin/auth/user/",
        "/django-admin/casework/team/",
        "/django-admin/workflows/bankholiday/",
        "/django-admin/workflows/timescaleoverride/",
        "/django-admin/workflows/timescaleoverride/add/",
    ],
)
def test_administrators_reach_the_reference_data(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/django-admin/casework/case/", "/django-admin/casework/person/",
     "/django-admin/casework/auditevent/"],
)  # fmt: skip
def test_case_content_is_not_in_the_admin(admin_client, url):
    assert admin_client.get(url).status_code == 404


def test_case_roles_cannot_use_the_admin(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response.url


def test_an_added_bank_holiday_is_marked_manual(admin_client):
    response = admin_client.post(
        "/django-admin/workflows/bankholiday/add/",
        {"date": "2027-06-04", "title": "Proclaimed holiday", "source": "holidays"},
    )
    assert response.status_code == 302
    assert BankHoliday.objects.get(date="2027-06-04").source == "manual"


def test_a_local_timescale_can_be_overridden_but_not_a_statutory_one(admin_client):
    ok = admin_client.post(
        "/django-admin/workflows/timescaleoverride/add/",
        {"rule_key": "modern_slavery:rg_decision", "duration": "7"},
    )
    assert ok.status_code == 302
    assert TimescaleOverride.objects.get(rule="rg_decision").duration == 7
    refused = admin_client.post(
        "/django-admin/workflows/timescaleoverride/add/",
        {"rule_key": "modern_slavery:recovery_period", "duration": "7"},
    )
    assert refused.status_code == 200
    assert not TimescaleOverride.objects.filter(rule="recovery_period").exists()
