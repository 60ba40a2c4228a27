"""Deadline reminders and escalations: timing on real dates, exactly once, nothing lost,
only to people who can open the case, and the daily digest (workflows/reminders.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from casework.models import AuditEvent
from casework.roles import Role
from casework.services import case_allocate
from config.celery import app as celery_app
from notifications.models import Channel, OutboxMessage
from notifications.services import notification_preference_set
from tests.threads import run_in_threads
from tests.workflows.walker import default_raise, sample_values
from workflows import modern_slavery, prevent, reminders
from workflows.clocks import bank_holidays
from workflows.models import Deadline, DeadlineKind, DeadlineStatus, Reminder, ReminderStage
from workflows.reminders import ReminderPolicy, digest_send, stage_schedule, sweep
from workflows.services import (
    bank_holidays_load,
    case_transition,
    deadline_pause,
    deadline_resume,
)

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
WORKFLOW = modern_slavery.WORKFLOW
CHILD = {"subject_estimated_age": 15, "subject_date_of_birth": None}
PREVENT_ADULT = {"subject_date_of_birth": "1999-03-02", "subject_estimated_age": None}
S = ReminderStage


def at(*args):
    return datetime(*args, tzinfo=LONDON)


def end_of(year, month, day):
    return at(year, month, day, 23, 59, 59, 999999)


def freeze(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture(autouse=True)
def _calendar(db):
    """The bank holidays the dates below rely on (a transactional test empties tables)."""
    bank_holidays_load(first_year=2025, last_year=2028)


@pytest.fixture
def manager(make_user):
    """A service manager who is also a lead of the north team (so not Prevent-cleared)."""
    user = make_user("manager", Role.LEAD, ["north"])
    group, _ = Group.objects.get_or_create(name=settings.SAFECASE_SERVICE_MANAGER_GROUP)
    group.user_set.add(user)
    return user


def messages(stage=None):
    found = OutboxMessage.objects.filter(template__startswith="deadline.")
    if stage is not None:
        found = found.filter(template=f"deadline.{stage}")
    return found


def sent_to(stage):
    """{(username, channel)} a stage's messages went to."""
    return set(messages(stage).values_list("recipient__username", "channel"))


def rows(deadline=None):
    found = Reminder.objects.all() if deadline is None else deadline.reminders.all()
    return sorted(found.values_list("stage", "skipped"))


def open_rg_clock(frontline, lead, monkeypatch, started):
    """A real modern slavery case, allocated to ``frontline``, with the reasonable grounds
    clock (5 working days) started at ``started``."""
    freeze(monkeypatch, started)
    case = default_raise(WORKFLOW, frontline)(CHILD)
    case = case_allocate(case=case, actor=lead, assignee=frontline)
    for name in ("start_triage", "notify_child_welfare", "submit_nrm_referral"):
        fields = WORKFLOW.transition_meta(name)["fields"]
        case = case_transition(case=case, actor=lead, name=name, data=sample_values(fields))
    monkeypatch.undo()
    return case, Deadline.objects.get(case=case, rule="rg_decision")


def record_rg_positive(case, lead, monkeypatch, *, on):
    """Record a positive reasonable grounds decision dated ``on``, entered at noon that day."""
    freeze(monkeypatch, at(*(int(p) for p in on.split("-")), 12))
    fields = WORKFLOW.transition_meta("record_rg_positive")["fields"]
    data = {**sample_values(fields), "rg_decision_on": on}
    case = case_transition(case=case, actor=lead, name="record_rg_positive", data=data)
    monkeypatch.undo()
    return case


def clock_on(case, *, due_at, started_at=None, label="Channel panel discussion"):
    return Deadline.objects.create(
        case=case,
        rule="test_clock",
        label=label,
        unit="working_days",
        duration=5,
        started_at=started_at or due_at - timedelta(days=14),
        due_at=due_at,
    )


def schedule(due_at, started_at=None):
    times = stage_schedule(
        due_at=due_at,
        started_at=started_at or due_at - timedelta(days=30),
        holidays=bank_holidays(due_at),
        policy=ReminderPolicy.from_settings(),
    )
    return {s.stage: s.at for s in times}


# Timing on real dates ----------------------------------------------------------------------


@pytest.mark.django_db
def test_stages_around_christmas_2026_skip_the_weekend_and_bank_holidays(
    frontline, lead, monkeypatch
):
    # Day 0 Fri 18 Dec; 5 working days: 21, 22, 23, 24 and (after 25, 26-27, 28 Dec) 29.
    _, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))
    assert deadline.due_at == end_of(2026, 12, 29)

    times = schedule(deadline.due_at, deadline.started_at)

    assert times[S.REMIND_BEFORE] == at(2026, 12, 24, 9)  # Thu: 25 and 28 Dec are holidays
    assert times[S.REMIND_DUE_DAY] == at(2026, 12, 29, 9)
    assert times[S.ESCALATE_LEAD] == end_of(2026, 12, 29)
    assert times[S.ESCALATE_MANAGER] == end_of(2026, 12, 30)  # one working day later


