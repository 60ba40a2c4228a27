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
    TENURES,
)
from workflows.definitions import (
    Field,
    FieldType,
    person_fields,
)

# --- Intake (RULES.md §5.5) ---------------------------------------------------------------


def _incident_errors(incidents: list[dict[str, Any]], today: date) -> list[str]:
    errors = []
    for number, incident in enumerate(incidents, start=1):
        behaviour = _as_date(incident.get("incident_date"))
        reported = _as_date(incident.get("reported_on"))
        if behaviour and behaviour > today:
            errors.append(f"Incident {number}: the date of the behaviour is in the future.")
        if reported and reported > today:
            errors.append(f"Incident {number}: the date it was reported is in the future.")
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
    received = _as_date(values.get("application_received_on"))
    if received and received > today:
        errors["application_received_on"] = ["The application cannot be received in the future."]
    incident_errors = _incident_errors(values.get("incidents", []), today)
    if incident_errors:
        errors["incidents"] = incident_errors
    named = values.get("subject_given_names") or values.get("subject_family_name")
    if values.get("application_basis") == FOR_AFFECTED_PERSON and not named:
        errors["subject_family_name"] = ["Give the name of the person you are applying for."]
    if errors:
        raise ValidationError(errors)


INTAKE_FIELDS = [
    *person_fields("applicant", label="The applicant", names_required=True),
    Field(
        "preferred_contact",
        FieldType.CHOICE,
        "The applicant's preferred way to be contacted",
        required=False,
        choices=CONTACT_METHODS,
    ),
    Field(
        "application_basis", FieldType.CHOICE, "Basis of the application", choices=APPLICATION_BASES
    ),
    Field(
        "relationship_to_victim",
        FieldType.STRING,
        "The applicant's relationship to the person affected",
        required=False,
    ),
    Field(
        "victim_consent",
        FieldType.BOOLEAN,
        "If applying for someone else: have they (each of them) consented?",
    ),
    *person_fields("subject", label="The person affected, if you apply on their behalf"),
    Field("hate_incident", FieldType.BOOLEAN, "Is it a hate incident or hate crime?"),
    Field("asb_description", FieldType.TEXT, "Describe the anti-social behaviour"),
    Field(
        "incidents",
        FieldType.RECORDS,
        "Incidents and the complaints made about them",
        fields=INCIDENT_FIELDS,
        help_text="Add each time the behaviour was reported, to whom and when.",
    ),
    Field("impact", FieldType.TEXT, "Its effect on you or your household", required=False),
    Field("tenure", FieldType.CHOICE, "Tenure of the home", required=False, choices=TENURES),
    Field("desired_outcome", FieldType.TEXT, "What the applicant hopes for", required=False),
    Field(
        "application_received_on",
        FieldType.DATE,
        "Date the application was received, if not today",
        required=False,
    ),
]
