"""Cuckooing (RULES.md §2): the proxy model whose transitions are the process."""

from __future__ import annotations

from typing import Any

from casework.models import Case
from workflows.cuckooing.checks import s42_test_met, s42_test_not_met
from workflows.cuckooing.closure_order import ClosureOrderSteps
from workflows.cuckooing.closure_powers import may_close_case
from workflows.cuckooing.states import (
    AGENCIES,
    NFA_OUTCOME,
    REVIEW_OUTCOMES,
    RISK_LEVELS,
    S42_TEST,
    SAFETY_PLAN_ACTIONS,
    State,
)
from workflows.definitions import (
    Field,
    FieldType,
    WorkflowCaseMixin,
)
from workflows.disclosure import DisclosingCaseMixin, disclosure_fields
from workflows.steps import step

# Making Safeguarding Personal: the adult's views are recorded throughout (RULES.md §2.3).
VIEWS_FIELD = Field(
    "occupier_views",
    FieldType.TEXT,
    "The adult's views, wishes and desired outcomes",
    required=False,
)


ENQUIRY_FIELDS = [
    Field("enquiry_started_on", FieldType.DATE, "Date the enquiry started"),
    Field("enquiry_lead_agency", FieldType.CHOICE, "Lead agency", choices=AGENCIES),
]