@pytest.mark.django_db
def test_a_clock_due_on_a_monday_is_reminded_on_the_friday_before():
    times = schedule(end_of(2027, 1, 11))  # Monday 11 January 2027
    assert times[S.REMIND_BEFORE] == at(2027, 1, 8, 9)  # Friday
    assert times[S.ESCALATE_MANAGER] == end_of(2027, 1, 12)


@pytest.mark.django_db
def test_easter_and_new_year_substitute_days_are_not_working_days():
    # Due Tue 7 Apr 2026: Good Friday 3 Apr and Easter Monday 6 Apr are skipped.
    assert schedule(end_of(2026, 4, 7))[S.REMIND_BEFORE] == at(2026, 4, 2, 9)
    # Due Fri 31 Dec 2027: the next working day is Tue 4 Jan 2028 (Mon 3 Jan is the
    # New Year substitute).
    assert schedule(end_of(2027, 12, 31))[S.ESCALATE_MANAGER] == end_of(2028, 1, 4)


@pytest.mark.django_db
def test_reminder_times_are_uk_local_time_in_summer():
    times = schedule(end_of(2026, 6, 1))  # Monday 1 June 2026, British Summer Time
    assert times[S.REMIND_BEFORE].astimezone(UTC) == datetime(2026, 5, 29, 8, tzinfo=UTC)


@pytest.mark.django_db
def test_an_hour_clock_due_at_night_escalates_at_the_same_time_a_working_day_later():
    due = at(2026, 12, 5, 3, 30)  # Saturday 03:30, e.g. a closure notice hearing clock
    times = schedule(due, started_at=at(2026, 12, 3, 3, 30))
    assert times[S.REMIND_BEFORE] == at(2026, 12, 4, 9)
    assert times[S.ESCALATE_MANAGER] == at(2026, 12, 7, 3, 30)  # Monday


@pytest.mark.django_db
def test_reminders_that_fall_outside_the_clock_are_skipped_not_sent(make_user, lead):
    worker = make_user("frontline.north", Role.FRONTLINE, ["north"])
    case = default_raise(WORKFLOW, worker)(CHILD)
    # Started on the afternoon of the day before it is due (a 1 working day clock), and
    # due at 03:30, before the 09:00 due-day reminder.
    clock_on(case, due_at=at(2026, 12, 5, 3, 30), started_at=at(2026, 12, 4, 14))

    report = sweep(at=at(2026, 12, 5, 4))

    assert rows() == [
        (S.ESCALATE_LEAD, False),
        (S.REMIND_BEFORE, True),
        (S.REMIND_DUE_DAY, True),
    ]
    assert report.skipped == {S.REMIND_BEFORE: 1, S.REMIND_DUE_DAY: 1}
    assert report.acted == {S.ESCALATE_LEAD: 1}
    assert not messages(S.REMIND_BEFORE).exists()
    assert not messages(S.REMIND_DUE_DAY).exists()


@pytest.mark.django_db
def test_the_database_finds_exactly_the_clocks_with_a_stage_due(frontline):
    """The sweep's query is the inverse of the schedule: at any moment it selects the
    clocks that have a stage due, and no others (weekends, Christmas, 09:00 edges)."""
    case = default_raise(WORKFLOW, frontline)(CHILD)
    first = at(2026, 12, 17, 0, 30)
    clocks = [
        clock_on(case, due_at=first + timedelta(hours=7 * i + (i % 3) * 11), started_at=first)
        for i in range(60)
    ] + [clock_on(case, due_at=end_of(2026, 12, d), started_at=first) for d in range(18, 31)]
    holidays = bank_holidays(first)
    policy = ReminderPolicy.from_settings()
    stages = {c.pk: {s.stage: s.at for s in schedule_of(c, holidays, policy)} for c in clocks}
    moments = [first + timedelta(hours=8 * i, minutes=i % 7) for i in range(70)]
    moments += [at(2026, 12, 24, 8, 59, 59), at(2026, 12, 24, 9), at(2026, 12, 29, 9)]

    def selected(now):
        found = reminders.sweep_candidates(now, holidays, policy).filter(case=case)
        return set(found.values_list("pk", flat=True))

    for now in moments:
        expected = {pk for pk, t in stages.items() if min(t.values()) <= now}
        assert selected(now) == expected, now
    Deadline.objects.filter(case=case).update(status=DeadlineStatus.MISSED)
    for now in moments:
        expected = {pk for pk, t in stages.items() if t[S.ESCALATE_MANAGER] <= now}
        assert selected(now) == expected, now


def schedule_of(clock, holidays, policy):
    return stage_schedule(
        due_at=clock.due_at, started_at=clock.started_at, holidays=holidays, policy=policy
    )


