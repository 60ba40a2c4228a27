"""Cuckooing (RULES.md §2): the intake form (fields, pages and cross-field check).

A housing officer raising this between visits may know only the address and what they
saw: that is all it requires (issue 19, proportionality)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from workflows.cuckooing.states import INDICATORS, POSTCODE, TENURES, VULNERABILITIES
from workflows.definitions import (
    Field,
    FieldType,
    Page,
    msgs,
    person_fields,
)

# --- Intake ------------------------------------------------------------------------------


def check_intake(values: dict[str, Any]) -> None:
    """The premises' postcode must be a UK postcode the Premises record can hold."""
    postcode = values.get("premises_postcode", "").strip()
    if postcode and not POSTCODE.match(postcode):
        raise ValidationError({"premises_postcode": ["Enter a UK postcode, like NT1 4AB"]})
    if len(values.get("premises_landlord", "")) > 200:
        raise ValidationError(
            {"premises_landlord": ["The landlord must be 200 characters or fewer"]}
        )


PAGES = (
    Page("where", "The property"),
    Page("who", "The occupier"),
    Page("what", "What you saw or were told", with_summary=True),
    Page("police", "The police"),
)

INTAKE_FIELDS = [
    Field(
        "premises_address",
        FieldType.TEXT,
        "Address of the property",
        premises="address",
        page="where",
        errors=msgs(
            required="Enter the address of the property",
            max_length="The address must be 20000 characters or fewer",
        ),
    ),
    Field(
        "premises_postcode",
        FieldType.STRING,
        "Postcode",
        required=False,
        premises="postcode",
        max_length=10,
        page="where",
        errors=msgs(
            required="Enter the postcode of the property",
            max_length="Enter a UK postcode, like NT1 4AB",
        ),
    ),
    Field(
        "premises_tenure",
        FieldType.CHOICE,
        "Tenure",
        required=False,
        choices=TENURES,
        premises="tenure",
        page="where",
        errors=msgs(
            required="Select who holds the tenancy, or Not known",
            invalid_choice="Select the tenure from the list",
        ),
    ),
    Field(
        "premises_landlord",
        FieldType.STRING,
        "Landlord or housing provider",
        required=False,
        premises="landlord",
        max_length=200,
        page="where",
        errors=msgs(
            required="Enter the landlord or housing provider",
            max_length="The landlord must be 200 characters or fewer",
        ),
    ),
    *person_fields("occupier", label="The occupier", whose="the occupier's", page="who"),
    Field(
        "occupier_vulnerabilities",
        FieldType.MULTICHOICE,
        "The occupier's vulnerabilities",
        choices=VULNERABILITIES,
        page="who",
        help_text="Select all you know of. If you are not sure, select Other.",
        errors=msgs(
            required="Select the occupier's vulnerabilities, or Not known",
            invalid_choice="Select the occupier's vulnerabilities from the list",
        ),
    ),
    Field(
        "what_was_seen",
        FieldType.TEXT,
        "What was seen or told (with dates and times)",
        page="what",
        errors=msgs(
            required="Enter what you saw or were told",
            max_length="What you saw or were told must be 20000 characters or fewer",
        ),
    ),
    Field(
        "indicators",
        FieldType.MULTICHOICE,
        "Indicators of cuckooing",
        choices=INDICATORS,
        page="what",
        errors=msgs(
            required="Select at least one sign of cuckooing you saw or were told about",
            invalid_choice="Select the signs of cuckooing from the list",
        ),
    ),
    Field(
        "children_present",
        FieldType.BOOLEAN,
        "Do children live at or visit the property?",
        page="what",
        errors=msgs(required="Select yes if children live at or visit the property"),
    ),
    # Optional, so API clients that never asked it are unchanged; "Yes" makes the concern
    # urgent (issue 19; Cuckooing's first step is the immediate action, 999 or police).
    Field(
        "immediate_risk",
        FieldType.BOOLEAN,
        "Is anyone at immediate risk?",
        required=False,
        page="what",
        help_text="For example, the occupier is being threatened or hurt now.",
        errors=msgs(required="Select yes if anyone is at immediate risk"),
    ),
    Field(
        "suspected_exploiters",
        FieldType.TEXT,
        "Suspected exploiters (names, nicknames, vehicles)",
        required=False,
        page="what",
        errors=msgs(
            required="Enter what you know of the suspected exploiters",
            max_length="The suspected exploiters must be 20000 characters or fewer",
        ),
    ),
    Field(
        "police_informed",
        FieldType.BOOLEAN,
        "Have the police been told?",
        page="police",
        errors=msgs(required="Select yes if the police have been told"),
    ),
    Field(
        "police_reference",
        FieldType.STRING,
        "Police reference",
        required=False,
        page="police",
        when=("police_informed", ("true",)),
        help_text="If you have one, for example a crime or incident number.",
        errors=msgs(
            required="Enter the police reference",
            max_length="The police reference must be 500 characters or fewer",
        ),
    ),
]
