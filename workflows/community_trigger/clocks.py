"""Community Trigger (RULES.md §5): the deadline rules (docs/clocks.md is generated from them)."""

from __future__ import annotations

from typing import Any

from workflows.definitions import (
    RAISE,
    ClockKind,
    DeadlineRule,
    Unit,
)

# --- Clocks (RULES.md §5.4: all local practice) ------------------------------------------

THRESHOLD_DECISIONS = (
    "record_threshold_met_automatically",
    "decide_threshold_met_discretionary",
    "decide_threshold_not_met",
)


LOCAL = "local practice, no national timescale found; overridable per deployment"


OWED = "A step of the review the council owes the applicant"


def _local_rule(name: str, label: str, starts_on: str, duration: int, met_by: tuple[str, ...],
                source: str, **kwargs: Any) -> DeadlineRule:  # fmt: skip
    """A task for the council with a local default timescale (RULES.md §5.4)."""
    return DeadlineRule(
        name=name,
        label=label,
        starts_on=starts_on,
        duration=duration,
        unit=Unit.WORKING_DAYS,
        met_by=met_by,
        statutory=False,
        source=f"RULES.md §5.4: {source}; {LOCAL}",
        kind=kwargs.pop("kind", ClockKind.TASK),
        kind_reason=kwargs.pop("kind_reason", OWED),
        **kwargs,
    )


# DeadlineRule.starts_on names one transition, so a clock that several transitions
# start is declared once per starting transition, with the same label and duration.
REVIEW_MEETING_STARTS = {
    "review_meeting_after_automatic_threshold": "record_threshold_met_automatically",
    "review_meeting_after_discretionary_threshold": "decide_threshold_met_discretionary",
    "review_meeting_after_escalation": "order_re_review",
}


APPEAL_WINDOW_STARTS = {
    "appeal_window_after_outcome": ("communicate_outcome", "outcome_sent_on"),
    "appeal_window_after_threshold_not_met": ("decide_threshold_not_met", "applicant_informed_on"),
}


APPEAL_WINDOW_RULES = tuple(APPEAL_WINDOW_STARTS)


ESCALATION_EFFECT = (
    "The applicant may ask for the decision to be reviewed (escalation); the case cannot "
    "be closed while the window is open unless the applicant says they will not escalate"
)


DEADLINE_RULES = [
    _local_rule(
        "acknowledgement", "Acknowledge the application", RAISE, 5, ("acknowledge",),
        "suggested default 5 working days from receipt (North Wales Police, Bedfordshire)",
    ),
    _local_rule(
        "threshold_decision", "Decide whether the threshold is met", "acknowledge", 15,
        THRESHOLD_DECISIONS,
        "suggested default 15 working days after acknowledgement (Gosport, North Wales)",
    ),
    *(
        _local_rule(
            name, "Hold the review meeting", starts_on, 20, ("hold_review_meeting",),
            "suggested default 20 working days after the threshold is met (Gosport)",
        )
        for name, starts_on in REVIEW_MEETING_STARTS.items()
    ),
    _local_rule(
        "outcome_letter", "Send the outcome to the applicant", "hold_review_meeting", 5,
        ("communicate_outcome",),
        "suggested default 5 working days after the meeting (North Wales, Cheltenham)",
    ),
    *(
        _local_rule(
            name, "The applicant may ask for an escalation", starts_on, 20,
            ("request_escalation",),
            "suggested default appeal window of 20 working days (Birmingham)",
            starts_at_field=field,
            kind=ClockKind.PERIOD,
            kind_reason="A right the applicant holds; the council has nothing to do by then",
            period_effect=ESCALATION_EFFECT,
        )
        for name, (starts_on, field) in APPEAL_WINDOW_STARTS.items()
    ),
]  # fmt: skip
