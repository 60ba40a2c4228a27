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

from casework.dates import datetime_words, day_words
from casework.models import Team
from casework.permissions import can_raise, may_raise_type, team_ids_of
from casework.selectors import teams_by_name
from workflows.definitions import Field, FieldType, OneOf, Page, Workflow
from workflows.forms import (
    applicable,
    intake_answers,
    parts_of,
)
from workflows.registry import get_workflow
from workflows.services import SUMMARY_FIELD

TEAM = "team"
# A records field is offered as the rows given and one blank row ("add another"); a
# draft may hold at most MAX_RECORD_ROWS.
MAX_RECORD_ROWS = 50
# Rows a step's form offers for a records field (its page has no "add another").
RECORD_ROWS = 6
_ANSWERED = (True, False, "true", "false", "True", "False", "1", "0")
# The first page of an intake whose type declares no pages.
FIRST_PAGE = Page("details", "Details")


def intake_fields(workflow: Workflow) -> list[Field]:
    """What a concern of this type asks: the summary, then the type's intake fields."""
    return [SUMMARY_FIELD, *workflow.intake_fields]


def pages_of(workflow: Workflow) -> list[Page]:
    """The short pages a type's intake is asked on, in order (one page if it declares
    none)."""
    return list(workflow.pages) or [FIRST_PAGE]


def page_of(workflow: Workflow, spec: Field) -> str:
    """The slug of the page that asks ``spec``."""
    pages = pages_of(workflow)
    if spec.name == SUMMARY_FIELD.name:
        return next((p.slug for p in pages if p.with_summary), pages[0].slug)
    return spec.page if spec.page in {p.slug for p in pages} else pages[0].slug


def page_fields(workflow: Workflow, page: str) -> list[Field]:
    """The questions of one intake page, in the order of the declaration."""
    return [spec for spec in intake_fields(workflow) if page_of(workflow, spec) == page]


def draft_from_post(fields: Sequence[Field], post: Any) -> dict[str, Any]:
    """The draft a submitted intake form (a QueryDict) stands for."""
    draft: dict[str, Any] = {}
    for spec in fields:
        if spec.type is FieldType.MULTICHOICE:
            draft[spec.name] = post.getlist(spec.name)
        elif spec.type is FieldType.RECORDS:
            draft[spec.name] = records_from_post(spec, post)
        else:
            draft[spec.name] = _posted(post, spec.name, spec)
    if TEAM in post:
        draft[TEAM] = post.get(TEAM, "")
    return draft


def records_from_post(spec: Field, post: Any) -> list[dict[str, Any]]:
    """The rows of a records field, from inputs named ``<field>-<i>-<sub>``; blank rows go."""
    pattern = re.compile(rf"{re.escape(spec.name)}-(\d+)-\w+(?:-(?:{'|'.join(DATE_PART_NAMES)}))?")
    indices = sorted({int(m[1]) for key in post if (m := pattern.fullmatch(key))})
    rows = []
    for index in indices[:MAX_RECORD_ROWS]:
        row = {
            sub.name: _posted(post, f"{spec.name}-{index}-{sub.name}", sub) for sub in spec.fields
        }
        if any(_filled(value) for value in row.values()):
            rows.append(row)
    return rows


DATE_PART_NAMES = ("day", "month", "year", "hour", "minute")


def _filled(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_filled(v) for v in value.values())
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def _posted(post: Any, key: str, spec: Field) -> Any:
    """One answer as posted: a list for checkboxes, the parts of a GOV.UK date input
    (``<key>-day``, ``-month``, ``-year``, and ``-hour``, ``-minute`` for a time) for a
    date, or the text. A date posted whole (``<key>``, an older form) is kept as it is."""
    if spec.type is FieldType.MULTICHOICE:
        return post.getlist(key)
    if spec.type in (FieldType.DATE, FieldType.DATETIME):
        if key in post and not any(f"{key}-{part}" in post for part in parts_of(spec)):
            return post.get(key, "")
        return {part: post.get(f"{key}-{part}", "").strip() for part in parts_of(spec)}
    return post.get(key, "")


