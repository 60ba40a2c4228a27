"""Child sexual exploitation (RULES.md §3): states and vocabularies (choices)."""

from __future__ import annotations

from django.db import models


class State(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern raised"
    IMMEDIATE_PROTECTION = "immediate_protection", "Immediate protection (emergency action taken)"
    REFERRED_TO_MASH = "referred_to_mash", "Referred to MASH, awaiting the decision"
    EARLY_HELP = "early_help", "Early help"
    S17_ASSESSMENT = "s17_assessment", "Child and family assessment"
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


# The kinds of exploitation (issue 15): one child exploitation type, its id "cse" kept
# (shared/API.md: names do not change). Criminal exploitation includes county lines.
KINDS = (
    ("sexual", "Sexual exploitation"),
    ("criminal", "Criminal exploitation (for example county lines, drug running)"),
)
COMPETENT_AUTHORITIES = (
    ("sca", "Single Competent Authority (Home Office)"),
    ("local_pilot", "Devolved child decision-making panel"),
)
INDICATORS = (
    ("missing_episodes", "Missing episodes"),
    ("older_associates", "Older associates"),
    ("gifts_or_money", "Unexplained gifts or money"),
    ("stis_or_pregnancy", "Sexually transmitted infections or pregnancy"),
    ("substance_use", "Substance use"),
    ("school_disengagement", "Disengagement from school"),
    ("online_contacts", "Online contacts"),
    ("carrying_drugs_or_cash", "Carrying drugs or large amounts of cash"),
    ("travel_out_of_area", "Found or travelling out of area (county lines)"),
    ("weapons", "Carrying weapons"),
    ("unexplained_phones", "More than one phone, or unexplained phone use"),
    ("trafficking", "Moved or harboured for exploitation (trafficking)"),
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


MASH_DECISIONS = (
    "decide_no_further_action",
    "decide_early_help",
    "decide_s17_assessment",
    "decide_strategy_discussion",
)
