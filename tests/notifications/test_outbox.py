"""The outbox: written in the change's transaction, delivered once after commit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from casework.roles import Role
from notifications.models import Channel, Notification, OutboxMessage, OutboxStatus
from notifications.services import outbox_deliver, outbox_enqueue
from tests.workflows.walker import default_raise, sample_values
from workflows import modern_slavery, prevent
from workflows.services import case_transition


@pytest.fixture
def user(make_user):
    user = make_user("lead.north", Role.LEAD, ["north"])
    user.email = "lead@example.org"
    user.save()
    return user


def enqueue(user, channel=Channel.IN_APP, **kwargs):
    return outbox_enqueue(
        recipient_id=user.pk, channel=channel, template="t", subject="Subject",
        body="Body", link="/cases/SC-1/", **kwargs,
    )  # fmt: skip


@pytest.mark.django_db
def test_delivery_after_commit_is_scheduled(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = enqueue(user)
    assert len(callbacks) == 1
    assert message.status == OutboxStatus.PENDING


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_message(user, django_capture_on_commit_callbacks):
    def failing_change():
        with transaction.atomic():
            enqueue(user)
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        failing_change()
    assert OutboxMessage.objects.count() == 0
    assert callbacks == []


@pytest.mark.django_db
def test_in_app_delivery_happens_once(user):
    message = enqueue(user)
    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False
    notification = Notification.objects.get(recipient=user)
    assert (notification.subject, notification.link) == ("Subject", "/cases/SC-1/")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)


@pytest.mark.django_db
def test_email_delivery_links_to_the_service(user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SAFECASE_BASE_URL = "https://safecase.example.org/"
    message = enqueue(user, channel=Channel.EMAIL)
    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lead@example.org"]
    assert "https://safecase.example.org/cases/SC-1/" in mail.outbox[0].body


@pytest.mark.django_db
def test_email_to_a_user_without_address_fails_visibly(user):
    user.email = ""
    user.save()
    message = enqueue(user, channel=Channel.EMAIL)
    assert outbox_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.last_error) == (OutboxStatus.FAILED, "recipient has no email")


@pytest.mark.django_db
def test_a_dedupe_key_queues_a_message_once(user):
    assert enqueue(user, dedupe_key="deadline:1:remind") is not None
    assert enqueue(user, dedupe_key="deadline:1:remind") is None
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_raising_a_case_notifies_the_team_leads(make_user):
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    north = make_user("lead.north", Role.LEAD, ["north"])
    make_user("lead.south", Role.LEAD, ["south"])
    cleared = make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])
    case = default_raise(modern_slavery.WORKFLOW, frontline)(
        {"subject_estimated_age": 30, "subject_date_of_birth": None}
    )
    recipients = set(OutboxMessage.objects.values_list("recipient_id", flat=True))
    assert recipients == {north.pk, cleared.pk}
    assert OutboxMessage.objects.filter(subject__contains=case.reference).count() == 2


@pytest.mark.django_db
def test_a_prevent_case_notifies_only_cleared_leads(make_user):
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    make_user("lead.north", Role.LEAD, ["north"])
    cleared = make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])
    default_raise(prevent.WORKFLOW, frontline)(
        {"subject_estimated_age": 30, "subject_date_of_birth": None}
    )
    assert set(OutboxMessage.objects.values_list("recipient_id", flat=True)) == {cleared.pk}


@pytest.mark.django_db
def test_a_transition_notifies_the_allocated_worker_but_not_the_actor(make_user):
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    case = default_raise(modern_slavery.WORKFLOW, frontline)(
        {"subject_estimated_age": 30, "subject_date_of_birth": None}
    )
    type(case).objects.filter(pk=case.pk).update(owner=frontline)
    OutboxMessage.objects.all().delete()
    fields = modern_slavery.WORKFLOW.transition_meta("start_triage")["fields"]
    case_transition(case=case, actor=lead, name="start_triage", data=sample_values(fields))
    message = OutboxMessage.objects.get()
    assert message.recipient == frontline
    assert case.reference in message.subject
