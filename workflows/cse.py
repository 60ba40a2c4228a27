"""Child sexual exploitation: referral to children's social care through the MASH (RULES.md §3).

A concern that a child under 18 is being sexually exploited (DfE 2017 definition, RULES.md
§3.1) is referred to children's social care (CSC) through the Multi-Agency Safeguarding
Hub, after emergency action (999, police protection) where the child is in immediate
danger (§3.2). Within one working day CSC decides the response: no further action or
advice, early help, a child and family assessment under Children Act 1989 s17, or a
strategy discussion where significant harm is suspected. A strategy discussion can start
a s47 enquiry, which can lead to an initial child protection conference (ICPC) within 15
working days, a child protection plan and review conferences (first within 3 months,
then at most 6 months apart) until the plan ends (Working Together to Safeguard Children
2023, statutory guidance; RULES.md §3.3).

CSC is the statutory lead. The council's community safety team refers and contributes, so
every CSC stage here is a partner milestone the council records and is reminded about,
not an action Safecase carries out (RULES.md §3.2 note); the labels say "Record ...".

Whenever the child returns from a missing episode, an independent return home interview
must be offered within 72 hours (statutory guidance on children who run away or go
missing, RULES.md §3.1, §3.3). Each return opens its own clock; each interview recorded
meets the oldest one still waiting.

Parents' consent to the referral is recorded with the reason when it was not sought
(§3.5: sharing without consent where seeking it would increase the risk to the child,
prejudice an investigation or cause undue delay).

Timescales: the MASH decision is a local default (Working Together as quoted by
partnerships, RULES.md §3.3); the assessment, conference, review and return home
interview timescales are national maxima from statutory guidance, so statutory here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from casework.models import Case, CasePersonRole, Person
from workflows.definitions import (
    RAISE,
    ClockKind,
    DeadlineRule,
    Field,
    FieldType,
    Unit,
    Workflow,
    WorkflowCaseMixin,
    age_at,
    person_fields,
)
from workflows.registry import register
from workflows.steps import WORKER, step


class State(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern raised"
    IMMEDIATE_PROTECTION = "immediate_protection", "Immediate protection (emergency action taken)"
    REFERRED_TO_MASH = "referred_to_mash", "Referred to MASH, awaiting the decision"
    EARLY_HELP = "early_help", "Early help"
    S17_ASSESSMENT = "s17_assessment", "Child and family assessment (s17)"
    CIN_PLAN = "cin_plan", "Child in need plan"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    S47_ENQUIRY = "s47_enquiry", "Section 47 enquiry"
    ICPC = "icpc", "Initial child protection conference convened"
    CP_PLAN_ACTIVE = "cp_plan_active", "Child protection plan"
    CP_PLAN_ENDED = "cp_plan_ended", "Child protection plan ended"
    CLOSED = "closed", "Closed"


OPEN_STATES = [s for s in State if s != State.CLOSED]
# Missing episodes and their interviews are recorded once the child has been referred on
# (or protected in an emergency); before that there is only the concern.
AFTER_REFERRAL = [s for s in OPEN_STATES if s != State.CONCERN_RAISED]

OUTCOMES = {
    "NFA_AT_TRIAGE": "No further action at triage (advice given)",
    "STEPPED_DOWN_EARLY_HELP": "Stepped down to early help",
    "CIN_CLOSED": "Closed as a child in need",
    "CP_PLAN_ENDED": "Child protection plan ended",
    "TRANSFERRED_OUT_OF_AREA": "Transferred out of area",
    "TURNED_18_TRANSITIONED_TO_ADULT_SERVICES": "Turned 18: transitioned to adult services",
    "NO_FURTHER_EXPLOITATION_CONCERNS": "No further exploitation concerns",
}
INDICATORS = (
    ("missing_episodes", "Missing episodes"),
    ("older_associates", "Older associates"),
    ("gifts_or_money", "Unexplained gifts or money"),
    ("stis_or_pregnancy", "Sexually transmitted infections or pregnancy"),
    ("substance_use", "Substance use"),
    ("school_disengagement", "Disengagement from school"),
    ("online_contacts", "Online contacts"),
)
PARENTAL_CONSENT = (
    ("given", "Given"),
    ("not_sought_increase_risk", "Not sought: it would increase the risk to the child"),
    ("not_sought_prejudice_investigation", "Not sought: it would prejudice an investigation"),
    ("not_sought_undue_delay", "Not sought: it would cause undue delay"),
)
EMERGENCY_ACTIONS = (
    ("police_999", "Police called (999)"),
    ("police_protection", "Police protection"),
    ("other", "Other emergency action"),
)
REFERRAL_METHODS = (
    ("marf", "Multi-agency referral form"),
    ("phone", "Phone (to be confirmed in writing)"),
    ("other", "Other"),
)
CP_CATEGORIES = (
    ("sexual_abuse", "Sexual abuse"),
    ("physical_abuse", "Physical abuse"),
    ("emotional_abuse", "Emotional abuse"),
    ("neglect", "Neglect"),
)
INTERVIEW_OUTCOMES = (
    ("held", "Interview held"),
    ("declined", "Offered; the child declined"),
)
RISK_LEVELS = (
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
)

CHILD_AGE = 18


def outcome_field(*codes: str) -> Field:
    """The ``outcome_code`` choice of a closing step that has more than one outcome."""
    choices = [(code, OUTCOMES[code]) for code in codes]
    return Field("outcome_code", FieldType.CHOICE, "Outcome", choices=choices)


CLOSING_NOTE = Field("closing_note", FieldType.TEXT, "Closing note", required=False)


# --- Guards -------------------------------------------------------------------------------


def subject_person(case: Case) -> Person | None:
    link = case.case_people.filter(role=CasePersonRole.SUBJECT).select_related("person").first()
    return link.person if link is not None else None


def subject_age_now(case: Case) -> int | None:
    """The child's age today: from the date of birth, else the estimate given at intake
    plus the whole years since the concern was raised."""
    person = subject_person(case)
    if person is None:
        return None
    today = timezone.localdate()
    if person.date_of_birth:
        return age_at({"subject_date_of_birth": person.date_of_birth}, "subject", today)
    if person.estimated_age is None:
        return None
    raised = timezone.localtime(case.raised_at).date()
    return person.estimated_age + age_at({"subject_date_of_birth": raised}, "subject", today)


def subject_is_18_or_over(case: Case) -> bool:
    """Only a young person who has turned 18 moves to adult services (RULES.md §3.2)."""
    age = subject_age_now(case)
    return age is not None and age >= CHILD_AGE


def not_in_immediate_danger(case: Case) -> bool:
    """A child reported in immediate danger is protected and referred, never closed at the
    concern stage (RULES.md §3.2: immediate danger goes to immediate protection)."""
    return not case.details.get("immediate_danger")


def return_awaiting_interview(case: Case) -> bool:
    """An interview is recorded against a recorded return that has none yet."""
    return any("interview" not in e for e in case.details.get("missing_episodes", []))


def assessment_in_progress(case: Case) -> bool:
    """A child and family assessment started by the latest referral is not yet complete."""
    return case.details.get("assessment_status") == "in_progress"


def episodes_with_return(details: dict[str, Any], data: dict[str, Any]) -> list[dict]:
    return [*details.get("missing_episodes", []), dict(data)]


def episodes_with_interview(details: dict[str, Any], data: dict[str, Any]) -> list[dict]:
    """Attach the interview to the oldest return still waiting for one (as the clocks do)."""
    episodes = [dict(e) for e in details.get("missing_episodes", [])]
    waiting = next(e for e in episodes if "interview" not in e)
    waiting["interview"] = dict(data)
    return episodes


class CSECase(WorkflowCaseMixin, Case):
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
            Field("police_informed", FieldType.BOOLEAN, "Have the police been told?"),
            Field(
                "referred_at",
                FieldType.DATETIME,
                "When the referral was made, if not now",
                required=False,
                help_text="The decision and assessment clocks run from the referral.",
            ),
        ],
    )
    def refer_to_mash(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "assessment_status": "awaiting_mash_decision"})

    # --- The MASH decision (within 1 working day) ----------------------------------------

    @step(
        event_field="mash_decision_on",
        source=State.REFERRED_TO_MASH,
        target=State.CLOSED,
        label="Record the MASH decision: no further action or advice",
        outcome="NFA_AT_TRIAGE",
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
        label="Record the MASH decision: child and family assessment (s17)",
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
        label="Record the strategy discussion: assess under s17 instead",
        fields=[
            Field("strategy_discussion_on", FieldType.DATE, "Date of the strategy discussion"),
            Field("rationale", FieldType.TEXT, "Why no s47 enquiry"),
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
        label="Record the s47 outcome: initial child protection conference convened",
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
        label="Record the s47 outcome: child in need plan",
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
        label="Record the s47 outcome: no further action",
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
        label="Record the ICPC: child protection plan",
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
        label="Record the ICPC: child in need plan",
        fields=[Field("icpc_held_on", FieldType.DATE, "Date the conference was held")],
    )
    def hold_icpc_cin_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="icpc_held_on",
        source=State.ICPC,
        target=State.CLOSED,
        label="Record the ICPC: no plan, close",
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


# --- Intake -------------------------------------------------------------------------------


def _age_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """A CSE referral is about a child under 18 (DfE 2017 definition, RULES.md §3.1)."""
    dob = values.get("subject_date_of_birth")
    if not dob and values.get("subject_estimated_age") is None:
        return {
            "subject_date_of_birth": [
                "Enter the child's date of birth or, if not known, their age or best estimate."
            ]
        }
    today = timezone.localdate()
    if dob and date.fromisoformat(dob) > today:
        return {"subject_date_of_birth": ["The date of birth cannot be in the future."]}
    age = age_at(values, "subject", today)
    if age is not None and age >= CHILD_AGE:
        return {
            "subject_date_of_birth": [
                f"This is a referral for a child under 18, and this person is {age}. "
                "For someone aged 18 or over, raise an adult safeguarding concern instead."
            ]
        }
    return {}


def _name_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    names = ("subject_given_names", "subject_family_name", "subject_aliases")
    if any(values.get(n) for n in names):
        return {}
    return {"subject_given_names": ["Enter the child's name, or a name they are known by."]}


def _consent_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """Sharing without parental consent needs its reason recorded (RULES.md §3.5)."""
    if values.get("parental_consent") == "given" or values.get("consent_rationale"):
        return {}
    return {"consent_rationale": ["Say why consent was not sought and who decided."]}


def check_intake(values: dict[str, Any]) -> None:
    """The child is under 18 and named; a referral without parental consent says why."""
    errors = {**_age_errors(values), **_name_errors(values), **_consent_errors(values)}
    if errors:
        raise ValidationError(errors)


INTAKE_FIELDS = [
    *person_fields("subject", label="The child"),
    Field(
        "indicators",
        FieldType.MULTICHOICE,
        "Indicators of exploitation seen or told",
        required=False,
        choices=INDICATORS,
    ),
    Field("what_has_happened", FieldType.TEXT, "What has happened (what has changed today)"),
    Field("school", FieldType.STRING, "School or education setting", required=False),
    *person_fields("parent_carer", label="Parent or carer"),
    Field(
        "parental_consent",
        FieldType.CHOICE,
        "Parental consent to the referral",
        choices=PARENTAL_CONSENT,
    ),
    Field(
        "consent_rationale",
        FieldType.TEXT,
        "Why consent was not sought, and who decided",
        required=False,
        help_text="Required when consent was not sought.",
    ),
    Field(
        "child_view",
        FieldType.TEXT,
        "The child's own view of the referral",
        required=False,
    ),
    Field("immediate_danger", FieldType.BOOLEAN, "Is the child in immediate danger?"),
]

MASH_DECISIONS = (
    "decide_no_further_action",
    "decide_early_help",
    "decide_s17_assessment",
    "decide_strategy_discussion",
)
ICPC_HELD = ("hold_icpc_cp_plan", "hold_icpc_cin_plan", "hold_icpc_no_plan")
REVIEW_HELD = ("hold_review_conference", "end_cp_plan")
REVIEW_SOURCE = (
    "RULES.md §3.2-3.3: Working Together 2023 (statutory guidance) as set out in child "
    "protection procedures [S78][S79]"
)

WORKFLOW = register(
    Workflow(
        case_type="cse",
        label="Child sexual exploitation",
        description=(
            "Referral to children's social care (MASH), its decision, s47, conferences and "
            "plans as partner milestones; return home interviews after missing episodes."
        ),
        model=CSECase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        intake_check=check_intake,
        deadline_rules=[
            DeadlineRule(
                name="refer_same_day",
                label="Refer to children's social care and tell the police (same working day)",
                starts_on=RAISE,
                duration=0,
                unit=Unit.WORKING_DAYS,
                met_by=("refer_to_mash", "close_without_referral"),
                statutory=False,
                source=(
                    "RULES.md §3.1-3.2: a child at risk of exploitation is referred to "
                    "children's social care and the police immediately [S70][S85]; local "
                    "default of the same working day (the referral step records whether "
                    "the police were told)"
                ),
                kind=ClockKind.TASK,
                kind_reason="The person who raised the concern must make the referral",
            ),
            DeadlineRule(
                name="exploitation_risk_assessment",
                label="Exploitation risk assessment",
                starts_on=RAISE,
                duration=10,
                unit=Unit.WORKING_DAYS,
                met_by=("record_exploitation_risk",),
                statutory=False,
                source=(
                    "RULES.md §3.3: exploitation risk assessment within 10 working days of "
                    "screening (North Yorkshire) [S72][S84]; local default, overridable"
                ),
                kind=ClockKind.TASK,
                kind_reason="The lead must complete or obtain the assessment",
            ),
            DeadlineRule(
                name="mash_decision",
                label="MASH decision on the referral, acknowledged to the referrer",
                starts_on="refer_to_mash",
                duration=1,
                unit=Unit.WORKING_DAYS,
                met_by=MASH_DECISIONS,
                statutory=True,
                source=(
                    "RULES.md §3.2-3.3: a decision within 1 working day of the referral, "
                    "Working Together 2023 (statutory guidance) as quoted by partnerships [S71]"
                ),
                kind=ClockKind.TASK,
                kind_reason=(
                    "Children's social care decides, and the referrer chases a decision not "
                    "received within the working day"
                ),
            ),
            DeadlineRule(
                name="cf_assessment",
                label="Child and family assessment",
                starts_on="refer_to_mash",
                duration=45,
                unit=Unit.WORKING_DAYS,
                met_by=("start_cin_plan", "close_after_assessment", "record_assessment_completed"),
                cancelled_by=("decide_early_help",),
                statutory=True,
                source=(
                    "RULES.md §3.3: at most 45 working days from the point of referral, "
                    "Working Together 2023 (statutory guidance) via procedures [S82][S83]"
                ),
                kind=ClockKind.TASK,
                kind_reason="A statutory timescale for the assessment the lead follows",
            ),
            DeadlineRule(
                name="icpc",
                label="Initial child protection conference",
                starts_on="start_s47_enquiry",
                duration=15,
                unit=Unit.WORKING_DAYS,
                met_by=ICPC_HELD,
                cancelled_by=("conclude_s47_cin_plan",),
                statutory=True,
                source=(
                    "RULES.md §3.2-3.3: within 15 working days of the strategy discussion at "
                    "which the s47 enquiry was initiated [S75][S76][S77]"
                ),
                kind=ClockKind.TASK,
                kind_reason="The conference must be held in time",
            ),
            DeadlineRule(
                name="first_cp_review",
                label="First child protection review conference",
                starts_on="hold_icpc_cp_plan",
                duration=3,
                unit=Unit.MONTHS,
                met_by=REVIEW_HELD,
                statutory=True,
                source=f"{REVIEW_SOURCE}: within 3 months of the ICPC",
                kind=ClockKind.TASK,
                kind_reason="The review conference must be held in time",
            ),
            DeadlineRule(
                name="cp_review",
                label="Child protection review conference",
                starts_on="hold_review_conference",
                duration=6,
                unit=Unit.MONTHS,
                met_by=REVIEW_HELD,
                repeatable=True,
                statutory=True,
                source=f"{REVIEW_SOURCE}: then at intervals of not more than 6 months",
                kind=ClockKind.TASK,
                kind_reason="Each review conference must be held in time",
            ),
            DeadlineRule(
                name="return_home_interview",
                label="Return home interview offered",
                starts_on="record_return_from_missing",
                duration=72,
                unit=Unit.HOURS,
                met_by=("record_return_interview",),
                repeatable=True,
                starts_at_field="returned_at",
                statutory=True,
                source=(
                    "RULES.md §3.1, §3.3: statutory guidance on children who run away or go "
                    "missing from home or care, an independent return home interview offered "
                    "within 72 hours of each return [S68][S69]; the hours run through "
                    "weekends, bank holidays and Christmas Day"
                ),
                kind=ClockKind.TASK,
                kind_reason="The interview must be offered to the child in time",
            ),
        ],
    )
)
