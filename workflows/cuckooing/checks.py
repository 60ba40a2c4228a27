"""Cuckooing (RULES.md §2): guards of its steps and effects run after them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from casework.models import Case

# --- Guards --------------------------------------------------------------------------


def s42_test_met(case: Case) -> bool:
    """Care Act s42(1): all three parts of the test recorded as met (RULES.md §2.1)."""
    return case.details.get("s42_criteria_met") is True


def s42_test_not_met(case: Case) -> bool:
    """The test was recorded and at least one part is not met."""
    return case.details.get("s42_criteria_met") is False


# --- Effects: checks against the case, and the closure-power clocks ----------------------


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def check_concern_submission(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """Police on every concern; the children's MASH when children are present (§2.3, §2.7)."""
    errors = {}
    if not case.details.get("police_informed"):
        errors["police_informed"] = ["The police must be informed of every cuckooing concern."]
    if case.details.get("children_present") and not data.get("mash_notified"):
        errors["mash_notified"] = ["Children live at or visit the property: notify the MASH."]
    _refuse(errors)


def check_closure(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """A refusal of help closes the case only when the adult has capacity (§2.3)."""
    errors = {}
    outcome = data["outcome_code"]
    if outcome == "RISK_REMAINS_ADULT_DECLINED" and not data.get("adult_has_capacity"):
        errors["adult_has_capacity"] = [
            "An adult who lacks capacity cannot decline help; record the capacity decision."
        ]
    if outcome == "TRANSFERRED_OTHER_PROCESS" and not data.get("transferred_to"):
        errors["transferred_to"] = ["Say which process the case was transferred to."]
    _refuse(errors)
