"""Modern slavery (RULES.md §1): the intake form (fields, pages and either-or answers)."""

from __future__ import annotations

from typing import Any

from workflows.definitions import (
    Field,
    FieldType,
    OneOf,
    Page,
    msgs,
    person_fields,
)
from workflows.modern_slavery.states import CONSENT_STATUSES, EXPLOITATION_TYPES

# The person's age decides the route, so a date of birth or an estimate is needed.
DATE_OF_BIRTH_OR_AGE = OneOf(
    fields=("subject_date_of_birth", "subject_estimated_age"),
    label="The person's date of birth or age",
    hint="Give a date of birth or, if you do not know it, an approximate age.",
    message="Enter the person's date of birth or, if you do not know it, their approximate age",
)


def check_intake(values: dict[str, Any]) -> None:
    """Nothing across fields beyond ``DATE_OF_BIRTH_OR_AGE`` (``Workflow.required_one_of``)."""


PAGES = (
    Page("who", "The person"),
    Page("what", "What happened", with_summary=True),
    Page("risk", "Risk and consent"),
)

INTAKE_FIELDS = [
    *person_fields("subject", label="The person", whose="the person's", page="who"),
    Field(
        "nationality",
        FieldType.STRING,
        "Nationality",
        required=False,
        page="who",
        errors=msgs(
            required="Enter the person's nationality",
            max_length="The nationality must be 500 characters or fewer",
        ),
    ),
    Field(
        "exploitation_types",
        FieldType.MULTICHOICE,
        "Types of exploitation suspected",
        choices=EXPLOITATION_TYPES,
        page="what",
        errors=msgs(
            required="Select the type of exploitation suspected",
            invalid_choice="Select the type of exploitation from the list",
        ),
    ),
    Field(
        "exploitation_location",
        FieldType.TEXT,
        "Where the exploitation happened",
        page="what",
        errors=msgs(
            required="Enter the place where the exploitation happened",
            max_length="Where it happened must be 20000 characters or fewer",
        ),
    ),
    Field(
        "exploitation_period",
        FieldType.STRING,
        "When it happened",
        page="what",
        errors=msgs(
            required="Enter when the exploitation happened, even roughly",
            max_length="When it happened must be 500 characters or fewer",
        ),
    ),
    Field(
        "indicators",
        FieldType.TEXT,
        "Indicators seen or told",
        page="what",
        errors=msgs(
            required="Enter the signs of exploitation you saw or were told about",
            max_length="The signs of exploitation must be 20000 characters or fewer",
        ),
    ),
    Field(
        "immediate_risk",
        FieldType.BOOLEAN,
        "Is anyone at immediate risk?",
        page="risk",
        errors=msgs(required="Select yes if anyone is at immediate risk"),
    ),
    Field(
        "consent_status",
        FieldType.CHOICE,
        "Consent status",
        choices=CONSENT_STATUSES,
        page="risk",
        errors=msgs(
            required="Select whether the person has consented",
            invalid_choice="Select the consent status from the list",
        ),
    ),
]