# Exactly once ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_stage_is_sent_once_at_its_time(frontline, lead, manager, monkeypatch):
    frontline.email = "worker@example.org"
    frontline.save()
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))

    sweep(at=at(2026, 12, 24, 8, 59))
    assert rows() == []

    for _ in range(3):
        sweep(at=at(2026, 12, 24, 9))
    assert rows() == [(S.REMIND_BEFORE, False)]
    assert sent_to(S.REMIND_BEFORE) == {
        ("frontline.north", Channel.IN_APP),
        ("frontline.north", Channel.EMAIL),
    }

    sweep(at=at(2026, 12, 29, 9))
    sweep(at=at(2026, 12, 29, 23))
    assert sent_to(S.REMIND_DUE_DAY) == {
        ("frontline.north", Channel.IN_APP),
        ("frontline.north", Channel.EMAIL),
    }
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.OPEN
    assert not messages(S.ESCALATE_LEAD).exists()

    sweep(at=at(2026, 12, 30, 0, 0))
    sweep(at=at(2026, 12, 30, 12))
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.MISSED
    # The case's leads: the team's lead and the manager, who is a lead of north too.
    assert sent_to(S.ESCALATE_LEAD) == {
        ("lead.north", Channel.IN_APP),
        ("manager", Channel.IN_APP),
    }
    assert not messages(S.ESCALATE_MANAGER).exists()

    for moment in (at(2026, 12, 31, 0, 0), at(2027, 1, 4, 9), at(2027, 2, 1)):
        sweep(at=moment)
    assert sent_to(S.ESCALATE_MANAGER) == {("manager", Channel.IN_APP)}
    assert rows() == [(stage, False) for stage in sorted(S.values) if stage != S.PERIOD_ENDED]
    assert messages().count() == 2 + 2 + 2 + 1
    assert messages().filter(status="pending").count() == messages().count()


@pytest.mark.django_db
def test_a_catch_up_sweep_sends_only_the_latest_stage_due_and_records_the_others(
    frontline, lead, manager, monkeypatch
):
    """Workers and broker down from before the first reminder until 6 hours after the
    due time: the first sweep after sends the stage that is due now (the escalation to
    the leads), once, and records the two reminders it overtook as skipped, so nobody
    gets "due tomorrow", "due today" and "overdue" together."""
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))
    catch_up = deadline.due_at + timedelta(hours=6)

    report = sweep(at=catch_up)
    again = sweep(at=catch_up + timedelta(minutes=5))

    assert rows() == [(S.ESCALATE_LEAD, False), (S.REMIND_BEFORE, True), (S.REMIND_DUE_DAY, True)]
    assert report.missed == 1
    assert dict(report.acted) == {S.ESCALATE_LEAD: 1}
    assert dict(report.skipped) == {S.REMIND_BEFORE: 1, S.REMIND_DUE_DAY: 1}
    assert (again.missed, sum(again.acted.values())) == (0, 0)
    assert not messages(S.REMIND_BEFORE).exists()
    assert not messages(S.REMIND_DUE_DAY).exists()
    assert sent_to(S.ESCALATE_LEAD) == {("lead.north", Channel.IN_APP), ("manager", Channel.IN_APP)}
    # Nothing is lost: the managers' escalation still comes at its own time, once.
    sweep(at=at(2026, 12, 31, 0, 0))
    sweep(at=at(2027, 1, 4, 9))
    assert sent_to(S.ESCALATE_MANAGER) == {("manager", Channel.IN_APP)}


@pytest.mark.django_db
def test_a_catch_up_past_the_managers_escalation_still_tells_the_leads_once(
    frontline, lead, monkeypatch
):
    """Down for weeks, past the managers' escalation too, with nobody in the managers'
    group: the case's leads are still told it is overdue (the latest stage meant for
    them), once; the managers' stage is recorded with nobody to tell, not dropped."""
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))

    report = sweep(at=at(2027, 1, 20, 10))

    assert rows() == [
        (S.ESCALATE_LEAD, False), (S.ESCALATE_MANAGER, False),
        (S.REMIND_BEFORE, True), (S.REMIND_DUE_DAY, True),
    ]  # fmt: skip
    assert sent_to(S.ESCALATE_LEAD) == {("lead.north", Channel.IN_APP)}
    assert not messages(S.ESCALATE_MANAGER).exists()
    assert dict(report.unheard) == {S.ESCALATE_MANAGER: 1}


@pytest.mark.django_db
def test_a_reminder_caught_up_before_the_due_time_still_says_due_by(frontline, lead, monkeypatch):
    """Down over both reminder times but back before the clock is due: the due-day
    reminder alone goes, saying it is due today."""
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))

    sweep(at=at(2026, 12, 29, 15))

    assert rows() == [(S.REMIND_BEFORE, True), (S.REMIND_DUE_DAY, False)]
    assert sent_to(S.REMIND_DUE_DAY) == {("frontline.north", Channel.IN_APP)}
    assert "is due today, by the end of Tuesday 29 December 2026" in (
        messages(S.REMIND_DUE_DAY).get().subject
    )


