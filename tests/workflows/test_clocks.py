"""Clocks opened by transitions: pause and resume, local overrides, Christmas rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent
from tests.workflows.walker import default_raise, sample_values
from workflows import clocks, modern_slavery
from workflows.definitions import ClockKind, DeadlineRule, Unit
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import get_workflow
from workflows.services import case_transition, deadline_pause, deadline_resume, timescale_set

LONDON = ZoneInfo("Europe/London")
WORKFLOW = modern_slavery.WORKFLOW
CHILD = {"subject_estimated_age": 15, "subject_date_of_birth": None}


def at(*args):
    return datetime(*args, tzinfo=LONDON)


def to_awaiting_rg(frontline, lead):
    case = default_raise(WORKFLOW, frontline)(CHILD)
    for name in ("start_triage", "notify_child_welfare", "submit_nrm_referral"):
        fields = WORKFLOW.transition_meta(name)["fields"]
        case = case_transition(case=case, actor=lead, name=name, data=sample_values(fields))
    return case


def freeze(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.mark.django_db
def test_pause_and_resume_keeps_the_working_days_left(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 12, 21, 10))  # Monday
    case = to_awaiting_rg(frontline, lead)
    deadline = Deadline.objects.get(case=case, rule="rg_decision")
    # Day 0 Mon 21 Dec; 5 working days: 22, 23, 24, 29, 30 December.
    assert deadline.due_at.astimezone(LONDON).date().isoformat() == "2026-12-30"

    freeze(monkeypatch, at(2026, 12, 23, 11))  # Wednesday: 3 working days left (24, 29, 30)
    deadline = deadline_pause(deadline=deadline, actor=lead, reason="Awaiting police disclosure")
    assert (deadline.status, deadline.remaining) == (DeadlineStatus.PAUSED, 3.0)

    freeze(monkeypatch, at(2027, 1, 6, 9))  # Wednesday 6 January 2027
    deadline = deadline_resume(deadline=deadline, actor=lead)
    assert deadline.status == DeadlineStatus.OPEN
    # 3 working days after Wed 6 Jan: 7, 8, 11 January.
    assert deadline.due_at.astimezone(LONDON).date().isoformat() == "2027-01-11"
    verbs = list(AuditEvent.objects.filter(case=case).values_list("verb", flat=True))
    assert verbs[-2:] == ["deadline.paused", "deadline.resumed"]


@pytest.mark.django_db
def test_a_paused_clock_is_met_by_its_transition(frontline, lead):
    case = to_awaiting_rg(frontline, lead)
    deadline = Deadline.objects.get(case=case, rule="rg_decision")
    deadline_pause(deadline=deadline, actor=lead, reason="Court proceedings")
    fields = WORKFLOW.transition_meta("record_rg_positive")["fields"]
    case_transition(case=case, actor=lead, name="record_rg_positive", data=sample_values(fields))
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.MET
    assert deadline.paused_at is None


@pytest.mark.django_db
def test_pause_needs_a_reason_an_open_clock_and_a_lead(frontline, lead, other_lead):
    case = to_awaiting_rg(frontline, lead)
    deadline = Deadline.objects.get(case=case, rule="rg_decision")
    with pytest.raises(ValidationError):
        deadline_pause(deadline=deadline, actor=lead, reason="  ")
    with pytest.raises(PermissionDenied):
        deadline_pause(deadline=deadline, actor=other_lead, reason="x")
    with pytest.raises(ValidationError):
        deadline_resume(deadline=deadline, actor=lead)
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.OPEN


@pytest.mark.django_db
def test_an_overridden_local_timescale_is_used_for_new_clocks(frontline, lead, monkeypatch):
    timescale_set(case_type="modern_slavery", rule="rg_decision", duration=10)
    freeze(monkeypatch, at(2026, 11, 2, 10))  # Monday
    case = to_awaiting_rg(frontline, lead)
    deadline = Deadline.objects.get(case=case, rule="rg_decision")
    assert deadline.duration == 10
    assert deadline.due_at.astimezone(LONDON).date().isoformat() == "2026-11-16"


@pytest.mark.django_db
def test_statutory_timescales_cannot_be_overridden():
    with pytest.raises(ValidationError, match="statutory"):
        timescale_set(case_type="modern_slavery", rule="recovery_period", duration=10)
    with pytest.raises(ValidationError):
        timescale_set(case_type="modern_slavery", rule="no_such_rule", duration=10)
    with pytest.raises(ValidationError):
        timescale_set(case_type="modern_slavery", rule="rg_decision", duration=0)


def test_hour_clocks_skip_christmas_only_when_the_rule_says_so():
    start = at(2026, 12, 24, 12)
    skipping = clocks.due_after(start, 48, Unit.HOURS, disregard_christmas_day=True)
    continuous = clocks.due_after(start, 48, Unit.HOURS)
    assert skipping.astimezone(LONDON) == at(2026, 12, 27, 12)
    assert continuous - start == timedelta(hours=48)


def test_deadline_rule_api_shape():
    rule = DeadlineRule(
        name="x", label="X", starts_on="raise", duration=5, unit=Unit.WORKING_DAYS,
        met_by=["a"], statutory=False, source="RULES.md §0.3", kind=ClockKind.TASK,
        kind_reason="a test",
    )  # fmt: skip
    assert set(rule.as_api()) >= {
        "name", "label", "kind", "starts_on", "starts_at_field", "duration", "unit", "met_by",
        "statutory", "source",
    }  # fmt: skip
    assert rule.as_api()["kind"] == "task"


def test_a_clock_can_run_from_a_recorded_time_rather_than_when_it_was_recorded():
    workflow = get_workflow("cse")
    rule = workflow.rule("return_home_interview")
    now = at(2026, 12, 2, 9)
    start = clocks.rule_start(workflow, rule, {"returned_at": "2026-12-01T22:30:00+00:00"}, now)
    assert start == at(2026, 12, 1, 22, 30)
    assert clocks.rule_start(workflow, rule, {"returned_at": "2026-12-01"}, now) == at(2026, 12, 1)
    assert clocks.rule_start(workflow, rule, {}, now) == now
