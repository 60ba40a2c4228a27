"""Cuckooing workflow (RULES.md §2): the s42 test, closure-power clocks, intake, refusals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent, Case, Person, Premises
from tests.workflows.walker import default_raise, sample_values, walk_all
from workflows import cuckooing
from workflows.cuckooing import State
from workflows.cuckooing.states import ClosureState
from workflows.errors import TransitionNotAllowed
from workflows.models import Deadline, DeadlineStatus
from workflows.services import case_transition, timescale_set

WORKFLOW = cuckooing.WORKFLOW
LONDON = ZoneInfo("Europe/London")
INTAKE = {
    "premises_address": "Flat 3, 22 Canal Street, Northtown",
    "premises_postcode": "NT1 4AB",
    "premises_tenure": "council",
    "premises_landlord": "Northtown Homes",
    "occupier_given_names": "Peter",
    "occupier_family_name": "Hale",
    "occupier_date_of_birth": "1968-03-02",
    "occupier_estimated_age": None,
    "occupier_vulnerabilities": ["learning_disability", "substance_misuse"],
    "what_was_seen": "Young men coming and going at all hours since 3 March.",
    "indicators": ["increased_visitors", "drugs_or_weapons_seen"],
    "children_present": False,
    "suspected_exploiters": "'Dee', silver Audi",
    "police_informed": True,
    "police_reference": "NT/1234/26",
}
S42_NOT_MET = {"s42_unable_to_protect": False}


def at(*args):
    return datetime(*args, tzinfo=LONDON)


def end_of(year, month, day):
    return at(year, month, day, 23, 59, 59, 999999)


def freeze(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def raise_case(actor, **changes):
    return default_raise(WORKFLOW, actor)({**INTAKE, **changes})


def step(case, actor, name, **data):
    fields = WORKFLOW.transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


def to_triage(frontline, lead, **intake):
    case = step(raise_case(frontline, **intake), lead, "submit_concern")
    return step(case, lead, "start_triage")


def to_safety_plan(frontline, lead):
    case = step(to_triage(frontline, lead), lead, "record_s42_test")
    for name in ("start_s42_enquiry", "convene_risk_meeting", "agree_safety_plan"):
        case = step(case, lead, name)
    return case


def issue(case, lead, issued, served, name="issue_closure_notice", **data):
    return step(case, lead, name, issued_at=issued.isoformat(), served_at=served.isoformat(),
                **data)  # fmt: skip


def to_hearing(frontline, lead, monkeypatch, now):
    """A 24-hour notice issued and served an hour before ``now``, application made."""
    freeze(monkeypatch, now)
    case = to_safety_plan(frontline, lead)
    hour_ago = now.replace(hour=now.hour - 1)
    case = issue(case, lead, hour_ago, hour_ago)
    return step(case, lead, "apply_for_closure_order")


def make_order(case, lead, made_on, months):
    return step(case, lead, "record_order_made", order_made_on=made_on, order_months=months,
                hearing_at=at(*map(int, made_on.split("-")), 11, 30).isoformat())  # fmt: skip


def clock(case, rule, status=None):
    deadlines = Deadline.objects.filter(case=case, rule=rule)
    if status is not None:
        deadlines = deadlines.filter(status=status)
    return deadlines.get()


def trace(case):
    """Everything a refused call must leave as it was."""
    row = Case.objects.get(pk=case.pk)
    return (
        AuditEvent.objects.count(),
        list(Deadline.objects.order_by("id").values_list("id", "status", "due_at")),
        row.state,
        row.version,
        row.details,
    )


def refused(case, actor, name, exc, **data):
    """Take ``name``, expect ``exc``, and check that nothing changed; return the error."""
    before = trace(case)
    with pytest.raises(exc) as info:
        step(case, actor, name, **data)
    assert trace(case) == before
    return info.value


# --- Every route ---------------------------------------------------------------------------


def walk_before_step(lead):
    """Record what the guards read before a step needs it, through the service."""

    def sync(case, moved):
        case.version, case.details = moved.version, moved.details

    def before(case, name):
        if name == "start_s42_enquiry":
            sync(case, step(case, lead, "record_s42_test"))
        elif name in ("start_non_statutory_enquiry", "close_no_further_action"):
            sync(case, step(case, lead, "record_s42_test", **S42_NOT_MET))

    return before


@pytest.mark.django_db
def test_every_transition_and_terminal_state_is_reachable(frontline, lead):
    result = walk_all(
        WORKFLOW,
        raise_case=lambda v: raise_case(frontline, **v),
        actor=lead,
        variants=[{}],
        before_step=walk_before_step(lead),
    )
    declared = {(t.source, t.name) for t in WORKFLOW.transitions()
                if "sub_process" not in t.custom}  # fmt: skip
    assert result["taken"] == declared
    assert set(WORKFLOW.terminal_states) <= result["reached"]


def test_outcome_codes_are_those_of_rules_2_3():
    closing = dict(WORKFLOW.transition_meta("close_case")["fields"][0].choices)
    nfa = WORKFLOW.transition_meta("close_no_further_action")["outcome"]
    assert {*closing, nfa} == {
        "RISK_REMOVED", "RISK_REDUCED", "RISK_REMAINS_ADULT_DECLINED", "ADULT_MOVED",
        "TRANSFERRED_OTHER_PROCESS", "CRITERIA_NOT_MET_NFA",
    }  # fmt: skip


@pytest.mark.django_db
def test_closing_after_review_records_the_chosen_outcome(frontline, lead):
    case = step(to_safety_plan(frontline, lead), lead, "start_review")
    case = step(case, lead, "close_case", outcome_code="ADULT_MOVED")
    assert (case.state, case.outcome_code) == (State.CLOSED, "ADULT_MOVED")
    assert case.closed_at is not None


# --- Intake ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_intake_links_the_occupier_and_creates_the_premises(frontline):
    case = raise_case(frontline)
    assert case.state == State.CONCERN_RAISED
    occupier = case.case_people.get(role="occupier").person
    assert (occupier.given_names, occupier.family_name) == ("Peter", "Hale")
    premises = Premises.objects.get(pk=case.premises_id)
    assert (premises.address, premises.postcode, premises.tenure, premises.landlord) == (
        "Flat 3, 22 Canal Street, Northtown", "NT1 4AB", "council", "Northtown Homes",
    )  # fmt: skip
    assert case.details["occupier_vulnerabilities"] == ["learning_disability", "substance_misuse"]
    assert case.details["indicators"] == ["increased_visitors", "drugs_or_weapons_seen"]
    assert case.details["suspected_exploiters"] == "'Dee', silver Audi"
    assert (case.details["children_present"], case.details["police_informed"]) == (False, True)
    for routed in ("occupier_given_names", "premises_address", "premises_postcode"):
        assert routed not in case.details


def counts():
    return (
        Case.objects.count(),
        Person.objects.count(),
        Premises.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("premises_address", "", id="address"),
        pytest.param("occupier_vulnerabilities", [], id="vulnerabilities"),
        pytest.param("what_was_seen", "", id="what-was-seen"),
        pytest.param("indicators", [], id="indicators"),
        pytest.param("indicators", ["not_an_indicator"], id="unknown-indicator"),
        pytest.param("premises_postcode", "Canal Street", id="postcode"),
        pytest.param("premises_landlord", "x" * 201, id="landlord-too-long"),
    ],
)
def test_invalid_intake_is_refused_and_creates_nothing(frontline, field, value):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        raise_case(frontline, **{field: value})
    assert field in exc.value.message_dict
    assert counts() == before


# --- Concern and s42 triage ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("intake", "data", "field"),
    [
        pytest.param({}, {"police_informed": False}, "police_informed", id="police"),
        pytest.param({"children_present": True}, {"mash_notified": False}, "mash_notified",
                     id="children-mash"),
    ],
)  # fmt: skip
def test_submitting_needs_police_and_mash_when_children(frontline, lead, intake, data, field):
    case = raise_case(frontline, **intake)
    error = refused(case, lead, "submit_concern", ValidationError, **data)
    assert field in error.message_dict
    case = step(case, lead, "submit_concern")
    assert case.state == State.SAFEGUARDING_CONCERN_SUBMITTED


@pytest.mark.django_db
def test_immediate_risk_action_comes_before_submitting(frontline, lead):
    case = step(raise_case(frontline), lead, "take_immediate_action", police_reference="999-1")
    assert case.state == State.IMMEDIATE_RISK_ACTION
    case = step(case, lead, "submit_concern")
    assert case.state == State.SAFEGUARDING_CONCERN_SUBMITTED


@pytest.mark.django_db
def test_s42_enquiry_needs_the_three_part_test_met(frontline, lead):
    case = to_triage(frontline, lead)
    refused(case, lead, "start_s42_enquiry", TransitionNotAllowed)  # not yet recorded
    for part in cuckooing.S42_TEST:
        case = step(case, lead, "record_s42_test", **{part: False})
        assert case.details["s42_criteria_met"] is False
        error = refused(case, lead, "start_s42_enquiry", TransitionNotAllowed)
        assert "section 42" in error.message
    case = step(case, lead, "record_s42_test")
    assert case.details["s42_criteria_met"] is True
    case = step(case, lead, "start_s42_enquiry")
    assert (case.state, case.details["enquiry_type"]) == (State.S42_ENQUIRY, "s42")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["start_non_statutory_enquiry", "close_no_further_action"])
def test_non_statutory_routes_only_when_the_test_is_not_met(frontline, lead, name):
    case = to_triage(frontline, lead)
    refused(case, lead, name, TransitionNotAllowed)  # not yet recorded
    case = step(case, lead, "record_s42_test")
    refused(case, lead, name, TransitionNotAllowed)  # met: a s42 enquiry is a duty
    case = step(case, lead, "record_s42_test", **S42_NOT_MET)
    assert step(case, lead, name).state in (State.NON_STATUTORY_ENQUIRY, State.CLOSED)


@pytest.mark.django_db
def test_no_further_action_closes_with_criteria_not_met(frontline, lead):
    case = step(to_triage(frontline, lead), lead, "record_s42_test", **S42_NOT_MET)
    case = step(case, lead, "close_no_further_action")
    assert (case.state, case.outcome_code) == (State.CLOSED, "CRITERIA_NOT_MET_NFA")


@pytest.mark.django_db
def test_concern_decision_clock_is_local_and_in_working_days(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 12, 24, 10))  # Thursday before Christmas
    case = step(raise_case(frontline), lead, "submit_concern")
    deadline = clock(case, "concern_decision")
    assert (deadline.unit, deadline.duration, deadline.statutory) == ("working_days", 1, False)
    # Day 0 Thu 24 Dec; Fri 25 Christmas, weekend, Mon 28 Boxing Day (substitute): Tue 29.
    assert deadline.due_at == end_of(2026, 12, 29)
    case = step(case, lead, "start_triage")
    assert clock(case, "concern_decision").status == DeadlineStatus.OPEN
    case = step(step(case, lead, "record_s42_test"), lead, "start_s42_enquiry")
    assert clock(case, "concern_decision").status == DeadlineStatus.MET


@pytest.mark.django_db
def test_concern_decision_is_met_by_no_further_action_and_overridable(frontline, lead):
    timescale_set(case_type="cuckooing", rule="concern_decision", duration=3)
    case = step(to_triage(frontline, lead), lead, "record_s42_test", **S42_NOT_MET)
    assert clock(case, "concern_decision").duration == 3
    case = step(case, lead, "close_no_further_action")
    assert clock(case, "concern_decision").status == DeadlineStatus.MET


@pytest.mark.django_db
def test_statutory_closure_clocks_cannot_be_overridden():
    for rule in WORKFLOW.deadline_rules:
        if rule.name != "concern_decision":
            assert rule.statutory
            with pytest.raises(ValidationError):
                timescale_set(case_type="cuckooing", rule=rule.name, duration=1)


# --- Closure notice (ASBCPA 2014 ss76-77, s80) -----------------------------------------------


@pytest.mark.django_db
def test_24_hour_notice_and_hearing_clocks_disregard_christmas_day(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2025, 12, 24, 19))
    case = to_safety_plan(frontline, lead)
    case = issue(case, lead, at(2025, 12, 24, 18), at(2025, 12, 24, 18, 30))
    assert case.state == State.SAFETY_PLAN_ACTIVE  # the safeguarding route is unchanged
    assert case.details["closure_state"] == ClosureState.NOTICE_ISSUED
    notice = clock(case, "closure_notice_24h")
    assert (notice.unit, notice.duration, notice.statutory, notice.disregard_christmas_day) == (
        "hours", 24, True, True,
    )  # fmt: skip
    # From the recorded issue time, not the time it was entered: 6 h on the 24th, none on
    # Christmas Day, 18 h on the 26th.
    assert (notice.started_at, notice.due_at) == (at(2025, 12, 24, 18), at(2025, 12, 26, 18))
    hearing = clock(case, "closure_hearing")
    assert (hearing.unit, hearing.duration, hearing.statutory) == ("hours", 48, True)
    assert hearing.due_at == at(2025, 12, 27, 18, 30)  # 48 h from service, less the 25th
    assert Deadline.objects.filter(case=case).count() == 3  # with the met concern clock


@pytest.mark.django_db
def test_48_hour_notice_needs_a_superintendent_or_chief_executive(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2025, 12, 24, 19))
    case = to_safety_plan(frontline, lead)
    issued, served = at(2025, 12, 24, 18), at(2025, 12, 24, 18)
    for rank in ("inspector", "local_authority"):
        before = trace(case)
        with pytest.raises(ValidationError) as exc:
            issue(case, lead, issued, served, "issue_closure_notice_48h", authorised_by_rank=rank)
        assert "authorised_by_rank" in exc.value.message_dict
        assert trace(case) == before
    case = issue(case, lead, issued, served, "issue_closure_notice_48h",
                 authorised_by_rank="la_chief_executive")  # fmt: skip
    notice = clock(case, "closure_notice_48h")
    assert (notice.unit, notice.duration, notice.statutory) == ("hours", 48, True)
    assert notice.due_at == at(2025, 12, 27, 18)
    assert clock(case, "closure_hearing_48h_notice").due_at == at(2025, 12, 27, 18)
    assert not Deadline.objects.filter(case=case, rule="closure_notice_24h").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("issued", "served", "extra", "field"),
    [
        pytest.param(at(2025, 12, 24, 20), at(2025, 12, 24, 20), {}, "issued_at", id="future"),
        pytest.param(at(2025, 12, 24, 18), at(2025, 12, 24, 17), {}, "served_at",
                     id="served-before-issue"),
        pytest.param(at(2025, 12, 24, 18), at(2025, 12, 24, 18), {"occupiers_informed": False},
                     "occupiers_informed", id="s76-6-not-done"),
    ],
)  # fmt: skip
def test_unlawful_notice_records_are_refused(frontline, lead, monkeypatch, issued, served,
                                             extra, field):  # fmt: skip
    freeze(monkeypatch, at(2025, 12, 24, 19))
    case = to_safety_plan(frontline, lead)
    before = trace(case)
    with pytest.raises(ValidationError) as exc:
        issue(case, lead, issued, served, **extra)
    assert field in exc.value.message_dict
    assert trace(case) == before


@pytest.mark.django_db
def test_extending_a_24_hour_notice_runs_48_hours_from_issue(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2025, 12, 24, 19))
    case = issue(to_safety_plan(frontline, lead), lead, at(2025, 12, 24, 18), at(2025, 12, 24, 18))
    freeze(monkeypatch, at(2025, 12, 26, 9))
    bad = refused(case, lead, "extend_closure_notice", ValidationError,
                  extension_authorised_by_rank="inspector")  # fmt: skip
    assert "extension_authorised_by_rank" in bad.message_dict
    early = refused(case, lead, "extend_closure_notice", ValidationError,
                    extended_at=at(2025, 12, 24, 17).isoformat())  # fmt: skip
    assert "extended_at" in early.message_dict
    case = step(case, lead, "extend_closure_notice", extended_at=at(2025, 12, 26, 8).isoformat(),
                extension_authorised_by_rank="superintendent")  # fmt: skip
    assert (case.details["notice_duration_hours"], case.details["notice_extended"]) == (48, True)
    assert clock(case, "closure_notice_24h").status == DeadlineStatus.CANCELLED
    extended = clock(case, "closure_notice_extended", DeadlineStatus.OPEN)
    assert (extended.unit, extended.duration, extended.statutory) == ("hours", 48, True)
    assert (extended.started_at, extended.due_at) == (at(2025, 12, 24, 18), at(2025, 12, 27, 18))
    # Only once.
    error = refused(case, lead, "extend_closure_notice", TransitionNotAllowed)
    assert "only" in error.message.lower()


@pytest.mark.django_db
def test_a_48_hour_or_expired_notice_cannot_be_extended(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2025, 12, 24, 19))
    plan = to_safety_plan(frontline, lead)
    case = issue(plan, lead, at(2025, 12, 24, 18), at(2025, 12, 24, 18), "issue_closure_notice_48h")
    refused(case, lead, "extend_closure_notice", TransitionNotAllowed)

    other = issue(to_safety_plan(frontline, lead), lead, at(2025, 12, 24, 18),
                  at(2025, 12, 24, 18))  # fmt: skip
    freeze(monkeypatch, at(2025, 12, 26, 18, 1))  # a minute after the 24 hours ran out
    late = refused(other, lead, "extend_closure_notice", ValidationError,
                   extended_at=at(2025, 12, 26, 18, 1).isoformat(),
                   extension_authorised_by_rank="superintendent")  # fmt: skip
    assert "only before it expires" in late.message_dict["extended_at"][0]
    # When, in the words of every other page (GOV.UK style: "6pm", not "6:00PM").
    assert late.message_dict["extended_at"][0].startswith(
        "The notice expired on 26 December 2025 at 6pm."
    )


@pytest.mark.django_db
def test_an_extension_made_in_time_may_be_recorded_after_the_24_hours(frontline, lead, monkeypatch):
    """Issue 15: the extension counts from when it was made, not when it was typed in."""
    freeze(monkeypatch, at(2025, 12, 24, 19))
    case = issue(to_safety_plan(frontline, lead), lead, at(2025, 12, 24, 18), at(2025, 12, 24, 18))
    freeze(monkeypatch, at(2025, 12, 27, 9))  # after the 24 hours (Christmas Day disregarded)
    case = step(case, lead, "extend_closure_notice", extended_at=at(2025, 12, 26, 8).isoformat(),
                extension_authorised_by_rank="superintendent")  # fmt: skip
    assert case.details["extended_at"] == at(2025, 12, 26, 8).isoformat()
    extended = clock(case, "closure_notice_extended", DeadlineStatus.OPEN)
    assert (extended.started_at, extended.due_at) == (at(2025, 12, 24, 18), at(2025, 12, 27, 18))


@pytest.mark.django_db
def test_order_decision_meets_the_notice_and_hearing_clocks(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 11, 30, 12))
    case = make_order(case, lead, "2025-11-30", 3)
    assert case.details["closure_state"] == ClosureState.ORDER_IN_FORCE
    assert clock(case, "closure_notice_24h").status == DeadlineStatus.ENDED  # a period
    assert clock(case, "closure_hearing").status == DeadlineStatus.MET


@pytest.mark.django_db
def test_cancelling_the_notice_cancels_its_clocks(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 11, 30, 12))
    case = step(case, lead, "cancel_closure_notice")
    assert case.state == State.SAFETY_PLAN_ACTIVE
    assert case.details["closure_state"] == ClosureState.ENDED
    for rule in ("closure_notice_24h", "closure_hearing"):
        assert clock(case, rule).status == DeadlineStatus.CANCELLED


@pytest.mark.django_db
def test_adjournment_is_at_most_14_days_and_restarts(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 29, 12))
    bad = refused(case, lead, "adjourn_hearing", ValidationError,
                  adjourned_on="2025-12-29", adjourned_to="2026-01-13")  # fmt: skip
    assert "adjourned_to" in bad.message_dict
    case = step(case, lead, "adjourn_hearing", adjourned_on="2025-12-29",
                adjourned_to="2026-01-12")  # fmt: skip
    first = clock(case, "hearing_adjournment")
    assert (first.unit, first.duration, first.statutory) == ("calendar_days", 14, True)
    assert first.due_at == end_of(2026, 1, 12)
    assert clock(case, "closure_hearing").status == DeadlineStatus.MET  # it was heard
    assert clock(case, "closure_notice_24h").status == DeadlineStatus.ENDED
    freeze(monkeypatch, at(2026, 1, 12, 12))
    case = step(case, lead, "adjourn_hearing", adjourned_on="2026-01-12",
                adjourned_to="2026-01-19")  # fmt: skip
    first.refresh_from_db()
    assert first.status == DeadlineStatus.CANCELLED
    second = clock(case, "hearing_adjournment", DeadlineStatus.OPEN)
    assert second.due_at == end_of(2026, 1, 26)
    case = make_order(case, lead, "2026-01-12", 3)
    second.refresh_from_db()
    assert second.status == DeadlineStatus.MET


# --- Closure order (s80, s82) and appeal (s84) -----------------------------------------------


@pytest.mark.django_db
def test_order_runs_for_the_months_ordered_and_opens_the_appeal_window(frontline, lead,
                                                                       monkeypatch):  # fmt: skip
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 11, 29, 12))
    freeze(monkeypatch, at(2025, 12, 1, 12))
    case = make_order(case, lead, "2025-11-30", 3)  # heard the day before it was entered
    order = clock(case, "closure_order")
    assert (order.unit, order.duration, order.statutory) == ("months", 3, True)
    assert order.due_at == end_of(2026, 2, 28)  # 30 November + 3 months, clamped
    assert case.details["order_expiry"] == "2026-02-28"
    appeal = clock(case, "appeal_against_order")
    assert (appeal.unit, appeal.statutory) == ("calendar_days", True)
    assert appeal.due_at == end_of(2025, 12, 20)  # 21 days beginning with 30 November
    # Issue 15: reviews while the order is in force, the case's own and the order's,
    # leave it running, with its extension still available.
    freeze(monkeypatch, at(2026, 2, 1, 9))
    case = step(case, lead, "start_review", review_on="2026-02-01")
    assert case.state == State.REVIEW
    case = step(case, lead, "continue_safety_plan")
    case = step(case, lead, "review_order_in_force", review_on="2026-02-01")
    assert (case.state, case.details["closure_state"]) == (
        State.SAFETY_PLAN_ACTIVE, ClosureState.ORDER_IN_FORCE,
    )  # fmt: skip
    assert clock(case, "closure_order").status == DeadlineStatus.OPEN
    case = step(case, lead, "extend_closure_order", extension_ordered_on="2026-02-01",
                extension_months=1)  # fmt: skip
    assert case.details["order_total_months"] == 4
    assert clock(case, "closure_order_extended").due_at == end_of(2026, 3, 30)


@pytest.mark.django_db
def test_orders_of_more_than_3_months_are_refused(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 1, 12))
    bad = refused(case, lead, "record_order_made", ValidationError, order_months=4)
    assert "order_months" in bad.message_dict


@pytest.mark.django_db
def test_order_extensions_never_exceed_6_months_in_total(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 11, 29, 12))
    freeze(monkeypatch, at(2025, 12, 1, 12))
    case = make_order(case, lead, "2025-11-30", 1)
    assert clock(case, "closure_order").due_at == end_of(2025, 12, 30)
    freeze(monkeypatch, at(2025, 12, 29, 12))
    case = step(case, lead, "extend_closure_order", extension_ordered_on="2025-12-29",
                extension_months=3)  # fmt: skip
    assert clock(case, "closure_order").status == DeadlineStatus.CANCELLED
    extended = clock(case, "closure_order_extended", DeadlineStatus.OPEN)
    assert (extended.unit, extended.duration, extended.statutory) == ("months", 4, True)
    assert extended.due_at == end_of(2026, 3, 30)
    freeze(monkeypatch, at(2026, 3, 20, 12))
    bad = refused(case, lead, "extend_closure_order", ValidationError,
                  extension_ordered_on="2026-03-20", extension_months=3)  # fmt: skip
    assert "at most 2 more" in bad.message_dict["extension_months"][0]
    case = step(case, lead, "extend_closure_order", extension_ordered_on="2026-03-20",
                extension_months=2)  # fmt: skip
    assert case.details["order_total_months"] == 6
    running = Deadline.objects.filter(case=case, rule="closure_order_extended", status="open")
    assert [d.due_at for d in running] == [end_of(2026, 5, 30)]  # 30 November + 6 months
    error = refused(case, lead, "extend_closure_order", TransitionNotAllowed)
    assert "6 months" in error.message


@pytest.mark.django_db
def test_an_expired_order_cannot_be_extended(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 1, 12))
    case = make_order(case, lead, "2025-12-01", 3)
    freeze(monkeypatch, at(2026, 3, 2, 0, 1))  # the order ended with 1 March
    refused(case, lead, "extend_closure_order", TransitionNotAllowed)
    freeze(monkeypatch, at(2026, 3, 1, 23))
    late = refused(case, lead, "extend_closure_order", ValidationError,
                   extension_ordered_on="2026-03-02")  # fmt: skip
    assert "extension_ordered_on" in late.message_dict
    case = step(case, lead, "extend_closure_order", extension_ordered_on="2026-03-01")
    assert clock(case, "closure_order_extended").due_at == end_of(2026, 4, 1)


@pytest.mark.django_db
def test_refusal_opens_an_appeal_window_met_by_an_appeal_in_time(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2026, 3, 2, 9))
    refused(case, lead, "record_order_refused", ValidationError, order_refused_on="2026-03-03")
    case = step(case, lead, "record_order_refused", order_refused_on="2026-03-02",
                hearing_at=at(2026, 3, 2, 8).isoformat())  # fmt: skip
    assert (case.state, case.details["closure_state"]) == (
        State.SAFETY_PLAN_ACTIVE, ClosureState.ENDED,
    )  # fmt: skip
    window = clock(case, "appeal_against_refusal")
    assert (window.unit, window.statutory, window.due_at) == (
        "calendar_days", True, end_of(2026, 3, 22),
    )  # fmt: skip
    freeze(monkeypatch, at(2026, 3, 23, 9))
    late = refused(case, lead, "record_appeal", ValidationError, appeal_lodged_on="2026-03-23")
    assert "appeal_lodged_on" in late.message_dict
    case = step(case, lead, "record_appeal", appeal_lodged_on="2026-03-22", appellant="police")
    assert clock(case, "appeal_against_refusal").status == DeadlineStatus.ENDED


@pytest.mark.django_db
def test_appeal_needs_an_order_decision(frontline, lead):
    case = to_safety_plan(frontline, lead)
    error = refused(case, lead, "record_appeal", TransitionNotAllowed)
    assert "closure powers are at “No closure power used”" in error.message


@pytest.mark.django_db
def test_closing_cancels_a_running_appeal_window(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 1, 12))
    case = make_order(case, lead, "2025-12-01", 1)
    case = step(case, lead, "discharge_closure_order")
    case = step(step(case, lead, "start_review"), lead, "close_case")
    assert case.state == State.CLOSED
    assert clock(case, "appeal_against_order").status == DeadlineStatus.CANCELLED
    assert clock(case, "closure_order").status == DeadlineStatus.ENDED
    assert not Deadline.objects.filter(case=case, status__in=["open", "paused"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"outcome_code": "RISK_REMAINS_ADULT_DECLINED", "adult_has_capacity": False},
                     "adult_has_capacity", id="declined-without-capacity"),
        pytest.param({"outcome_code": "TRANSFERRED_OTHER_PROCESS", "transferred_to": ""},
                     "transferred_to", id="transfer-without-process"),
    ],
)  # fmt: skip
def test_closing_outcomes_need_their_facts(frontline, lead, data, field):
    case = step(to_safety_plan(frontline, lead), lead, "start_review")
    error = refused(case, lead, "close_case", ValidationError, **data)
    assert field in error.message_dict


# --- Permission ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "other_lead", "auditor"])
@pytest.mark.parametrize("name", ["submit_concern", "issue_closure_notice"])
def test_only_a_lead_of_the_team_may_act(request, frontline, lead, who, name):
    case = (
        to_safety_plan(frontline, lead) if name == "issue_closure_notice" else raise_case(frontline)
    )
    refused(case, request.getfixturevalue(who), name, PermissionDenied)


# --- Issue 15: the order's lifecycle, the appeal's outcome, s81(2) ---------------------------


@pytest.mark.django_db
def test_an_order_is_varied_and_discharged_beside_the_safeguarding_route(frontline, lead,
                                                                          monkeypatch):  # fmt: skip
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 1, 12))
    case = make_order(case, lead, "2025-12-01", 3)
    case = step(case, lead, "vary_closure_order", variation="The owner may enter by day.")
    assert case.details["order_variations"][0]["variation"] == "The owner may enter by day."
    case = step(case, lead, "discharge_closure_order", discharge_applicant="person_served")
    assert (case.state, case.details["order_ended"]) == (State.SAFETY_PLAN_ACTIVE, "discharged")
    assert clock(case, "closure_order").status == DeadlineStatus.ENDED


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["upheld", "varied"])
def test_the_appeals_outcome_is_recorded_once(frontline, lead, monkeypatch, outcome):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 1, 12))
    case = make_order(case, lead, "2025-12-01", 3)
    refused(case, lead, "record_appeal_outcome", TransitionNotAllowed)
    case = step(case, lead, "record_appeal", appeal_lodged_on="2025-12-01")
    case = step(case, lead, "record_appeal_outcome", appeal_outcome=outcome,
                order_months_after_appeal=2)  # fmt: skip
    assert case.details["appeal_outcome"] == outcome
    months = 2 if outcome == "varied" else 3
    assert clock(case, "closure_order", DeadlineStatus.OPEN).duration == months
    refused(case, lead, "record_appeal_outcome", TransitionNotAllowed)


@pytest.mark.django_db
def test_an_order_quashed_on_appeal_ends(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 1, 12))
    case = make_order(case, lead, "2025-12-01", 3)
    case = step(case, lead, "record_appeal", appeal_lodged_on="2025-12-01")
    case = step(case, lead, "record_order_quashed")
    assert (case.state, case.details["appeal_outcome"]) == (State.SAFETY_PLAN_ACTIVE, "quashed")
    assert clock(case, "closure_order").status == DeadlineStatus.ENDED


@pytest.mark.django_db
def test_the_court_may_continue_the_notice_for_at_most_48_hours(frontline, lead, monkeypatch):
    case = to_hearing(frontline, lead, monkeypatch, at(2025, 12, 1, 12))
    heard = at(2025, 12, 1, 11, 30)
    bad = refused(case, lead, "record_order_refused", ValidationError,
                  hearing_at=heard.isoformat(), order_refused_on="2025-12-01",
                  notice_continued_until=at(2025, 12, 3, 12).isoformat())  # fmt: skip
    assert "48 hours" in bad.message_dict["notice_continued_until"][0]
    case = step(case, lead, "record_order_refused", hearing_at=heard.isoformat(),
                order_refused_on="2025-12-01",
                notice_continued_until=at(2025, 12, 3, 11).isoformat())  # fmt: skip
    assert case.details["notice_continued_until"] == at(2025, 12, 3, 11).isoformat()
