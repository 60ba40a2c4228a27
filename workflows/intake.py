"""The "Raise a concern" pages' side of intake: drafts, and validation that writes nothing.

A draft is what the user typed, kept in the session between the form and the "Check
your answers" page so that a reload or an error loses nothing. It is JSON-ready and in
the shape ``validate_fields`` accepts: a string per field, a list for multichoice, and a
list of row dicts for records (the form's ``<field>-<i>-<sub>`` inputs, blank rows
dropped). ``intake_validate`` checks a draft exactly as ``case_raise`` will, plus one
rule of the pages (a required yes/no question must be answered), and writes nothing, so
the only write stays ``workflows.services.case_raise``.

The second half shows a draft: as the form's controls (``control``) and as the rows of
"Check your answers" (``answer_rows``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import Team
from casework.permissions import can_raise, may_raise_type, team_ids_of
from workflows.definitions import Field, FieldType, Workflow
from workflows.forms import validate_fields
from workflows.registry import get_workflow
from workflows.services import SUMMARY_FIELD

TEAM = "team"
# Rows a form offers for a records field; a draft may hold at most MAX_RECORD_ROWS.
RECORD_ROWS = 6
MAX_RECORD_ROWS = 50
_ANSWERED = (True, False, "true", "false", "True", "False", "1", "0")
ANSWER_YES_OR_NO = "Select yes or no for “{label}”"


def intake_fields(workflow: Workflow) -> list[Field]:
    """What a concern of this type asks: the summary, then the type's intake fields."""
    return [SUMMARY_FIELD, *workflow.intake_fields]


def draft_from_post(fields: Sequence[Field], post: Any) -> dict[str, Any]:
    """The draft a submitted intake form (a QueryDict) stands for."""
    draft: dict[str, Any] = {}
    for spec in fields:
        if spec.type is FieldType.MULTICHOICE:
            draft[spec.name] = post.getlist(spec.name)
        elif spec.type is FieldType.RECORDS:
            draft[spec.name] = records_from_post(spec, post)
        else:
            draft[spec.name] = post.get(spec.name, "")
    if TEAM in post:
        draft[TEAM] = post.get(TEAM, "")
    return draft


def records_from_post(spec: Field, post: Any) -> list[dict[str, Any]]:
    """The rows of a records field, from inputs named ``<field>-<i>-<sub>``; blank rows go."""
    pattern = re.compile(rf"{re.escape(spec.name)}-(\d+)-\w+")
    indices = sorted({int(m[1]) for key in post if (m := pattern.fullmatch(key))})
    rows = []
    for index in indices[:MAX_RECORD_ROWS]:
        row = {
            sub.name: _posted(post, f"{spec.name}-{index}-{sub.name}", sub.type)
            for sub in spec.fields
        }
        if any(_filled(value) for value in row.values()):
            rows.append(row)
    return rows


def _filled(value: Any) -> bool:
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def _posted(post: Any, key: str, type_: FieldType) -> Any:
    return post.getlist(key) if type_ is FieldType.MULTICHOICE else post.get(key, "")


def intake_teams(actor: Any) -> list[Team]:
    """The teams a concern raised by ``actor`` can belong to: their own."""
    return list(Team.objects.filter(pk__in=team_ids_of(actor)).order_by("name"))


def intake_team(*, teams: Sequence[Team], choice: Any) -> Team:
    """The team the concern is for: the user's only team, or the one they chose by slug."""
    if not teams:
        raise PermissionDenied("You are not a member of a team, so you cannot raise a concern.")
    if len(teams) == 1:
        return teams[0]
    for team in teams:
        if team.slug == choice:
            return team
    raise ValidationError({TEAM: ["Choose which of your teams this concern is for."]})


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    """Messages by field name; errors that belong to no field under NON_FIELD_ERRORS."""
    if hasattr(exc, "error_dict"):
        return {name: list(messages) for name, messages in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: list(exc.messages)}


def unanswered_questions(fields: Sequence[Field], data: Mapping[str, Any]) -> dict[str, list]:
    """Required yes/no questions left unanswered.

    ``validate_fields`` reads a missing boolean as "no", which suits an API client that
    omits false values; on a page a skipped "Is anyone at immediate risk?" must not be
    recorded as a "no", so the pages ask for an answer.
    """
    return {
        spec.name: [ANSWER_YES_OR_NO.format(label=spec.label)]
        for spec in fields
        if spec.type is FieldType.BOOLEAN and spec.required and data.get(spec.name) not in _ANSWERED
    }


