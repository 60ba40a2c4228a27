"""Cuckooing (RULES.md §2): states and vocabularies (choices)."""

from __future__ import annotations

import re

from django.db import models


class State(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern raised"
    IMMEDIATE_RISK_ACTION = "immediate_risk_action", "Immediate risk action taken"
    SAFEGUARDING_CONCERN_SUBMITTED = (
        "safeguarding_concern_submitted",
        "Safeguarding concern submitted to adult social care",
    )
    S42_TRIAGE = "s42_triage", "Section 42 triage (information gathering)"
    S42_ENQUIRY = "s42_enquiry", "Section 42 enquiry"
    NON_STATUTORY_ENQUIRY = "non_statutory_enquiry", "Non-statutory enquiry"
    MULTI_AGENCY_RISK_MEETING = "multi_agency_risk_meeting", "Multi-agency risk meeting"
    SAFETY_PLAN_ACTIVE = "safety_plan_active", "Safety plan active"
    REVIEW = "review", "Review"
    CLOSED = "closed", "Closed"


# Every state of the safeguarding route from which the closure powers may be used: the
# police or the council may serve a notice at the first visit (RULES.md §2.4, issue 15).
OPEN_STATES = tuple(s for s in State.values if s != State.CLOSED)


class ClosureState(models.TextChoices):
    """The closure powers' own state (ASBCPA 2014 ss76-84), beside the safeguarding
    route; the names are those the closure states had on the main route before."""

    NONE = "none", "No closure power used"
    NOTICE_ISSUED = "closure_notice_issued", "Closure notice issued"
    ORDER_HEARING = "closure_order_hearing", "Closure order applied for"
    ORDER_IN_FORCE = "closure_order_in_force", "Closure order made"
    ENDED = (
        "closure_ended",
        "Closure ended (notice cancelled, order refused, discharged or quashed)",
    )


# RULES.md §2.3 proposed outcome codes. CRITERIA_NOT_MET_NFA closes at triage; the others
# are chosen at the closing review.
OUTCOME_CODES = (
    ("RISK_REMOVED", "Risk removed"),
    ("RISK_REDUCED", "Risk reduced"),
    ("RISK_REMAINS_ADULT_DECLINED", "Risk remains: the adult, with capacity, declined help"),
    ("ADULT_MOVED", "The adult moved away"),
    ("TRANSFERRED_OTHER_PROCESS", "Transferred to another process (MARAC, MAPPA, NRM)"),
    ("CRITERIA_NOT_MET_NFA", "Criteria not met: no further action"),
)


NFA_OUTCOME = "CRITERIA_NOT_MET_NFA"


REVIEW_OUTCOMES = tuple(c for c in OUTCOME_CODES if c[0] != NFA_OUTCOME)


VULNERABILITIES = (
    ("learning_disability", "Learning disability"),
    ("mental_health", "Mental health"),
    ("substance_misuse", "Substance misuse"),
    ("physical_disability", "Physical disability"),
    ("older_age", "Older age"),
    ("other", "Other"),
)


INDICATORS = (
    ("increased_visitors", "Increased visitors or vehicles"),
    ("asb_at_property", "Anti-social behaviour at the property"),
    ("new_unknown_associates", "New, unknown associates"),
    ("debts_paid_in_cash", "Debts suddenly paid in cash"),
    ("withdrawal_from_services", "Withdrawal from services"),
    ("unexplained_injuries", "Unexplained injuries"),
    ("drugs_or_weapons_seen", "Drugs or weapons seen"),
)


TENURES = (
    ("council", "Council tenancy"),
    ("housing_association", "Housing association tenancy"),
    ("private_rented", "Private rented"),
    ("owner_occupied", "Owner occupied"),
    ("supported_housing", "Supported housing"),
    ("temporary_accommodation", "Temporary accommodation"),
    ("other", "Other or not known"),
)


AGENCIES = (
    ("police", "Police"),
    ("adult_social_care", "Adult social care"),
    ("housing", "Housing provider or landlord"),
    ("community_safety", "Community safety / ASB team"),
    ("substance_misuse", "Substance misuse services"),
    ("health", "Health"),
)


SAFETY_PLAN_ACTIONS = (
    ("capacity_assessment", "Mental capacity assessment (noting coercion)"),
    ("advocacy", "Advocacy"),
    ("rehousing", "Temporary or emergency rehousing"),
    ("police_disruption", "Police disruption"),
    ("closure_powers", "Closure powers (the Anti-social Behaviour, Crime and Policing Act 2014)"),
    ("community_marac", "Referral to Community MARAC or high-risk panel"),
    ("nrm_dtn", "NRM referral or Duty to Notify"),
)


RISK_LEVELS = (("high", "High"), ("medium", "Medium"), ("low", "Low"))


S42_TEST = ("s42_care_and_support_needs", "s42_abuse_or_neglect", "s42_unable_to_protect")


POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)
