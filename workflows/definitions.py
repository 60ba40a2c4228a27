"""The vocabulary a case-type module uses to declare its workflow.

A module in ``workflows/`` declares, for one case type: its states, a proxy model of
``casework.Case`` whose django-fsm ``@transition`` methods are the process, the input
fields of intake and of each transition, and its deadline rules. ``Workflow`` gathers
them; ``workflows.registry`` holds one per case type. The API (shared/API.md
"Workflows") and the diagrams are generated from these declarations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import models


class FieldType(StrEnum):
    """FIELD types of shared/API.md; ``records`` (a list of sub-records) is our extension."""

    STRING = "string"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    INTEGER = "integer"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    RECORDS = "records"


# The limits of inputs kept in a case's details (JSON), where no column bounds them.
STRING_MAX_LENGTH = 500
TEXT_MAX_LENGTH = 20000


@dataclasses.dataclass(frozen=True)
class Field:
    """An input field of intake or of a transition (API.md FIELD).

    ``person`` routes the value to a Person linked to the case instead of the case's
    details, e.g. ``person="subject.family_name"``; ``premises`` routes it to the case's
    Premises, e.g. ``premises="address"``; ``column`` names any other column that stores
    it (``"app_label.Model.field"``), e.g. the anonymous Duty to Notify notification's.

    ``max_length`` bounds a string or text input; it must equal the length of the column
    that stores it (``tests/referrals/test_field_limits.py``), so a value the form accepts
    is never refused by the database. Without one a string allows
    ``STRING_MAX_LENGTH`` characters and a text ``TEXT_MAX_LENGTH`` (kept as JSON).
    """

    name: str
    type: FieldType
    label: str
    required: bool = True
    choices: Sequence[tuple[str, str]] = ()
    help_text: str = ""
    person: str = ""
    premises: str = ""
    fields: Sequence[Field] = ()  # sub-fields of a RECORDS field
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    column: str = ""
    # Hand-written error messages by kind ("required", "invalid", "max_length",
    # "min_value", "max_value", "invalid_choice", "past"); see ``message``. A date names
    # itself for GOV.UK's date messages under "date" ("Date of birth must include a month").
    errors: tuple[tuple[str, str], ...] = ()
    # A question that applies only under another question's answer: (that question's
    # name, the answers that reveal it). Otherwise it is neither required nor stored.
    when: tuple[str, tuple[str, ...]] | None = None
    # A date that cannot be after today (a date of birth, when something happened).
    not_future: bool = False
    # The intake page the question is on (``Workflow.pages``); "" is the first page.
    page: str = ""
    # A records field: what one record is called on the page ("incident").
    item_label: str = ""

    def message(self, kind: str, **values: Any) -> str:
        """The field's own message for an error of ``kind``, else its type's plain one.

        Never made from the label: a label is often a question ("Police informed?")
        and "Enter police informed?" reads as nonsense.
        """
        own = dict(self.errors)
        if kind in own:
            return own[kind].format(**values)
        if self.type in (FieldType.DATE, FieldType.DATETIME) and kind in DATE_MESSAGES:
            return DATE_MESSAGES[kind].format(date=own.get("date", "The date"), **values)
        if kind == "required":
            return REQUIRED_MESSAGES[self.type]
        return DEFAULT_MESSAGES[kind].format(**values)

    def messages(self) -> dict[str, str]:
        """Every message this field can give, by kind (for the error-message test)."""
        kinds = ["required"]
        if self.type in (FieldType.STRING, FieldType.TEXT):
            kinds.append("max_length")
        if self.type is FieldType.INTEGER:
            kinds += ["invalid", "min_value", "max_value"]
        if self.type in (FieldType.CHOICE, FieldType.MULTICHOICE):
            kinds.append("invalid_choice")
        if self.type in (FieldType.DATE, FieldType.DATETIME):
            kinds += ["invalid", "day", "month", "year", "year_digits", "range"]
            if self.type is FieldType.DATETIME:
                kinds += ["time"]
            if self.not_future:
                kinds.append("past")
        values = {
            "limit": self.length_limit,
            "min_value": self.min_value if self.min_value is not None else 0,
            "max_value": self.max_value if self.max_value is not None else 1_000_000,
        }
        return {kind: self.message(kind, **values) for kind in kinds}

    @property
    def length_limit(self) -> int | None:
        """The most characters the form accepts (string and text inputs)."""
        if self.max_length is not None:
            return self.max_length
        if self.type is FieldType.STRING:
            return STRING_MAX_LENGTH
        if self.type is FieldType.TEXT:
            return TEXT_MAX_LENGTH
        return None

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": str(self.type),
            "required": self.required,
        }
        if self.type in (FieldType.CHOICE, FieldType.MULTICHOICE):
            data["choices"] = [{"value": v, "label": lbl} for v, lbl in self.choices]
        if self.type is FieldType.RECORDS:
            data["fields"] = [f.as_api() for f in self.fields]
        if self.help_text:
            data["help_text"] = self.help_text
        if self.when is not None:
            data["required_when"] = {"field": self.when[0], "values": list(self.when[1])}
        return data


REQUIRED_MESSAGES = {
    FieldType.STRING: "Enter an answer to this question",
    FieldType.TEXT: "Enter an answer to this question",
    FieldType.BOOLEAN: "Select yes or no",
    FieldType.DATE: "Enter the date",
    FieldType.DATETIME: "Enter the date and time",
    FieldType.INTEGER: "Enter a number",
    FieldType.CHOICE: "Select an answer",
    FieldType.MULTICHOICE: "Select at least one answer",
    FieldType.RECORDS: "Add at least one",
}
DEFAULT_MESSAGES = {
    "max_length": "This answer must be {limit} characters or fewer",
    "invalid": "Enter a whole number, like 12",
    "min_value": "Enter a number that is {min_value} or more",
    "max_value": "Enter a number that is {max_value} or less",
    "invalid_choice": "Select one of the answers shown",
}
# GOV.UK's messages for a date input ("Date of birth must include a month").
DATE_MESSAGES = {
    "invalid": "{date} must be a real date",
    "day": "{date} must include a day",
    "month": "{date} must include a month",
    "year": "{date} must include a year",
    "year_digits": "{date} must include a year with 4 numbers",
    "range": "{date} must be between 1900 and 2100",
    "past": "{date} must be today or in the past",
    "time": "{date} must include a time, like 14 and 30",
}


def msgs(**kinds: str) -> tuple[tuple[str, str], ...]:
    """A field's hand-written error messages: ``errors=msgs(required="Enter ...")``."""
    return tuple(kinds.items())


