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
        return data


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
    # The intake yes/no question asking whether someone is at immediate risk or in
    # immediate danger (issue 19): "Yes" sets ``Case.immediate_risk``, which puts the
    # case first in the triage queue, tells the team's leads at once and shows the raiser
    # what to do now. Empty for a type that asks none.
    urgency_field: str = ""

    def is_urgent(self, values: dict[str, Any]) -> bool:
        """Whether intake ``values`` answer the type's urgency question "Yes"."""
        return bool(self.urgency_field) and values.get(self.urgency_field) is True

    def transitions(self) -> list[Any]:
        """django-fsm Transition objects of this workflow, one per (name, source)."""
        return list(self.model._meta.get_field("state").get_all_transitions(self.model))

    def transition_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.transitions():
            seen.setdefault(t.name, None)
        return list(seen)

    def transition_meta(self, name: str) -> dict[str, Any]:
        """The ``custom`` declaration (label, fields, permission name) of a transition."""
        for t in self.transitions():
            if t.name == name:
                return t.custom
        raise KeyError(name)

    def state_label(self, state: str) -> str:
        try:
            return self.states(state).label
        except ValueError:
            return state

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
    contact: bool = True,
    names_required: bool = False,
) -> list[Field]:
    """Intake fields for a person linked to the case in ``role`` (prefix ``<role>_``)."""
    fields = [
        Field(
            f"{role}_given_names",
            FieldType.STRING,
            f"{label}: given names",
            required=names_required,
            person=f"{role}.given_names",
            max_length=200,
        ),
        Field(
            f"{role}_family_name",
            FieldType.STRING,
            f"{label}: family name",
            required=names_required,
            person=f"{role}.family_name",
            max_length=200,
        ),
        Field(
            f"{role}_aliases",
            FieldType.STRING,
            f"{label}: other names or nicknames",
            required=False,
            person=f"{role}.aliases",
        ),
        Field(
            f"{role}_date_of_birth",
            FieldType.DATE,
            f"{label}: date of birth",
            required=False,
            person=f"{role}.date_of_birth",
        ),
        Field(
            f"{role}_estimated_age",
            FieldType.INTEGER,
            f"{label}: age, or best estimate",
            required=False,
            person=f"{role}.estimated_age",
            min_value=0,
            max_value=120,
        ),
        Field(
            f"{role}_gender",
            FieldType.CHOICE,
            f"{label}: gender",
            required=False,
            choices=GENDER_CHOICES,
            person=f"{role}.gender",
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
            ),
            Field(
                f"{role}_phone",
                FieldType.STRING,
                f"{label}: phone",
                required=False,
                person=f"{role}.phone",
                max_length=50,
            ),
            Field(
                f"{role}_email",
                FieldType.STRING,
                f"{label}: email",
                required=False,
                person=f"{role}.email",
                max_length=254,
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