@pytest.mark.django_db
def test_a_clock_backdated_past_three_stages_sends_one_message_per_person_per_channel(
    frontline, lead, manager, monkeypatch
):
    """Acceptance (issue 14): a concern recorded late, whose clock started from a past
    date and is already past its two reminders and its due time, produces one message
    per person per channel, not three."""
    lead.email = "lead@example.org"
    lead.save()
    freeze(monkeypatch, at(2026, 12, 30, 10))
    case = default_raise(WORKFLOW, frontline)(CHILD)
    monkeypatch.undo()
    # Started (the event happened) on 18 December, recorded on 30 December: due by the
    # end of 29 December, so remind_before, remind_due_day and escalate_lead are all due.
    deadline = clock_on(case, due_at=end_of(2026, 12, 29), started_at=at(2026, 12, 18, 10))

    sweep(at=at(2026, 12, 30, 10, 5))
    sweep(at=at(2026, 12, 30, 10, 10))

    sent = list(messages().values_list("recipient__username", "channel"))
    assert sorted(sent) == sorted(
        [
            ("lead.north", Channel.IN_APP),
            ("lead.north", Channel.EMAIL),
            ("manager", Channel.IN_APP),
        ]
    )
    assert set(messages().values_list("template", flat=True)) == {"deadline.escalate_lead"}
    assert rows(deadline) == [
        (S.ESCALATE_LEAD, False),
        (S.REMIND_BEFORE, True),
        (S.REMIND_DUE_DAY, True),
    ]
    assert set(messages().values_list("link", flat=True)) == {f"/cases/{case.reference}/"}


@pytest.mark.django_db
def test_a_paused_clock_gets_nothing_and_is_reminded_after_it_resumes(frontline, lead, monkeypatch):
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))
    freeze(monkeypatch, at(2026, 12, 21, 11))  # Monday: 4 working days left (22-29 Dec)
    deadline = deadline_pause(deadline=deadline, actor=lead, reason="Police disclosure")

    sweep(at=at(2027, 1, 20))
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.PAUSED
    assert rows() == []

    freeze(monkeypatch, at(2027, 1, 11, 10))  # resumed on Monday 11 January 2027
    deadline = deadline_resume(deadline=deadline, actor=lead)
    monkeypatch.undo()
    assert deadline.due_at == end_of(2027, 1, 15)  # 12, 13, 14, 15 January

    sweep(at=at(2027, 1, 14, 9))
    assert rows() == [(S.REMIND_BEFORE, False)]
    assert messages(S.REMIND_BEFORE).get().recipient == frontline
    assert "Friday 15 January 2027" in messages(S.REMIND_BEFORE).get().body


@pytest.mark.django_db
def test_a_met_clock_gets_nothing_more(frontline, lead, monkeypatch):
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))
    sweep(at=at(2026, 12, 24, 9))
    record_rg_positive(case, lead, monkeypatch, on="2026-12-24")

    sweep(at=at(2027, 1, 31))

    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.MET
    assert rows(deadline) == [(S.REMIND_BEFORE, False)]


@pytest.mark.django_db
def test_a_clock_met_after_it_was_missed_stays_missed_and_is_not_escalated_further(
    frontline, lead, manager, monkeypatch
):
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))
    sweep(at=at(2026, 12, 30, 10))
    record_rg_positive(case, lead, monkeypatch, on="2026-12-30")

    sweep(at=at(2027, 1, 31))

    deadline.refresh_from_db()
    assert (deadline.status, deadline.met_at is not None) == (DeadlineStatus.MISSED, True)
    assert not deadline.reminders.filter(stage=S.ESCALATE_MANAGER).exists()


@pytest.mark.django_db
def test_clocks_of_a_closed_case_are_cancelled_and_never_remind(frontline, lead, monkeypatch):
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))
    fields = WORKFLOW.transition_meta("withdraw")["fields"]
    case_transition(case=case, actor=lead, name="withdraw", data=sample_values(fields))

    sweep(at=at(2027, 1, 31))

    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.CANCELLED
    assert rows() == []


@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_once_send_each_stage_once(make_user, teams):
    roles = {"frontline.north": Role.FRONTLINE, "lead.north": Role.LEAD}
    worker, lead = (make_user(name, role, ["north"]) for name, role in roles.items())
    due = end_of(2026, 12, 29)
    for _ in range(12):
        case = default_raise(WORKFLOW, worker)(CHILD)
        if case.pk % 2:
            case_allocate(case=case, actor=lead, assignee=worker)
        clock_on(case, due_at=due)

    results, errors = run_in_threads(lambda i: sweep(at=due + timedelta(hours=6)), 4)

    assert errors == []
    assert sum(r.acted[S.ESCALATE_LEAD] for r in results) == 12
    assert Reminder.objects.count() == 36  # 12 clocks x 3 stages, once each
    assert Reminder.objects.filter(skipped=True).count() == 24  # the reminders overtaken
    assert messages(S.ESCALATE_LEAD).count() == 12
    assert not messages(S.REMIND_BEFORE).exists()
    # Each clock marked missed once, by whichever sweep locked it (they skip each other's
    # locked clocks, so overlapping sweeps share the twelve between them).
    assert sum(r.missed for r in results) == 12
    assert Deadline.objects.filter(status=DeadlineStatus.MISSED).count() == 12