@dataclasses.dataclass(frozen=True)
class OneOf:
    """Either-or answers: at least one of ``fields`` must be given (a date of birth or an
    age). Shown on the page as one question with ``hint``; enforced with ``message``."""

    fields: tuple[str, ...]
    label: str
    hint: str
    message: str

    def as_api(self) -> dict[str, Any]:
        return {"fields": list(self.fields), "message": self.message}


@dataclasses.dataclass(frozen=True)
class Page:
    """One short page of an intake: its slug (``Field.page``) and its heading."""

    slug: str
    title: str
    # The summary of the concern is asked on this page.
    with_summary: bool = False


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MONTHS = "months"


RAISE = "raise"  # the pseudo-transition that starts clocks at intake


class ClockKind(StrEnum):
    """A task (the council must do something by then) or a period (a protection or a
    window someone else holds). See ``workflows.models.DeadlineKind`` and docs/clocks.md."""

    TASK = "task"
    PERIOD = "period"


@dataclasses.dataclass(frozen=True)
class DeadlineRule:
    """A clock: started by an event, stopped by others (RULES.md §0.3, docs/clocks.md).

    **Start event**: the transition ``starts_on`` (or ``RAISE``), at the time its
    ``starts_at_field`` input holds (the date of the strategy discussion, of the
    decision, of exit) or, when the rule names none, the starting step's declared
    ``event_field``; only a step with no such field starts its clocks when it is
    recorded. A ``starts_at_field`` the step lacks is read from what the case recorded
    earlier (e.g. an extended closure notice counts from the notice's issue).
    **Stop event**: any transition in ``met_by``, at its own ``event_field`` (a hearing
    held in time but recorded late is met on time); ``cancelled_by`` transitions and
    closing the case stop it without meeting it.

    ``kind``: a TASK is reminded, escalated and overdue when late; a PERIOD (minimum
    recovery period, appeal windows, a closure order's length) is shown with its start,
    end and ``period_effect``, reaches its end quietly and is never missed.
    ``kind_reason`` says why the rule is one or the other.

    ``statutory`` rules come from statute or statutory guidance and cannot be overridden
    per deployment; local ones can (``workflows.models.TimescaleOverride``).
    An ``hours`` clock may disregard Christmas Day, as the ASB closure-power clocks must
    (ASBCPA 2014 s77(3), s80(4)); others run continuously.
    ``repeatable`` clocks open again each time their starting transition happens.
    ``due_at_field`` names an input holding the date the clock is due (e.g. the
    reassessment date a Channel panel sets); without it the duration applies.
    """

    name: str
    label: str
    starts_on: str
    duration: int
    unit: Unit
    met_by: Sequence[str]
    statutory: bool
    source: str
    kind: ClockKind
    kind_reason: str
    cancelled_by: Sequence[str] = ()
    repeatable: bool = False
    disregard_christmas_day: bool = False
    starts_at_field: str = ""
    due_at_field: str = ""
    # For a period: what it allows or blocks, shown on the case page.
    period_effect: str = ""

    def __post_init__(self) -> None:
        if self.kind is ClockKind.PERIOD and not self.period_effect:
            raise ValueError(f"period {self.name} must say what it allows or blocks")
        if not self.kind_reason:
            raise ValueError(f"rule {self.name} must say why it is a {self.kind}")

    def as_api(self, duration: int | None = None, starts_at_field: str | None = None) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "kind": str(self.kind),
            "starts_on": self.starts_on,
            "starts_at_field": (starts_at_field or self.starts_at_field) or None,
            "duration": self.duration if duration is None else duration,
            "unit": str(self.unit),
            "met_by": list(self.met_by),
            "cancelled_by": list(self.cancelled_by),
            "statutory": self.statutory,
            "source": self.source,
            "repeatable": self.repeatable,
            "disregard_christmas_day": self.disregard_christmas_day,
            "due_at_field": self.due_at_field or None,
            "period_effect": self.period_effect or None,
        }


