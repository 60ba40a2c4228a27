"""What each type of referral says: its content fields, from the forms in RULES.md.

Declared with the workflows' ``Field`` so that one validator (``workflows.forms.
validate_fields``) and one set of form controls serve referrals too. Field names follow
the case's intake where they mean the same thing (``subject_family_name``,
``premises_address``, ...), so a new referral is filled in from the case.

The anonymous Duty to Notify declares no field that could identify the person (MSA 2015
s52(3), RULES.md §1.5): its fields are the anonymous notification step's own, which the
``DutyToNotifyNotification`` table stores, and ``tests/referrals/test_dtn.py`` fails if an
identifying one is added.
"""

from __future__ import annotations

from workflows import community_trigger as ct
from workflows import cse, cuckooing, modern_slavery, prevent
from workflows.definitions import Field, FieldType, msgs, person_fields
from workflows.registry import get_workflow

YES_NO_NOT_KNOWN = (("yes", "Yes"), ("no", "No"), ("not_known", "Not known"))


def referrer_fields(*, relationship: bool = False) -> list[Field]:
    """Who is referring: the council officer the partner should contact (RULES.md §1.5,
    §2.6, §3.4, §4.4)."""
    fields = [
        Field("referrer_name", FieldType.STRING, "Referrer: name"),
        Field("referrer_role", FieldType.STRING, "Referrer: role"),
        Field("referrer_organisation", FieldType.STRING, "Referrer: organisation"),
        Field("referrer_email", FieldType.STRING, "Referrer: work email"),
        Field("referrer_phone", FieldType.STRING, "Referrer: phone"),
    ]
    if relationship:
        fields.append(
            Field(
                "referrer_relationship",
                FieldType.STRING,
                "Referrer: relationship to the person",
                required=False,
            )
        )
    return fields


# --- Modern slavery (RULES.md §1.5) ---------------------------------------------------------

NRM_NATURE = (
    ("full_nrm_no_support", "Full NRM referral, no support needed"),
    ("full_nrm_with_support", "Full NRM referral with support (the adult signed both consents)"),
    ("referred_to_salvation_army_by_fr", "Referred to the Salvation Army by the first responder"),
)

NRM_REFERRAL = [
    Field("nature_of_referral", FieldType.CHOICE, "Nature of the referral", choices=NRM_NATURE),
    *person_fields("subject", label="The person", names_required=True),
    Field("nationality", FieldType.STRING, "Nationality"),
    Field("languages_spoken", FieldType.STRING, "Languages spoken"),
    Field("speaks_english", FieldType.BOOLEAN, "Does the person speak any English?"),
    Field("interpreter_needed", FieldType.BOOLEAN, "Is an interpreter needed?"),
    Field(
        "immigration_status",
        FieldType.STRING,
        "Immigration status or Home Office reference",
        required=False,
    ),
    Field(
        "exploitation_types",
        FieldType.MULTICHOICE,
        "Types of exploitation",
        choices=modern_slavery.EXPLOITATION_TYPES,
    ),
    Field("exploitation_location", FieldType.TEXT, "Where the exploitation happened"),
    Field("exploitation_period", FieldType.STRING, "When it happened"),
    Field("indicators", FieldType.TEXT, "Indicators seen or told"),
    Field("account", FieldType.TEXT, "The person's account, in their words where possible"),
    Field("alleged_exploiters", FieldType.TEXT, "Alleged exploiters", required=False),
    Field("police_informed", FieldType.BOOLEAN, "Have the police been told?"),
    Field("police_reference", FieldType.STRING, "Police crime reference", required=False),
    Field("support_needs", FieldType.TEXT, "Health and support needs", required=False),
    Field("safe_accommodation_needed", FieldType.BOOLEAN, "Is safe accommodation needed?"),
    Field(
        "child_welfare_form_sent_on",
        FieldType.DATE,
        "Child: date the child welfare services form went to the local authority",
        required=False,
    ),
    Field(
        "parent_carer_details",
        FieldType.TEXT,
        "Child: parent or carer details",
        required=False,
    ),
    Field(
        "ictg_referred",
        FieldType.BOOLEAN,
        "Child: referred to an Independent Child Trafficking Guardian?",
        required=False,
    ),
    *referrer_fields(),
]

_DTN_STEP = "submit_duty_to_notify"
_DTN_SET_WHEN_SENT = {"dtn_submitted_on"}
# The sender's own check, asked on the form and not part of what is notified.
DTN_CONFIRMATION = "confirm_not_identifying"


def dtn_fields() -> list[Field]:
    """The anonymous notification step's fields, less the date it is submitted (the day
    the referral is sent), plus the first responder's organisation (RULES.md §1.5)."""
    step = get_workflow("modern_slavery").transition_meta(_DTN_STEP)["fields"]
    return [
        *(f for f in step if f.name not in _DTN_SET_WHEN_SENT),
        Field("referrer_organisation", FieldType.STRING, "First responder organisation"),
        Field(
            DTN_CONFIRMATION,
            FieldType.BOOLEAN,
            "I have checked that nothing in this notification identifies the person, "
            "alone or in combination",
            help_text="An anonymous notification cannot be sent until you have checked it.",
        ),
    ]


