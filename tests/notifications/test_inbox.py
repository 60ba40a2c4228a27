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
from notifications.selectors import notification_list_for_user, notification_unread_count
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


# Every notification about a case links to it (issue 19) -----------------------------------


def _delivered(template: str) -> list[Notification]:
    from notifications.models import OutboxMessage

    for message in OutboxMessage.objects.filter(template=template, channel=Channel.IN_APP):
        outbox_deliver(message_id=message.pk)
    return list(Notification.objects.filter(outbox_message__template=template))


def test_notifications_about_a_case_record_it_and_link_to_its_page(
    client, reader, someone_else, make_user
):
    from casework.services import case_allocate
    from tests.samples import ADULT
    from tests.workflows.walker import default_raise
    from workflows import modern_slavery

    # Not at immediate risk: the leads hear of it as an ordinary new concern.
    case = default_raise(modern_slavery.WORKFLOW, reader)({**ADULT, "immediate_risk": False})
    raised = _delivered("case.raised")
    assert raised
    assert {(n.case_id, n.link) for n in raised} == {(case.pk, f"/cases/{case.reference}/")}
    # At immediate risk: the urgent message records and links to its case too (issue 19).
    urgent_case = default_raise(modern_slavery.WORKFLOW, reader)({**ADULT, "immediate_risk": True})
    urgent = _delivered("case.raised_urgent")
    assert urgent
    assert {(n.case_id, n.link) for n in urgent} == {
        (urgent_case.pk, f"/cases/{urgent_case.reference}/")
    }
    worker = make_user("worker.north", Role.FRONTLINE, ["north"])
    case_allocate(case=case, actor=someone_else, assignee=worker)
    [allocated] = _delivered("case.allocated")
    assert (allocated.case_id, allocated.link) == (case.pk, f"/cases/{case.reference}/")
    sign_in(client, worker)
    page = client.get("/notifications/").content.decode()
    assert f'href="/cases/{case.reference}/"' in page


def test_a_notification_with_a_link_of_its_own_also_names_its_case(client, reader):
    from tests.samples import ADULT
    from tests.workflows.walker import default_raise
    from workflows import modern_slavery

    case = default_raise(modern_slavery.WORKFLOW, reader)(ADULT)
    message = outbox_enqueue(
        recipient_id=reader.pk, channel=Channel.IN_APP, template="referral.sent",
        subject=f"{case.reference}: referral sent", body="Sent.", link="/referrals/1/",
        case=case,
    )  # fmt: skip
    outbox_deliver(message_id=message.pk)
    sign_in(client, reader)
    page = client.get("/notifications/").content.decode()
    assert 'href="/referrals/1/"' in page
    assert f'Case: <a class="govuk-link" href="/cases/{case.reference}/">' in page


def test_existing_notifications_are_back_filled_with_their_case(reader):
    import importlib

    from django.apps import apps

    from notifications.models import OutboxMessage
    from tests.samples import ADULT
    from tests.workflows.walker import default_raise
    from workflows import community_trigger, modern_slavery
    from workflows.models import Deadline

    backfill = importlib.import_module(
        "notifications.migrations.0006_backfill_notification_cases"
    ).backfill
    case = default_raise(modern_slavery.WORKFLOW, reader)(ADULT)
    trigger = default_raise(community_trigger.WORKFLOW, reader)({})
    deadline = Deadline.objects.filter(case=trigger).first()
    old = [
        OutboxMessage.objects.create(
            recipient=reader, channel=Channel.IN_APP, template="case.transitioned",
            subject=f"{case.reference}: Start triage", body="Moved on.",
        ),
        OutboxMessage.objects.create(
            recipient=reader, channel=Channel.IN_APP, template="deadline.remind_before",
            subject="A clock is due", body="Due soon.", link=f"/cases/{trigger.reference}/",
            dedupe_key=f"deadline:{deadline.pk}:remind_before:{reader.pk}:in_app",
        ),
        OutboxMessage.objects.create(
            recipient=reader, channel=Channel.IN_APP, template="audit.checkpoint",
            subject="Audit checkpoint", body="Nothing about a case.",
        ),
    ]  # fmt: skip
    for message in old:
        outbox_deliver(message_id=message.pk)
    Notification.objects.update(case=None)
    OutboxMessage.objects.update(case=None)
    Notification.objects.filter(outbox_message=old[0]).update(link="")

    backfill(apps, None)

    about = {n.outbox_message_id: n for n in Notification.objects.all()}
    assert (about[old[0].pk].case_id, about[old[0].pk].link) == (
        case.pk, f"/cases/{case.reference}/"
    )  # fmt: skip
    assert about[old[1].pk].case_id == trigger.pk
    assert (about[old[2].pk].case_id, about[old[2].pk].link) == (None, "")


def test_the_unread_count_is_the_users_own_unread_notifications_only(reader, someone_else):
    for n in range(3):
        notify(reader, f"Unread {n}")
    notify(reader, "Read", read=True)
    notify(someone_else, "Not yours")
    assert notification_unread_count(reader) == 3
    assert notification_unread_count(someone_else) == 1
    for user in (reader, someone_else):
        mine = notification_list_for_user(user)
        assert notification_unread_count(user) == mine.filter(read_at__isnull=True).count()
    assert notification_unread_count(AnonymousUser()) == 0