Effect = Callable[..., None]


@dataclasses.dataclass(frozen=True)
class SubProcess:
    """A process that runs beside a case's main route without changing its state, e.g.
    the cuckooing closure powers beside the safeguarding route (RULES.md §2.4, issue 15).

    Its state is kept in the case's details under ``field`` (``initial_state`` until its
    first step); its steps are declared with ``step(sub_process=..., sub_source=...,
    sub_target=...)``, may be taken from any of the main states in ``runs_in`` and leave
    the main state as it is (API ``"target": null``). The transition service moves the
    sub-process to the step's ``sub_target``.
    """

    name: str
    label: str
    field: str
    states: type[models.TextChoices]
    initial_state: str
    runs_in: Sequence[str]
    description: str = ""

    def state_of(self, case: Any) -> str:
        return (case.details or {}).get(self.field) or self.initial_state

    def state_label(self, state: str) -> str:
        try:
            return self.states(state).label
        except ValueError:
            return state

    def as_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "field": self.field,
            "initial_state": self.initial_state,
            "states": [{"name": v, "label": lbl} for v, lbl in self.states.choices],
            "runs_in": list(self.runs_in),
        }


def undeclared_code_words(code: str) -> str:
    """An outcome code no step declares (an earlier version's) in plain words:
    "SOME_OLD_CODE" is "Some old code"; free text is written as it is."""
    return code.replace("_", " ").capitalize() if code.isupper() else code


