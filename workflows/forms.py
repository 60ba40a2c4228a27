"""Validating intake and transition input against their declared fields.

``validate_fields`` turns the declarations of ``workflows.definitions.Field`` into a
Django form, so pages and the API share one set of rules and messages. It returns
JSON-ready values (dates as ISO strings) or raises ``ValidationError`` with an error
per field. Dates and datetimes must fall between 1900 and 2100 and whole numbers within
their declared bounds (``casework.validators``), so no value a clock or a page cannot
hold is ever stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from casework.validators import INTEGER_MAX, INTEGER_MIN, validate_date_in_range
from workflows.definitions import Field, FieldType


def _records_field(spec: Field) -> forms.Field:
    return RecordsField(spec=spec, required=spec.required, label=spec.label)


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


def form_field(spec: Field) -> forms.Field:
    """The Django form field for one declared field."""
    common: dict[str, Any] = {
        "required": spec.required,
        "label": spec.label,
        "help_text": spec.help_text,
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


def validate_fields(fields: Sequence[Field], data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``data`` against ``fields``; unknown keys are ignored."""
    form = build_form_class(fields)(data=_form_data(fields, data))
    if not form.is_valid():
        raise ValidationError(
            {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        )
    cleaned = {}
    for spec in fields:
        value = form.cleaned_data.get(spec.name)
        if spec.type is FieldType.BOOLEAN:
            value = bool(value)
        if value in (None, "") and not spec.required:
            continue
        cleaned[spec.name] = _jsonable(value)
    return cleaned


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
        out[spec.name] = value
    return out
