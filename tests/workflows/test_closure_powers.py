"""Cuckooing closure powers as a sub-process beside the safeguarding route (issue 15,
RULES.md §2.4): startable from any open state, with their own state and clocks, leaving
the safeguarding state as it is, and closing the case refused while a notice or order
is in force."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent
from tests.workflows.test_cuckooing import (
    S42_NOT_MET,
    at,
    clock,
    freeze,
    issue,
    make_order,
    raise_case,
    refused,
    step,
    to_safety_plan,
    to_triage,
)
from tests.workflows.walker import shortest_paths, sub_edges
from workflows.cuckooing import WORKFLOW, State
from workflows.cuckooing.closure_powers import NOTICE_CLOCKS, ORDER_CLOCKS
from workflows.cuckooing.states import OPEN_STATES, ClosureState
from workflows.errors import TransitionNotAllowed
from workflows.models import Deadline, DeadlineStatus

pytestmark = pytest.mark.django_db

# How a case's closure powers reach each of their states (sample inputs: now).
SUB_PATHS = {
    ClosureState.NONE: [],
    ClosureState.NOTICE_ISSUED: ["issue_closure_notice"],
    ClosureState.ORDER_HEARING: ["issue_closure_notice", "apply_for_closure_order"],
    ClosureState.ORDER_IN_FORCE: [
        "issue_closure_notice", "apply_for_closure_order", "record_order_made",
    ],
    # Ended by refusal, so that an appeal against the refusal can follow.
    ClosureState.ENDED: ["issue_closure_notice", "apply_for_closure_order", "record_order_refused"],
}  # fmt: skip


def expire(case, rules):
    """The clocks ``rules`` ran out a minute ago (a lapsed notice, an order run out)."""
    Deadline.objects.filter(case=case, rule__in=rules).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )


def to_state(frontline, lead, state):
    """A fresh case brought along the safeguarding route's shortest path to ``state``."""
    case = raise_case(frontline)
    for _, name, _ in shortest_paths(WORKFLOW)[state]:
        if name == "start_s42_enquiry":
            case = step(case, lead, "record_s42_test")
        elif name == "start_non_statutory_enquiry":
            case = step(case, lead, "record_s42_test", **S42_NOT_MET)
        case = step(case, lead, name)
    assert case.state == state
    return case


def take_sub_edge(case, lead, source, name):
    for earlier in SUB_PATHS[source]:
        case = step(case, lead, earlier)
    if name.startswith("issue_closure_notice"):
        expire(case, (*NOTICE_CLOCKS, *ORDER_CLOCKS))  # nothing in force any more
    if name in ("record_appeal_outcome", "record_order_quashed"):
        case = step(case, lead, "record_appeal")
    return step(case, lead, name)


@pytest.mark.parametrize(("source", "name", "target"), sub_edges(WORKFLOW))
def test_every_closure_power_step_from_the_first_state_keeps_the_safeguarding_state(
    frontline, lead, source, name, target
):
    case = take_sub_edge(raise_case(frontline), lead, source, name)
    assert case.state == State.CONCERN_RAISED
    assert case.details.get("closure_state", ClosureState.NONE) == target


@pytest.mark.parametrize("state", OPEN_STATES)
def test_a_notice_may_be_served_from_any_open_state(frontline, lead, state):
    case = to_state(frontline, lead, state)
    case = step(case, lead, "issue_closure_notice")
    assert (case.state, case.details["closure_state"]) == (state, ClosureState.NOTICE_ISSUED)
    assert clock(case, "closure_notice_24h").status == DeadlineStatus.OPEN


def test_a_notice_served_at_the_first_visit_starts_its_clocks_from_service(
    frontline, lead, monkeypatch
):
    """Entered the next morning, the clocks run from the notice's issue and service."""
    freeze(monkeypatch, at(2026, 3, 3, 9))
    case = raise_case(frontline)
    case = issue(case, lead, at(2026, 3, 2, 22), at(2026, 3, 2, 22, 30))
    assert case.state == State.CONCERN_RAISED
    notice, hearing = clock(case, "closure_notice_24h"), clock(case, "closure_hearing")
    assert (notice.started_at, notice.due_at) == (at(2026, 3, 2, 22), at(2026, 3, 3, 22))
    assert (hearing.started_at, hearing.due_at) == (at(2026, 3, 2, 22, 30), at(2026, 3, 4, 22, 30))
    assert notice.recorded_at == at(2026, 3, 3, 9)


def test_safeguarding_steps_go_on_while_a_notice_is_in_force(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 3, 3, 9))
    case = issue(raise_case(frontline), lead, at(2026, 3, 3, 8), at(2026, 3, 3, 8))
    case = step(case, lead, "submit_concern")
    case = step(case, lead, "start_triage")
    case = step(case, lead, "apply_for_closure_order")
    case = step(case, lead, "record_s42_test")
    case = step(case, lead, "start_s42_enquiry")
    assert (case.state, case.details["closure_state"]) == (
        State.S42_ENQUIRY, ClosureState.ORDER_HEARING,
    )  # fmt: skip
    assert clock(case, "concern_decision").status == DeadlineStatus.MET
    assert clock(case, "closure_hearing").status == DeadlineStatus.OPEN