@dataclasses.dataclass
class Workflow:
    """Everything Safecase knows about one case type's process."""

    case_type: str
    label: str
    model: type[models.Model]
    states: type[models.TextChoices]
    initial_state: str
    terminal_states: Sequence[str]
    intake_fields: Sequence[Field]
    deadline_rules: Sequence[DeadlineRule] = ()
    # Run by the transition service after the named transition, inside its transaction,
    # to create related records (e.g. the anonymous Duty to Notify notification).
    effects: dict[str, Effect] = dataclasses.field(default_factory=dict)
    # Cross-field intake rules, e.g. "a date of birth or an estimated age"; raises
    # ValidationError with field errors.
    intake_check: Callable[[dict[str, Any]], None] | None = None
    description: str = ""
    # One plain sentence saying when a raiser should choose this type (the "choose a
    # type of concern" page).
    choose_when: str = ""
    # The intake field holding when the concern or application was received, if the
    # type asks for one (clocks that start on RAISE run from it; RULES.md §5.4).
    intake_event_field: str = ""
    # The only steps out of a terminal state: each reopens the case for a right someone
    # holds after closure (the Community Trigger applicant's escalation), and takes a
    # recorded reason. Every other terminal state is final.
    reopened_by: Sequence[str] = ()
    # Processes running beside the main route (``SubProcess``), e.g. closure powers.
    sub_processes: Sequence[SubProcess] = ()
    # Either-or requirements of intake (``OneOf``), published as ``required_one_of``.
    required_one_of: Sequence[OneOf] = ()
    # The short pages intake is split into, in order; fields name theirs (``Field.page``).
    pages: Sequence[Page] = ()
    # The intake yes/no question asking whether someone is at immediate risk or in
    # immediate danger (issue 19): "Yes" sets ``Case.immediate_risk``, which puts the
    # case first in the triage queue, tells the team's leads at once and shows the raiser
    # what to do now. Empty for a type that asks none.
    urgency_field: str = ""

    def is_urgent(self, values: dict[str, Any]) -> bool:
        """Whether intake ``values`` answer the type's urgency question "Yes"."""
        return bool(self.urgency_field) and values.get(self.urgency_field) is True

    def transitions(self) -> list[Any]:
        """django-fsm Transition objects of this workflow, one per (name, source).

        Listed once: they are declared with the model's methods and never change, and
        listing them walks every method of the model. The raiser's status of a closed
        case looked each step's outcome labels up through ``transition_meta``, listing
        them again for every step: 13,400 of the 31,200 Python calls of a frontline
        worker's home page (docs/performance.md)."""
        cached = self.__dict__.get("_transitions")
        if cached is None:
            field = self.model._meta.get_field("state")
            cached = self.__dict__["_transitions"] = tuple(field.get_all_transitions(self.model))
        return list(cached)

    def transition_names(self) -> list[str]:
        return list(self._meta_by_name())

    def transition_meta(self, name: str) -> dict[str, Any]:
        """The ``custom`` declaration (label, fields, permission name) of a transition."""
        return self._meta_by_name()[name]

    def _meta_by_name(self) -> dict[str, dict[str, Any]]:
        """Each transition's name and declaration, in declaration order (the first of a
        name declared from several sources, as ``transition_meta`` always gave)."""
        cached = self.__dict__.get("_meta_by_name_cache")
        if cached is None:
            cached = {}
            for t in self.transitions():
                cached.setdefault(t.name, t.custom)
            self.__dict__["_meta_by_name_cache"] = cached
        return cached

    def state_label(self, state: str) -> str:
        try:
            return self.states(state).label
        except ValueError:
            return state

    def outcome_words(self, code: str) -> str:
        """A closed case's outcome code in words: the label of the closing step's
        ``outcome_code`` choice, or the ``outcome_words`` its step declares with its
        ``outcome`` (workflows/steps.py). A code no step of this type declares (from an
        earlier version, or free text) is written as it is, an upper-case code in plain
        words. Until 7 December 2026 declared codes were too: the case statistics and the
        committee pack said "Nrm rg negative" and "Nfa at triage"."""
        words = self.__dict__.get("_outcome_words")
        if words is None:
            words = {}
            for meta in self._meta_by_name().values():
                if meta.get("outcome"):
                    words.setdefault(meta["outcome"], meta.get("outcome_words") or "")
                for spec in meta.get("fields", ()):
                    if getattr(spec, "name", "") == "outcome_code":
                        for value, label in spec.choices or ():
                            words.setdefault(str(value), str(label))
            self.__dict__["_outcome_words"] = words
        return words.get(code) or undeclared_code_words(code)

    def rules_starting_on(self, transition: str) -> list[DeadlineRule]:
        return [r for r in self.deadline_rules if r.starts_on == transition]

    def rule(self, name: str) -> DeadlineRule:
        for r in self.deadline_rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def event_field(self, transition: str) -> str:
        """The input of a step (or of intake) that holds when its event happened, or ""
        when the step has none and its time is when it was recorded."""
        if transition == RAISE:
            return self.intake_event_field
        return self.transition_meta(transition).get("event_field", "")

    def start_field(self, rule: DeadlineRule) -> str:
        """The input a rule's clock starts from: its own ``starts_at_field`` or the
        starting step's event field ("" = the time the step was recorded)."""
        return rule.starts_at_field or self.event_field(rule.starts_on)


class WorkflowCaseMixin:
    """Helpers for the transition methods of a case-type proxy model."""

    def record(self, data: dict[str, Any]) -> None:
        """Keep a transition's inputs in the case's details (the only field it sets)."""
        self.details = {**self.details, **data}