# Periods ------------------------------------------------------------------------------------


def period_on(case, *, due_at, started_at=None, label="Minimum recovery period"):
    return Deadline.objects.create(
        case=case,
        rule="test_period",
        label=label,
        kind=DeadlineKind.PERIOD,
        unit="calendar_days",
        duration=30,
        started_at=started_at or due_at - timedelta(days=30),
        due_at=due_at,
    )


@pytest.mark.django_db
def test_a_recovery_period_is_never_reminded_escalated_or_missed(
    frontline, lead, manager, monkeypatch
):
    """Acceptance (issue 14): a positive reasonable grounds decision dated Monday
    30 November 2026 gives a minimum recovery period to the end of Wednesday 30 December
    2026; it is a period, so sweeps up to 5 January 2027 send no reminder or escalation
    about it and do not mark it missed: it has ended, with one quiet note."""
    freeze(monkeypatch, at(2026, 11, 20, 10))
    case = default_raise(WORKFLOW, frontline)(CHILD)
    case = case_allocate(case=case, actor=lead, assignee=frontline)
    for name in ("start_triage", "notify_child_welfare", "submit_nrm_referral"):
        fields = WORKFLOW.transition_meta(name)["fields"]
        case = case_transition(case=case, actor=lead, name=name, data=sample_values(fields))
    monkeypatch.undo()
    record_rg_positive(case, lead, monkeypatch, on="2026-11-30")
    period = Deadline.objects.get(case=case, rule="recovery_period")
    assert (period.kind, period.due_at) == (DeadlineKind.PERIOD, end_of(2026, 12, 30))
    OutboxMessage.objects.all().delete()

    for moment in (at(2026, 12, 29, 9), at(2026, 12, 30, 9), at(2026, 12, 31, 0, 5)):
        sweep(at=moment)
    report = sweep(at=at(2027, 1, 5))

    period.refresh_from_db()
    assert period.status == DeadlineStatus.ENDED
    assert period.closed_at == period.due_at
    assert not Deadline.objects.overdue(at(2027, 1, 5)).filter(pk=period.pk).exists()
    assert rows(period) == [(S.PERIOD_ENDED, False)]
    about = messages().filter(body__contains="Minimum recovery period")
    assert list(about.values_list("template", "recipient__username", "channel")) == [
        ("deadline.period_ended", "frontline.north", Channel.IN_APP)
    ]
    note = about.get()
    assert note.subject == f"{case.reference}: Minimum recovery period has ended"
    assert "ended at the end of Wednesday 30 December 2026" in note.body
    assert note.link == f"/cases/{case.reference}/"
    assert report.missed == 0


@pytest.mark.django_db
def test_a_period_ended_note_goes_once_in_app_to_the_leads_of_an_unallocated_case(
    frontline, lead, other_lead, prevent_lead
):
    lead.email = "lead@example.org"
    lead.save()
    case = default_raise(WORKFLOW, frontline)(CHILD)
    period = period_on(case, due_at=end_of(2026, 12, 30))
    task = clock_on(case, due_at=end_of(2026, 12, 30))
    Deadline.objects.filter(pk=task.pk).update(status=DeadlineStatus.MET, met_at=at(2026, 12, 1))

    first = sweep(at=at(2027, 1, 5))
    sweep(at=at(2027, 1, 5, 0, 5))
    sweep(at=at(2027, 2, 1))

    assert first.ended == 1
    assert sent_to(S.PERIOD_ENDED) == {
        ("lead.north", Channel.IN_APP),
        ("prevent.lead", Channel.IN_APP),
    }
    assert messages().count() == 2
    period.refresh_from_db()
    assert (period.status, period.met_at) == (DeadlineStatus.ENDED, None)


@pytest.mark.django_db
def test_a_period_of_a_prevent_case_is_noted_only_to_cleared_leads(frontline, lead, prevent_lead):
    case = default_raise(prevent.WORKFLOW, frontline)(PREVENT_ADULT)
    Deadline.objects.filter(case=case).delete()
    period_on(case, due_at=end_of(2026, 12, 30), label="Appeal window")

    sweep(at=at(2027, 1, 5))

    assert sent_to(S.PERIOD_ENDED) == {("prevent.lead", Channel.IN_APP)}


@pytest.mark.django_db
def test_a_running_period_is_not_even_a_candidate_of_the_sweep(frontline):
    case = default_raise(WORKFLOW, frontline)(CHILD)
    Deadline.objects.filter(case=case).delete()
    period = period_on(case, due_at=end_of(2026, 12, 30))
    holidays = bank_holidays(period.due_at)
    policy = ReminderPolicy.from_settings()

    # Past both reminder times, before its end.
    assert not reminders.sweep_candidates(at(2026, 12, 30, 12), holidays, policy).exists()
    assert list(reminders.sweep_candidates(at(2026, 12, 31), holidays, policy)) == [period]