class CuckooingCase(ClosureOrderSteps, DisclosingCaseMixin, WorkflowCaseMixin, Case):
    """A cuckooing case; transitions follow RULES.md §2.3, and the closure powers (§2.4,
    ``ClosureOrderSteps``) run beside them from any open state."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        source=State.CONCERN_RAISED,
        target=State.IMMEDIATE_RISK_ACTION,
        label="Record immediate action (999 / police)",
        fields=[
            Field("emergency_services_called", FieldType.BOOLEAN, "999 or the police called?"),
            Field("immediate_action_taken", FieldType.TEXT, "What was done"),
            Field("police_reference", FieldType.STRING, "Police reference", required=False),
        ],
    )
    def take_immediate_action(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="submitted_on",
        source=[State.CONCERN_RAISED, State.IMMEDIATE_RISK_ACTION],
        target=State.SAFEGUARDING_CONCERN_SUBMITTED,
        label="Submit the safeguarding concern to adult social care",
        fields=[
            Field("submitted_on", FieldType.DATE, "Date submitted to adult social care"),
            Field("police_informed", FieldType.BOOLEAN, "Police informed?"),
            Field("police_reference", FieldType.STRING, "Police reference", required=False),
            Field(
                "mash_notified",
                FieldType.BOOLEAN,
                "Children's MASH notified? (needed when children live there or visit)",
            ),
            *disclosure_fields(shared_with="adult social care"),
        ],
    )
    def submit_concern(self, *, actor: Any, data: dict) -> None:
        self.record_disclosure("submit_concern", data, actor)

    @step(
        event_field="triage_started_on",
        source=State.SAFEGUARDING_CONCERN_SUBMITTED,
        target=State.S42_TRIAGE,
        label="Start section 42 triage",
        fields=[
            Field("triage_started_on", FieldType.DATE, "Date triage started"),
            Field("occupier_aware", FieldType.BOOLEAN, "Is the adult aware of the concern?"),
            Field("occupier_consents", FieldType.BOOLEAN, "Does the adult consent to it?"),
            VIEWS_FIELD,
        ],
    )
    def start_triage(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.S42_TRIAGE,
        target=None,
        label="Record the section 42 three-part test",
        fields=[
            Field(
                "s42_care_and_support_needs",
                FieldType.BOOLEAN,
                "(a) The adult has needs for care and support",
            ),
            Field(
                "s42_abuse_or_neglect",
                FieldType.BOOLEAN,
                "(b) The adult is experiencing, or is at risk of, abuse or neglect",
            ),
            Field(
                "s42_unable_to_protect",
                FieldType.BOOLEAN,
                "(c) Because of those needs, the adult cannot protect themselves",
            ),
            Field("s42_rationale", FieldType.TEXT, "Reasons for the decision"),
        ],
    )
    def record_s42_test(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "s42_criteria_met": all(data[name] for name in S42_TEST)})

    @step(
        event_field="enquiry_started_on",
        source=State.S42_TRIAGE,
        target=State.S42_ENQUIRY,
        label="Start a section 42 enquiry",
        conditions=[s42_test_met],
        guard_message=(
            "A section 42 enquiry needs all three parts of the section 42 test recorded as met "
            "(Care Act 2014, section 42(1))."
        ),
        fields=ENQUIRY_FIELDS,
    )
    def start_s42_enquiry(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "enquiry_type": "s42"})

    @step(
        event_field="enquiry_started_on",
        source=State.S42_TRIAGE,
        target=State.NON_STATUTORY_ENQUIRY,
        label="Start a non-statutory enquiry",
        conditions=[s42_test_not_met],
        guard_message=(
            "Record the section 42 test first; a non-statutory enquiry is only for a concern that "
            "does not meet it (when it is met the council must make a section 42 enquiry)."
        ),
        fields=ENQUIRY_FIELDS,
    )
    def start_non_statutory_enquiry(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "enquiry_type": "non_statutory"})

    @step(
        source=State.S42_TRIAGE,
        target=State.CLOSED,
        label="Close: criteria not met, no further action",
        outcome=NFA_OUTCOME,
        outcome_words="Criteria not met, no further action",
        conditions=[s42_test_not_met, may_close_case],
        guard_message=(
            "Record the section 42 test first; no further action is only for a concern that does "
            "not meet it."
        ),
        fields=[
            Field("rationale", FieldType.TEXT, "Why no further action is needed"),
            Field("signposted_to", FieldType.TEXT, "Signposted to", required=False),
        ],
    )
    def close_no_further_action(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[State.S42_ENQUIRY, State.NON_STATUTORY_ENQUIRY],
        target=State.MULTI_AGENCY_RISK_MEETING,
        label="Convene a multi-agency risk meeting",
        fields=[
            Field("meeting_on", FieldType.DATE, "Date of the meeting"),
            Field("lead_agency", FieldType.CHOICE, "Lead agency", choices=AGENCIES),
            Field("agencies_invited", FieldType.MULTICHOICE, "Agencies invited", choices=AGENCIES),
            Field("risk_level", FieldType.CHOICE, "Risk level", choices=RISK_LEVELS),
        ],
    )
    def convene_risk_meeting(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.MULTI_AGENCY_RISK_MEETING,
        target=State.SAFETY_PLAN_ACTIVE,
        label="Agree the safety plan",
        fields=[
            Field(
                "safety_plan_actions",
                FieldType.MULTICHOICE,
                "Actions in the plan",
                choices=SAFETY_PLAN_ACTIONS,
            ),
            Field("safety_plan_summary", FieldType.TEXT, "The plan"),
            VIEWS_FIELD,
        ],
    )
    def agree_safety_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_on",
        source=State.SAFETY_PLAN_ACTIVE,
        target=State.REVIEW,
        label="Review the case",
        fields=[
            Field("review_on", FieldType.DATE, "Date of the review"),
            Field("review_notes", FieldType.TEXT, "What the review found"),
            VIEWS_FIELD,
        ],
    )
    def start_review(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.REVIEW,
        target=State.SAFETY_PLAN_ACTIVE,
        label="Continue the safety plan",
        fields=[Field("safety_plan_changes", FieldType.TEXT, "Changes to the plan")],
    )
    def continue_safety_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.REVIEW,
        target=State.CLOSED,
        label="Close the case (manager sign-off)",
        conditions=[may_close_case],
        fields=[
            Field("outcome_code", FieldType.CHOICE, "Outcome", choices=REVIEW_OUTCOMES),
            Field("closing_summary", FieldType.TEXT, "Closing summary"),
            Field("signed_off_by", FieldType.STRING, "Manager who signed off"),
            Field(
                "adult_has_capacity",
                FieldType.BOOLEAN,
                "Has the adult capacity to decline help (the Mental Capacity Act 2005)?",
            ),
            Field(
                "transferred_to",
                FieldType.STRING,
                "Process transferred to (MARAC, MAPPA, NRM)",
                required=False,
            ),
        ],
    )
    def close_case(self, *, actor: Any, data: dict) -> None:
        self.record(data)
