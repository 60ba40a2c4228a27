"""Cuckooing (RULES.md §2.4): the closure powers' steps (ASBCPA 2014 ss76-84, issue 15).

The closure powers run beside the safeguarding route (``CLOSURE_POWERS``): the police or
the council may serve a notice at the first visit, whatever the safeguarding state, and
every step here leaves that state as it is. The powers' own state (``closure_state``)
goes notice → application → order made or refused, and an order's lifecycle (review,
extension, variation, discharge s83, appeal s84) survives the case's reviews. A mixin of
``CuckooingCase`` (django-fsm finds inherited transitions); the rules and effects are in
``closure_powers``.
"""

from __future__ import annotations

from typing import Any

from workflows.cuckooing.closure_powers import (
    APPEAL_OUTCOMES,
    APPELLANTS,
    APPLICANTS,
    CLOSURE_POWERS,
    DISCHARGE_APPLICANTS,
    ISSUERS,
    MAX_ORDER_MONTHS,
    MAX_TOTAL_ORDER_MONTHS,
    SENIOR_ISSUERS,
    appeal_awaiting_outcome,
    appeal_window_open,
    may_issue_notice,
    notice_extendable,
    notice_fields,
    order_expiry,
    order_extendable,
    order_in_force,
)
from workflows.cuckooing.states import OPEN_STATES, ClosureState
from workflows.definitions import Field, FieldType
from workflows.steps import step

NONE, NOTICE, HEARING = ClosureState.NONE, ClosureState.NOTICE_ISSUED, ClosureState.ORDER_HEARING
ORDER, ENDED = ClosureState.ORDER_IN_FORCE, ClosureState.ENDED
CLOSURE = {"source": OPEN_STATES, "target": None, "sub_process": CLOSURE_POWERS}

# s81(2): when the court refuses or adjourns, it may continue the notice up to 48 hours.
NOTICE_CONTINUED_UNTIL = Field(
    "notice_continued_until",
    FieldType.DATETIME,
    "If the court continued the closure notice: until when (at most 48 hours)",
    required=False,
)
IN_FORCE = "The closure order is no longer in force."


