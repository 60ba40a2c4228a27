"""Child sexual exploitation (RULES.md §3): the intake form (fields and cross-field check)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from workflows.cse.states import CHILD_AGE, INDICATORS, KINDS, PARENTAL_CONSENT
from workflows.definitions import (
    Field,
    FieldType,
    age_at,
    person_fields,
)

# --- Intake -------------------------------------------------------------------------------


def _age_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """A CSE referral is about a child under 18 (DfE 2017 definition, RULES.md §3.1)."""
    dob = values.get("subject_date_of_birth")
    if not dob and values.get("subject_estimated_age") is None:
        return {
            "subject_date_of_birth": [
                "Enter the child's date of birth or, if not known, their age or best estimate."
            ]
        }
    today = timezone.localdate()
    if dob and date.fromisoformat(dob) > today:
        return {"subject_date_of_birth": ["The date of birth cannot be in the future."]}
    age = age_at(values, "subject", today)
    if age is not None and age >= CHILD_AGE:
        return {
            "subject_date_of_birth": [
                f"This is a referral for a child under 18, and this person is {age}. "
                "For someone aged 18 or over, raise an adult safeguarding concern instead."
            ]
        }
    return {}


def _name_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    names = ("subject_given_names", "subject_family_name", "subject_aliases")
    if any(values.get(n) for n in names):
        return {}
    return {"subject_given_names": ["Enter the child's name, or a name they are known by."]}


def _consent_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """Sharing without parental consent needs its reason recorded (RULES.md §3.5)."""
    if values.get("parental_consent") == "given" or values.get("consent_rationale"):
        return {}
    return {"consent_rationale": ["Say why consent was not sought and who decided."]}


def check_intake(values: dict[str, Any]) -> None:
    """The child is under 18 and named; a referral without parental consent says why."""
    errors = {**_age_errors(values), **_name_errors(values), **_consent_errors(values)}
    if errors:
        raise ValidationError(errors)


INTAKE_FIELDS = [
    *person_fields("subject", label="The child"),
    Field(
        "kinds",
        FieldType.MULTICHOICE,
        "Kind of exploitation suspected (choose all that apply)",
        required=False,
        choices=KINDS,
        help_text=(
            "If none is chosen the concern is of sexual exploitation, as every concern of "
            "this type was before criminal exploitation was added (API v1 clients)."
        ),
    ),
    Field(
        "indicators",
        FieldType.MULTICHOICE,
        "Indicators of exploitation seen or told",
        required=False,
        choices=INDICATORS,
    ),
    Field("what_has_happened", FieldType.TEXT, "What has happened (what has changed today)"),
    Field("school", FieldType.STRING, "School or education setting", required=False),
    *person_fields("parent_carer", label="Parent or carer"),
    Field(
        "parental_consent",
        FieldType.CHOICE,
        "Parental consent to the referral",
        choices=PARENTAL_CONSENT,
    ),
    Field(
        "consent_rationale",
        FieldType.TEXT,
        "Why consent was not sought, and who decided",
        required=False,
        help_text="Required when consent was not sought.",
    ),
    Field(
        "child_view",
        FieldType.TEXT,
        "The child's own view of the referral",
        required=False,
    ),
    Field("immediate_danger", FieldType.BOOLEAN, "Is the child in immediate danger?"),
]
