"""Modern slavery (RULES.md §1): guards of its steps and effects run after them."""

from __future__ import annotations

from django.utils import timezone

from casework.models import Case
from casework.selectors import case_subject
from workflows.definitions import (
    age_at,
)
from workflows.modern_slavery.states import CHILD_AGE


def subject_age(case: Case) -> int | None:
    """The subject's age when the concern was raised (date of birth, else the estimate)."""
    person = case_subject(case)
    if person is None:
        return None
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


# The ages each anonymous notification age band covers (``states.AGE_BANDS``).
AGE_BAND_RANGES = {
    "18_24": (18, 24),
    "25_34": (25, 34),
    "35_44": (35, 44),
    "45_54": (45, 54),
    "55_plus": (55, 200),
}


def age_band_problem(case: Case, age_band: str) -> str:
    """Why ``age_band`` cannot be sent for the case's subject, or "" (RULES.md §1.1:
    the anonymous route is for an adult only; a child always goes into the NRM)."""
    age = subject_age(case)
    if age is None or age < CHILD_AGE:
        return (
            "The person may be under 18 when the concern was raised. A child is referred into "
            "the NRM without consent: an anonymous Duty to Notify is only for an adult."
        )
    if age_band == "unknown":
        return ""
    low, high = AGE_BAND_RANGES[age_band]
    if not low <= age <= high:
        return (
            f"The age band must include the person's recorded age ({age}). "
            "Choose the band that includes it, or change the recorded age first."
        )
    return ""


def best_interests_decided(case: Case) -> bool:
    """An adult who lacks capacity to consent has a recorded best-interests decision to
    refer them into the NRM (RULES.md §1.3 consent_status ``lacks_capacity``) [U]."""
    return case.details.get("consent_status") == "best_interests"


def may_refer_into_nrm(case: Case) -> bool:
    """A child, an adult who consented, or an adult lacking capacity with a recorded
    best-interests decision (MSA 2015 s52(3))."""
    if case.state == "adult_consent_sought":
        return best_interests_decided(case)
    return True
