"""Prevent (RULES.md §4): the intake form (fields and cross-field check)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from workflows.definitions import (
    Field,
    FieldType,
    person_fields,
)
from workflows.prevent.states import AWARENESS


def check_intake(values: dict[str, Any]) -> None:
    """Whose consent Channel needs depends on the person's age (RULES.md §4.1), so a date
    of birth or an estimate is needed."""
    if not values.get("subject_date_of_birth") and values.get("subject_estimated_age") is None:
        raise ValidationError(
            {
                "subject_date_of_birth": [
                    "Enter the date of birth or, if not known, the age or best estimate."
                ]
            }
        )


# The minimum the council needs: the national referral form itself is held by the police
# (RULES.md §4.4-4.5), so this is not a copy of it.
INTAKE_FIELDS = [
    *person_fields("subject", label="The person"),
    Field(
        "nationality",
        FieldType.STRING,
        "Nationality",
        help_text="Enter 'Not known' if you do not know.",
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
    ),
    Field(
        "complex_needs",
        FieldType.TEXT,
        "Complex needs or vulnerabilities",
        required=False,
        help_text="For example special educational needs, disability or mental health.",
    ),
    Field(
        "aware_of_referral",
        FieldType.CHOICE,
        "Does the person know about this referral?",
        choices=AWARENESS,
    ),
    Field(
        "other_agencies",
        FieldType.TEXT,
        "Other agencies or professionals involved",
        required=False,
    ),
    Field(
        "immediate_risk",
        FieldType.BOOLEAN,
        "Is there an immediate risk of harm, a crime or travel to a conflict zone?",
        help_text="If so, call 999 now.",
    ),
]
