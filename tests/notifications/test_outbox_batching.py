"""The messages one transaction writes reach the broker together once it commits
(``notifications.services._CommitBatch``): one publish, not one per message, and no
message lost to a savepoint rolled back beside it."""

from __future__ import annotations

import pytest
from django.db import transaction

from casework.roles import Role
from notifications import services
from notifications.models import Channel, OutboxMessage
from notifications.services import outbox_enqueue
from tests.workflows.walker import default_raise
from workflows import modern_slavery


class Refused(Exception):
    pass


@pytest.fixture
def publishes(monkeypatch):
    """Each publish the outbox makes after a commit, as the list of ids it sends."""
    calls: list[list[int]] = []

    def record(ids):
        calls.append(list(ids))
        return len(ids)

    monkeypatch.setattr(services, "_send_after_commit", record)
    return calls


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


def _message(user) -> OutboxMessage:
    return outbox_enqueue(
        recipient_id=user.pk, channel=Channel.IN_APP, template="t", subject="s", body="b"
    )


def _rolled_back_message(user) -> None:
    """Write a message in a transaction or savepoint that is then rolled back."""
    try:
        with transaction.atomic():
            _message(user)
            raise Refused
    except Refused:
        pass


@pytest.mark.django_db
def test_messages_written_in_one_transaction_are_published_once(
    lead, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        written = [_message(lead).pk for _ in range(3)]
    assert publishes == [written]


@pytest.mark.django_db
def test_a_raise_telling_every_lead_publishes_once(
    make_user, publishes, django_capture_on_commit_callbacks
):
    leads = [make_user(f"lead.{n}", Role.LEAD, ["north"]) for n in range(3)]
    frontline = make_user("worker.north", Role.FRONTLINE, ["north"])
    with django_capture_on_commit_callbacks(execute=True):
        case = default_raise(modern_slavery.WORKFLOW, frontline)({})
    told = set(OutboxMessage.objects.filter(case=case).values_list("recipient_id", flat=True))
    assert told >= {lead.pk for lead in leads}
    assert len(publishes) == 1
    assert sorted(publishes[0]) == sorted(
        OutboxMessage.objects.filter(case=case).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_message_after_a_rolled_back_savepoint_is_still_published(
    lead, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _rolled_back_message(lead)
        kept = _message(lead)
    assert [pk for call in publishes for pk in call] == [kept.pk]
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_rolled_back_savepoint_does_not_stop_what_came_before_it(
    lead, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        before = _message(lead)
        _rolled_back_message(lead)
        after = _message(lead)
    sent = [pk for call in publishes for pk in call]
    assert len(publishes) == 1
    # Every committed message is sent once; the rolled-back one may be named too, and
    # its delivery finds no row (outbox_deliver returns False).
    assert {before.pk, after.pk} <= set(sent)
    assert len(sent) == len(set(sent))
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {before.pk, after.pk}


@pytest.mark.django_db
def test_a_transaction_rolled_back_publishes_nothing_and_the_next_only_its_own(
    lead, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _rolled_back_message(lead)
        with transaction.atomic():
            kept = _message(lead)
    assert publishes == [[kept.pk]]
