"""Validating intake and transition input against their declared fields.

``validate_fields`` turns the declarations of ``workflows.definitions.Field`` into a
Django form, so pages and the API share one set of rules and messages. It returns
JSON-ready values (dates as ISO strings) or raises ``ValidationError`` with an error
per field. Dates and datetimes must fall between 1900 and 2100 and whole numbers within
their declared bounds (``casework.validators``), so no value a clock or a page cannot
hold is ever stored.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.validators import INTEGER_MAX, INTEGER_MIN, validate_date_in_range
from workflows.definitions import Field, FieldType


def _records_field(spec: Field) -> forms.Field:
    return RecordsField(
        spec=spec,
        required=spec.required,
        label=spec.label,
        error_messages={"required": spec.message("required")},
    )


class RecordsField(forms.Field):
    """A list of sub-records, each validated against ``spec.fields``."""

    def __init__(self, *, spec: Field, **kwargs: Any) -> None:
        self.spec = spec
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if value in (None, "", []):
            return []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise ValidationError("Enter a list of records.", code="invalid")
        cleaned, errors = [], []
        for index, item in enumerate(value, start=1):
            try:
                cleaned.append(validate_fields(self.spec.fields, item))
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors.extend(f"Record {index}, {name}: {m}" for m in messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


def _messages(spec: Field) -> dict[str, str]:
    """Django's error codes mapped to the field's own messages."""
    limits = {
        "limit": spec.length_limit,
        "min_value": INTEGER_MIN if spec.min_value is None else spec.min_value,
        "max_value": INTEGER_MAX if spec.max_value is None else spec.max_value,
    }
    found = {
        "required": spec.message("required"),
        "max_length": spec.message("max_length", **limits),
        "invalid_choice": spec.message("invalid_choice"),
        "invalid_list": spec.message("invalid_choice"),
    }
    if spec.type is FieldType.INTEGER:
        found |= {
            "invalid": spec.message("invalid"),
            "min_value": spec.message("min_value", **limits),
            "max_value": spec.message("max_value", **limits),
        }
    if spec.type in (FieldType.DATE, FieldType.DATETIME):
        found |= {"invalid": spec.message("invalid"), "date_out_of_range": spec.message("range")}
    return found


def form_field(spec: Field) -> forms.Field:
    """The Django form field for one declared field."""
    common: dict[str, Any] = {
        "required": spec.required,
        "label": spec.label,
        "help_text": spec.help_text,
        "error_messages": _messages(spec),
    }
    match spec.type:
        case FieldType.STRING | FieldType.TEXT:
            return forms.CharField(max_length=spec.length_limit, **common)
        case FieldType.BOOLEAN:
            common["required"] = False  # an unticked box is False, not missing
            return forms.NullBooleanField(**common)
        case FieldType.DATE:
            return forms.DateField(validators=[validate_date_in_range], **common)
        case FieldType.DATETIME:
            return forms.DateTimeField(validators=[validate_date_in_range], **common)
        case FieldType.INTEGER:
            return forms.IntegerField(
                min_value=INTEGER_MIN if spec.min_value is None else spec.min_value,
                max_value=INTEGER_MAX if spec.max_value is None else spec.max_value,
                **common,
            )
        case FieldType.CHOICE:
            return forms.ChoiceField(choices=list(spec.choices), **common)
        case FieldType.MULTICHOICE:
            return forms.MultipleChoiceField(choices=list(spec.choices), **common)
        case FieldType.RECORDS:
            return _records_field(spec)
    raise ValueError(f"unknown field type {spec.type}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def build_form_class(fields: Sequence[Field]) -> type[forms.Form]:
    attrs = {spec.name: form_field(spec) for spec in fields}
    return type("DeclaredFieldsForm", (forms.Form,), attrs)


@functools.lru_cache(maxsize=512)
def _kept_form_class(fields: tuple[Field, ...]) -> type[forms.Form]:
    return build_form_class(fields)


def form_class(fields: Sequence[Field]) -> type[forms.Form]:
    """``build_form_class``, kept for each set of fields: a form class is made from its
    fields alone (``form_field``), and each form made from it copies its fields, so one
    class serves every request. Building it was 0.2 ms of a raise's CPU, made afresh at
    every validation (docs/performance.md, a seventeenth session). A field with a list in
    it (not hashable) gets a class of its own each time."""
    key = tuple(fields)
    try:
        return _kept_form_class(key)
    except TypeError:  # unhashable: a list of choices or of sub-fields
        return build_form_class(key)


_TRUE = ("true", "True", "1", "yes")
_FALSE = ("false", "False", "0", "no")


def answer_text(value: Any) -> str:
    """An answer as the string a condition (``Field.when``) compares: "true"/"false" for
    yes/no, the value otherwise."""
    if value is True or value in _TRUE:
        return "true"
    if value is False or value in _FALSE:
        return "false"
    return "" if value is None else str(value)


def applies(spec: Field, data: Mapping[str, Any]) -> bool:
    """Whether a question applies to these answers: always, or when the question it
    follows has one of the answers that reveal it."""
    if spec.when is None:
        return True
    name, values = spec.when
    return answer_text(data.get(name)) in values


def applicable(fields: Sequence[Field], data: Mapping[str, Any]) -> list[Field]:
    """The questions that apply to these answers (the others are neither required nor
    stored)."""
    return [spec for spec in fields if applies(spec, data)]


DATE_PARTS = ("day", "month", "year")
TIME_PARTS = ("hour", "minute")


def parts_of(spec: Field) -> tuple[str, ...]:
    return DATE_PARTS + TIME_PARTS if spec.type is FieldType.DATETIME else DATE_PARTS


def date_from_parts(spec: Field, value: Mapping[str, Any]) -> str:
    """The ISO date (or date and time) that a GOV.UK date input's parts stand for; ""
    when all are blank. Raises ValidationError with GOV.UK's message for a missing or
    impossible part ("Date of birth must include a month")."""
    parts = {p: str(value.get(p) or "").strip() for p in parts_of(spec)}
    if not any(parts.values()):
        return ""
    for part in DATE_PARTS:
        if not parts[part]:
            raise ValidationError(spec.message(part))
    if spec.type is FieldType.DATETIME and not (parts["hour"] and parts["minute"]):
        raise ValidationError(spec.message("time"))
    if not all(v.isdigit() for v in parts.values()):
        raise ValidationError(spec.message("invalid"))
    if len(parts["year"]) != 4:
        raise ValidationError(spec.message("year_digits"))
    numbers = {p: int(v) for p, v in parts.items()}
    try:
        day = date(numbers["year"], numbers["month"], numbers["day"])
        if spec.type is FieldType.DATETIME:
            moment = time(numbers["hour"], numbers["minute"])
            return f"{day.isoformat()}T{moment:%H:%M}"
    except ValueError:
        raise ValidationError(spec.message("invalid")) from None
    return day.isoformat()


def validate_fields(fields: Sequence[Field], data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``data`` against ``fields``; unknown keys are ignored."""
    cleaned, errors = validate_fields_partial(fields, data)
    if errors:
        raise ValidationError(errors)
    return cleaned


