"""One content check for every message (issue 17, finding 4): reminders, escalations and
digests name a case's clock and its state, so they go only to people who may read the
case in full, as its page shows it (``case_full_list_for_user``); the raiser of a Prevent
case knows it only as received (RULES.md §4.5) and a raiser sees only the status of
what they raised (DESIGN.md "Access"), whatever group they are in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from casework.models import Case
from casework.roles import Role
from casework.selectors import case_full_list_for_user, case_readers
from notifications.models import Notification, OutboxMessage
from tests.workflows.test_reminders import (
    CHILD,
    PREVENT_ADULT,
    WORKFLOW,
    at,
    clock_on,
    end_of,
)
from tests.workflows.walker import default_raise
from workflows import prevent
from workflows.models import Deadline, Reminder, ReminderStage
from workflows.reminders import digest_send, sweep
from workflows.services import bank_holidays_load

LABEL = "Police gateway assessment"


@pytest.fixture(autouse=True)
def _calendar(db):
    bank_holidays_load(first_year=2025, last_year=2028)


def service_manager(user):
    Group.objects.get_or_create(name=settings.SAFECASE_SERVICE_MANAGER_GROUP)[0].user_set.add(user)
    return user


def told(user, case):
    """Every message (email or in-app, queued or delivered) to ``user`` naming ``case``."""
    queued = OutboxMessage.objects.filter(recipient=user)
    named = [m for m in queued if case.reference in m.subject + m.body]
    inbox = Notification.objects.filter(recipient=user)
    return named + [n for n in inbox if case.reference in n.subject + n.body]


def escalate_everything(case):
    Deadline.objects.filter(case=case).delete()
    clock_on(case, due_at=end_of(2026, 12, 29), label=LABEL)
    for moment in (at(2026, 12, 24, 9), at(2026, 12, 29, 9), at(2026, 12, 30, 1)):
        sweep(at=moment)
    sweep(at=at(2027, 1, 5))


@pytest.mark.django_db
def test_an_uncleared_raiser_of_a_prevent_case_in_the_service_managers_is_told_nothing(
    make_user, prevent_lead
):
    raiser = service_manager(make_user("frontline.manager", Role.FRONTLINE, ["north"]))
    case = default_raise(prevent.WORKFLOW, raiser)(PREVENT_ADULT)
    escalate_everything(case)

    assert told(raiser, case) == []
    assert (
        Reminder.objects.get(deadline__case=case, stage=ReminderStage.ESCALATE_MANAGER).recipients
        == 0
    )
    # The cleared lead is told at every stage meant for them.
    assert {m.template for m in told(prevent_lead, case) if "deadline." in m.template} == {
        "deadline.remind_before", "deadline.remind_due_day", "deadline.escalate_lead",
    }  # fmt: skip


@pytest.mark.django_db
def test_a_frontline_service_manager_who_only_raised_a_case_gets_no_clock_of_it(make_user, lead):
    raiser = service_manager(make_user("frontline.manager", Role.FRONTLINE, ["north"]))
    manager = service_manager(make_user("manager.lead", Role.LEAD, ["north"]))
    case = default_raise(WORKFLOW, raiser)(CHILD)
    escalate_everything(case)

    assert told(raiser, case) == []
    assert {m.template for m in told(manager, case)} >= {"deadline.escalate_manager"}


@pytest.mark.django_db
def test_a_raiser_allocated_the_case_is_reminded(make_user, lead):
    """Allocation opens the case in full: then the raiser is its worker and is told."""
    raiser = make_user("frontline.worker", Role.FRONTLINE, ["north"])
    case = default_raise(WORKFLOW, raiser)(CHILD)
    Case.objects.filter(pk=case.pk).update(owner=raiser)
    escalate_everything(case)
    assert "deadline.remind_due_day" in {m.template for m in told(raiser, case)}


@pytest.mark.django_db
def test_the_digest_leaves_out_a_prevent_case_an_uncleared_lead_raised(lead, prevent_lead):
    case = default_raise(prevent.WORKFLOW, lead)(PREVENT_ADULT)
    Deadline.objects.filter(case=case).delete()
    clock_on(case, due_at=end_of(2026, 12, 23), label=LABEL)

    digest_send(at=at(2026, 12, 21, 7))

    digests = {m.recipient: m for m in OutboxMessage.objects.filter(template="deadline.digest")}
    assert lead not in digests  # nothing else due for them: no digest at all
    assert LABEL in digests[prevent_lead].body


@pytest.mark.django_db
def test_full_readers_are_the_case_pages_readers(make_user, frontline, lead, prevent_lead):
    ordinary = default_raise(WORKFLOW, frontline)(CHILD)
    secret = default_raise(prevent.WORKFLOW, frontline)(PREVENT_ADULT)
    assert not case_full_list_for_user(frontline).filter(pk__in=[ordinary.pk, secret.pk]).exists()
    assert case_readers(ordinary, [frontline.pk, lead.pk, prevent_lead.pk]) == [
        lead.pk, prevent_lead.pk,
    ]  # fmt: skip
    assert case_readers(secret, [frontline.pk, lead.pk, prevent_lead.pk]) == [prevent_lead.pk]
