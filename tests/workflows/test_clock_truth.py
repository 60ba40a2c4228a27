"""Clocks that tell the truth (issue 14): started and met at the event's own date, every
rule declared as a task or a period with its start and stop events, dates checked."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.models import AuditEvent
from notifications.models import OutboxMessage
from tests.workflows.walker import default_raise, sample_values
from workflows import community_trigger, cse, modern_slavery, prevent
from workflows.clock_docs import clocks_markdown
from workflows.definitions import RAISE, ClockKind, FieldType
from workflows.models import Deadline, DeadlineKind, DeadlineStatus
from workflows.registry import WORKFLOWS
from workflows.reminders import sweep
from workflows.services import case_transition, deadline_pause

LONDON = ZoneInfo("Europe/London")


def at(*args):
    return datetime(*args, tzinfo=LONDON)


def end_of(*args):
    return datetime.combine(date(*args), time.max, tzinfo=LONDON)


def freeze(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def take(workflow, case, actor, name, **data):
    fields = workflow.transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


def walk(workflow, case, actor, *names):
    for name in names:
        case = take(workflow, case, actor, name)
    return case


def clock(case, rule):
    return Deadline.objects.get(case=case, rule=rule)


def trace(case):
    return (
        AuditEvent.objects.filter(case=case).count(),
        Deadline.objects.filter(case=case).count(),
        OutboxMessage.objects.count(),
        type(case).objects.get(pk=case.pk).version,
    )


def raise_cse(frontline):
    return default_raise(cse.WORKFLOW, frontline)(
        {
            "subject_given_names": "Amy",
            "subject_family_name": "Walsh",
            "subject_date_of_birth": "2011-05-01",
            "subject_estimated_age": None,
            "parent_carer_given_names": "Joanne",
            "parent_carer_family_name": "Walsh",
            "parent_carer_date_of_birth": None,
            "parent_carer_estimated_age": None,
            "consent_rationale": None,
            "child_view": None,
            "immediate_danger": False,
        }
    )


# --- The acceptance dates ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_strategy_discussion_recorded_two_days_late_counts_from_its_own_date(
    frontline, lead, monkeypatch
):
    freeze(monkeypatch, at(2026, 11, 27, 10))  # Friday: referred, decision to hold one
    case = walk(cse.WORKFLOW, raise_cse(frontline), lead, "refer_to_mash")
    case = take(
        cse.WORKFLOW, case, lead, "decide_strategy_discussion", mash_decision_on="2026-11-27"
    )
    freeze(monkeypatch, at(2026, 12, 2, 11))  # recorded on Wednesday 2 December
    case = take(cse.WORKFLOW, case, lead, "start_s47_enquiry",
                strategy_discussion_on="2026-11-30")  # fmt: skip
    icpc = clock(case, "icpc")
    assert icpc.due_at == end_of(2026, 12, 21)  # 15 working days from Monday 30 November
    assert timezone.localtime(icpc.started_at).date() == date(2026, 11, 30)
    assert icpc.recorded_at == at(2026, 12, 2, 11)


@pytest.mark.django_db
def test_a_positive_rg_decision_dated_earlier_runs_the_recovery_period_from_it(
    frontline, lead, monkeypatch
):
    freeze(monkeypatch, at(2026, 11, 23, 10))
    child = {"subject_estimated_age": 15, "subject_date_of_birth": None,
             "subject_given_names": "Maria", "subject_family_name": "K"}  # fmt: skip
    case = default_raise(modern_slavery.WORKFLOW, frontline)(child)
    case = walk(modern_slavery.WORKFLOW, case, lead, "start_triage", "notify_child_welfare",
                "submit_nrm_referral")  # fmt: skip
    freeze(monkeypatch, at(2026, 12, 2, 9))
    case = take(modern_slavery.WORKFLOW, case, lead, "record_rg_positive",
                rg_decision_on="2026-11-30")  # fmt: skip
    recovery = clock(case, "recovery_period")
    assert (recovery.kind, recovery.due_at) == (DeadlineKind.PERIOD, end_of(2026, 12, 30))
    assert not recovery.is_overdue(at(2027, 1, 5, 10))
    sweep(at=at(2027, 1, 5, 10))
    recovery.refresh_from_db()
    assert recovery.status == DeadlineStatus.ENDED  # never missed
    assert not OutboxMessage.objects.filter(template__startswith="deadline.escalate").exists()
    with pytest.raises(ValidationError):
        deadline_pause(deadline=clock(case, "rg_decision"), actor=lead, reason="x")


@pytest.mark.django_db
def test_exit_from_channel_on_a_sunday_sets_the_post_exit_reviews_from_it(
    frontline, prevent_lead, monkeypatch
):
    freeze(monkeypatch, at(2026, 5, 1, 10))
    adult = {"subject_given_names": "Daniel", "subject_family_name": "Hughes",
             "subject_date_of_birth": "1999-03-02", "subject_estimated_age": None}  # fmt: skip
    case = default_raise(prevent.WORKFLOW, frontline)(adult)
    case = walk(prevent.WORKFLOW, case, prevent_lead, "submit_referral",
                "start_gateway_assessment", "refer_to_channel", "list_for_panel", "adopt",
                "request_consent", "record_consent")  # fmt: skip
    freeze(monkeypatch, at(2026, 11, 25, 14))  # recorded on the Wednesday after
    case = take(prevent.WORKFLOW, case, prevent_lead, "exit_support", exited_on="2026-11-22")
    assert clock(case, "post_exit_review_6m").due_at == end_of(2027, 5, 22)
    assert clock(case, "post_exit_review_12m").due_at == end_of(2027, 11, 22)


@pytest.mark.django_db
def test_a_conference_held_in_time_but_recorded_after_the_sweep_is_met_not_missed(
    frontline, lead, monkeypatch
):
    freeze(monkeypatch, at(2026, 11, 30, 10))
    case = walk(cse.WORKFLOW, raise_cse(frontline), lead, "refer_to_mash",
                "decide_strategy_discussion", "start_s47_enquiry", "convene_icpc")  # fmt: skip
    icpc = clock(case, "icpc")
    sweep(at=icpc.due_at + (at(2026, 12, 23) - at(2026, 12, 22)))
    icpc.refresh_from_db()
    assert icpc.status == DeadlineStatus.MISSED  # the sweep saw nothing recorded
    held = timezone.localtime(icpc.due_at).date().isoformat()
    freeze(monkeypatch, icpc.due_at + (at(2026, 12, 24) - at(2026, 12, 22)))
    case = take(cse.WORKFLOW, case, lead, "hold_icpc_cp_plan", icpc_held_on=held)
    icpc.refresh_from_db()
    assert icpc.status == DeadlineStatus.MET
    assert icpc.met_late_by is None
    assert timezone.localtime(icpc.met_at).date().isoformat() == held


@pytest.mark.django_db
def test_a_task_met_after_its_due_date_stays_missed_and_says_how_late(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 11, 30, 10))
    case = walk(cse.WORKFLOW, raise_cse(frontline), lead, "refer_to_mash")
    freeze(monkeypatch, at(2026, 12, 4, 10))
    case = take(cse.WORKFLOW, case, lead, "decide_s17_assessment", mash_decision_on="2026-12-03")
    mash = clock(case, "mash_decision")  # due by the end of Tuesday 1 December
    assert mash.status == DeadlineStatus.MISSED
    assert timezone.localtime(mash.met_at).date() == date(2026, 12, 3)
    assert mash.met_late_by is not None


# --- Dates are checked ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_date_in_the_future_is_refused_with_nothing_written(frontline, lead):
    case = walk(cse.WORKFLOW, raise_cse(frontline), lead, "refer_to_mash",
                "decide_strategy_discussion")  # fmt: skip
    before = trace(case)
    tomorrow = (timezone.localdate() + (date(2026, 1, 2) - date(2026, 1, 1))).isoformat()
    with pytest.raises(ValidationError) as info:
        take(cse.WORKFLOW, case, lead, "start_s47_enquiry", strategy_discussion_on=tomorrow)
    message = info.value.message_dict["strategy_discussion_on"][0]
    assert message.endswith("must be today or in the past.")
    assert trace(case) == before


@pytest.mark.django_db
def test_a_stop_event_before_the_event_that_started_its_clock_is_refused(
    frontline, lead, monkeypatch
):
    freeze(monkeypatch, at(2026, 12, 2, 10))
    case = walk(cse.WORKFLOW, raise_cse(frontline), lead, "refer_to_mash",
                "decide_strategy_discussion")  # fmt: skip
    case = take(cse.WORKFLOW, case, lead, "start_s47_enquiry",
                strategy_discussion_on="2026-11-30")  # fmt: skip
    case = take(cse.WORKFLOW, case, lead, "convene_icpc", s47_concluded_on="2026-12-01")
    before = trace(case)
    with pytest.raises(ValidationError) as info:
        take(cse.WORKFLOW, case, lead, "hold_icpc_cp_plan", icpc_held_on="2026-11-27")
    assert "30 November 2026" in info.value.message_dict["icpc_held_on"][0]
    assert trace(case) == before


@pytest.mark.django_db
def test_the_community_trigger_acknowledgement_runs_from_the_date_received(frontline, monkeypatch):
    freeze(monkeypatch, at(2026, 12, 2, 10))
    application = {
        "applicant_given_names": "Jan", "applicant_family_name": "Novak",
        "application_basis": "affected_person", "application_received_on": "2026-11-25",
        "incidents": [incident("2026-11-01", "2026-11-02")],
    }  # fmt: skip
    case = default_raise(community_trigger.WORKFLOW, frontline)(application)
    ack = clock(case, "acknowledgement")
    assert timezone.localtime(ack.started_at).date() == date(2026, 11, 25)
    assert ack.due_at == end_of(2026, 12, 2)  # 5 working days from Wednesday 25 November


def incident(behaviour, reported) -> dict:
    return {"incident_date": str(behaviour), "reported_on": str(reported),
            "description": "Shouting at night.", "reported_to": "Police (101)"}  # fmt: skip


# --- The applicant's escalation window guards closing ----------------------------------------


def raise_below_threshold(frontline):
    application = {
        "applicant_given_names": "Jan", "applicant_family_name": "Novak",
        "application_basis": "affected_person", "application_received_on": None,
        "incidents": [incident(timezone.localdate(), timezone.localdate())],
    }  # fmt: skip
    return default_raise(community_trigger.WORKFLOW, frontline)(application)


@pytest.mark.django_db
def test_a_case_closes_while_the_escalation_window_is_open_only_if_the_applicant_waives_it(
    frontline, lead
):
    workflow = community_trigger.WORKFLOW
    case = walk(workflow, raise_below_threshold(frontline), lead, "acknowledge",
                "request_information", "start_threshold_decision",
                "decide_threshold_not_met")  # fmt: skip
    window = clock(case, "appeal_window_after_threshold_not_met")
    assert window.kind == DeadlineKind.PERIOD
    before = trace(case)
    with pytest.raises(ValidationError) as info:
        take(workflow, case, lead, "close_threshold_not_met", applicant_waived_escalation=False)
    assert (
        "may ask for an escalation until"
        in info.value.message_dict["applicant_waived_escalation"][0]
    )
    assert trace(case) == before
    case = take(workflow, case, lead, "close_threshold_not_met", applicant_waived_escalation=True)
    assert case.state == community_trigger.State.CLOSED


@pytest.mark.django_db
def test_a_case_closes_freely_once_the_escalation_window_has_ended(frontline, lead, monkeypatch):
    workflow = community_trigger.WORKFLOW
    case = walk(workflow, raise_below_threshold(frontline), lead, "acknowledge",
                "request_information", "start_threshold_decision",
                "decide_threshold_not_met")  # fmt: skip
    window = clock(case, "appeal_window_after_threshold_not_met")
    freeze(monkeypatch, window.due_at + (at(2026, 1, 2) - at(2026, 1, 1)))
    case = take(workflow, case, lead, "close_threshold_not_met", applicant_waived_escalation=False)
    assert case.state == community_trigger.State.CLOSED


# --- The Prevent panel's reassessment date ----------------------------------------------------


@pytest.mark.django_db
def test_the_panels_reassessment_is_due_by_the_date_it_set(frontline, prevent_lead, monkeypatch):
    freeze(monkeypatch, at(2026, 11, 2, 10))
    adult = {"subject_given_names": "Daniel", "subject_family_name": "Hughes",
             "subject_date_of_birth": "1999-03-02", "subject_estimated_age": None}  # fmt: skip
    case = default_raise(prevent.WORKFLOW, frontline)(adult)
    case = walk(prevent.WORKFLOW, case, prevent_lead, "submit_referral",
                "start_gateway_assessment", "refer_to_channel", "list_for_panel", "adopt",
                "request_consent")  # fmt: skip
    case = take(prevent.WORKFLOW, case, prevent_lead, "refuse_consent",
                consent_refused_on="2026-11-02", reassess_on="2027-02-01")  # fmt: skip
    reassess = clock(case, "reassessment_after_refusal")
    assert (reassess.kind, reassess.due_at) == (DeadlineKind.TASK, end_of(2027, 2, 1))
    case = take(prevent.WORKFLOW, case, prevent_lead, "reassess")
    reassess.refresh_from_db()
    assert reassess.status == DeadlineStatus.MET


# --- Every rule is declared in full, and documented ------------------------------------------


def _step_fields(workflow, name):
    if name == RAISE:
        return {f.name: f for f in workflow.intake_fields}
    return {f.name: f for f in workflow.transition_meta(name)["fields"]}


DATE_TYPES = (FieldType.DATE, FieldType.DATETIME)


@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_every_rule_has_a_kind_a_start_event_and_a_stop_event(case_type):
    workflow = WORKFLOWS[case_type]
    names = set(workflow.transition_names()) | {RAISE}
    for rule in workflow.deadline_rules:
        assert rule.kind in (ClockKind.TASK, ClockKind.PERIOD), rule.name
        assert rule.kind_reason, rule.name
        if rule.kind is ClockKind.PERIOD:
            assert rule.period_effect, rule.name
        assert rule.starts_on in names, rule.name
        assert rule.met_by, rule.name
        assert set(rule.met_by) <= names, rule.name
        # The start falls back to the recording time only where the step has no date of
        # the event: every starting step with a required date names its event field.
        field = workflow.start_field(rule)
        fields = _step_fields(workflow, rule.starts_on)
        if field:
            assert field in fields or rule.starts_at_field, (rule.name, field)
        else:
            dated = [f for f in fields.values() if f.type in DATE_TYPES and f.required]
            assert not dated or rule.starts_on in NO_EVENT_DATE, (rule.name, dated)
        for stop in rule.met_by:
            stop_fields = _step_fields(workflow, stop)
            event = workflow.event_field(stop)
            dated = [f for f in stop_fields.values() if f.type in DATE_TYPES and f.required]
            assert event or not dated or stop in NO_EVENT_DATE, (rule.name, stop, dated)


# Steps whose dates are not when the step's own event happened (a date set for the future).
NO_EVENT_DATE = {"list_for_panel", "order_re_review"}


def test_docs_clocks_md_lists_every_rule_as_declared():
    path = Path(settings.BASE_DIR) / "docs" / "clocks.md"
    expected = clocks_markdown(w for _, w in sorted(WORKFLOWS.items()))
    assert path.read_text(encoding="utf-8") == expected, (
        "docs/clocks.md is out of date: run `manage.py document_clocks`"
    )
    for workflow in WORKFLOWS.values():
        for rule in workflow.deadline_rules:
            assert f"(`{rule.name}`)" in expected