def test_a_case_review_does_not_lose_the_order(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 3, 2, 12))
    case = issue(to_safety_plan(frontline, lead), lead, at(2026, 3, 2, 8), at(2026, 3, 2, 8))
    case = step(case, lead, "apply_for_closure_order")
    case = make_order(case, lead, "2026-03-02", 2)
    freeze(monkeypatch, at(2026, 4, 1, 9))
    case = step(case, lead, "start_review", review_on="2026-04-01")
    case = step(case, lead, "continue_safety_plan")
    assert case.details["closure_state"] == ClosureState.ORDER_IN_FORCE
    assert clock(case, "closure_order").status == DeadlineStatus.OPEN
    case = step(case, lead, "extend_closure_order", extension_ordered_on="2026-04-01",
                extension_months=1)  # fmt: skip
    assert case.details["order_total_months"] == 3


@pytest.mark.parametrize("stage", ["notice", "hearing", "order"])
def test_closing_is_refused_while_a_notice_or_order_is_in_force(frontline, lead, stage):
    case = step(to_safety_plan(frontline, lead), lead, "issue_closure_notice")
    if stage in ("hearing", "order"):
        case = step(case, lead, "apply_for_closure_order")
    if stage == "order":
        case = step(case, lead, "record_order_made")
    case = step(case, lead, "start_review")
    error = refused(case, lead, "close_case", TransitionNotAllowed, outcome_code="RISK_REMOVED")
    assert "closure notice or order is in force" in error.message
    assert error.state == State.REVIEW
    # Once it has ended (run out, here), the case can close.
    expire(case, (*NOTICE_CLOCKS, *ORDER_CLOCKS))
    if stage == "hearing":
        case = step(case, lead, "record_order_refused")
    case = step(case, lead, "close_case", outcome_code="RISK_REMOVED")
    assert case.state == State.CLOSED


def test_no_further_action_is_refused_while_a_notice_is_in_force(frontline, lead):
    case = step(to_triage(frontline, lead), lead, "record_s42_test", **S42_NOT_MET)
    case = step(case, lead, "issue_closure_notice")
    error = refused(case, lead, "close_no_further_action", TransitionNotAllowed)
    assert "in force" in error.message
    case = step(case, lead, "cancel_closure_notice")
    assert step(case, lead, "close_no_further_action").state == State.CLOSED


def test_a_second_notice_waits_for_the_first_to_end(frontline, lead):
    case = step(raise_case(frontline), lead, "issue_closure_notice")
    error = refused(case, lead, "issue_closure_notice_48h", TransitionNotAllowed)
    assert "already in force" in error.message
    expire(case, NOTICE_CLOCKS)  # the notice lapsed
    case = step(case, lead, "issue_closure_notice_48h", authorised_by_rank="superintendent")
    assert clock(case, "closure_notice_48h").status == DeadlineStatus.OPEN


def test_a_step_out_of_turn_says_where_the_closure_powers_are(frontline, lead):
    case = raise_case(frontline)
    before = AuditEvent.objects.count()
    error = refused(case, lead, "record_order_made", TransitionNotAllowed)
    assert error.message == (
        "Record the closure order made is not possible while the closure powers are at "
        "“No closure power used”."
    )
    assert AuditEvent.objects.count() == before


def test_closure_steps_are_refused_once_the_case_is_closed(frontline, lead):
    case = step(to_safety_plan(frontline, lead), lead, "start_review")
    case = step(case, lead, "close_case", outcome_code="RISK_REMOVED")
    refused(case, lead, "issue_closure_notice", TransitionNotAllowed)


def test_only_a_lead_may_use_the_closure_powers(frontline, lead):
    case = raise_case(frontline)
    refused(case, frontline, "issue_closure_notice", PermissionDenied)


def test_the_case_page_says_where_the_closure_powers_are(client, frontline, lead):
    case = step(raise_case(frontline), lead, "issue_closure_notice")
    client.force_login(lead)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Closure powers" in page
    assert "Closure notice issued" in page
    assert "closure_notice_issued" not in page


@pytest.mark.parametrize(
    ("name", "field", "label"),
    [
        ("issue_closure_notice", "issued_at", "Issued at"),
        ("issue_closure_notice", "served_at", "Served at"),
        ("apply_for_closure_order", "application_made_on", "Date of the application"),
    ],
)
def test_future_closure_dates_are_refused_by_the_one_event_date_check(
    frontline, lead, monkeypatch, name, field, label
):
    """Issue 15: the closure powers leave the future check to the transition service's
    ``check_event_dates``, whose words every step shares."""
    freeze(monkeypatch, at(2026, 3, 3, 9))
    case = raise_case(frontline)
    if name != "issue_closure_notice":
        case = issue(case, lead, at(2026, 3, 3, 8), at(2026, 3, 3, 8))
    future = {
        "issued_at": at(2026, 3, 3, 8).isoformat(),
        "served_at": at(2026, 3, 3, 8).isoformat(),
        field: "2026-03-04" if field.endswith("_on") else at(2026, 3, 3, 10).isoformat(),
    }
    data = {k: v for k, v in future.items() if k == field or name == "issue_closure_notice"}
    error = refused(case, lead, name, ValidationError, **data)
    assert error.message_dict == {field: [f"{label} must be today or in the past."]}