def intake_teams(actor: Any) -> list[Team]:
    """The teams a concern raised by ``actor`` can belong to: their own."""
    return teams_by_name(team_ids_of(actor))


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
        spec.name: [spec.message("required")]
        for spec in applicable(fields, data)
        if spec.type is FieldType.BOOLEAN and spec.required and data.get(spec.name) not in _ANSWERED
    }


def intake_validate(
    *, actor: Any, case_type: str, data: Mapping[str, Any], page: str | None = None
) -> dict[str, Any]:
    """Validate a draft concern as ``case_raise`` would, writing nothing.

    Returns the cleaned intake values; raises ValidationError with every message found
    in one round: the fields, unanswered yes/no questions, either-or answers, the
    type's cross-field check (run on the answers that are valid, so that its errors
    come with the others, never in a second round) and the team choice. ``page``: only
    the errors of that intake page's questions (the others are not asked yet).
    PermissionDenied when the actor may not raise concerns; an unknown ``case_type``
    raises ``UnknownCaseType``.
    """
    if not can_raise.test(actor):
        raise PermissionDenied("Your role cannot raise concerns.")
    workflow = get_workflow(case_type)
    if not may_raise_type(actor, case_type):
        raise PermissionDenied(f"Only a safeguarding lead can record a {workflow.label.lower()}.")
    fields = intake_fields(workflow)
    values, errors = check_intake_answers(workflow, fields, data)
    try:
        intake_team(teams=intake_teams(actor), choice=data.get(TEAM))
    except ValidationError as exc:
        _merge(errors, exc)
    if page is not None:
        asked = {spec.name for spec in page_fields(workflow, page)}
        if page != pages_of(workflow)[-1].slug:
            asked.discard(TEAM)
        else:
            asked.add(TEAM)
        errors = {name: found for name, found in errors.items() if name in asked}
    if errors:
        raise ValidationError(errors)
    return values