DTN_ANONYMOUS = dtn_fields()


# --- Cuckooing (RULES.md §2.4, §2.6) -------------------------------------------------------

ABUSE_TYPES = (
    ("financial", "Financial or material abuse"),
    ("exploitation", "Exploitation (including cuckooing)"),
    ("modern_slavery", "Modern slavery"),
    ("physical", "Physical abuse"),
    ("psychological", "Psychological abuse"),
    ("neglect", "Neglect or self-neglect"),
    ("other", "Other"),
)

ADULT_SAFEGUARDING_CONCERN = [
    *referrer_fields(relationship=True),
    *person_fields("occupier", label="The adult", names_required=True),
    Field("ethnicity", FieldType.STRING, "Ethnicity", required=False),
    Field("religion", FieldType.STRING, "Religion", required=False),
    Field("first_language", FieldType.STRING, "First language"),
    Field("interpreter_needed", FieldType.BOOLEAN, "Is an interpreter needed?"),
    Field("communication_needs", FieldType.TEXT, "Communication needs", required=False),
    Field(
        "occupier_vulnerabilities",
        FieldType.MULTICHOICE,
        "Care and support needs",
        choices=cuckooing.VULNERABILITIES,
    ),
    Field("capacity_concerns", FieldType.TEXT, "Concerns about mental capacity", required=False),
    Field(
        "household_members",
        FieldType.TEXT,
        "Other household members, including children",
        required=False,
    ),
    Field("children_present", FieldType.BOOLEAN, "Do children live at or visit the property?"),
    Field("adult_aware", FieldType.BOOLEAN, "Is the adult aware of this concern?"),
    Field("adult_consents", FieldType.BOOLEAN, "Does the adult consent to it?"),
    Field("occupier_views", FieldType.TEXT, "The adult's views, wishes and desired outcomes"),
    Field("abuse_types", FieldType.MULTICHOICE, "Types of abuse", choices=ABUSE_TYPES),
    Field("what_was_seen", FieldType.TEXT, "What was seen or told (with dates and times)"),
    Field("premises_address", FieldType.TEXT, "Where the harm happened (the property)"),
    Field("premises_tenure", FieldType.CHOICE, "Tenure", choices=cuckooing.TENURES),
    Field("premises_landlord", FieldType.STRING, "Landlord", required=False),
    Field(
        "indicators", FieldType.MULTICHOICE, "Indicators of cuckooing", choices=cuckooing.INDICATORS
    ),
    Field("suspected_exploiters", FieldType.TEXT, "Alleged person(s) causing harm", required=False),
    Field("immediate_actions", FieldType.TEXT, "Immediate actions taken"),
    Field("risk_level", FieldType.CHOICE, "Risk level", choices=cuckooing.RISK_LEVELS),
    Field("police_informed", FieldType.BOOLEAN, "Have the police been told?"),
    Field("police_reference", FieldType.STRING, "Police crime reference", required=False),
]

CLOSURE_GROUNDS = (
    (
        "disorderly_offensive_criminal",
        "Disorderly, offensive or criminal behaviour on the premises",
    ),
    ("serious_nuisance", "Serious nuisance to members of the public"),
    ("disorder_near", "Disorder near the premises associated with their use"),
)

CLOSURE_ORDER_APPLICATION = [
    Field("premises_address", FieldType.TEXT, "Address of the premises"),
    Field("premises_postcode", FieldType.STRING, "Postcode", required=False),
    Field("notice_reference", FieldType.STRING, "Closure notice reference"),
    Field("issued_at", FieldType.DATETIME, "Notice issued at"),
    Field("served_at", FieldType.DATETIME, "Notice served at"),
    Field("applicant", FieldType.CHOICE, "Applicant", choices=cuckooing.APPLICANTS),
    Field("court", FieldType.STRING, "Magistrates' court"),
    Field("grounds", FieldType.MULTICHOICE, "Grounds", choices=CLOSURE_GROUNDS),
    Field("evidence_summary", FieldType.TEXT, "Summary of the evidence"),
    Field("necessity", FieldType.TEXT, "Why the order is necessary"),
    Field(
        "order_months_sought",
        FieldType.INTEGER,
        "Months sought (at most 3)",
        min_value=1,
        max_value=cuckooing.MAX_ORDER_MONTHS,
    ),
    Field(
        "exclude_residents",
        FieldType.BOOLEAN,
        "Should the order also exclude people who live there?",
    ),
    Field("consulted", FieldType.TEXT, "Who was consulted", required=False),
    Field("licensed_premises", FieldType.BOOLEAN, "Are the premises licensed?"),
    *referrer_fields(),
]


# --- CSE (RULES.md §3.4) ------------------------------------------------------------------

