"""Prevent (RULES.md §4): guards of its steps and effects run after them."""

from __future__ import annotations

from django.utils import timezone

from casework.models import Case
from casework.selectors import case_subject
from workflows.definitions import (
    age_at,
)
from workflows.prevent.states import ADULT_AGE


def subject_age(case: Case) -> int | None:
    """The person's age today: from the date of birth, or the intake estimate plus the
    whole years since the concern was raised (Channel can run for many months, and the
    age that matters for consent is the age when consent is given)."""
    person = case_subject(case)
    if person is None:
        return None
    today = timezone.localdate()
    if person.date_of_birth:
        return age_at({"subject_date_of_birth": person.date_of_birth}, "subject", today)
    if person.estimated_age is None:
        return None
    raised_on = timezone.localtime(case.raised_at).date()
    return person.estimated_age + age_at({"subject_date_of_birth": raised_on}, "subject", today)


def subject_is_child(case: Case) -> bool:
    """Under 18: consent is the parent's or guardian's (CTSA 2015 s36, Explanatory Notes;
    RULES.md §4.1). An unknown age is treated as a child's, the cautious choice [U]."""
    age = subject_age(case)
    return age is None or age < ADULT_AGE


def subject_is_adult(case: Case) -> bool:
    return not subject_is_child(case)
