"""Child sexual exploitation (RULES.md §3): the proxy model whose transitions are the process."""

from __future__ import annotations

from typing import Any

from casework.models import Case
from workflows.cse.checks import (
    assessment_in_progress,
    episodes_with_interview,
    episodes_with_return,
    not_in_immediate_danger,
    return_awaiting_interview,
    subject_is_18_or_over,
)
from workflows.cse.nrm import NRMSteps
from workflows.cse.states import (
    AFTER_REFERRAL,
    CP_CATEGORIES,
    EMERGENCY_ACTIONS,
    INTERVIEW_OUTCOMES,
    OPEN_STATES,
    OUTCOMES,
    REFERRAL_METHODS,
    RISK_LEVELS,
    State,
)
from workflows.definitions import (
    Field,
    FieldType,
    WorkflowCaseMixin,
    msgs,
)
from workflows.disclosure import DisclosingCaseMixin, disclosure_fields
from workflows.steps import WORKER, step


def outcome_field(*codes: str) -> Field:
    """The ``outcome_code`` choice of a closing step that has more than one outcome."""
    choices = [(code, OUTCOMES[code]) for code in codes]
    return Field("outcome_code", FieldType.CHOICE, "Outcome", choices=choices)


CLOSING_NOTE = Field("closing_note", FieldType.TEXT, "Closing note", required=False)


