"""Child sexual exploitation (RULES.md §3): the intake form (fields, pages and
cross-field check)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from workflows.cse.states import CHILD_AGE, INDICATORS, KINDS, PARENTAL_CONSENT
from workflows.definitions import (
    Field,
    FieldType,
    OneOf,
    Page,
    age_at,
    msgs,
    person_fields,
)

# --- Intake -------------------------------------------------------------------------------

DATE_OF_BIRTH_OR_AGE = OneOf(
    fields=("subject_date_of_birth", "subject_estimated_age"),
    label="The child's date of birth or age",
    hint="Give a date of birth or, if you do not know it, an approximate age.",
    message="Enter the child's date of birth or, if you do not know it, their approximate age",
)


def _age_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """A CSE referral is about a child under 18 (DfE 2017 definition, RULES.md §3.1).
    That a date of birth or an age is given is ``DATE_OF_BIRTH_OR_AGE``'s to check."""
    age = age_at(values, "subject", timezone.localdate())
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
    return {"subject_given_names": ["Enter the child's name, or a name they are known by"]}


def check_intake(values: dict[str, Any]) -> None:
    """The child is under 18 and named. (Why consent was not sought is a question that
    follows the consent answer: required then, by its declaration.)"""
    errors = {**_age_errors(values), **_name_errors(values)}
    if errors:
        raise ValidationError(errors)


NOT_SOUGHT = tuple(value for value, _ in PARENTAL_CONSENT if value != "given")

PAGES = (
    Page("who", "The child"),
    Page("what", "What has happened", with_summary=True),
    Page("risk", "Risk"),
    Page("family", "Family and consent"),
)

INTAKE_FIELDS = [
    *person_fields("subject", label="The child", whose="the child's", page="who"),
    Field(
        "school",
        FieldType.STRING,
        "School or education setting",
        required=False,
        page="who",
        errors=msgs(
            required="Enter the child's school or education setting",
            max_length="The school must be 500 characters or fewer",
        ),
    ),
    Field(
        "kinds",
        FieldType.MULTICHOICE,
        "Kind of exploitation suspected (choose all that apply)",
        required=False,
        choices=KINDS,
        page="what",
        help_text="If you are not sure, leave this blank: it is then taken as sexual exploitation.",
        errors=msgs(
            required="Select the kind of exploitation suspected",
            invalid_choice="Select the kind of exploitation from the list",
        ),
    ),
    Field(
        "indicators",
        FieldType.MULTICHOICE,
        "Indicators of exploitation seen or told",
        required=False,
        choices=INDICATORS,
        page="what",
        errors=msgs(
            required="Select the signs of exploitation you saw or were told about",
            invalid_choice="Select the signs of exploitation from the list",
        ),
    ),
    Field(
        "what_has_happened",
        FieldType.TEXT,
        "What has happened (what has changed today)",
        page="what",
        errors=msgs(
            required="Enter what has happened",
            max_length="What has happened must be 20000 characters or fewer",
        ),
    ),
    Field(
        "immediate_danger",
        FieldType.BOOLEAN,
        "Is the child in immediate danger?",
        page="risk",
        errors=msgs(required="Select yes if the child is in immediate danger"),
    ),
    *person_fields(
        "parent_carer", label="Parent or carer", whose="the parent or carer's", page="family"
    ),
    Field(
        "parental_consent",
        FieldType.CHOICE,
        "Parental consent to the referral",
        choices=PARENTAL_CONSENT,
        page="family",
        errors=msgs(
            required="Select whether a parent or carer consented to the referral",
            invalid_choice="Select the parental consent from the list",
        ),
    ),
    Field(
        "consent_rationale",
        FieldType.TEXT,
        "Why consent was not sought, and who decided",
        page="family",
        when=("parental_consent", NOT_SOUGHT),
        errors=msgs(
            required="Enter why consent was not sought and who decided",
            max_length="Why consent was not sought must be 20000 characters or fewer",
        ),
    ),
    Field(
        "child_view",
        FieldType.TEXT,
        "The child's own view of the referral",
        required=False,
        page="family",
        errors=msgs(
            required="Enter what the child thinks of the referral",
            max_length="The child's view must be 20000 characters or fewer",
        ),
    ),
]