def check_intake_answers(
    workflow: Workflow, fields: Sequence[Field], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``intake_answers`` (every error in one round) plus the pages' own rule: a required
    yes/no question left unanswered is an error, not a "no"."""
    errors = unanswered_questions(fields, data)
    values, found = intake_answers(workflow, fields, data)
    for name, messages in found.items():
        if name in errors:
            continue
        errors[name] = messages
    return values, errors


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
    # Questions revealed by this answer (GOV.UK conditional reveal).
    conditional: list[Control] = dataclasses.field(default_factory=list)

    @property
    def reveal_id(self) -> str:
        return f"conditional-{self.id}"


@dataclasses.dataclass
class Part:
    """One box of a GOV.UK date (or time) input."""

    name: str
    id: str
    label: str
    value: str
    width: int


@dataclasses.dataclass
class Control:
    """One question of the form as the template draws it (GOV.UK Frontend markup).

    ``id`` is the first input's id, which the error summary links to; a records
    field's rows hold the controls of each row's sub-fields. A ``group`` (either-or
    answers) and a ``reveal`` (questions that follow an answer of another) hold their
    questions in ``children``.
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
    parts: list[Part] = dataclasses.field(default_factory=list)
    time_parts: list[Part] = dataclasses.field(default_factory=list)
    children: list[Control] = dataclasses.field(default_factory=list)
    # A reveal: the question it follows and the answers that show it.
    reveal_on: str = ""
    reveal_values: str = ""
    # Records: what one is called ("incident"); rows can be added and removed.
    item_label: str = "record"
    removable: bool = False

    @property
    def has_reveals(self) -> bool:
        return any(option.conditional for option in self.options)

    def walk(self) -> list[Control]:
        """This control and every control inside it, in the order of the page."""
        found = [self]
        for option in self.options:
            for inner in option.conditional:
                found += inner.walk()
        for inner in self.children:
            found += inner.walk()
        return found


def anchor_of(spec: Field, prefix: str = "") -> str:
    """The id of a field's first input (records: the first row's first sub-field; a
    date: its day)."""
    if spec.type is FieldType.RECORDS and spec.fields:
        return anchor_of(spec.fields[0], f"{prefix}{spec.name}-1-")
    if spec.type in (FieldType.DATE, FieldType.DATETIME):
        return f"{prefix}{spec.name}-day"
    return f"{prefix}{spec.name}"


_PART_LABELS = {"day": "Day", "month": "Month", "year": "Year", "hour": "Hour", "minute": "Minute"}


def date_parts(spec: Field, raw: Any) -> dict[str, str]:
    """A date answer as the boxes of a date input: from the posted parts or from ISO
    text (a draft saved by an older form, or an answer the case already holds)."""
    if isinstance(raw, Mapping):
        return {p: str(raw.get(p) or "") for p in parts_of(spec)}
    text = str(raw or "").strip()
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?.*", text)
    if not found:
        return {p: "" for p in parts_of(spec)}
    if spec.type is FieldType.DATETIME and found[4]:
        try:
            moment = datetime.fromisoformat(text)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return {
                "day": str(moment.day), "month": str(moment.month), "year": str(moment.year),
                "hour": f"{moment.hour:02d}", "minute": f"{moment.minute:02d}",
            }  # fmt: skip
        except ValueError:
            pass
    values = {"day": str(int(found[3])), "month": str(int(found[2])), "year": found[1]}
    if spec.type is FieldType.DATETIME:
        values |= {"hour": found[4] or "", "minute": found[5] or ""}
    return values


def control(
    spec: Field,
    draft: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    prefix: str = "",
    *,
    in_group: bool = False,
    add_another: bool = False,
) -> Control:
    """The control for ``spec`` filled from ``draft``, with its (user-facing) errors.
    ``in_group``: one of either-or answers, so not marked "(optional)". ``add_another``:
    a records field offers its rows and one blank, with "Add another" and "Remove"
    (intake pages); else a fixed number of rows."""
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
        optional=not spec.required and not in_group,
    )
    messages = errors.get(spec.name, [])
    if spec.type is FieldType.RECORDS:
        made.removable = add_another
        messages = _records_control(made, spec, raw if isinstance(raw, list) else [], messages)
    elif spec.type is FieldType.BOOLEAN:
        made.value = "true" if raw in _TRUE else "false" if raw in _FALSE else ""
        made.options = _options(name, YES_NO, [made.value])
    elif spec.type in (FieldType.CHOICE, FieldType.MULTICHOICE):
        chosen = [str(v) for v in raw] if isinstance(raw, list) else [str(raw or "")]
        made.options = _options(name, spec.choices, chosen)
    elif spec.type in (FieldType.DATE, FieldType.DATETIME):
        values = date_parts(spec, raw)
        widths = {"year": 4}
        boxes = [
            Part(f"{name}-{p}", f"{name}-{p}", _PART_LABELS[p], values[p], widths.get(p, 2))
            for p in parts_of(spec)
        ]
        made.parts, made.time_parts = boxes[:3], boxes[3:]
        if not made.hint:
            made.hint = "For example, 27 3 2024" + (
                ", and the time as 14 30" if spec.type is FieldType.DATETIME else ""
            )
    else:
        made.value = "" if raw is None else str(raw)
    made.errors = [field_message(spec, m) for m in messages]
    made.error_links = [(made.id, m) for m in made.errors] + made.error_links
    return made


def controls_for(
    fields: Sequence[Field],
    draft: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    one_of: Sequence[OneOf] = (),
) -> list[Control]:
    """The controls of a page: either-or answers as one question, and each question
    that follows an answer (``Field.when``) under that answer: in GOV.UK's conditional
    reveal when one answer reveals it, else in a block shown for any of its answers."""
    by_name = {spec.name: spec for spec in fields}
    followers: dict[str, list[Field]] = {}
    for spec in fields:
        if spec.when is not None and spec.when[0] in by_name:
            followers.setdefault(spec.when[0], []).append(spec)
    groups = {name: group for group in one_of for name in group.fields if name in by_name}
    made: list[Control] = []
    drawn: set[OneOf] = set()
    for spec in fields:
        if spec.when is not None and spec.when[0] in by_name:
            continue
        if spec.name in groups:
            group = groups[spec.name]
            if group not in drawn:
                drawn.add(group)
                made.append(_group_control(group, by_name, draft, errors))
            continue
        made.append(control(spec, draft, errors, add_another=True))
        _attach_followers(made, spec, followers.get(spec.name, []), draft, errors)
    return made