@pytest.mark.django_db
def test_periods_ending_together_cost_the_same_queries_however_many(
    frontline, lead, django_assert_num_queries
):
    case = default_raise(WORKFLOW, frontline)(CHILD)
    Deadline.objects.filter(case=case).delete()
    sweep(at=at(2026, 1, 5))  # creates the service manager group
    for _ in range(2):
        period_on(case, due_at=end_of(2026, 12, 30))
    with django_assert_num_queries(QUERIES, exact=False) as few:
        sweep(at=at(2027, 1, 5))
    for _ in range(20):
        period_on(case, due_at=end_of(2027, 1, 30))
    with django_assert_num_queries(len(few.captured_queries)):
        sweep(at=at(2027, 2, 5))
    assert Deadline.objects.filter(case=case, status=DeadlineStatus.ENDED).count() == 22
    assert messages(S.PERIOD_ENDED).count() == 22


# Nobody to tell -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stage_with_nobody_to_tell_is_recorded_and_listed_not_dropped(frontline, lead):
    """The managers' escalation with an empty "Service managers" group reaches nobody:
    it is recorded (recipients 0, not skipped), counted and listed by
    ``reminders_unheard``; stages that reached someone, or were skipped, are not."""
    case = default_raise(WORKFLOW, frontline)(CHILD)
    deadline = clock_on(case, due_at=end_of(2026, 12, 29))
    sweep(at=at(2026, 12, 30, 1))

    report = sweep(at=at(2027, 1, 5))

    assert report.unheard == {S.ESCALATE_MANAGER: 1}
    unheard = reminders.reminders_unheard()
    assert list(unheard.values_list("deadline", "stage")) == [(deadline.pk, S.ESCALATE_MANAGER)]
    assert sorted(Reminder.objects.exclude(pk__in=unheard).values_list("stage", flat=True)) == [
        S.ESCALATE_LEAD,
        S.REMIND_BEFORE,
        S.REMIND_DUE_DAY,
    ]


# Who is told -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unallocated_case_reminds_its_leads(frontline, lead, other_lead, prevent_lead):
    case = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(case, due_at=end_of(2026, 12, 29))

    sweep(at=at(2026, 12, 24, 9))

    assert {u for u, _ in sent_to(S.REMIND_BEFORE)} == {"lead.north", "prevent.lead"}


@pytest.mark.django_db
def test_nobody_is_told_about_a_prevent_case_they_cannot_open(
    frontline, lead, prevent_lead, manager
):
    case = default_raise(prevent.WORKFLOW, frontline)(PREVENT_ADULT)
    Deadline.objects.filter(case=case).delete()
    clock_on(case, due_at=end_of(2026, 12, 29))
    ordinary = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(ordinary, due_at=end_of(2026, 12, 29))

    for moment in (at(2026, 12, 24, 9), at(2026, 12, 29, 9), at(2026, 12, 30, 1)):
        sweep(at=moment)
    sweep(at=at(2027, 1, 5))

    prevent_messages = messages().filter(link=f"/cases/{case.reference}/")
    assert set(prevent_messages.values_list("recipient__username", "template")) == {
        ("prevent.lead", "deadline.remind_before"),
        ("prevent.lead", "deadline.remind_due_day"),
        ("prevent.lead", "deadline.escalate_lead"),
    }
    # The manager is not Prevent-cleared, so the second escalation reaches nobody; it is
    # still recorded, so it is not tried again.
    escalation = Reminder.objects.get(deadline__case=case, stage=S.ESCALATE_MANAGER)
    assert (escalation.recipients, escalation.skipped) == (0, False)
    # The same manager is told about the case they can open.
    assert ("manager", Channel.IN_APP) in sent_to(S.ESCALATE_MANAGER)
    assert not messages().filter(recipient__in=[lead, frontline], link__contains=case.reference)


@pytest.mark.django_db
def test_a_service_manager_with_no_case_role_is_told_nothing(frontline, lead, make_user):
    outsider = make_user("manager.only", Role.ADMINISTRATOR, [])
    Group.objects.get_or_create(name=settings.SAFECASE_SERVICE_MANAGER_GROUP)[0].user_set.add(
        outsider
    )
    case = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(case, due_at=end_of(2026, 12, 29))

    sweep(at=at(2027, 1, 5))

    assert Reminder.objects.get(stage=S.ESCALATE_MANAGER).recipients == 0
    assert not messages().filter(recipient=outsider).exists()


@pytest.mark.django_db
def test_the_sweep_creates_the_service_manager_group(frontline):
    Group.objects.filter(name=settings.SAFECASE_SERVICE_MANAGER_GROUP).delete()
    sweep(at=at(2027, 1, 5))
    assert Group.objects.filter(name=settings.SAFECASE_SERVICE_MANAGER_GROUP).exists()