MASH_REFERRAL = [
    *person_fields("subject", label="The child", names_required=True),
    Field(
        "current_address", FieldType.TEXT, "Current address, if different, and why", required=False
    ),
    Field("ethnicity", FieldType.STRING, "Ethnicity", required=False),
    Field("disability", FieldType.STRING, "Disability or impairment", required=False),
    Field("private_fostering", FieldType.BOOLEAN, "Is the child privately fostered?"),
    Field("school", FieldType.STRING, "School or education setting", required=False),
    Field("what_has_happened", FieldType.TEXT, "What has happened (what has changed today)"),
    Field(
        "evidence_impact",
        FieldType.TEXT,
        "Evidence of harm and its impact on the child",
        errors=msgs(required="Enter the evidence of harm and its impact on the child"),
    ),
    Field("strengths", FieldType.TEXT, "Strengths and protective factors", required=False),
    Field("previous_concerns", FieldType.TEXT, "Previous concerns or referrals", required=False),
    Field(
        "indicators", FieldType.MULTICHOICE, "Indicators of exploitation", choices=cse.INDICATORS
    ),
    Field("associates", FieldType.TEXT, "Associates and peers", required=False),
    Field("locations", FieldType.TEXT, "Locations or hotspots", required=False),
    Field("online_platforms", FieldType.TEXT, "Online platforms", required=False),
    Field("risk_level", FieldType.CHOICE, "Risk level", choices=cse.RISK_LEVELS),
    Field("child_view", FieldType.TEXT, "The child's views, and their consent if competent"),
    Field(
        "parents_carers",
        FieldType.TEXT,
        "Parents or carers (names, contact, parental responsibility)",
    ),
    Field("household_members", FieldType.TEXT, "Other household members, siblings", required=False),
    Field(
        "parental_consent",
        FieldType.CHOICE,
        "Parental consent to this referral",
        choices=cse.PARENTAL_CONSENT,
    ),
    Field(
        "consent_rationale",
        FieldType.TEXT,
        "Why consent was not sought (if it was not)",
        required=False,
    ),
    *referrer_fields(),
]


# --- Prevent (RULES.md §4.4) ---------------------------------------------------------------

VULNERABILITY_FACTORS = (
    ("faith_ideology", "Faith or ideology"),
    ("social_mobility", "Social mobility"),
    ("health", "Physical or mental health"),
    ("risk_harm", "Risk or harm"),
    ("criminal_association", "Criminal association"),
    ("isolation", "Isolation"),
    ("other", "Other"),
)

PREVENT_REFERRAL = [
    *person_fields("subject", label="The person", names_required=True),
    Field("nationality", FieldType.STRING, "Nationality", required=False),
    Field("ethnicity", FieldType.STRING, "Ethnicity", required=False),
    Field("first_language", FieldType.STRING, "First language", required=False),
    Field("faith", FieldType.STRING, "Faith", required=False),
    Field(
        "education_or_occupation",
        FieldType.STRING,
        "School, college or workplace",
        required=False,
    ),
    Field(
        "family_carer_details",
        FieldType.TEXT,
        "Family or carers (parent or guardian for under-18s)",
        required=False,
    ),
    Field(
        "aware_of_referral",
        FieldType.CHOICE,
        "Is the person aware of the referral?",
        choices=prevent.AWARENESS,
    ),
    Field("concerns", FieldType.TEXT, "Describe the concerns"),
    Field("complex_needs", FieldType.TEXT, "Complex needs and vulnerabilities", required=False),
    Field(
        "vulnerability_factors",
        FieldType.MULTICHOICE,
        "Vulnerability factors",
        choices=VULNERABILITY_FACTORS,
    ),
    Field(
        "other_agencies", FieldType.TEXT, "Other agencies or professionals involved", required=False
    ),
    Field(
        "discussions", FieldType.TEXT, "Discussions with the person or their family", required=False
    ),
    *referrer_fields(relationship=True),
]


# --- Community Trigger (RULES.md §5.5, §5.7) ----------------------------------------------

REVIEW_MEETING_REQUEST = [
    Field("application_received_on", FieldType.DATE, "Date the application was received"),
    Field(
        "application_basis",
        FieldType.CHOICE,
        "Basis of the application",
        choices=ct.APPLICATION_BASES,
    ),
    *person_fields("applicant", label="The applicant", names_required=True),
    Field("hate_incident", FieldType.BOOLEAN, "Is it a hate incident or crime?"),
    Field("asb_description", FieldType.TEXT, "The anti-social behaviour"),
    Field(
        "incident_summary",
        FieldType.TEXT,
        "Incidents reported (dates, places, to whom, reference numbers)",
    ),
    Field("impact", FieldType.TEXT, "Impact on the person or household"),
    Field(
        "more_than_one_household",
        FieldType.BOOLEAN,
        "Is more than one household affected?",
    ),
    Field(
        "consent_to_share",
        FieldType.BOOLEAN,
        "Has the person affected consented to sharing with the relevant bodies?",
    ),
    Field(
        "information_requested",
        FieldType.TEXT,
        "What the relevant body is asked for (its complaint history and action taken)",
    ),
    Field(
        "review_meeting_on", FieldType.DATE, "Proposed date of the review meeting", required=False
    ),
    *referrer_fields(),
]