def _group_control(
    group: OneOf,
    by_name: Mapping[str, Field],
    draft: Mapping[str, Any],
    errors: Mapping[str, list[str]],
) -> Control:
    children = [
        control(by_name[name], draft, errors, in_group=True)
        for name in group.fields
        if name in by_name
    ]
    first = children[0]
    return Control(
        kind="group",
        name=f"{first.name}-group",
        id=first.id,
        label=group.label,
        hint=group.hint,
        children=children,
    )


def _attach_followers(
    made: list[Control],
    spec: Field,
    followers: list[Field],
    draft: Mapping[str, Any],
    errors: Mapping[str, list[str]],
) -> None:
    owner = made[-1]
    for follower in followers:
        values = follower.when[1] if follower.when else ()
        inner = control(follower, draft, errors)
        options = [o for o in owner.options if o.value in values]
        if owner.kind in ("radios", "boolean") and len(options) == 1:
            options[0].conditional.append(inner)
            continue
        last = made[-1]
        if last.kind == "reveal" and last.reveal_values == " ".join(values):
            last.children.append(inner)
            continue
        made.append(
            Control(
                kind="reveal",
                name=f"reveal-{follower.name}",
                id=f"reveal-{follower.name}",
                label="",
                children=[inner],
                reveal_on=owner.name,
                reveal_values=" ".join(values),
            )
        )


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
    made.item_label = spec.item_label or "record"
    if made.removable:  # the rows given so far and one blank for the next
        count = min(len(records) + 1, MAX_RECORD_ROWS)
    else:
        count = min(max(RECORD_ROWS, len(records)), MAX_RECORD_ROWS)
    for i in range(1, count + 1):
        record = records[i - 1] if i <= len(records) else {}
        row_errors = {sub.name: by_row.get((i, sub.name), []) for sub in spec.fields}
        row = [control(sub, record, row_errors, f"{made.name}-{i}-") for sub in spec.fields]
        made.rows.append(row)
        item = made.item_label.capitalize()
        made.error_links += [(c.id, f"{item} {i}: {m}") for c in row for m in c.errors]
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
    """A validation message as the page shows it: Django's generic "This field is
    required." becomes the field's own hand-written message (``Field.message``)."""
    if message == REQUIRED:
        return spec.message("required")
    return message


def error_summary(
    controls: Sequence[Control], errors: Mapping[str, list[str]]
) -> list[tuple[str, str]]:
    """(anchor, message) pairs in the order of the page.

    Errors of no question on the page (the form is out of date, it names a field the
    page does not ask for) come first with no anchor: the summary shows them as text,
    since no answer on the page can put them right and a link to a question that shows
    no error would mislead.
    """
    every = [inner for c in controls for inner in c.walk()]
    shown = {c.name for c in every}
    stray = [("", m) for name, messages in errors.items() if name not in shown for m in messages]
    return stray + [link for c in every for link in c.error_links]


@dataclasses.dataclass
class AnswerRow:
    label: str
    lines: list[str]
    change_url: str


def answer_rows(
    fields: Sequence[Field],
    values: Mapping[str, Any],
    form_url: str | Any,
    data: Mapping[str, Any] | None = None,
) -> list:
    """One "Check your answers" row per question that applies, each with a link back to
    it. ``form_url`` is the form's address, or a function of the field giving its
    page's; ``data`` (the draft) decides which questions that follow an answer apply."""
    shown = applicable(fields, data) if data is not None else fields
    return [
        AnswerRow(
            spec.label,
            answer_lines(spec, values[spec.name]) if spec.name in values else ["Not given"],
            f"{form_url(spec) if callable(form_url) else form_url}#{anchor_of(spec)}",
        )
        for spec in shown
    ]


def answer_lines(spec: Field, value: Any) -> list[str]:
    """A cleaned value as the lines a person reads (labels, not codes; dates in words)."""
    labels = {str(v): label for v, label in spec.choices}
    match spec.type:
        case FieldType.BOOLEAN:
            return ["Yes" if value else "No"]
        case FieldType.DATE:
            return [day_words(date.fromisoformat(value))]
        case FieldType.DATETIME:
            return [datetime_words(datetime.fromisoformat(value))]
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
