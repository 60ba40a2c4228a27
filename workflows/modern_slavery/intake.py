"""Modern slavery (RULES.md §1): the intake form (fields and cross-field check)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from workflows.definitions import (
    Field,
    FieldType,
    person_fields,
)
from workflows.modern_slavery.states import CONSENT_STATUSES, EXPLOITATION_TYPES


def check_intake(values: dict[str, Any]) -> None:
    """The subject's age decides the route, so a date of birth or an estimate is needed."""
    if not values.get("subject_date_of_birth") and values.get("subject_estimated_age") is None:
        raise ValidationError(
            {
                "subject_date_of_birth": [
                    "Enter the date of birth or, if not known, the age or best estimate."
                ]
            }
        )


INTAKE_FIELDS = [
    *person_fields("subject", label="The person"),
    Field("nationality", FieldType.STRING, "Nationality", required=False),
    Field(
        "exploitation_types",
        FieldType.MULTICHOICE,
        "Types of exploitation suspected",
        choices=EXPLOITATION_TYPES,
    ),
    Field("exploitation_location", FieldType.TEXT, "Where the exploitation happened"),
    Field("exploitation_period", FieldType.STRING, "When it happened"),
    Field("indicators", FieldType.TEXT, "Indicators seen or told"),
    Field("consent_status", FieldType.CHOICE, "Consent status", choices=CONSENT_STATUSES),
    Field("immediate_risk", FieldType.BOOLEAN, "Is anyone at immediate risk?"),
]
