"""Modern slavery (RULES.md §1): states and vocabularies (choices)."""

from __future__ import annotations

from django.db import models


class State(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern raised"
    TRIAGE = "triage", "Safeguarding triage"
    CHILD_WELFARE_NOTIFIED = "child_welfare_notified", "Child welfare services notified"
    ADULT_CONSENT_SOUGHT = "adult_consent_sought", "Adult's consent sought"
    CONSENT_GIVEN = "consent_given", "Adult consented to an NRM referral"
    DTN_SUBMITTED = "dtn_submitted", "Anonymous Duty to Notify submitted"
    AWAITING_RG = "awaiting_rg", "Awaiting reasonable grounds decision"
    RECOVERY_PERIOD = "recovery_period", "Recovery period (positive reasonable grounds)"
    RG_NEGATIVE = "rg_negative", "Negative reasonable grounds decision"
    CG_POSITIVE = "cg_positive", "Positive conclusive grounds decision"
    CG_NEGATIVE = "cg_negative", "Negative conclusive grounds decision"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


EXPLOITATION_TYPES = (
    ("sexual", "Sexual exploitation"),
    ("labour", "Labour exploitation"),
    ("domestic_servitude", "Domestic servitude"),
    ("criminal", "Criminal exploitation"),
    ("organ_harvesting", "Organ harvesting"),
    ("other", "Other"),
)


CONSENT_STATUSES = (
    ("not_asked", "Not yet asked"),
    ("given", "Consent given"),
    ("refused", "Consent refused"),
    ("not_required_child", "Not required (child)"),
    ("lacks_capacity", "Lacks capacity to consent"),
)


COMPETENT_AUTHORITIES = (
    ("sca", "Single Competent Authority (Home Office)"),
    ("ieca", "Immigration Enforcement Competent Authority"),
    ("local_pilot", "Devolved child decision-making panel"),
)


AGE_BANDS = (
    ("18_24", "18 to 24"),
    ("25_34", "25 to 34"),
    ("35_44", "35 to 44"),
    ("45_54", "45 to 54"),
    ("55_plus", "55 or over"),
    ("unknown", "Not known"),
)


# Who made the best-interests decision for an adult lacking capacity (MCA 2005 s4) [U]:
# a local default, configurable here.
CAPACITY_DECIDERS = (
    ("safeguarding_lead", "Safeguarding lead (the first responder)"),
    ("social_worker", "Social worker"),
    ("attorney_or_deputy", "Lasting power of attorney or court-appointed deputy"),
    ("other", "Other"),
)
# Why no s52 notification is required after indicators were found [U]: an NRM referral
# or Duty to Notify already made by another first responder discharges the duty, or on
# review there are no reasonable grounds to believe the person is a victim.
NO_NOTIFICATION_REASONS = (
    ("already_notified", "Another first responder has already notified the Home Office"),
    ("no_reasonable_grounds", "On review, no reasonable grounds to believe they are a victim"),
)
# The anonymous notification's nationality and period are chosen from lists, not typed
# (issue 15): free text invites details that identify the person ("the only Albanian
# worker there, aged 32"). The list holds the nationalities most often referred into
# the NRM (Home Office NRM statistics) [U: the Regulations' list could not be read];
# a deployment may extend it here.
NATIONALITIES = (
    ("british", "British"),
    ("afghan", "Afghan"),
    ("albanian", "Albanian"),
    ("bangladeshi", "Bangladeshi"),
    ("chinese", "Chinese"),
    ("egyptian", "Egyptian"),
    ("eritrean", "Eritrean"),
    ("ethiopian", "Ethiopian"),
    ("filipino", "Filipino"),
    ("indian", "Indian"),
    ("iranian", "Iranian"),
    ("iraqi", "Iraqi"),
    ("nigerian", "Nigerian"),
    ("pakistani", "Pakistani"),
    ("polish", "Polish"),
    ("romanian", "Romanian"),
    ("sudanese", "Sudanese"),
    ("syrian", "Syrian"),
    ("vietnamese", "Vietnamese"),
    ("other", "Another nationality"),
    ("unknown", "Not known"),
)
EXPLOITATION_PERIODS = (
    ("ongoing", "Still happening"),
    ("under_3_months", "Ended less than 3 months ago"),
    ("3_to_12_months", "Ended 3 to 12 months ago"),
    ("1_to_5_years", "Ended 1 to 5 years ago"),
    ("over_5_years", "Ended more than 5 years ago"),
    ("unknown", "Not known"),
)
UK_REGIONS = (
    ("north_east", "North East"),
    ("north_west", "North West"),
    ("yorkshire_humber", "Yorkshire and the Humber"),
    ("east_midlands", "East Midlands"),
    ("west_midlands", "West Midlands"),
    ("east", "East of England"),
    ("london", "London"),
    ("south_east", "South East"),
    ("south_west", "South West"),
    ("wales", "Wales"),
    ("outside_uk", "Outside the UK"),
    ("multiple", "More than one area"),
    ("unknown", "Not known"),
)


CHILD_AGE = 18
