"""The in-app inbox: a user's own notifications, the unread count, marking them read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from casework.roles import Role
from notifications.context_processors import notifications
from notifications.models import Channel, Notification, NotificationPreference
from notifications.services import outbox_deliver, outbox_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def someone_else(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


def notify(user, subject, *, minutes_ago=0, read=False):
    message = outbox_enqueue(
        recipient_id=user.pk, channel=Channel.IN_APP, template="deadline.remind_before",
        subject=subject, body=f"{subject}.", link="/cases/SC-2026-000001/",
    )  # fmt: skip
    outbox_deliver(message_id=message.pk)
    notification = Notification.objects.get(outbox_message=message)
    notification.created_at = timezone.now() - timedelta(minutes=minutes_ago)
    notification.read_at = timezone.now() if read else None
    notification.save()
    return notification


def sign_in(client, user):
    client.force_login(user)


def test_the_inbox_lists_my_notifications_newest_first_with_the_unread_count(
    client, reader, someone_else
):
    notify(reader, "Oldest", minutes_ago=30, read=True)
    notify(reader, "Newest", minutes_ago=1)
    notify(reader, "Middle", minutes_ago=10)
    notify(someone_else, "Not yours")
    sign_in(client, reader)

    page = client.get("/notifications/").content.decode()

    assert page.index("Newest") < page.index("Middle") < page.index("Oldest")
    assert "Not yours" not in page
    assert "You have <strong>2</strong> unread notifications" in page
    assert 'href="/cases/SC-2026-000001/"' in page


def test_the_header_shows_the_unread_count_on_every_page(client, reader):
    notify(reader, "One")
    notify(reader, "Two")
    notify(reader, "Read", read=True)
    sign_in(client, reader)

    page = client.get("/").content.decode()

    assert "Notifications (2" in page
    assert 'href="/notifications/"' in page


def test_the_unread_count_is_one_query_and_none_for_visitors(reader, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = reader
    with django_assert_num_queries(1):
        assert notifications(request) == {"unread_notifications": 0}

    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert notifications(request) == {}


def test_marking_one_read(client, reader):
    first, second = notify(reader, "First"), notify(reader, "Second")
    sign_in(client, reader)

    response = client.post(f"/notifications/{first.pk}/read/")

    assert (response.status_code, response.url) == (302, "/notifications/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    assert "Notifications (1" in client.get("/").content.decode()


def test_marking_read_returns_to_the_page_i_was_on_but_never_elsewhere(client, reader):
    notification = notify(reader, "First")
    sign_in(client, reader)

    url = f"/notifications/{notification.pk}/read/"
    back = client.post(url, {"next": "/notifications/?page=2"})
    away = client.post(url, {"next": "https://evil.example.com/"})

    assert back.url == "/notifications/?page=2"
    assert away.url == "/notifications/"


def test_marking_all_read_leaves_other_peoples_alone(client, reader, someone_else):
    notify(reader, "First")
    notify(reader, "Second")
    theirs = notify(someone_else, "Theirs")
    sign_in(client, reader)

    response = client.post("/notifications/read-all/")

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=reader, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_notification_is_not_found(client, reader, someone_else):
    theirs = notify(someone_else, "Theirs")
    sign_in(client, reader)

    response = client.post(f"/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(client, reader):
    notification = notify(reader, "First")
    sign_in(client, reader)
    assert client.get(f"/notifications/{notification.pk}/read/").status_code == 405


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/notifications/"),
        ("post", "/notifications/1/read/"),
        ("post", "/notifications/read-all/"),
        ("get", "/notifications/preferences/"),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


def test_the_inbox_is_paginated(client, reader, django_assert_max_num_queries):
    for i in range(30):
        notify(reader, f"Reminder number {i:02d}", minutes_ago=i)
    sign_in(client, reader)

    first = client.get("/notifications/").content.decode()
    with django_assert_max_num_queries(12):
        second = client.get("/notifications/?page=2").content.decode()

    assert "Reminder number 00" in first
    assert "Reminder number 25" not in first
    assert "Reminder number 25" in second
    assert 'aria-label="Pagination"' in first


def test_preferences_opt_out_of_reminder_emails_and_the_digest(client, reader):
    sign_in(client, reader)
    page = client.get("/notifications/preferences/").content.decode()
    assert page.count("checked") == 2  # both on by default

    response = client.post("/notifications/preferences/", {"email_reminders": "on"})

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=reader)
    assert (preference.email_reminders, preference.daily_digest) == (True, False)
    assert client.get("/notifications/preferences/").content.decode().count("checked") == 1