def validate_fields_partial(
    fields: Sequence[Field], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The valid answers among ``data`` and the errors of the others, so that checks
    across fields can run in the same round (every error shown at once).

    A question that does not apply (``Field.when``) is neither checked nor kept. A date
    may come as ISO text (the API) or as a GOV.UK date input's parts (the pages)."""
    fields = applicable(fields, data)
    errors: dict[str, list[str]] = {}
    form_data = _form_data(fields, data)
    for spec in fields:
        value = form_data.get(spec.name)
        if spec.type in (FieldType.DATE, FieldType.DATETIME) and isinstance(value, Mapping):
            try:
                form_data[spec.name] = date_from_parts(spec, value)
            except ValidationError as exc:
                errors[spec.name] = list(exc.messages)
                form_data[spec.name] = ""
    form = form_class(fields)(data=form_data)
    form.is_valid()
    for name, messages in form.errors.items():
        errors.setdefault(name, [str(m) for m in messages])
    cleaned = {}
    for spec in fields:
        if spec.name in errors:
            continue
        value = form.cleaned_data.get(spec.name)
        if spec.type is FieldType.BOOLEAN:
            value = bool(value)
        if value in (None, "") and not spec.required:
            continue
        if spec.not_future and _in_future(value):
            errors[spec.name] = [spec.message("past")]
            continue
        cleaned[spec.name] = _jsonable(value)
    return cleaned, errors


def _in_future(value: Any) -> bool:
    if isinstance(value, datetime):
        return value > timezone.now()
    if isinstance(value, date):
        return value > timezone.localdate()
    return False


def _form_data(fields: Sequence[Field], data: Mapping[str, Any]) -> dict[str, Any]:
    """Bring API JSON and QueryDicts to what Django form fields expect."""
    out: dict[str, Any] = {}
    getlist = getattr(data, "getlist", None)
    for spec in fields:
        if spec.type is FieldType.MULTICHOICE and getlist is not None:
            out[spec.name] = getlist(spec.name)
            continue
        value = data.get(spec.name)
        if spec.type is FieldType.BOOLEAN and isinstance(value, bool):
            value = "true" if value else "false"
        if spec.type in (FieldType.DATE, FieldType.DATETIME) and spec.name not in data:
            # A form posted straight from a GOV.UK date input: its boxes.
            boxes = {part: data.get(f"{spec.name}-{part}") for part in parts_of(spec)}
            if any(v is not None for v in boxes.values()):
                value = {part: v or "" for part, v in boxes.items()}
        out[spec.name] = value
    return out


def intake_answers(
    workflow: Any, fields: Sequence[Field], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Intake's answers checked in one round: each field, the either-or requirements
    (``Workflow.required_one_of``) and the type's cross-field check, which runs on the
    answers that are valid so that its errors come with the others. A cross-field error
    about a question that already has its own error is left out: that question's own
    message says what to fix first. Returns the cleaned answers and the errors."""
    values, errors = validate_fields_partial(fields, data)
    names = {spec.name for spec in applicable(fields, data)}
    for group in workflow.required_one_of:
        named = [n for n in group.fields if n in names]
        if named and not any(n in values or n in errors for n in named):
            errors[named[0]] = [group.message]
    if workflow.intake_check is not None:
        try:
            workflow.intake_check(values)
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            for name, messages in found.items():
                if name in errors and name != "__all__":
                    continue
                known = errors.setdefault(name, [])
                known.extend(m for m in messages if m not in known)
    return values, errors
