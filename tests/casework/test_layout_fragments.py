"""The parts of every page's layout kept once drawn (templates/base.html, the
"fragments" cache): each role still sees its own navigation, each page marks itself
as the current one, and what is the user's own (their name, their unread count, the
form's CSRF token) is drawn for them on every page, never kept."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.utils import timezone

from casework.roles import Role
from notifications.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_fragments():
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()


def _navigation(html: str) -> list[str]:
    """The navigation's links, as text, the current one marked with a star."""
    found = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', html, re.S)
    assert found, "no navigation"
    links = []
    for attrs, text in re.findall(r"<a ([^>]*)>(.*?)</a>", found.group(0), re.S):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()
        links.append(("*" if 'aria-current="page"' in attrs else "") + text)
    return links


def _unread(user, count: int) -> None:
    for n in range(count):
        message = OutboxMessage.objects.create(
            channel="in_app", recipient=user, template="t", subject=f"s{n}", body="b"
        )
        Notification.objects.create(
            recipient=user, outbox_message=message, subject=f"s{n}", body="b",
            created_at=timezone.now(),
        )  # fmt: skip


def test_each_role_sees_its_own_navigation_on_the_same_page(client, make_user):
    lead = make_user("layout.lead", Role.LEAD, ["north"])
    worker = make_user("layout.worker", Role.FRONTLINE, ["north"])
    auditor = make_user("layout.auditor", Role.AUDITOR, [])
    _unread(worker, 2)
    seen = {}
    for _ in range(2):  # the second time, from the kept fragments
        for user in (lead, worker, auditor):
            client.force_login(user)
            html = client.get("/cases/").content.decode()
            seen.setdefault(user.username, []).append(_navigation(html))
            assert user.username in html or user.get_full_name() in html
    for views in seen.values():
        assert views[0] == views[1]
    assert seen["layout.lead"][0] == [
        "Home", "Raise a concern", "*Cases", "Triage queue", "Workflows", "Reports",
        "CCTV footage", "Notifications (0 unread)",
    ]  # fmt: skip
    assert seen["layout.worker"][0] == [
        "Home", "Raise a concern", "*Cases", "CCTV footage", "Notifications (2 unread)",
    ]  # fmt: skip
    assert seen["layout.auditor"][0] == [
        "Home", "*Cases", "Reports", "CCTV footage", "Audit", "Notifications (0 unread)",
    ]  # fmt: skip


def test_each_page_marks_itself_current(client, make_user):
    lead = make_user("layout.lead", Role.LEAD, ["north"])
    client.force_login(lead)
    for _ in range(2):
        assert _navigation(client.get("/").content.decode())[0] == "*Home"
        assert "*Cases" in _navigation(client.get("/cases/").content.decode())
        assert "*Triage queue" in _navigation(client.get("/triage/").content.decode())
        assert "*Reports" in _navigation(client.get("/reports/").content.decode())


def test_a_fresh_csrf_token_on_every_page(client, make_user):
    worker = make_user("layout.worker", Role.FRONTLINE, ["north"])
    client.force_login(worker)
    tokens = [
        re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/").content.decode())
        for _ in range(2)
    ]
    assert tokens[0]
    assert tokens[1]
    assert tokens[0] != tokens[1]  # each masked afresh: the sign-out forms are not kept


def test_signed_out_pages_show_no_navigation_and_their_own_footer(client, make_user):
    html = client.get("/sign-in/").content.decode()
    assert "govuk-service-navigation__list" not in html
    assert "Sign-in security" not in html
    worker = make_user("layout.worker", Role.FRONTLINE, ["north"])
    client.force_login(worker)
    assert "Sign-in security" in client.get("/").content.decode()
    client.logout()
    assert "Sign-in security" not in client.get("/sign-in/").content.decode()