@pytest.mark.django_db
def test_email_copies_follow_the_address_and_the_preference(frontline, lead, make_user):
    lead.email = "lead@example.org"
    lead.save()
    second = make_user("lead.north.2", Role.LEAD, ["north"])
    second.email = "second@example.org"
    second.save()
    notification_preference_set(user=second, email_reminders=False, daily_digest=True)
    no_email = make_user("lead.north.3", Role.LEAD, ["north"])
    case = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(case, due_at=end_of(2026, 12, 29))

    sweep(at=at(2026, 12, 30, 1))

    assert sent_to(S.ESCALATE_LEAD) == {
        ("lead.north", Channel.IN_APP),
        ("lead.north", Channel.EMAIL),
        ("lead.north.2", Channel.IN_APP),
        (no_email.username, Channel.IN_APP),
    }


@pytest.mark.django_db
def test_a_message_names_the_case_what_is_due_and_when_and_nothing_else(
    frontline, lead, monkeypatch
):
    case, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))

    sweep(at=at(2026, 12, 24, 9))

    message = messages(S.REMIND_BEFORE).get()
    assert message.subject == (
        f"{case.reference}: Reasonable grounds decision (target) is due by the end of "
        "Tuesday 29 December 2026"
    )
    assert message.body == (
        f"Reasonable grounds decision (target) on case {case.reference} is due by the end "
        "of Tuesday 29 December 2026."
    )
    assert message.link == f"/cases/{case.reference}/"
    assert message.dedupe_key == f"deadline:{deadline.pk}:remind_before:{frontline.pk}:in_app"
    assert case.summary not in message.body


def test_times_in_words_follow_gov_uk_style():
    assert reminders.due_in_words(at(2026, 12, 5, 15, 30)) == "3:30pm on Saturday 5 December 2026"
    assert reminders.due_in_words(at(2026, 12, 5, 9)) == "9am on Saturday 5 December 2026"
    assert reminders.due_in_words(at(2026, 12, 5, 12)) == "midday on Saturday 5 December 2026"
    assert reminders.due_in_words(end_of(2026, 12, 5)) == "the end of Saturday 5 December 2026"


# Efficiency --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sweep_with_nothing_due_makes_the_same_few_queries_however_many_clocks(
    frontline, django_assert_num_queries
):
    case = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(case, due_at=end_of(2027, 3, 1))
    sweep(at=at(2027, 1, 5))  # creates the service manager group
    # 3, and one to find no footage request's clock due (footage.reminders).
    with django_assert_num_queries(4) as few:
        sweep(at=at(2027, 1, 5))
    for _ in range(40):
        clock_on(case, due_at=end_of(2027, 3, 1))
    with django_assert_num_queries(len(few.captured_queries)):
        sweep(at=at(2027, 1, 5))


# The sweep's fixed queries: 17 (the audit chain's lock and head one round trip since
# migration casework.0031), one for the names of the people told (the audit chain keeps
# them, issue 20), one to find no footage request's clock due (footage.reminders), and one
# for the groups, teams and per-case grants of the person told, read together
# (casework.permissions.access_facts_load).
QUERIES = 20


@pytest.mark.django_db
def test_a_sweep_with_many_due_queries_per_person_not_per_clock(
    frontline, lead, django_assert_num_queries
):
    def clocks(cases, each):
        for _ in range(cases):
            case = default_raise(WORKFLOW, frontline)(CHILD)
            for _ in range(each):
                clock_on(case, due_at=end_of(2026, 12, 29))

    sweep(at=at(2026, 1, 5))  # creates the service manager group
    clocks(1, 2)
    # A fixed cost, mostly per person told (4 of it the audit chain: lock, tail, the names
    # of the people told as they are now (issue 20), insert).
    with django_assert_num_queries(QUERIES) as few:
        sweep(at=at(2026, 12, 30, 1))
    clocks(3, 10)
    with django_assert_num_queries(len(few.captured_queries)):
        sweep(at=at(2026, 12, 30, 1))
    assert Reminder.objects.count() == 32 * 3
    assert messages().count() == 32  # the lead's escalation; the reminders it overtook skipped


# The command and the schedule --------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_deadlines_command_runs_as_of_the_given_time(frontline, lead, monkeypatch):
    _, deadline = open_rg_clock(frontline, lead, monkeypatch, at(2026, 12, 18, 10))
    out = StringIO()

    call_command("sweep_deadlines", "--at", "2026-12-30T06:00", stdout=out)

    text = out.getvalue()
    assert "as of 2026-12-30T06:00:00+00:00" in text
    assert "marked missed: 1" in text
    assert "remind_before: 0 sent, 1 skipped, 0 message(s)" in text
    assert "escalate_lead: 1 sent, 0 skipped, 1 message(s)" in text
    assert "escalate_manager: 0 sent" in text
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.MISSED


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01T09:00", "29/12/2026 09:00"])
def test_sweep_deadlines_command_refuses_a_bad_time(bad):
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("sweep_deadlines", "--at", bad)
    assert not Reminder.objects.exists()


