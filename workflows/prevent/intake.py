"""Prevent (RULES.md §4): the intake form (fields, pages and either-or answers)."""

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
from workflows.prevent.states import AWARENESS

# Whose consent Channel needs depends on the person's age (RULES.md §4.1), so a date of
# birth or an estimate is needed.
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
    Page("what", "Your concerns", with_summary=True),
    Page("risk", "Risk"),
    Page("consent", "Their knowledge of the referral"),
)

# The minimum the council needs: the national referral form itself is held by the police
# (RULES.md §4.4-4.5), so this is not a copy of it.
INTAKE_FIELDS = [
    *person_fields("subject", label="The person", whose="the person's", page="who"),
    Field(
        "nationality",
        FieldType.STRING,
        "Nationality",
        help_text="Enter 'Not known' if you do not know.",
        page="who",
        errors=msgs(
            required="Enter the person's nationality, or Not known",
            max_length="The nationality must be 500 characters or fewer",
        ),
    ),
    Field(
        "complex_needs",
        FieldType.TEXT,
        "Complex needs or vulnerabilities",
        required=False,
        help_text="For example special educational needs, disability or mental health.",
        page="who",
        errors=msgs(
            required="Enter the person's complex needs or vulnerabilities",
            max_length="Complex needs must be 20000 characters or fewer",
        ),
    ),
    Field(
        "concerns",
        FieldType.TEXT,
        "Describe the concerns",
        help_text=(
            "What was said or done, when, and how it came to light; any interest in "
            "extremist ideology, groups or causes; worrying online activity; threats to "
            "cause harm."
        ),
        page="what",
        errors=msgs(
            required="Enter what worries you: what was said or done, and when",
            max_length="The concerns must be 20000 characters or fewer",
        ),
    ),
    Field(
        "other_agencies",
        FieldType.TEXT,
        "Other agencies or professionals involved",
        required=False,
        page="what",
        errors=msgs(
            required="Enter the other agencies or professionals involved",
            max_length="Other agencies must be 20000 characters or fewer",
        ),
    ),
    Field(
        "immediate_risk",
        FieldType.BOOLEAN,
        "Is there an immediate risk of harm, a crime or travel to a conflict zone?",
        help_text="If so, call 999 now.",
        page="risk",
        errors=msgs(required="Select yes if there is an immediate risk"),
    ),
    Field(
        "aware_of_referral",
        FieldType.CHOICE,
        "Does the person know about this referral?",
        choices=AWARENESS,
        page="consent",
        errors=msgs(
            required="Select whether the person knows about this referral",
            invalid_choice="Select whether the person knows from the list",
        ),
    ),
]