class CSECase(NRMSteps, DisclosingCaseMixin, WorkflowCaseMixin, Case):
    """A child sexual exploitation case; transitions follow RULES.md §3.2."""

    class Meta:
        proxy = True
        app_label = "workflows"

    # --- The concern and the referral -----------------------------------------------------

    @step(
        event_field="emergency_action_at",
        source=State.CONCERN_RAISED,
        target=State.IMMEDIATE_PROTECTION,
        label="Record emergency action (child in immediate danger)",
        fields=[
            Field("emergency_action", FieldType.CHOICE, "Action taken", choices=EMERGENCY_ACTIONS),
            Field("emergency_action_at", FieldType.DATETIME, "When"),
            Field("police_reference", FieldType.STRING, "Police reference", required=False),
        ],
    )
    def record_emergency_action(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.CONCERN_RAISED,
        target=State.CLOSED,
        label="Close without a referral",
        outcome="NO_FURTHER_EXPLOITATION_CONCERNS",
        outcome_words="No further exploitation concerns",
        conditions=[not_in_immediate_danger],
        guard_message=(
            "The child was reported to be in immediate danger: record the emergency action "
            "and refer to MASH; the concern cannot be closed without a referral."
        ),
        fields=[Field("rationale", FieldType.TEXT, "Why no referral is needed")],
    )
    def close_without_referral(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="referred_at",
        source=[State.CONCERN_RAISED, State.IMMEDIATE_PROTECTION, State.EARLY_HELP],
        target=State.REFERRED_TO_MASH,
        label="Refer to children's social care (MASH)",
        fields=[
            Field("referral_method", FieldType.CHOICE, "How referred", choices=REFERRAL_METHODS),
            Field("mash_reference", FieldType.STRING, "MASH reference", required=False),
            Field(
                "police_informed",
                FieldType.BOOLEAN,
                "Have the police been told?",
                errors=msgs(required="Select yes if the police have been told"),
            ),
            Field(
                "referred_at",
                FieldType.DATETIME,
                "When the referral was made, if not now",
                required=False,
                help_text="The decision and assessment clocks run from the referral.",
            ),
            *disclosure_fields(shared_with="children's social care (MASH)"),
        ],
    )
    def refer_to_mash(self, *, actor: Any, data: dict) -> None:
        self.record_disclosure(
            "refer_to_mash", {**data, "assessment_status": "awaiting_mash_decision"}, actor
        )

    # --- The MASH decision (within 1 working day) ----------------------------------------

    @step(
        event_field="mash_decision_on",
        source=State.REFERRED_TO_MASH,
        target=State.CLOSED,
        label="Record the MASH decision: no further action or advice",
        outcome="NFA_AT_TRIAGE",
        outcome_words="No further action or advice (MASH decision)",
        fields=[
            Field("mash_decision_on", FieldType.DATE, "Date of the decision"),
            Field("advice_given", FieldType.TEXT, "Advice given to the referrer", required=False),
            Field("referrer_acknowledged", FieldType.BOOLEAN, "Did MASH acknowledge the referral?"),
        ],
    )
    def decide_no_further_action(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "mash_decision": "nfa_advice", "assessment_status": "not_required"})

    @step(
        event_field="mash_decision_on",
        source=State.REFERRED_TO_MASH,
        target=State.EARLY_HELP,
        label="Record the MASH decision: early help",
        fields=[
            Field("mash_decision_on", FieldType.DATE, "Date of the decision"),
            Field("early_help_provider", FieldType.STRING, "Who provides early help"),
        ],
    )
    def decide_early_help(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "mash_decision": "early_help", "assessment_status": "not_required"})

    @step(
        event_field="mash_decision_on",
        source=State.REFERRED_TO_MASH,
        target=State.S17_ASSESSMENT,
        label="Record the MASH decision: child and family assessment",
        fields=[
            Field("mash_decision_on", FieldType.DATE, "Date of the decision"),
            Field("social_worker", FieldType.STRING, "Allocated social worker", required=False),
        ],
    )
    def decide_s17_assessment(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "mash_decision": "s17_assessment", "assessment_status": "in_progress"})

    @step(
        event_field="mash_decision_on",
        source=State.REFERRED_TO_MASH,
        target=State.STRATEGY_DISCUSSION,
        label="Record the MASH decision: strategy discussion",
        fields=[
            Field("mash_decision_on", FieldType.DATE, "Date of the decision"),
            Field(
                "emergency_action_taken",
                FieldType.BOOLEAN,
                "Were police protection or other emergency powers used?",
            ),
            Field("significant_harm_concern", FieldType.TEXT, "Why significant harm is suspected"),
        ],
    )
    def decide_strategy_discussion(self, *, actor: Any, data: dict) -> None:
        self.record(
            {**data, "mash_decision": "strategy_discussion", "assessment_status": "in_progress"}
        )

    @step(
        source=State.EARLY_HELP,
        target=State.CLOSED,
        label="Close after early help",
        fields=[
            outcome_field("STEPPED_DOWN_EARLY_HELP", "NO_FURTHER_EXPLOITATION_CONCERNS"),
            CLOSING_NOTE,
        ],
    )
    def close_early_help(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    # --- Child in need (s17) -------------------------------------------------------------

    @step(
        event_field="assessment_completed_on",
        source=State.S17_ASSESSMENT,
        target=State.CIN_PLAN,
        label="Record the assessment's outcome: child in need plan",
        fields=[
            Field("assessment_completed_on", FieldType.DATE, "Date the assessment was completed"),
            Field("plan_started_on", FieldType.DATE, "Date the plan started"),
        ],
    )
    def start_cin_plan(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "assessment_status": "completed"})

    @step(
        event_field="assessment_completed_on",
        source=State.S17_ASSESSMENT,
        target=State.CLOSED,
        label="Record the assessment's outcome: close",
        fields=[
            Field("assessment_completed_on", FieldType.DATE, "Date the assessment was completed"),
            outcome_field(
                "CIN_CLOSED", "STEPPED_DOWN_EARLY_HELP", "NO_FURTHER_EXPLOITATION_CONCERNS"
            ),
            CLOSING_NOTE,
        ],
    )
    def close_after_assessment(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "assessment_status": "completed"})

    @step(
        source=State.CIN_PLAN,
        target=State.CLOSED,
        label="Close the child in need plan",
        fields=[
            outcome_field(
                "CIN_CLOSED", "STEPPED_DOWN_EARLY_HELP", "NO_FURTHER_EXPLOITATION_CONCERNS"
            ),
            CLOSING_NOTE,
        ],
    )
    def close_cin_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="strategy_decided_on",
        source=[State.S17_ASSESSMENT, State.CIN_PLAN],
        target=State.STRATEGY_DISCUSSION,
        label="Record a decision to hold a strategy discussion (significant harm suspected)",
        fields=[
            Field("strategy_decided_on", FieldType.DATE, "Date of the decision"),
            Field("significant_harm_concern", FieldType.TEXT, "Why significant harm is suspected"),
        ],
    )
    def escalate_to_strategy_discussion(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    # --- Strategy discussion and s47 -----------------------------------------------------

    @step(
        event_field="strategy_discussion_on",
        source=State.STRATEGY_DISCUSSION,
        target=State.S47_ENQUIRY,
        label="Record the strategy discussion: section 47 enquiry started",
        fields=[
            Field("strategy_discussion_on", FieldType.DATE, "Date of the strategy discussion"),
            Field(
                "joint_police_investigation",
                FieldType.BOOLEAN,
                "Joint investigation with the police?",
            ),
            Field("chair", FieldType.STRING, "Chaired by", required=False),
        ],
    )
    def start_s47_enquiry(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="strategy_discussion_on",
        source=State.STRATEGY_DISCUSSION,
        target=State.S17_ASSESSMENT,
        label="Record the strategy discussion: assess under section 17 instead",
        fields=[
            Field("strategy_discussion_on", FieldType.DATE, "Date of the strategy discussion"),
            Field("rationale", FieldType.TEXT, "Why no section 47 enquiry"),
        ],
    )
    def assess_after_strategy_discussion(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="strategy_discussion_on",
        source=State.STRATEGY_DISCUSSION,
        target=State.CLOSED,
        label="Record the strategy discussion: no further action",
        fields=[
            Field("strategy_discussion_on", FieldType.DATE, "Date of the strategy discussion"),
            Field(
                "police_single_agency",
                FieldType.BOOLEAN,
                "Police continue as a single-agency investigation?",
            ),
            Field("rationale", FieldType.TEXT, "Why no further action"),
            outcome_field("NO_FURTHER_EXPLOITATION_CONCERNS", "STEPPED_DOWN_EARLY_HELP"),
        ],
    )
    def close_after_strategy_discussion(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="s47_concluded_on",
        source=State.S47_ENQUIRY,
        target=State.ICPC,
        label="Record the section 47 outcome: initial child protection conference convened",
        fields=[
            Field("s47_concluded_on", FieldType.DATE, "Date the enquiry concluded"),
            Field("icpc_booked_for", FieldType.DATE, "Date the conference is booked for"),
        ],
    )
    def convene_icpc(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="s47_concluded_on",
        source=State.S47_ENQUIRY,
        target=State.CIN_PLAN,
        label="Record the section 47 outcome: child in need plan",
        fields=[
            Field("s47_concluded_on", FieldType.DATE, "Date the enquiry concluded"),
            Field("rationale", FieldType.TEXT, "Why no conference"),
        ],
    )
    def conclude_s47_cin_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="s47_concluded_on",
        source=State.S47_ENQUIRY,
        target=State.CLOSED,
        label="Record the section 47 outcome: no further action",
        fields=[
            Field("s47_concluded_on", FieldType.DATE, "Date the enquiry concluded"),
            Field("rationale", FieldType.TEXT, "Why no further action"),
            outcome_field("NO_FURTHER_EXPLOITATION_CONCERNS", "STEPPED_DOWN_EARLY_HELP"),
        ],
    )
    def close_after_s47(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    # --- Conferences and the child protection plan ---------------------------------------

    @step(
        event_field="icpc_held_on",
        source=State.ICPC,
        target=State.CP_PLAN_ACTIVE,
        label="Record the initial child protection conference: child protection plan",
        fields=[
            Field("icpc_held_on", FieldType.DATE, "Date the conference was held"),
            Field("cp_category", FieldType.CHOICE, "Category of abuse", choices=CP_CATEGORIES),
            Field(
                "lead_practitioner",
                FieldType.STRING,
                "Lead child protection practitioner",
                required=False,
            ),
        ],
    )
    def hold_icpc_cp_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="icpc_held_on",
        source=State.ICPC,
        target=State.CIN_PLAN,
        label="Record the initial child protection conference: child in need plan",
        fields=[Field("icpc_held_on", FieldType.DATE, "Date the conference was held")],
    )
    def hold_icpc_cin_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="icpc_held_on",
        source=State.ICPC,
        target=State.CLOSED,
        label="Record the initial child protection conference: no plan, close",
        fields=[
            Field("icpc_held_on", FieldType.DATE, "Date the conference was held"),
            outcome_field("NO_FURTHER_EXPLOITATION_CONCERNS", "STEPPED_DOWN_EARLY_HELP"),
        ],
    )
    def hold_icpc_no_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_held_on",
        source=State.CP_PLAN_ACTIVE,
        target=None,
        label="Record a review conference: the plan continues",
        fields=[
            Field("review_held_on", FieldType.DATE, "Date the review was held"),
            Field("review_note", FieldType.TEXT, "Decisions", required=False),
        ],
    )
    def hold_review_conference(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_held_on",
        source=State.CP_PLAN_ACTIVE,
        target=State.CP_PLAN_ENDED,
        label="Record a review conference: the plan ends",
        fields=[
            Field("review_held_on", FieldType.DATE, "Date the review was held"),
            Field("plan_ended_reason", FieldType.TEXT, "Why the plan is no longer needed"),
        ],
    )
    def end_cp_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="plan_started_on",
        source=State.CP_PLAN_ENDED,
        target=State.CIN_PLAN,
        label="Continue support under a child in need plan",
        fields=[Field("plan_started_on", FieldType.DATE, "Date the plan started")],
    )
    def step_down_to_cin_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.CP_PLAN_ENDED,
        target=State.CLOSED,
        label="Close: child protection plan ended",
        outcome="CP_PLAN_ENDED",
        outcome_words="Child protection plan ended",
        fields=[CLOSING_NOTE],
    )
    def close_after_cp_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    # --- From any open state -------------------------------------------------------------

    @step(
        event_field="transferred_on",
        source=OPEN_STATES,
        target=State.CLOSED,
        label="Close: the child moved out of the area",
        outcome="TRANSFERRED_OUT_OF_AREA",
        outcome_words="Transferred (the child moved out of the area)",
        fields=[
            Field("receiving_authority", FieldType.STRING, "Local authority now responsible"),
            Field("transferred_on", FieldType.DATE, "Date of the transfer"),
            Field("records_sent", FieldType.BOOLEAN, "Records sent to the receiving authority?"),
        ],
    )
    def close_transferred_out(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=OPEN_STATES,
        target=State.CLOSED,
        label="Close: turned 18, transition to adult services",
        outcome="TURNED_18_TRANSITIONED_TO_ADULT_SERVICES",
        outcome_words="Turned 18, transition to adult services",
        conditions=[subject_is_18_or_over],
        guard_message=(
            "The child is not yet 18 by the date of birth or age recorded; "
            "close the case with another outcome."
        ),
        fields=[
            Field(
                "adult_services_referred",
                FieldType.BOOLEAN,
                "Referred to adult social care or a transitions service?",
            ),
            Field("transition_note", FieldType.TEXT, "Transition arrangements", required=False),
        ],
    )
    def close_turned_18(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="returned_at",
        source=AFTER_REFERRAL,
        target=None,
        label="Record a return from a missing episode",
        permission=WORKER,
        fields=[
            Field("missing_from", FieldType.DATETIME, "Missing since"),
            Field("returned_at", FieldType.DATETIME, "Returned or found at"),
            Field("where_found", FieldType.TEXT, "Where the child was found", required=False),
            Field("police_reference", FieldType.STRING, "Police reference", required=False),
        ],
    )
    def record_return_from_missing(self, *, actor: Any, data: dict) -> None:
        self.record({"missing_episodes": episodes_with_return(self.details, data)})

    @step(
        event_field="interview_on",
        source=AFTER_REFERRAL,
        target=None,
        label="Record a return home interview",
        permission=WORKER,
        conditions=[return_awaiting_interview],
        guard_message="No recorded return from a missing episode is waiting for an interview.",
        fields=[
            Field("interview_on", FieldType.DATE, "Date offered or held"),
            Field("interview_outcome", FieldType.CHOICE, "Outcome", choices=INTERVIEW_OUTCOMES),
            Field("offered_by", FieldType.STRING, "Offered by (independent of the carers)"),
        ],
    )
    def record_return_interview(self, *, actor: Any, data: dict) -> None:
        self.record({"missing_episodes": episodes_with_interview(self.details, data)})

    @step(
        event_field="assessment_completed_on",
        source=[
            State.STRATEGY_DISCUSSION,
            State.S47_ENQUIRY,
            State.ICPC,
            State.CP_PLAN_ACTIVE,
            State.CP_PLAN_ENDED,
            State.CIN_PLAN,
        ],
        target=None,
        label="Record the child and family assessment completed",
        conditions=[assessment_in_progress],
        guard_message="No child and family assessment is in progress on this case.",
        fields=[
            Field("assessment_completed_on", FieldType.DATE, "Date the assessment was completed"),
            Field("assessment_summary", FieldType.TEXT, "Summary", required=False),
        ],
    )
    def record_assessment_completed(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "assessment_status": "completed"})

    @step(
        event_field="risk_assessed_on",
        source=OPEN_STATES,
        target=None,
        label="Record the exploitation risk assessment",
        permission=WORKER,
        fields=[
            Field("risk_level", FieldType.CHOICE, "Risk level", choices=RISK_LEVELS),
            Field("risk_assessed_on", FieldType.DATE, "Date assessed"),
            Field("mace_discussed", FieldType.BOOLEAN, "Discussed at the MACE meeting?"),
            Field("locations", FieldType.TEXT, "Locations or hotspots", required=False),
            Field("disruption_actions", FieldType.TEXT, "Disruption actions", required=False),
        ],
    )
    def record_exploitation_risk(self, *, actor: Any, data: dict) -> None:
        self.record(data)
