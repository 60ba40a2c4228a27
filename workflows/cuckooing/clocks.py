"""Cuckooing (RULES.md §2): the deadline rules (docs/clocks.md is generated from them)."""

from __future__ import annotations

from typing import Any

from workflows.cuckooing.closure_powers import (
    APPEAL_SOURCE,
    DECIDED,
    HEARD,
    HEARING_SOURCE,
    MAX_ADJOURNMENT_DAYS,
    MAX_ORDER_MONTHS,
    MAX_TOTAL_ORDER_MONTHS,
    NOTICE_EFFECT,
    NOTICE_SOURCE,
    ORDER_EFFECT,
    TASK_COURT,
)
from workflows.definitions import (
    ClockKind,
    DeadlineRule,
    Unit,
)

# --- Clocks ------------------------------------------------------------------------------

TRIAGE_OUTCOMES = ("start_s42_enquiry", "start_non_statutory_enquiry", "close_no_further_action")


def _notice_period(name: str, label: str, starts_on: str, hours: int, source: str,
                   **kwargs: Any) -> DeadlineRule:  # fmt: skip
    """How long a closure notice lasts: a period (it closes the premises), ended by the
    court's decision or the notice's cancellation."""
    return DeadlineRule(
        name=name,
        label=label,
        starts_on=starts_on,
        duration=hours,
        unit=Unit.HOURS,
        met_by=HEARD,
        statutory=True,
        source=source,
        cancelled_by=kwargs.pop("cancelled_by", ("cancel_closure_notice",)),
        disregard_christmas_day=True,
        kind=ClockKind.PERIOD,
        kind_reason="The notice's own duration, a closure in force rather than a task",
        period_effect=NOTICE_EFFECT,
        **kwargs,
    )


def _hearing_task(name: str, starts_on: str) -> DeadlineRule:
    """The court hears the application within 48 hours of service (s80(3)-(4))."""
    return DeadlineRule(
        name=name,
        label="Court hears the closure order application",
        starts_on=starts_on,
        duration=48,
        unit=Unit.HOURS,
        met_by=HEARD,
        statutory=True,
        source=HEARING_SOURCE,
        cancelled_by=("cancel_closure_notice",),
        disregard_christmas_day=True,
        starts_at_field="served_at",
        kind=ClockKind.TASK,
        kind_reason=TASK_COURT,
    )


def _appeal_window(name: str, label: str, starts_on: str, starts_at_field: str,
                   effect: str) -> DeadlineRule:  # fmt: skip
    return DeadlineRule(
        name=name,
        label=label,
        starts_on=starts_on,
        duration=20,
        unit=Unit.CALENDAR_DAYS,
        met_by=("record_appeal",),
        statutory=True,
        source=APPEAL_SOURCE,
        starts_at_field=starts_at_field,
        kind=ClockKind.PERIOD,
        kind_reason="A right of appeal that others hold; nothing for the council to do by then",
        period_effect=effect,
    )


# The order ends when it is discharged (s83) or quashed on appeal (s84), or runs out. The
# case's own reviews run beside it and do not end it (issue 15).
ORDER_ENDED_BY = ("discharge_closure_order", "record_order_quashed")

DEADLINE_RULES = [
    DeadlineRule(
        name="concern_decision",
        label="Decision on the safeguarding concern (local target)",
        starts_on="submit_concern",
        duration=1,
        unit=Unit.WORKING_DAYS,
        met_by=TRIAGE_OUTCOMES,
        statutory=False,
        source=(
            "RULES.md §2.5: local practice, e.g. same working day or within 24 hours in one "
            "LA, 2-5 working days in others [S37]; s42 sets no timescale (§2.1). Local "
            "default of 1 working day, overridable per deployment"
        ),
        kind=ClockKind.TASK,
        kind_reason="Adult social care must decide on the concern; the lead chases it",
    ),
    _notice_period(
        "closure_notice_24h",
        "Closure notice in force (24 hours)",
        "issue_closure_notice",
        24,
        f"{NOTICE_SOURCE}; 24 hours at most",
        cancelled_by=("cancel_closure_notice", "extend_closure_notice"),
    ),
    _notice_period(
        "closure_notice_48h",
        "Closure notice in force (48 hours)",
        "issue_closure_notice_48h",
        48,
        f"{NOTICE_SOURCE}; 48 hours when issued by a superintendent or signed by the LA "
        "chief executive (§2.4 Duration)",
    ),
    _notice_period(
        "closure_notice_extended",
        "Extended closure notice in force (48 hours from issue)",
        "extend_closure_notice",
        48,
        f"{NOTICE_SOURCE}; a 24-hour notice extended to 48 hours, counted from its issue",
        starts_at_field="issued_at",
    ),
    _hearing_task("closure_hearing", "issue_closure_notice"),
    _hearing_task("closure_hearing_48h_notice", "issue_closure_notice_48h"),
    DeadlineRule(
        name="hearing_adjournment",
        label="Adjourned closure order hearing resumes",
        starts_on="adjourn_hearing",
        duration=MAX_ADJOURNMENT_DAYS,
        unit=Unit.CALENDAR_DAYS,
        met_by=DECIDED,
        statutory=True,
        source="RULES.md §2.4/§2.5: ASBCPA 2014 s81(3), adjournment of at most 14 days [P]",
        cancelled_by=("cancel_closure_notice",),
        kind=ClockKind.TASK,
        kind_reason=(
            "The council must be ready for the resumed hearing and record the court's "
            "decision; an adjournment past 14 days needs the lead's attention"
        ),
    ),
    DeadlineRule(
        name="closure_order",
        label="Closure order in force (at most 3 months)",
        starts_on="record_order_made",
        duration=MAX_ORDER_MONTHS,
        unit=Unit.MONTHS,
        met_by=ORDER_ENDED_BY,
        statutory=True,
        source=(
            "RULES.md §2.4/§2.5: ASBCPA 2014 s80(5)-(6), at most 3 months from the order [P]; "
            "each clock runs for the months the court ordered"
        ),
        cancelled_by=("extend_closure_order",),
        starts_at_field="order_made_on",
        kind=ClockKind.PERIOD,
        kind_reason="The order's length: a closure in force, not a task",
        period_effect=ORDER_EFFECT,
    ),
    DeadlineRule(
        name="closure_order_extended",
        label="Extended closure order in force (at most 6 months in total)",
        starts_on="extend_closure_order",
        duration=MAX_TOTAL_ORDER_MONTHS,
        unit=Unit.MONTHS,
        met_by=ORDER_ENDED_BY,
        statutory=True,
        source=(
            "RULES.md §2.4/§2.5: ASBCPA 2014 s82, further periods of at most 3 months, 6 months "
            "in total from the order [S]; runs from the order for the months ordered in total"
        ),
        starts_at_field="order_made_on",
        kind=ClockKind.PERIOD,
        kind_reason="The extended order's length: a closure in force, not a task",
        period_effect="The premises stay closed by the extended order; no further extension",
    ),
    _appeal_window(
        "appeal_against_order",
        "Appeal against the closure order (21 days)",
        "record_order_made",
        "order_made_on",
        "The occupier or anyone with an interest may appeal to the Crown Court (s84)",
    ),
    _appeal_window(
        "appeal_against_refusal",
        "Appeal against the refusal of a closure order (21 days)",
        "record_order_refused",
        "order_refused_on",
        "The police or council may appeal the refusal to the Crown Court (s84)",
    ),
]
