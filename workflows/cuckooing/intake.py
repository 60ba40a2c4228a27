"""Cuckooing (RULES.md §2): the intake form (fields and cross-field check)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from workflows.cuckooing.states import INDICATORS, POSTCODE, TENURES, VULNERABILITIES
from workflows.definitions import (
    Field,
    FieldType,
    person_fields,
)

# --- Intake ------------------------------------------------------------------------------


def check_intake(values: dict[str, Any]) -> None:
    """The premises' postcode must be a UK postcode the Premises record can hold."""
    postcode = values.get("premises_postcode", "").strip()
    if postcode and not POSTCODE.match(postcode):
        raise ValidationError({"premises_postcode": ["Enter a UK postcode, like NT1 4AB."]})
    if len(values.get("premises_landlord", "")) > 200:
        raise ValidationError({"premises_landlord": ["Use at most 200 characters."]})


INTAKE_FIELDS = [
    Field("premises_address", FieldType.TEXT, "Address of the property", premises="address"),
    Field(
        "premises_postcode",
        FieldType.STRING,
        "Postcode",
        required=False,
        premises="postcode",
        max_length=10,
    ),
    Field(
        "premises_tenure",
        FieldType.CHOICE,
        "Tenure",
        required=False,
        choices=TENURES,
        premises="tenure",
    ),
    Field(
        "premises_landlord",
        FieldType.STRING,
        "Landlord or housing provider",
        required=False,
        premises="landlord",
        max_length=200,
    ),
    *person_fields("occupier", label="The occupier"),
    Field(
        "occupier_vulnerabilities",
        FieldType.MULTICHOICE,
        "The occupier's vulnerabilities",
        choices=VULNERABILITIES,
    ),
    Field("what_was_seen", FieldType.TEXT, "What was seen or told (with dates and times)"),
    Field("indicators", FieldType.MULTICHOICE, "Indicators of cuckooing", choices=INDICATORS),
    Field("children_present", FieldType.BOOLEAN, "Do children live at or visit the property?"),
    # Optional, so API clients that never asked it are unchanged; "Yes" makes the concern
    # urgent (issue 19; Cuckooing's first step is the immediate action, 999 or police).
    Field(
        "immediate_risk",
        FieldType.BOOLEAN,
        "Is anyone at immediate risk?",
        required=False,
        help_text="For example, the occupier is being threatened or hurt now.",
    ),
    Field(
        "suspected_exploiters",
        FieldType.TEXT,
        "Suspected exploiters (names, nicknames, vehicles)",
        required=False,
    ),
    Field("police_informed", FieldType.BOOLEAN, "Have the police been told?"),
    Field("police_reference", FieldType.STRING, "Police reference", required=False),
]