GENDER_CHOICES = (
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
    ("unknown", "Not known"),
)


def person_fields(
    role: str,
    *,
    label: str,
    whose: str = "the person's",
    contact: bool = True,
    names_required: bool = False,
    page: str = "",
    when: tuple[str, tuple[str, ...]] | None = None,
) -> list[Field]:
    """Intake fields for a person linked to the case in ``role`` (prefix ``<role>_``).

    ``whose`` names the person in the error messages ("Enter the child's given names"):
    the messages are written out here, not made from the labels."""
    whose_cap = whose[0].upper() + whose[1:]
    common = {"page": page, "when": when}
    fields = [
        Field(
            f"{role}_given_names",
            FieldType.STRING,
            f"{label}: given names",
            required=names_required,
            person=f"{role}.given_names",
            max_length=200,
            errors=(
                ("required", f"Enter {whose} given names"),
                ("max_length", f"{whose_cap} given names must be 200 characters or fewer"),
            ),
            **common,
        ),
        Field(
            f"{role}_family_name",
            FieldType.STRING,
            f"{label}: family name",
            required=names_required,
            person=f"{role}.family_name",
            max_length=200,
            errors=(
                ("required", f"Enter {whose} family name"),
                ("max_length", f"{whose_cap} family name must be 200 characters or fewer"),
            ),
            **common,
        ),
        Field(
            f"{role}_aliases",
            FieldType.STRING,
            f"{label}: other names or nicknames",
            required=False,
            person=f"{role}.aliases",
            errors=(
                ("required", f"Enter {whose} other names or nicknames"),
                ("max_length", "Other names or nicknames must be 500 characters or fewer"),
            ),
            **common,
        ),
        Field(
            f"{role}_date_of_birth",
            FieldType.DATE,
            f"{label}: date of birth",
            required=False,
            person=f"{role}.date_of_birth",
            not_future=True,
            errors=(
                ("required", f"Enter {whose} date of birth"),
                ("date", "Date of birth"),
                ("past", "Date of birth must be in the past"),
            ),
            **common,
        ),
        Field(
            f"{role}_estimated_age",
            FieldType.INTEGER,
            f"{label}: age, or best estimate",
            required=False,
            person=f"{role}.estimated_age",
            min_value=0,
            max_value=120,
            errors=(
                ("required", f"Enter {whose} age, or your best estimate"),
                ("invalid", "Age must be a whole number of years, like 35"),
                ("min_value", "Age must be 0 or more"),
                ("max_value", "Age must be 120 or less"),
            ),
            **common,
        ),
        Field(
            f"{role}_gender",
            FieldType.CHOICE,
            f"{label}: gender",
            required=False,
            choices=GENDER_CHOICES,
            person=f"{role}.gender",
            errors=(
                ("required", f"Select {whose} gender, or Not known"),
                ("invalid_choice", "Select a gender from the list"),
            ),
            **common,
        ),
    ]
    if contact:
        fields += [
            Field(
                f"{role}_address",
                FieldType.TEXT,
                f"{label}: address",
                required=False,
                person=f"{role}.address",
                errors=(
                    ("required", f"Enter {whose} address"),
                    ("max_length", "The address must be 20000 characters or fewer"),
                ),
                **common,
            ),
            Field(
                f"{role}_phone",
                FieldType.STRING,
                f"{label}: phone",
                required=False,
                person=f"{role}.phone",
                max_length=50,
                errors=(
                    ("required", f"Enter {whose} phone number"),
                    ("max_length", "The phone number must be 50 characters or fewer"),
                ),
                **common,
            ),
            Field(
                f"{role}_email",
                FieldType.STRING,
                f"{label}: email",
                required=False,
                person=f"{role}.email",
                max_length=254,
                errors=(
                    ("required", f"Enter {whose} email address"),
                    ("max_length", "The email address must be 254 characters or fewer"),
                ),
                **common,
            ),
        ]
    return fields


def age_at(values: dict[str, Any], role: str, on: Any) -> int | None:
    """The age of the intake's ``role`` person on date ``on``, from date of birth or estimate."""
    dob = values.get(f"{role}_date_of_birth")
    if dob:
        born = date.fromisoformat(dob) if isinstance(dob, str) else dob
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    estimate = values.get(f"{role}_estimated_age")
    return int(estimate) if estimate is not None else None
