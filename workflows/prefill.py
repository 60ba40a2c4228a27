"""What a step's form already knows: values the case holds, so it never re-asks them.

A step that asks for something intake (or an earlier step) already answered, the police
reference, the exploitation types, the person's age band, the support agreed at the
panel, shows the form with that answer filled in; the member of staff checks it and
changes it only if it has changed. The value is still submitted and validated like any
other, so the API (which has no form) is unchanged.

Only answers the case really holds are used: intake's own answers, by the same name,
and the carried values each case type names below (``CARRIED``), or the values derived
from the case's people (``DERIVED``). A step's own dates and reasons are never copied
from another step: the same word there means a new event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils import timezone

from casework.models import Case
from casework.selectors import case_subject
from workflows.definitions import Field, FieldType, age_at
from workflows.registry import get_workflow

# Answers an earlier step recorded that a later step asks again (by name).
CARRIED: dict[str, set[str]] = {
    # A later incident is usually under the same police reference.
    "cse": {"police_reference"},
    # The panel's support plan (``adopt``) is what consent is recorded for.
    "prevent": {"support_provider", "support_nature", "police_reference"},
    # Whether the police were told is answered at triage, and again for the notification.
    "modern_slavery": {"police_informed"},
    # The adult's views, from triage to the safety plan and its reviews.
    "cuckooing": {"occupier_views"},
}


def _subject_gender(case: Case) -> Any:
    person = case_subject(case)
    return person.gender if person is not None and person.gender else None


_AGE_BANDS = (("18_24", 18, 24), ("25_34", 25, 34), ("35_44", 35, 44), ("45_54", 45, 54))


def _subject_age_band(case: Case) -> Any:
    """The anonymous notification's age band of the subject's age when raised."""
    person = case_subject(case)
    if person is None:
        return None
    values = {
        "subject_date_of_birth": person.date_of_birth,
        "subject_estimated_age": person.estimated_age,
    }
    age = age_at(values, "subject", timezone.localtime(case.raised_at).date())
    if age is None:
        return None
    for band, low, high in _AGE_BANDS:
        if low <= age <= high:
            return band
    return "55_plus" if age >= 55 else None


def _cse_trafficking_grounds(case: Case) -> Any:
    """What intake said of the exploitation, as the start of the NRM's grounds."""
    fields = {f.name: f for f in get_workflow(case.case_type).intake_fields}
    parts = []
    for name, heading in (("kinds", "Exploitation suspected"), ("indicators", "Indicators")):
        chosen = case.details.get(name) or []
        labels = dict(fields[name].choices) if name in fields else {}
        words = [labels.get(v, str(v)) for v in chosen if v]
        if words:
            parts.append(f"{heading}: {', '.join(words)}.")
    return " ".join(parts) or None


# Values a step asks for under another name, derived from what the case holds.
DERIVED: dict[str, dict[str, Callable[[Case], Any]]] = {
    "modern_slavery": {"gender": _subject_gender, "age_band": _subject_age_band},
    "cse": {"trafficking_indicators": _cse_trafficking_grounds},
}


def _choice(spec: Field, value: Any) -> str | None:
    """``value`` as one of the field's choices: by its value, or by its words."""
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    for choice, label in spec.choices:
        if text in (str(choice).lower(), str(label).lower()):
            return str(choice)
    return None


def _fitted(spec: Field, value: Any) -> Any:
    """``value`` in the form the field's control shows, or None if it does not fit."""
    if value in (None, "", []):
        return None
    match spec.type:
        case FieldType.CHOICE:
            return _choice(spec, value)
        case FieldType.MULTICHOICE:
            values = value if isinstance(value, list) else [value]
            chosen = [c for c in (_choice(spec, v) for v in values) if c is not None]
            return chosen or None
        case FieldType.BOOLEAN:
            return "true" if value is True else "false" if value is False else None
        case FieldType.STRING | FieldType.TEXT:
            return value if isinstance(value, str) else None
        case FieldType.INTEGER:
            return str(value) if isinstance(value, int) else None
        case FieldType.DATE | FieldType.DATETIME:
            return value if isinstance(value, str) else None
    return None


def step_prefill(case: Case, fields: Sequence[Field]) -> dict[str, Any]:
    """The answers the case already holds for a step's ``fields``, ready for its form."""
    workflow = get_workflow(case.case_type)
    details: Mapping[str, Any] = case.details or {}
    intake = {f.name for f in workflow.intake_fields if not f.person and not f.premises}
    known = intake | CARRIED.get(case.case_type, set())
    derived = DERIVED.get(case.case_type, {})
    found: dict[str, Any] = {}
    for spec in fields:
        if spec.name in derived:
            value = derived[spec.name](case)
        elif spec.name in known:
            value = details.get(spec.name)
        else:
            continue
        fitted = _fitted(spec, value)
        if fitted is not None:
            found[spec.name] = fitted
    return found