class ClosureOrderSteps:
    """The closure powers, a sub-process beside the safeguarding route."""

    @step(
        **CLOSURE,
        sub_source=(NONE, ENDED, NOTICE, ORDER),
        sub_target=NOTICE,
        event_field="issued_at",
        conditions=[may_issue_notice],
        label="Issue a closure notice (24 hours)",
        fields=notice_fields(ISSUERS),
    )
    def issue_closure_notice(self, *, actor: Any, data: dict) -> None:
        self.record(
            {**data, "notice_duration_hours": 24, "notice_extended": False,
             "notice_continued_until": None}
        )  # fmt: skip

    @step(
        **CLOSURE,
        sub_source=(NONE, ENDED, NOTICE, ORDER),
        sub_target=NOTICE,
        event_field="issued_at",
        conditions=[may_issue_notice],
        label="Issue a 48-hour closure notice (superintendent or chief executive)",
        fields=notice_fields(SENIOR_ISSUERS),
    )
    def issue_closure_notice_48h(self, *, actor: Any, data: dict) -> None:
        self.record(
            {**data, "notice_duration_hours": 48, "notice_extended": False,
             "notice_continued_until": None}
        )  # fmt: skip

    @step(
        **CLOSURE,
        sub_source=(NOTICE, HEARING),
        event_field="extended_at",
        label="Extend the closure notice to 48 hours",
        conditions=[notice_extendable],
        guard_message=(
            "Only a 24-hour closure notice can be extended, once, to 48 hours (the Anti-social "
            "Behaviour, Crime and Policing Act 2014, section 77)."
        ),
        fields=[
            Field("extension_reference", FieldType.STRING, "Extension notice reference"),
            Field("extended_at", FieldType.DATETIME, "Extended at"),
            Field(
                "extension_authorised_by_rank",
                FieldType.CHOICE,
                "Extension authorised by",
                choices=SENIOR_ISSUERS,
            ),
        ],
    )
    def extend_closure_notice(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "notice_duration_hours": 48, "notice_extended": True})

    @step(
        **CLOSURE,
        sub_source=(NOTICE, HEARING),
        sub_target=ENDED,
        event_field="notice_cancelled_at",
        label="Cancel the closure notice",
        fields=[
            Field("notice_cancelled_at", FieldType.DATETIME, "Cancelled at"),
            Field("notice_cancelled_reason", FieldType.TEXT, "Why it was cancelled"),
        ],
    )
    def cancel_closure_notice(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "notice_continued_until": None, "closure_ended": "cancelled"})

    @step(
        **CLOSURE,
        sub_source=(NOTICE,),
        sub_target=HEARING,
        event_field="application_made_on",
        label="Apply to the magistrates for a closure order",
        fields=[
            Field("application_made_on", FieldType.DATE, "Date of the application"),
            Field("applicant", FieldType.CHOICE, "Applicant", choices=APPLICANTS),
            Field("court", FieldType.STRING, "Magistrates' court"),
            Field("hearing_listed_at", FieldType.DATETIME, "Hearing listed for"),
        ],
    )
    def apply_for_closure_order(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        **CLOSURE,
        sub_source=(HEARING,),
        event_field="adjourned_on",
        label="Record an adjournment of the hearing",
        fields=[
            Field("adjourned_on", FieldType.DATE, "Date of the hearing that adjourned"),
            Field("adjourned_to", FieldType.DATE, "Adjourned to"),
            Field(
                "notice_continued",
                FieldType.BOOLEAN,
                "Did the court continue the closure notice meanwhile?",
            ),
            NOTICE_CONTINUED_UNTIL,
        ],
    )
    def adjourn_hearing(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        **CLOSURE,
        sub_source=(HEARING,),
        sub_target=ORDER,
        event_field="hearing_at",
        label="Record the closure order made",
        fields=[
            Field("hearing_at", FieldType.DATETIME, "Heard at"),
            Field("order_made_on", FieldType.DATE, "Date the order was made"),
            Field(
                "order_months",
                FieldType.INTEGER,
                "Months ordered (at most 3)",
                min_value=1,
                max_value=MAX_ORDER_MONTHS,
            ),
            Field(
                "order_covers_residents",
                FieldType.BOOLEAN,
                "Does the order also exclude people who live there?",
            ),
            Field("order_reference", FieldType.STRING, "Court reference", required=False),
        ],
    )
    def record_order_made(self, *, actor: Any, data: dict) -> None:
        months = data["order_months"]
        self.record(
            {
                **data,
                "notice_continued_until": None,
                "order_total_months": months,
                "order_expiry": order_expiry(data["order_made_on"], months).isoformat(),
            }
        )

    @step(
        **CLOSURE,
        sub_source=(HEARING,),
        sub_target=ENDED,
        event_field="hearing_at",
        label="Record that the court refused the closure order",
        fields=[
            Field("hearing_at", FieldType.DATETIME, "Heard at"),
            Field("order_refused_on", FieldType.DATE, "Date of the decision"),
            Field("order_refused_reasons", FieldType.TEXT, "The court's reasons"),
            NOTICE_CONTINUED_UNTIL,
        ],
    )
    def record_order_refused(self, *, actor: Any, data: dict) -> None:
        self.record(
            {
                **data,
                "notice_continued_until": data.get("notice_continued_until"),
                "closure_ended": "refused",
            }
        )

    @step(
        **CLOSURE,
        sub_source=(ORDER,),
        event_field="extension_ordered_on",
        label="Record an extension of the closure order",
        conditions=[order_extendable],
        guard_message=(
            "A closure order can be extended only while it is in force, and to at most "
            "6 months in total (the Anti-social Behaviour, Crime and Policing Act 2014, "
            "section 82)."
        ),
        fields=[
            Field("extension_ordered_on", FieldType.DATE, "Date the court extended it"),
            Field(
                "extension_months",
                FieldType.INTEGER,
                "Further months ordered (at most 3)",
                min_value=1,
                max_value=MAX_ORDER_MONTHS,
            ),
        ],
    )
    def extend_closure_order(self, *, actor: Any, data: dict) -> None:
        total = self.details["order_total_months"] + data["extension_months"]
        made_on = self.details["order_made_on"]
        self.record(
            {
                **data,
                "order_total_months": total,
                "order_expiry": order_expiry(made_on, total).isoformat(),
            }
        )

    @step(
        **CLOSURE,
        sub_source=(ORDER,),
        event_field="review_on",
        label="Review the case while the closure order is in force",
        conditions=[order_in_force],
        guard_message=IN_FORCE,
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
        **CLOSURE,
        sub_source=(ORDER,),
        event_field="varied_on",
        label="Record a variation of the closure order",
        conditions=[order_in_force],
        guard_message=IN_FORCE,
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
        **CLOSURE,
        sub_source=(ORDER,),
        sub_target=ENDED,
        event_field="discharged_on",
        label="Record the discharge of the closure order",
        conditions=[order_in_force],
        guard_message=IN_FORCE,
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
        self.record({**data, "order_ended": "discharged", "closure_ended": "discharged"})

    @step(
        **CLOSURE,
        sub_source=(ORDER, ENDED),
        event_field="appeal_lodged_on",
        label="Record an appeal to the Crown Court",
        conditions=[appeal_window_open],
        guard_message=(
            "An appeal can be recorded only within 21 days of a closure order decision "
            "(the Anti-social Behaviour, Crime and Policing Act 2014, section 84)."
        ),
        fields=[
            Field("appellant", FieldType.CHOICE, "Appellant", choices=APPELLANTS),
            Field("appeal_lodged_on", FieldType.DATE, "Date the appeal was lodged"),
            Field("appeal_grounds", FieldType.TEXT, "Grounds", required=False),
        ],
    )
    def record_appeal(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        **CLOSURE,
        sub_source=(ORDER, ENDED),
        event_field="appeal_decided_on",
        label="Record the outcome of the appeal",
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
        **CLOSURE,
        sub_source=(ORDER,),
        sub_target=ENDED,
        event_field="appeal_decided_on",
        label="Record that the Crown Court quashed the closure order",
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
                "closure_ended": "quashed",
            }
        )
