"""Modern slavery (RULES.md §1): guards of its steps and effects run after them."""

from __future__ import annotations

from django.utils import timezone

from casework.models import Case, CasePersonRole
from workflows.definitions import (
    age_at,
)
from workflows.modern_slavery.states import CHILD_AGE


def subject_age(case: Case) -> int | None:
    """The subject's age when the concern was raised (date of birth, else the estimate)."""
    link = case.case_people.filter(role=CasePersonRole.SUBJECT).select_related("person").first()
    if link is None:
        return None
    person = link.person
    values = {
        "subject_date_of_birth": person.date_of_birth,
        "subject_estimated_age": person.estimated_age,
    }
    return age_at(values, "subject", timezone.localtime(case.raised_at).date())


def subject_is_child(case: Case) -> bool:
    """Under 18 when raised. Where age is unknown the child route applies (presumption of
    age; RULES.md §1.3 treats children separately) [U]."""
    age = subject_age(case)
    return age is None or age < CHILD_AGE


def subject_is_adult(case: Case) -> bool:
    return not subject_is_child(case)
