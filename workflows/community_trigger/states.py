"""Community Trigger (RULES.md §5): states and vocabularies (choices)."""

from __future__ import annotations

from django.db import models

from workflows.definitions import Field, FieldType, msgs


class State(models.TextChoices):
    APPLICATION_RECEIVED = "application_received", "Application received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INFORMATION_GATHERING = "information_gathering", "Gathering information from relevant bodies"
    THRESHOLD_DECISION = "threshold_decision", "Deciding whether the threshold is met"
    THRESHOLD_MET = "threshold_met", "Threshold met"
    THRESHOLD_NOT_MET = "threshold_not_met", "Threshold not met"
    REVIEW_MEETING_SCHEDULED = "review_meeting_scheduled", "Review meeting scheduled"
    REVIEW_MEETING_HELD = "review_meeting_held", "Review meeting held"
    OUTCOME_COMMUNICATED = "outcome_communicated", "Outcome sent to the applicant"
    ACTION_PLAN_MONITORING = "action_plan_monitoring", "Monitoring the action plan"
    ESCALATION_REQUESTED = "escalation_requested", "Escalation requested"
    ESCALATION_DECIDED = "escalation_decided", "Escalation decided"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


class Outcome:
    """Outcome codes; the first three are the statutory annual figures (RULES.md §5.1)."""

    THRESHOLD_NOT_MET = "CLOSED_THRESHOLD_NOT_MET"
    REVIEWED_NO_RECOMMENDATIONS = "CLOSED_REVIEWED_NO_RECOMMENDATIONS"
    REVIEWED_WITH_RECOMMENDATIONS = "CLOSED_REVIEWED_WITH_RECOMMENDATIONS"
    WITHDRAWN = "WITHDRAWN"
    INVALID_NO_CONSENT = "INVALID_NO_CONSENT"


# RULES.md §5.5 (a)-(d). (b) and (d) are applications on someone else's behalf, which
# need the consent of the person or people affected (RULES.md §5.2).
SELF = "affected_person"


FOR_AFFECTED_PERSON = "for_affected_person"


ONE_OF_FIVE = "one_of_five_or_more"


FOR_FIVE = "for_five_or_more"


APPLICATION_BASES = (
    (SELF, "I am the person affected"),
    (FOR_AFFECTED_PERSON, "I am acting on behalf of the person affected"),
    (ONE_OF_FIVE, "I am one of five or more people affected"),
    (FOR_FIVE, "I am acting on behalf of five or more people affected"),
)


ON_BEHALF_BASES = {FOR_AFFECTED_PERSON, FOR_FIVE}


RELEVANT_BODIES = (
    ("council", "The council"),
    ("police", "Police"),
    ("icb", "Integrated care board"),
    ("housing_provider", "Social housing provider (co-opted)"),
    ("other", "Other"),
)


TENURES = (
    ("private_tenant", "Private tenant"),
    ("owner_occupier", "Owner occupier"),
    ("housing_association", "Housing association tenant"),
    ("council_tenant", "Council tenant"),
    ("other", "Other"),
)


CONTACT_METHODS = (
    ("phone", "Phone"),
    ("email", "Email"),
    ("post", "Post"),
    ("in_person", "In person"),
)


DISCRETIONARY_GROUNDS = (
    ("persistence", "The persistence of the behaviour"),
    ("harm", "The harm or potential harm caused"),
    ("adequacy", "The adequacy of the response to it"),
)


ESCALATION_ROUTES = (
    ("pcc", "Police and crime commissioner (OPCC)"),
    ("independent_reviewer", "Independent reviewer"),
    ("lead_agency", "A senior officer of the lead agency"),
    ("other", "Other, under the local procedure"),
)


ESCALATION_REQUESTERS = (
    ("applicant", "The applicant"),
    ("lead_agency", "The lead agency, for the applicant"),
)


RE_REVIEW = "re_review"


NOT_UPHELD = "not_upheld"


ESCALATION_DECISIONS = (
    (RE_REVIEW, "Upheld: the case is to be reviewed"),
    (NOT_UPHELD, "Not upheld"),
)


# --- The threshold (s104(4), s104(11); RULES.md §5.1) ----------------------------------

DEFAULT_THRESHOLD = 3


# Inputs several steps and intake share.
INCIDENT_FIELDS = (
    Field(
        "incident_date",
        FieldType.DATE,
        "Date of the behaviour",
        not_future=True,
        errors=msgs(
            required="Enter the date of the behaviour",
            date="The date of the behaviour",
            past="The date of the behaviour must be today or in the past",
        ),
    ),
    Field(
        "description",
        FieldType.TEXT,
        "What happened",
        errors=msgs(
            required="Enter what happened in this incident",
            max_length="What happened must be 20000 characters or fewer",
        ),
    ),
    Field(
        "reported_to",
        FieldType.STRING,
        "Reported to (agency or officer)",
        errors=msgs(
            required="Enter who it was reported to",
            max_length="Who it was reported to must be 500 characters or fewer",
        ),
    ),
    Field(
        "reported_on",
        FieldType.DATE,
        "Date reported",
        not_future=True,
        errors=msgs(
            required="Enter the date it was reported",
            date="The date it was reported",
            past="The date it was reported must be today or in the past",
        ),
    ),
    Field(
        "reference",
        FieldType.STRING,
        "Reference or crime number",
        required=False,
        errors=msgs(
            required="Enter the reference or crime number",
            max_length="The reference must be 500 characters or fewer",
        ),
    ),
)


CLOSING_FIELDS = (
    Field("closing_note", FieldType.TEXT, "Why the case is closed"),
    Field(
        "applicant_told_on",
        FieldType.DATE,
        "Date the applicant was told the case is closed, and why",
    ),
)


WAIVER = Field(
    "applicant_waived_escalation",
    FieldType.BOOLEAN,
    "Has the applicant said in writing that they will not ask for an escalation?",
    required=False,
    help_text="Needed only to close the case while the applicant's escalation window is open.",
)


CLOSING_WITH_WINDOW = (*CLOSING_FIELDS, WAIVER)