def test_beat_runs_the_sweep_the_requeue_and_the_digest():
    schedule = celery_app.conf.beat_schedule
    tasks = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert tasks["workflows.tasks.sweep_deadlines"] == 300
    assert tasks["notifications.tasks.requeue_stale_outbox_messages"] == 300
    digest = tasks["workflows.tasks.send_daily_digests"]
    assert (digest.hour, digest.minute) == ({7}, {0})
    celery_app.loader.import_default_modules()
    for name in tasks:
        assert name in celery_app.tasks
        assert celery_app.tasks[name].acks_late


@pytest.mark.django_db
def test_the_sweep_task_runs_the_sweep(frontline, lead):
    from workflows.tasks import sweep_deadlines

    case = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(case, due_at=timezone.now() - timedelta(hours=1))

    result = sweep_deadlines.apply()

    assert result.successful()
    assert result.result["missed"] == 1
    assert messages(S.ESCALATE_LEAD).count() == 1


# The daily digest --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_digest_lists_each_persons_clocks_due_in_five_working_days(
    frontline, lead, other_lead, prevent_lead
):
    north = default_raise(WORKFLOW, frontline)(CHILD)
    case_allocate(case=north, actor=lead, assignee=frontline)
    secret = default_raise(prevent.WORKFLOW, frontline)(PREVENT_ADULT)
    Deadline.objects.filter(case=secret).delete()
    # Monday 21 December 2026 at 07:00: five working days on are 22, 23, 24, 29, 30 Dec.
    now = at(2026, 12, 21, 7)
    clock_on(north, due_at=end_of(2026, 12, 30), label="Due in time")
    clock_on(north, due_at=end_of(2026, 12, 31), label="Due too late")
    clock_on(north, due_at=end_of(2026, 12, 20), label="Already overdue")
    clock_on(secret, due_at=end_of(2026, 12, 22), label="Prevent clock")
    period_on(north, due_at=end_of(2026, 12, 23), label="Appeal window")

    report = digest_send(at=now)

    digests = {
        m.recipient.username: m for m in OutboxMessage.objects.filter(template="deadline.digest")
    }
    assert set(digests) == {"frontline.north", "lead.north", "prevent.lead"}
    assert report.sent == 3
    assert "Due in time" in digests["frontline.north"].body
    assert "Appeal window" not in digests["frontline.north"].body  # a period: nothing to do
    assert "Due too late" not in digests["frontline.north"].body
    assert "Already overdue" not in digests["frontline.north"].body
    assert "Prevent clock" not in digests["lead.north"].body  # not cleared for Prevent
    assert "Prevent clock" not in digests["frontline.north"].body  # raised it, not allocated
    assert "Prevent clock" in digests["prevent.lead"].body
    assert digests["lead.north"].dedupe_key == f"digest:{lead.pk}:2026-12-21"
    assert "the end of Wednesday 30 December 2026" in digests["lead.north"].body


@pytest.mark.django_db
def test_the_digest_is_sent_once_a_day_by_email_when_there_is_an_address(frontline, lead):
    lead.email = "lead@example.org"
    lead.save()
    case = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(case, due_at=end_of(2026, 12, 22))

    first = digest_send(at=at(2026, 12, 21, 7))
    again = digest_send(at=at(2026, 12, 21, 7, 5))
    tomorrow = digest_send(at=at(2026, 12, 22, 7))

    assert (first.sent, again.sent, again.already_sent, tomorrow.sent) == (1, 0, 1, 1)
    message = OutboxMessage.objects.filter(template="deadline.digest").first()
    assert message.channel == Channel.EMAIL
    assert f"http://127.0.0.1:8000/cases/{case.reference}/" in message.body


@pytest.mark.django_db
def test_no_digest_for_people_who_opted_out_or_have_nothing_due(frontline, lead, other_lead):
    notification_preference_set(user=lead, email_reminders=True, daily_digest=False)
    case = default_raise(WORKFLOW, frontline)(CHILD)
    clock_on(case, due_at=end_of(2026, 12, 22))

    report = digest_send(at=at(2026, 12, 21, 7))

    assert (report.sent, report.opted_out) == (0, 1)
    assert not OutboxMessage.objects.filter(template="deadline.digest").exists()


@pytest.mark.django_db
def test_each_reminder_and_escalation_sent_is_in_the_audit_trail(make_user, teams):
    worker = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    case = default_raise(WORKFLOW, worker)(CHILD)
    case_allocate(case=case, actor=lead, assignee=worker)
    deadline = clock_on(case, due_at=end_of(2026, 12, 29))
    for moment in (at(2026, 12, 24, 9), at(2026, 12, 29, 9), deadline.due_at + timedelta(hours=1)):
        sweep(at=moment)
    sweep(at=deadline.due_at + timedelta(hours=2))
    events = AuditEvent.objects.filter(case=case, verb__in=["deadline.reminded",
                                                            "deadline.escalated"])  # fmt: skip
    stages = sorted(e.data["stage"] for e in events)
    assert stages == ["escalate_lead", "remind_before", "remind_due_day"]
    escalation = events.get(data__stage="escalate_lead")
    assert (escalation.verb, escalation.actor) == ("deadline.escalated", None)
    assert escalation.data["recipients"] == [lead.pk]
