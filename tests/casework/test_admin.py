"""The Django admin is for superusers (developers) only (issue 20); administrators use
the service's own staff pages. Case content is never in it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from casework.roles import Role
from workflows.models import BankHoliday, TimescaleOverride


@pytest.fixture
def superuser_client(client, db):
    user = get_user_model().objects.create_superuser("developer", "dev@example.org", "x" * 20)
    client.force_login(user)
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
def test_superusers_reach_the_admin(superuser_client, url):
    assert superuser_client.get(url).status_code == 200


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.LEAD, Role.AUDITOR])
def test_no_role_can_use_the_admin(client, make_user, role):
    user = make_user("someone", role, ["north"])
    user.is_staff = True  # even marked as staff, as administrators once were
    user.save()
    client.force_login(user)
    for url in ("/django-admin/", "/django-admin/auth/user/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/django-admin/login/" in response.url


def test_the_admin_is_off_the_administrators_menu(client, make_user):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, []))
    html = client.get("/").content.decode()
    assert "/django-admin/" not in html
    assert 'href="/staff/people/"' in html


@pytest.mark.parametrize(
    "url",
    ["/django-admin/casework/case/", "/django-admin/casework/person/",
     "/django-admin/casework/auditevent/"],
)  # fmt: skip
def test_case_content_is_not_in_the_admin(superuser_client, url):
    assert superuser_client.get(url).status_code == 404


def test_an_added_bank_holiday_is_marked_manual(superuser_client):
    response = superuser_client.post(
        "/django-admin/workflows/bankholiday/add/",
        {"date": "2027-06-04", "title": "Proclaimed holiday", "source": "holidays"},
    )
    assert response.status_code == 302
    assert BankHoliday.objects.get(date="2027-06-04").source == "manual"


def test_a_local_timescale_can_be_overridden_but_not_a_statutory_one(superuser_client):
    ok = superuser_client.post(
        "/django-admin/workflows/timescaleoverride/add/",
        {"rule_key": "modern_slavery:rg_decision", "duration": "7"},
    )
    assert ok.status_code == 302
    assert TimescaleOverride.objects.get(rule="rg_decision").duration == 7
    refused = superuser_client.post(
        "/django-admin/workflows/timescaleoverride/add/",
        {"rule_key": "modern_slavery:recovery_period", "duration": "7"},
    )
    assert refused.status_code == 200
    assert not TimescaleOverride.objects.filter(rule="recovery_period").exists()
