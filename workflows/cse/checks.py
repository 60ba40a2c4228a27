"""Child sexual exploitation (RULES.md §3): guards of its steps and effects run after them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from casework.models import Case, Person
from casework.selectors import case_subject
from workflows.cse.states import CHILD_AGE
from workflows.definitions import (
    age_at,
)

# --- Guards -------------------------------------------------------------------------------


def exploitation_kinds(case: Case) -> list[str]:
    """The kinds recorded at intake; a concern raised without one (or before kinds were
    recorded) is of sexual exploitation, the type's only kind then (issue 15)."""
    return list(case.details.get("kinds") or ["sexual"])


def subject_person(case: Case) -> Person | None:
    return case_subject(case)


def subject_age_now(case: Case) -> int | None:
    """The child's age today: from the date of birth, else the estimate given at intake
    plus the whole years since the concern was raised."""
    person = subject_person(case)
    if person is None:
        return None
    today = timezone.localdate()
    if person.date_of_birth:
        return age_at({"subject_date_of_birth": person.date_of_birth}, "subject", today)
    if person.estimated_age is None:
        return None
    raised = timezone.localtime(case.raised_at).date()
    return person.estimated_age + age_at({"subject_date_of_birth": raised}, "subject", today)


def subject_is_18_or_over(case: Case) -> bool:
    """Only a young person who has turned 18 moves to adult services (RULES.md §3.2)."""
    age = subject_age_now(case)
    return age is not None and age >= CHILD_AGE


def not_in_immediate_danger(case: Case) -> bool:
    """A child reported in immediate danger is protected and referred, never closed at the
    concern stage (RULES.md §3.2: immediate danger goes to immediate protection)."""
    return not case.details.get("immediate_danger")


def return_awaiting_interview(case: Case) -> bool:
    """An interview is recorded against a recorded return that has none yet."""
    return any("interview" not in e for e in case.details.get("missing_episodes", []))


def assessment_in_progress(case: Case) -> bool:
    """A child and family assessment started by the latest referral is not yet complete."""
    return case.details.get("assessment_status") == "in_progress"


def episodes_with_return(details: dict[str, Any], data: dict[str, Any]) -> list[dict]:
    return [*details.get("missing_episodes", []), dict(data)]


def episodes_with_interview(details: dict[str, Any], data: dict[str, Any]) -> list[dict]:
    """Attach the interview to the oldest return still waiting for one (as the clocks do)."""
    episodes = [dict(e) for e in details.get("missing_episodes", [])]
    waiting = next(e for e in episodes if "interview" not in e)
    waiting["interview"] = dict(data)
    return episodes