def intake_validate(*, actor: Any, case_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a draft concern as ``case_raise`` would, writing nothing.

    Returns the cleaned intake values; raises ValidationError with every message found
    (fields, unanswered yes/no questions, the team choice and, once the fields are
    valid, the type's cross-field check), or PermissionDenied when the actor may not
    raise concerns. An unknown ``case_type`` raises ``UnknownCaseType``.
    """
    if not can_raise.test(actor):
        raise PermissionDenied("Your role cannot raise concerns.")
    workflow = get_workflow(case_type)
    if not may_raise_type(actor, case_type):
        raise PermissionDenied(f"Only a safeguarding lead can record a {workflow.label.lower()}.")
    fields = intake_fields(workflow)
    errors = unanswered_questions(fields, data)
    values: dict[str, Any] = {}
    try:
        values = validate_fields(fields, data)
        if workflow.intake_check is not None:
            workflow.intake_check(values)
    except ValidationError as exc:
        _merge(errors, exc)
    try:
        intake_team(teams=intake_teams(actor), choice=data.get(TEAM))
    except ValidationError as exc:
        _merge(errors, exc)
    if errors:
        raise ValidationError(errors)
    return values


def _merge(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for name, messages in error_messages(exc).items():
        known = errors.setdefault(name, [])
        known.extend(m for m in messages if m not in known)


# Showing a draft: as form controls and as "Check your answers" rows -----------------------

REQUIRED = str(forms.Field.default_error_messages["required"])
MAX_RADIOS = 8  # more choices than this are a select
YES_NO = (("true", "Yes"), ("false", "No"))
_TRUE = (True, "true", "True", "1")
_FALSE = (False, "false", "False", "0")
_RECORD_ERROR = re.compile(r"Record (\d+), (\w+): (.*)", re.S)
_KINDS = {
    FieldType.STRING: "input",
    FieldType.TEXT: "textarea",
    FieldType.BOOLEAN: "boolean",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime",
    FieldType.INTEGER: "integer",
    FieldType.CHOICE: "radios",
    FieldType.MULTICHOICE: "checkboxes",
    FieldType.RECORDS: "records",
}


@dataclasses.dataclass
class Option:
    value: str
    label: str
    id: str
    checked: bool


@dataclasses.dataclass
class Control:
    """One question of the form as the template draws it (GOV.UK Frontend markup).

    ``id`` is the first input's id, which the error summary links to; a records
    field's rows hold the controls of each row's sub-fields.
    """

    kind: str
    name: str
    id: str
    label: str
    hint: str = ""
    optional: bool = False
    value: str = ""
    options: list[Option] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)
    rows: list[list[Control]] = dataclasses.field(default_factory=list)
    # (anchor, message) for the error summary: a record's error links to its row.
    error_links: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def anchor_of(spec: Field, prefix: str = "") -> str:
    """The id of a field's first input (records: the first row's first sub-field)."""
    if spec.type is FieldType.RECORDS and spec.fields:
        return anchor_of(spec.fields[0], f"{prefix}{spec.name}-1-")
    return f"{prefix}{spec.name}"


def control(
    spec: Field, draft: Mapping[str, Any], errors: Mapping[str, list[str]], prefix: str = ""
) -> Control:
    """The control for ``spec`` filled from ``draft``, with its (user-facing) errors."""
    name = f"{prefix}{spec.name}"
    raw = draft.get(spec.name)
    kind = _KINDS[spec.type]
    if kind == "radios" and len(spec.choices) > MAX_RADIOS:
        kind = "select"
    made = Control(
        kind=kind,
        name=name,
        id=anchor_of(spec, prefix),
        label=spec.label,
        hint=spec.help_text,
        optional=not spec.required,
    )
    messages = errors.get(spec.name, [])
    if spec.type is FieldType.RECORDS:
        messages = _records_control(made, spec, raw if isinstance(raw, list) else [], messages)
    elif spec.type is FieldType.BOOLEAN:
        made.value = "true" if raw in _TRUE else "false" if raw in _FALSE else ""
        made.options = _options(name, YES_NO, [made.value])
    elif spec.type in (FieldType.CHOICE, FieldType.MULTICHOICE):
        chosen = [str(v) for v in raw] if isinstance(raw, list) else [str(raw or "")]
        made.options = _options(name, spec.choices, chosen)
    else:
        made.value = "" if raw is None else str(raw)
    made.errors = [field_message(spec, m) for m in messages]
    made.error_links = [(made.id, m) for m in made.errors] + made.error_links
    return made


def _options(name: str, choices: Sequence[tuple[str, str]], chosen: list[str]) -> list[Option]:
    # GOV.UK Frontend's ids: the first item takes the field's id, the rest "<id>-<n>".
    return [
        Option(str(value), label, name if n == 1 else f"{name}-{n}", str(value) in chosen)
        for n, (value, label) in enumerate(choices, start=1)
    ]


def _records_control(
    made: Control, spec: Field, records: list[Any], messages: list[str]
) -> list[str]:
    """Fill a records control's rows, each sub-field with its own errors; return the rest.

    ``validate_fields`` reports a record's error as "Record 2, <sub-field>: <message>":
    it is shown at that row's input, and the error summary links there.
    """
    by_row: dict[tuple[int, str], list[str]] = {}
    rest = []
    subs = {sub.name for sub in spec.fields}
    for message in messages:
        found = _RECORD_ERROR.fullmatch(message)
        if found and found[2] in subs:
            by_row.setdefault((int(found[1]), found[2]), []).append(found[3])
        else:
            rest.append(message)
    records = [r for r in records if isinstance(r, Mapping)]
    count = min(max(RECORD_ROWS, len(records)), MAX_RECORD_ROWS)
    for i in range(1, count + 1):
        record = records[i - 1] if i <= len(records) else {}
        row_errors = {sub.name: by_row.get((i, sub.name), []) for sub in spec.fields}
        row = [control(sub, record, row_errors, f"{made.name}-{i}-") for sub in spec.fields]
        made.rows.append(row)
        made.error_links += [(c.id, f"Record {i}: {m}") for c in row for m in c.errors]
    return rest


def team_control(teams: Sequence[Team], chosen: str, errors: list[str]) -> Control:
    """The "which of your teams" radios for a user in several teams."""
    return Control(
        kind="radios",
        name=TEAM,
        id=TEAM,
        label="Which of your teams is this concern for?",
        options=_options(TEAM, [(t.slug, t.name) for t in teams], [chosen]),
        errors=list(errors),
        error_links=[(TEAM, message) for message in errors],
    )


def field_message(spec: Field, message: str) -> str:
    """A validation message in the words of the page (GOV.UK: "Enter ...", "Select ...")."""
    if message == REQUIRED:
        verb = "Select" if spec.type in (FieldType.CHOICE, FieldType.MULTICHOICE) else "Enter"
        return f"{verb} {_lower_first(spec.label)}"
    return message


def _lower_first(text: str) -> str:
    # "Summary of ..." -> "summary of ...", but "NRM reference" stays as it is.
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def error_summary(
    controls: Sequence[Control], errors: Mapping[str, list[str]]
) -> list[tuple[str, str]]:
    """(anchor, message) pairs in the order of the page.

    Errors of no question on the page (the form is out of date, it names a field the
    page does not ask for) come first with no anchor: the summary shows them as text,
    since no answer on the page can put them right and a link to a question that shows
    no error would mislead.
    """
    shown = {c.name for c in controls}
    stray = [("", m) for name, messages in errors.items() if name not in shown for m in messages]
    return stray + [link for c in controls for link in c.error_links]


@dataclasses.dataclass
class AnswerRow:
    label: str
    lines: list[str]
    change_url: str


def answer_rows(fields: Sequence[Field], values: Mapping[str, Any], form_url: str) -> list:
    """One "Check your answers" row per field, each with a link back to its question."""
    return [
        AnswerRow(
            spec.label,
            answer_lines(spec, values[spec.name]) if spec.name in values else ["Not given"],
            f"{form_url}#{anchor_of(spec)}",
        )
        for spec in fields
    ]


def answer_lines(spec: Field, value: Any) -> list[str]:
    """A cleaned value as the lines a person reads (labels, not codes; dates in words)."""
    labels = {str(v): label for v, label in spec.choices}
    match spec.type:
        case FieldType.BOOLEAN:
            return ["Yes" if value else "No"]
        case FieldType.DATE:
            return [_date_words(date.fromisoformat(value))]
        case FieldType.DATETIME:
            return [_datetime_words(datetime.fromisoformat(value))]
        case FieldType.CHOICE:
            return [labels.get(str(value), str(value))]
        case FieldType.MULTICHOICE:
            return [labels.get(str(v), str(v)) for v in value] or ["None"]
        case FieldType.RECORDS:
            return [_record_words(spec, record) for record in value] or ["None"]
    return [str(value)]


def _record_words(spec: Field, record: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{sub.label}: {', '.join(answer_lines(sub, record[sub.name]))}"
        for sub in spec.fields
        if sub.name in record
    )


def _date_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _datetime_words(moment: datetime) -> str:
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    hour = moment.hour % 12 or 12
    return f"{_date_words(moment.date())} at {hour}:{moment:%M}{'am' if moment.hour < 12 else 'pm'}"
