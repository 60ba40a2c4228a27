"""Community Trigger (RULES.md §5): the intake form (fields and cross-field check)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from workflows.community_trigger.checks import _as_date
from workflows.community_trigger.states import (
    APPLICATION_BASES,
    CONTACT_METHODS,
    FOR_AFFECTED_PERSON,
    INCIDENT_FIELDS,
    ON_BEHALF_BASES,
    TENURES,
)
from workflows.definitions import (
    Field,
    FieldType,
    Page,
    msgs,
    person_fields,
)

# --- Intake (RULES.md §5.5) ---------------------------------------------------------------


def _incident_errors(incidents: list[dict[str, Any]], today: date) -> list[str]:
    errors = []
    for number, incident in enumerate(incidents, start=1):
        behaviour = _as_date(incident.get("incident_date"))
        reported = _as_date(incident.get("reported_on"))
        # A date in the future is refused by the date itself (``not_future``).
        if behaviour and reported and reported < behaviour:
            errors.append(
                f"Incident {number}: it was reported before the behaviour happened; "
                "check both dates."
            )
    return errors


def check_intake(values: dict[str, Any]) -> None:
    """Dates that cannot be right, and an application for someone with no name for them.

    At least one incident is required by the field itself; an anonymous applicant is
    refused by the required applicant names (RULES.md §5.5).
    """
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    incident_errors = _incident_errors(values.get("incidents", []), today)
    if incident_errors:
        errors["incidents"] = incident_errors
    named = values.get("subject_given_names") or values.get("subject_family_name")
    if values.get("application_basis") == FOR_AFFECTED_PERSON and not named:
        errors["subject_family_name"] = ["Enter the name of the person you are applying for"]
    if errors:
        raise ValidationError(errors)


ON_BEHALF = tuple(sorted(ON_BEHALF_BASES))

PAGES = (
    Page("applicant", "The applicant"),
    Page("what", "The anti-social behaviour", with_summary=True),
    Page("incidents", "Incidents and complaints"),
)

INTAKE_FIELDS = [
    *person_fields(
        "applicant",
        label="The applicant",
        whose="the applicant's",
        names_required=True,
        page="applicant",
    ),
    Field(
        "preferred_contact",
        FieldType.CHOICE,
        "The applicant's preferred way to be contacted",
        required=False,
        choices=CONTACT_METHODS,
        page="applicant",
        errors=msgs(
            required="Select how the applicant would like to be contacted",
            invalid_choice="Select a way to be contacted from the list",
        ),
    ),
    Field(
        "application_basis",
        FieldType.CHOICE,
        "Basis of the application",
        choices=APPLICATION_BASES,
        page="applicant",
        errors=msgs(
            required="Select who the application is for",
            invalid_choice="Select who the application is for from the list",
        ),
    ),
    Field(
        "relationship_to_victim",
        FieldType.STRING,
        "The applicant's relationship to the person affected",
        required=False,
        page="applicant",
        when=("application_basis", ON_BEHALF),
        errors=msgs(
            required="Enter how the applicant is related to, or knows, the person affected",
            max_length="The relationship must be 500 characters or fewer",
        ),
    ),
    Field(
        "victim_consent",
        FieldType.BOOLEAN,
        "Have the people affected consented to this application?",
        page="applicant",
        when=("application_basis", ON_BEHALF),
        errors=msgs(required="Select yes if the people affected have consented"),
    ),
    *person_fields(
        "subject",
        label="The person affected",
        whose="the person affected's",
        page="applicant",
        when=("application_basis", ON_BEHALF),
    ),
    Field(
        "hate_incident",
        FieldType.BOOLEAN,
        "Is it a hate incident or hate crime?",
        page="what",
        errors=msgs(required="Select yes if it is a hate incident or hate crime"),
    ),
    Field(
        "asb_description",
        FieldType.TEXT,
        "Describe the anti-social behaviour",
        page="what",
        errors=msgs(
            required="Enter what the anti-social behaviour is",
            max_length="The description must be 20000 characters or fewer",
        ),
    ),
    Field(
        "impact",
        FieldType.TEXT,
        "Its effect on you or your household",
        required=False,
        page="what",
        errors=msgs(
            required="Enter the effect on the applicant or their household",
            max_length="The effect must be 20000 characters or fewer",
        ),
    ),
    Field(
        "tenure",
        FieldType.CHOICE,
        "Tenure of the home",
        required=False,
        choices=TENURES,
        page="what",
        errors=msgs(
            required="Select the tenure of the home",
            invalid_choice="Select the tenure from the list",
        ),
    ),
    Field(
        "desired_outcome",
        FieldType.TEXT,
        "What the applicant hopes for",
        required=False,
        page="what",
        errors=msgs(
            required="Enter what the applicant would like to happen",
            max_length="What the applicant hopes for must be 20000 characters or fewer",
        ),
    ),
    Field(
        "application_received_on",
        FieldType.DATE,
        "Date the application was received, if not today",
        required=False,
        not_future=True,
        page="what",
        errors=msgs(
            required="Enter the date the application was received",
            date="The date the application was received",
            past="The date the application was received must be today or in the past",
        ),
    ),
    Field(
        "incidents",
        FieldType.RECORDS,
        "Incidents and the complaints made about them",
        fields=INCIDENT_FIELDS,
        help_text="Add each time the behaviour was reported, to whom and when.",
        page="incidents",
        item_label="incident",
        errors=msgs(required="Add at least one incident and when it was reported"),
    ),
]
