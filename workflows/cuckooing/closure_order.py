"""Cuckooing (RULES.md §2.4): the closure order's own lifecycle, beside the case's reviews
(ASBCPA 2014 ss80-84, issue 15): a review while the order is in force, its variation and
discharge (s83), and the outcome of an appeal (s84). A mixin of ``CuckooingCase``
(django-fsm finds inherited transitions); the rules and effects are in
``closure_powers``."""

from __future__ import annotations

from typing import Any

from workflows.cuckooing.closure_powers import (
    APPEAL_OUTCOMES,
    DISCHARGE_APPLICANTS,
    MAX_TOTAL_ORDER_MONTHS,
    appeal_awaiting_outcome,
)
from workflows.cuckooing.states import State
from workflows.definitions import Field, FieldType
from workflows.steps import step


class ClosureOrderSteps:
    """Steps on an order in force that do not end the case's safeguarding route."""

    @step(
        event_field="review_on",
        source=State.CLOSURE_ORDER_IN_FORCE,
        target=None,
        label="Review the case while the closure order is in force",
        fields=[
            Field("review_on", FieldType.DATE, "Date of the review"),
            Field("review_notes", FieldType.TEXT, "What the review found"),
        ],
    )
    def review_order_in_force(self, *, actor: Any, data: dict) -> None:
        """A routine review changes nothing of the order: its expiry clock runs on, and
        extension, variation and discharge stay available."""
        reviews = [*self.details.get("order_reviews", []), data]
        self.record({"order_reviews": reviews, "review_notes": data["review_notes"]})

    @step(
        event_field="varied_on",
        source=State.CLOSURE_ORDER_IN_FORCE,
        target=None,
        label="Record a variation of the closure order (s83)",
        fields=[
            Field("varied_on", FieldType.DATE, "Date the court varied the order"),
            Field(
                "variation_applicant",
                FieldType.CHOICE,
                "Who applied",
                choices=DISCHARGE_APPLICANTS,
            ),
            Field("variation", FieldType.TEXT, "How the order was varied"),
        ],
    )
    def vary_closure_order(self, *, actor: Any, data: dict) -> None:
        variations = [*self.details.get("order_variations", []), data]
        self.record({"order_variations": variations})

    @step(
        event_field="discharged_on",
        source=State.CLOSURE_ORDER_IN_FORCE,
        target=State.SAFETY_PLAN_ACTIVE,
        label="Record the discharge of the closure order (s83)",
        fields=[
            Field("discharged_on", FieldType.DATE, "Date the court discharged the order"),
            Field(
                "discharge_applicant",
                FieldType.CHOICE,
                "Who applied",
                choices=DISCHARGE_APPLICANTS,
            ),
            Field("discharge_reasons", FieldType.TEXT, "The court's reasons"),
        ],
    )
    def discharge_closure_order(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "order_ended": "discharged"})

    @step(
        event_field="appeal_decided_on",
        source=[State.CLOSURE_ORDER_IN_FORCE, State.SAFETY_PLAN_ACTIVE],
        target=None,
        label="Record the outcome of the appeal (s84)",
        conditions=[appeal_awaiting_outcome],
        guard_message="Record the appeal first; its outcome can be recorded once.",
        fields=[
            Field("appeal_decided_on", FieldType.DATE, "Date the Crown Court decided"),
            Field("appeal_outcome", FieldType.CHOICE, "Outcome", choices=APPEAL_OUTCOMES),
            Field(
                "order_months_after_appeal",
                FieldType.INTEGER,
                "If varied: the order's length in months, from when it was made",
                required=False,
                min_value=1,
                max_value=MAX_TOTAL_ORDER_MONTHS,
            ),
            Field("appeal_notes", FieldType.TEXT, "The court's reasons", required=False),
        ],
    )
    def record_appeal_outcome(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "appeal_outcome_of": self.details["appeal_lodged_on"]})

    @step(
        event_field="appeal_decided_on",
        source=State.CLOSURE_ORDER_IN_FORCE,
        target=State.SAFETY_PLAN_ACTIVE,
        label="Record that the Crown Court quashed the closure order (s84)",
        conditions=[appeal_awaiting_outcome],
        guard_message="Record the appeal first; its outcome can be recorded once.",
        fields=[
            Field("appeal_decided_on", FieldType.DATE, "Date the Crown Court decided"),
            Field("appeal_notes", FieldType.TEXT, "The court's reasons", required=False),
        ],
    )
    def record_order_quashed(self, *, actor: Any, data: dict) -> None:
        self.record(
            {
                **data,
                "appeal_outcome": "quashed",
                "appeal_outcome_of": self.details["appeal_lodged_on"],
                "order_ended": "quashed",
            }
        )
