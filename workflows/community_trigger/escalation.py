"""Community Trigger (RULES.md §5.3): the applicant's escalation (appeal) of the threshold
decision or of the review's outcome, including after the case was closed (issue 15)."""

from __future__ import annotations

from typing import Any

from workflows.community_trigger.checks import (
    closed_with_an_escalatable_outcome,
    escalation_upheld,
    not_upheld_after_review,
    not_upheld_without_review,
)
from workflows.community_trigger.states import (
    CLOSING_FIELDS,
    ESCALATION_DECISIONS,
    ESCALATION_REQUESTERS,
    ESCALATION_ROUTES,
    RELEVANT_BODIES,
    Outcome,
    State,
)
from workflows.definitions import (
    Field,
    FieldType,
)
from workflows.steps import step


class EscalationSteps:
    """The escalation steps of ``CommunityTriggerCase`` (a mixin: django-fsm finds
    inherited transitions)."""

    @step(
        event_field="escalation_requested_on",
        source=[
            State.THRESHOLD_NOT_MET,
            State.OUTCOME_COMMUNICATED,
            State.ACTION_PLAN_MONITORING,
        ],
        target=State.ESCALATION_REQUESTED,
        label="Record a request for escalation (appeal)",
        fields=[
            Field("escalation_requested_on", FieldType.DATE, "Date requested"),
            Field(
                "escalation_requested_by",
                FieldType.CHOICE,
                "Requested by",
                choices=ESCALATION_REQUESTERS,
            ),
            Field("escalated_to", FieldType.CHOICE, "Escalated to", choices=ESCALATION_ROUTES),
            Field("escalation_grounds", FieldType.TEXT, "Why the applicant is dissatisfied"),
        ],
    )
    def request_escalation(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "escalated_from": self.state})

    @step(
        event_field="escalation_requested_on",
        source=State.CLOSED,
        target=State.ESCALATION_REQUESTED,
        label="Reopen the case for the applicant's escalation",
        conditions=[closed_with_an_escalatable_outcome],
        guard_message=(
            "Only a case closed on a threshold decision or a review can be escalated; "
            "a withdrawn or invalid application cannot."
        ),
        fields=[
            Field("escalation_requested_on", FieldType.DATE, "Date requested"),
            Field(
                "escalation_requested_by",
                FieldType.CHOICE,
                "Requested by",
                choices=ESCALATION_REQUESTERS,
            ),
            Field("escalated_to", FieldType.CHOICE, "Escalated to", choices=ESCALATION_ROUTES),
            Field("escalation_grounds", FieldType.TEXT, "Why the applicant is dissatisfied"),
            Field(
                "reopen_reason",
                FieldType.TEXT,
                "Why the closed case is reopened",
                help_text=(
                    "For example: the applicant asked within their window although they had "
                    "said they would not, or the council accepts a late request."
                ),
            ),
        ],
    )
    def reopen_for_escalation(self, *, actor: Any, data: dict) -> None:
        """The applicant's right to escalate survives closure (RULES.md §5.3, issue 15):
        the case reopens with the reason recorded, keeping what it closed with; the
        escalation then runs as from the state it closed from."""
        reopened = {
            "reopened_on": data["escalation_requested_on"],
            "reason": data["reopen_reason"],
            "closed_with": self.outcome_code,
            "closed_at": self.closed_at.isoformat() if self.closed_at else "",
            "by": actor.get_username(),
        }
        escalated_from = (
            State.THRESHOLD_NOT_MET
            if self.outcome_code == Outcome.THRESHOLD_NOT_MET
            else State.ACTION_PLAN_MONITORING
        )
        self.record(
            {
                **data,
                "escalated_from": escalated_from,
                "reopenings": [*self.details.get("reopenings", []), reopened],
            }
        )
        self.closed_at = None
        self.outcome_code = ""

    @step(
        event_field="escalation_decided_on",
        source=State.ESCALATION_REQUESTED,
        target=State.ESCALATION_DECIDED,
        label="Record the escalation decision",
        fields=[
            Field(
                "escalation_decision",
                FieldType.CHOICE,
                "Decision",
                choices=ESCALATION_DECISIONS,
            ),
            Field(
                "escalation_decided_by", FieldType.CHOICE, "Decided by", choices=ESCALATION_ROUTES
            ),
            Field("escalation_decided_on", FieldType.DATE, "Date decided"),
            Field("escalation_reasons", FieldType.TEXT, "Reasons"),
        ],
    )
    def decide_escalation(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.ESCALATION_DECIDED,
        target=State.REVIEW_MEETING_SCHEDULED,
        label="Schedule the (further) review meeting the escalation ordered",
        conditions=[escalation_upheld],
        guard_message="The escalation was not upheld, so there is no further review.",
        fields=[
            Field("meeting_on", FieldType.DATE, "Date of the meeting"),
            Field(
                "bodies_invited",
                FieldType.MULTICHOICE,
                "Relevant bodies invited",
                choices=RELEVANT_BODIES,
            ),
            Field("victim_invited", FieldType.BOOLEAN, "Was the person affected invited?"),
            Field("independent_chair", FieldType.BOOLEAN, "Is the chair independent?"),
        ],
    )
    def order_re_review(self, *, actor: Any, data: dict) -> None:
        basis = self.details.get("threshold_basis") if self.details.get("threshold_met") else None
        self.record({**data, "threshold_met": True, "threshold_basis": basis or "escalation"})

    @step(
        source=State.ESCALATION_DECIDED,
        target=State.ACTION_PLAN_MONITORING,
        label="Return to monitoring the action plan",
        conditions=[not_upheld_after_review],
        guard_message=(
            "Only when an escalation of a review's outcome was not upheld does the "
            "action plan stand."
        ),
        fields=[Field("plan_review_on", FieldType.DATE, "Next check of the plan", required=False)],
    )
    def resume_monitoring(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="applicant_told_on",
        source=State.ESCALATION_DECIDED,
        target=State.CLOSED,
        label="Close: escalation not upheld, threshold not met",
        outcome=Outcome.THRESHOLD_NOT_MET,
        outcome_words="Threshold not met",
        conditions=[not_upheld_without_review],
        guard_message=(
            "Close this way only when an escalation of a not-met decision was not upheld."
        ),
        fields=list(CLOSING_FIELDS),
    )
    def close_escalation_not_upheld(self, *, actor: Any, data: dict) -> None:
        self.record(data)
