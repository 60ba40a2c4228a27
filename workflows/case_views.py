"""Case pages: a case, its full history, a person.

These pages only read. Cases come through the selectors, so a case the user may not see
is the same 404 as a missing one, and the raiser of a Prevent case sees only that it was
received (``case_is_limited``). The forms that change a case (transitions, pausing and
resuming clocks) are in ``workflows.views`` and write through the workflow services;
notes and attachments are added through ``casework.note_views``. They live in
``workflows`` because showing a case means knowing its workflow; casework knows no case
type (DESIGN.md: dependencies point one way).

The case page runs a fixed number of queries however many notes, attachments, clocks and
events the case has: each list is one query, bounded, and what the history refers to
(notes, attachments, people named in allocations and grants) is fetched at once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework.audit import READ_VERBS, AuditVerb, user_display_names, verb_label
from casework.dates import date_words, datetime_words
from casework.matching import possible_matches_for_user, premises_cases_for_user
from casework.models import (
    AuditEvent,
    Case,
    CaseAttachment,
    CaseNote,
    CasePerson,
    Person,
    Premises,
)
from casework.notes import (
    case_attachments_first_for_user,
    case_may_add_to,
    case_notes_first_for_user,
    size_words,
)
from casework.permissions import lead_may
from casework.reads import case_list_read_note, person_read_note
from casework.roles import Role, roles_of
from casework.selectors import (
    CaseAccess,
    case_access_for_user,
    case_get_for_user,
    case_is_limited,
    case_is_raiser_only,
    case_links_for_user,
    id_array,
    in_id_array,
    person_shown_for_user,
)
from casework.services import person_may_edit
from casework.statements import compiled_objects
from workflows import calendar
from workflows.clocks import bank_holidays, paused_words
from workflows.definitions import Field, FieldType, Unit, Workflow
from workflows.intake import answer_lines
from workflows.list_views import case_row
from workflows.models import TASK_RUNNING, Deadline, DeadlineStatus
from workflows.raiser import raiser_context
from workflows.registry import FIRST_TYPE, get_workflow, workflow_label
from workflows.selectors import (
    available_transitions,
    case_clocks_of,
    case_people_of,
    rows_of_case,
)

PAGE_SIZE = 25
# How much of each list the case page shows; the rest is in the full history.
HISTORY_ON_PAGE = 50
NOTES_ON_PAGE = 10
ATTACHMENTS_ON_PAGE = 20
HISTORY_PAGE_SIZE = 50


def _user_name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _humanise(name: str) -> str:
    text = name.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


# The case page ---------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    label: str
    lines: list[str]


@dataclasses.dataclass
class PersonRow:
    link: CasePerson
    name: str
    born: str


@dataclasses.dataclass
class DeadlineRow:
    deadline: Deadline
    due: str
    left: str
    overdue: bool
    tag: str
    status: str
    started: str = ""
    # A period: what it allows or blocks (its rule's ``period_effect``).
    effect: str = ""


@dataclasses.dataclass
class EventRow:
    event: AuditEvent
    title: str
    actor: str
    change: str = ""
    note: str = ""
    attachment: CaseAttachment | None = None


@dataclasses.dataclass
class Action:
    name: str
    label: str
    url: str
    # How its button looks: the one next step "primary" (green), other steps
    # "secondary", steps that close or withdraw the case "warning".
    kind: str = "secondary"


# One format everywhere staff read a date (casework.dates, issue 19).
_date_words = date_words
_datetime_words = datetime_words


@dataclasses.dataclass(frozen=True)
class Declared:
    """What the declarations of a details key agree on: its label, and the field to read
    its value by (choice labels, dates in words). Two steps may declare one name with
    different labels (``rationale``, say) or choices; then the key's own wording, or the
    plain value, is shown rather than words that may be wrong."""

    label: str | None
    spec: Field | None
    # Every choice any declaration of the key offers, by value: a choice's words even
    # where the declarations differ.
    choices: tuple[tuple[str, str], ...] = ()
    # Where the key comes in the declarations: intake's questions in the form's order,
    # then each step's, so the Details list reads in the order it was asked.
    order: int = 0


@cache
def _declared(case_type: str) -> dict[str, Declared]:
    workflow = get_workflow(case_type)
    specs = [*workflow.intake_fields]
    for transition in workflow.transitions():
        specs.extend(transition.custom.get("fields", ()))
    if case_type != FIRST_TYPE:  # the answers of the general concern it may have begun as
        names = {spec.name for spec in specs}
        first = get_workflow(FIRST_TYPE).intake_fields
        specs.extend(spec for spec in first if spec.name not in names)
    found: dict[str, list[Field]] = {}
    for spec in specs:
        found.setdefault(spec.name, []).append(spec)
    asked = {spec.name: spec.label for spec in workflow.intake_fields}
    return {
        name: Declared(
            # Intake's question names an answer it gave, whatever a later step calls it.
            label=asked.get(name) or (same[0].label if len({s.label for s in same}) == 1 else None),
            spec=same[0] if len({(s.type, tuple(s.choices)) for s in same}) == 1 else None,
            choices=tuple((str(v), str(w)) for s in same for v, w in s.choices),
            order=order,
        )
        for order, (name, same) in enumerate(found.items())
    }


def _details_in_order(case_type: str, details: dict[str, Any]) -> list[tuple[str, Any]]:
    """The case's details in the order their questions are asked: intake's first, as the
    form declares them, then the steps'; anything no declaration names comes last."""
    declared = _declared(case_type)
    last = len(declared)

    def place(item: tuple[str, Any]) -> tuple[int, str]:
        key = item[0]
        if key in RECORD_LISTS:
            return (last + 1, key)
        found = declared.get(key)
        return (found.order if found is not None else last, key)

    return sorted(details.items(), key=place)


def _choice_words(declared: Declared, value: Any) -> str | None:
    """A stored choice by its words, from whichever declaration offers it."""
    if isinstance(value, str) and value:
        return dict(declared.choices).get(value)
    return None


def outcome_words(case_type: str, code: str) -> str:
    """A case's outcome in words, as its type's steps declare them
    (``Workflow.outcome_words``)."""
    if not code:
        return "None"
    return get_workflow(case_type).outcome_words(code)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "None"
    if isinstance(value, dict):
        return "; ".join(f"{_humanise(str(k))}: {_plain(v)}" for k, v in value.items())
    return "Not given" if value in (None, "") else str(value)


# The lists of records a step appends to (disclosures, reopenings, the closure order's
# reviews and variations: issue 15), with the keys of their records no step declares.
RECORD_LISTS = {
    "disclosures": "Disclosures (lawful basis of each)",
    "reopenings": "Reopenings",
    "order_reviews": "Reviews of the closure order",
    "order_variations": "Variations of the closure order",
}
RECORD_KEYS = {
    "step": "Step",
    "authorised_by": "Authorised by",
    "authorised_at": "Authorised",
    "reopened_on": "Reopened on",
    "reason": "Reason",
    "closed_with": "Outcome it was closed with",
    "closed_at": "Closed",
    "by": "By",
}


def _record_value(case_type: str, key: str, value: Any) -> str:
    """One value of a listed record in words: a step's label, a date or time as the rest
    of the page writes it, or the declared field's words."""
    if key == "step":
        try:
            return get_workflow(case_type).transition_meta(str(value))["label"]
        except KeyError:
            return _plain(value)
    if key in RECORD_KEYS and isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return _datetime_words(moment) if "T" in value else _date_words(moment.date())
    spec = _declared(case_type).get(key, Declared(None, None)).spec
    if spec is not None and value not in (None, ""):
        try:
            return ", ".join(answer_lines(spec, value))
        except (TypeError, ValueError, KeyError):
            pass
    return _plain(value)


def _record_words(case_type: str, record: Any) -> str:
    """A record of a list as "Label: words; ...", its empty answers left out."""
    if not isinstance(record, dict):
        return _plain(record)
    parts = []
    for key, value in record.items():
        if value in (None, ""):
            continue
        declared = _declared(case_type).get(key, Declared(None, None))
        label = RECORD_KEYS.get(key) or declared.label or _humanise(key)
        parts.append(f"{label}: {_record_value(case_type, key, value)}")
    return "; ".join(parts) or "Nothing recorded"


# Details a step records without asking (its effect, not an input): their names and
# values in words, where no declaration gives them.
DETAIL_LABELS = {
    "rg_decision": "Reasonable grounds decision",
    "cg_decision": "Conclusive grounds decision",
    "mash_decision": "MASH decision",
    "gateway_outcome": "Outcome of the gateway assessment",
    "panel_decision": "Channel panel decision",
    "enquiry_type": "Type of enquiry",
    "threshold_basis": "How the threshold was met",
    "closure_ended": "How the closure ended",
    "order_ended": "How the closure order ended",
    "consent_given_by": "Consent given by",
    "assessment_status": "Assessment",
    "criminal_proceedings": "Criminal proceedings",
    "notification_route": "How the Home Office was told",
    "decision": "Decision",
}
DETAIL_WORDS = {
    "nfa": "No further action",
    "nfa_advice": "No further action, advice given",
    "s17_assessment": "Child in need assessment (section 17)",
    "s42": "Statutory enquiry (section 42)",
    "nrm": "Referral into the National Referral Mechanism",
    "dtn_anonymous": "Anonymous Duty to Notify",
    "not_required_child": "Not needed: a child",
    "parent_guardian": "A parent or guardian",
    "the_person": "The person themselves",
    "referred_to_channel": "Referred to Channel",
    "police_led": "Police led",
}


def _code_words(value: Any) -> str:
    """An undeclared stored code in words ("not_adopted" is "Not adopted")."""
    if isinstance(value, str) and value and value == value.lower() and " " not in value:
        words = DETAIL_WORDS.get(value) or value.replace("_", " ")
        return words[:1].upper() + words[1:]
    return _plain(value)


def _detail_row(case_type: str, name: str, value: Any) -> Row:
    """A details entry in words: its field's label and choice labels, Yes/No, lists joined."""
    if name in RECORD_LISTS and isinstance(value, list):
        lines = [_record_words(case_type, record) for record in value]
        return Row(RECORD_LISTS[name], lines or ["None"])
    declared = _declared(case_type).get(name, Declared(None, None))
    label = declared.label or DETAIL_LABELS.get(name) or _humanise(name)
    spec = declared.spec
    if spec is None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            words = [_choice_words(declared, v) or v for v in value]
            return Row(label, [", ".join(words) or "None"])
        if declared.choices or name in DETAIL_LABELS:
            return Row(label, [_choice_words(declared, value) or _code_words(value)])
        return Row(label, [_plain(value)])
    try:
        lines = answer_lines(spec, value)
    except (TypeError, ValueError, KeyError):
        lines = [_plain(value)]
    if spec.type is FieldType.MULTICHOICE:
        lines = [", ".join(lines)]
    return Row(label, lines)


def _premises_words(workflow: Workflow, column: str, premises: Premises | None) -> str:
    """A premises column in words: the choice label intake offered for it (a tenure of
    "council" is "Council"), else the value as stored."""
    value = getattr(premises, column, "") if premises is not None else ""
    if not value:
        return "Not given"
    for spec in workflow.intake_fields:
        if spec.premises == column and spec.choices:
            return dict(spec.choices).get(value, value)
    return str(value)


def _born(person: Person) -> str:
    if person.date_of_birth:
        return _date_words(person.date_of_birth)
    if person.estimated_age is not None:
        return f"Not known; estimated age {person.estimated_age}"
    return "Not known"


def _person_row(link: CasePerson) -> PersonRow:
    person = link.person
    return PersonRow(link=link, name=person.full_name or "Name not known", born=_born(person))


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _working_days_left(deadline: Deadline, now: datetime, holidays: set[date]) -> tuple[str, bool]:
    """A working-day clock in working days (RULES.md §0.3): weekends and bank holidays
    are not counted, either way."""
    today = timezone.localtime(now).date()
    due_day = timezone.localtime(deadline.due_at).date()
    if deadline.due_at < now:
        late = calendar.working_days_between(deadline.due_at, now, holidays)
        if late == 0:
            return f"Overdue since {_date_words(due_day)}", True
        return f"Overdue by {_plural(late, 'working day')}", True
    if due_day == today:
        return "Due today", False
    left = calendar.working_days_between(now, deadline.due_at, holidays)
    return f"{_plural(left, 'working day')} left", False


def _time_left(deadline: Deadline, now: datetime, holidays: set[date]) -> tuple[str, bool]:
    """How long an open clock has left, or how overdue it is: working days for a
    working-day clock, hours for an hours clock, otherwise days between today and the
    day it is due."""
    if deadline.unit == Unit.WORKING_DAYS:
        return _working_days_left(deadline, now, holidays)
    if deadline.unit == Unit.HOURS:
        hours = math.ceil((deadline.due_at - now).total_seconds() / 3600)
        if hours > 0:
            return f"{_plural(hours, 'hour')} left", False
        return f"Overdue by {_plural(max(-hours, 1), 'hour')}", True
    days = (timezone.localtime(deadline.due_at).date() - timezone.localtime(now).date()).days
    if days > 0:
        return f"{_plural(days, 'day')} left", False
    if days == 0:
        return "Due today", deadline.due_at < now
    return f"Overdue by {_plural(-days, 'day')}", True


_STATUS_TAGS = {
    DeadlineStatus.OPEN: "govuk-tag--blue",
    DeadlineStatus.MET: "govuk-tag--green",
    DeadlineStatus.MISSED: "govuk-tag--red",
    DeadlineStatus.PAUSED: "govuk-tag--yellow",
    DeadlineStatus.CANCELLED: "govuk-tag--grey",
    DeadlineStatus.ENDED: "govuk-tag--grey",
}


def _due_words(deadline: Deadline) -> str:
    if deadline.unit == Unit.HOURS:
        return _datetime_words(deadline.due_at)
    return _date_words(deadline.due_at)


def _late_words(deadline: Deadline, met_at: datetime, holidays: set[date]) -> str:
    """How late a task was met, in its own unit: "3 working days", "5 hours", "2 days"."""
    if deadline.unit == Unit.WORKING_DAYS:
        late = calendar.working_days_between(deadline.due_at, met_at, holidays)
        return _plural(late, "working day") if late else "less than a working day"
    if deadline.unit == Unit.HOURS:
        hours = math.ceil((met_at - deadline.due_at).total_seconds() / 3600)
        return _plural(max(hours, 1), "hour")
    days = (timezone.localtime(met_at).date() - timezone.localtime(deadline.due_at).date()).days
    return _plural(days, "day") if days else "less than a day"


def _task_row(deadline: Deadline, now: datetime, holidays: set[date]) -> DeadlineRow:
    """A task: overdue from its due time until it is met or cancelled, whatever the
    sweep marked (``Deadline.is_overdue``); met on time, or late by how much."""
    left, overdue, status = "", False, deadline.get_status_display()
    if deadline.is_overdue(now):
        left, overdue = _time_left(deadline, now, holidays)
        overdue, status = True, "Overdue"
    elif deadline.status == DeadlineStatus.OPEN:
        left, overdue = _time_left(deadline, now, holidays)
    elif deadline.status == DeadlineStatus.PAUSED and deadline.paused_at:
        left = f"Paused on {_date_words(deadline.paused_at)}"
    elif deadline.met_at and deadline.met_late_by:
        status = "Met late"
        late = _late_words(deadline, deadline.met_at, holidays)
        left = f"Met late by {late}, on {_date_words(deadline.met_at)}"
    elif deadline.met_at:
        status = "Met"
        left = f"Met on {_date_words(deadline.met_at)}"
    if overdue:
        tag = "govuk-tag--red"
    elif status == "Met late":
        tag = "govuk-tag--orange"
    else:
        tag = _STATUS_TAGS.get(deadline.status, "govuk-tag--grey")
    # A paused clock has no due date until it is resumed: only the time it keeps.
    paused = deadline.status == DeadlineStatus.PAUSED
    due = paused_words(deadline) if paused else _due_words(deadline)
    return DeadlineRow(deadline, due=due, left=left, overdue=overdue, tag=tag, status=status)


def _period_row(deadline: Deadline, now: datetime, effect: str) -> DeadlineRow:
    """A period (a protection or window someone else holds): its start, its end and
    what it allows or blocks; running or ended, never overdue."""
    status, tag, left = deadline.get_status_display(), _STATUS_TAGS[DeadlineStatus.OPEN], ""
    ended = deadline.status == DeadlineStatus.ENDED or (
        deadline.status == DeadlineStatus.OPEN and deadline.due_at <= now
    )
    if ended:
        status, tag = "Ended", _STATUS_TAGS[DeadlineStatus.ENDED]
        left = f"Ended on {_date_words(deadline.closed_at or deadline.due_at)}"
    elif deadline.status == DeadlineStatus.OPEN:
        status = "Running"
        days = (timezone.localtime(deadline.due_at).date() - timezone.localtime(now).date()).days
        left = "Ends today" if days <= 0 else f"{_plural(days, 'day')} left"
    elif deadline.status == DeadlineStatus.PAUSED and deadline.paused_at:
        tag = _STATUS_TAGS[DeadlineStatus.PAUSED]
        left = f"Paused on {_date_words(deadline.paused_at)}"
    else:
        tag = _STATUS_TAGS.get(deadline.status, "govuk-tag--grey")
        if deadline.closed_at:
            left = f"Ended early on {_date_words(deadline.closed_at)}"
    due = _due_words(deadline)
    return DeadlineRow(
        deadline, due=due, left=left, overdue=False, tag=tag, status=status, effect=effect
    )


def _period_effect(workflow: Workflow | None, rule: str) -> str:
    """What a period allows or blocks, from its workflow rule; "" for a rule the
    workflow does not declare (e.g. a partner's response clock)."""
    if workflow is None:
        return ""
    try:
        return workflow.rule(rule).period_effect
    except KeyError:
        return ""


def _deadline_row(
    deadline: Deadline, now: datetime, holidays: set[date], workflow: Workflow | None = None
) -> DeadlineRow:
    if deadline.is_period:
        row = _period_row(deadline, now, _period_effect(workflow, deadline.rule))
    else:
        row = _task_row(deadline, now, holidays)
    row.started = _date_words(deadline.started_at)
    return row


def _needs_holidays(deadline: Deadline) -> bool:
    """A working-day task still running, or met late (counted in working days)."""
    return (
        deadline.unit == Unit.WORKING_DAYS
        and not deadline.is_period
        and (deadline.status in TASK_RUNNING or deadline.met_late_by is not None)
    )


def _deadline_rows(case: Case, now: datetime) -> list[DeadlineRow]:
    """The case's clocks, soonest first; bank holidays are read once, and only when a
    working-day task is running or was met late."""
    deadlines = case_clocks_of(case)
    holidays = bank_holidays(now) if any(_needs_holidays(d) for d in deadlines) else set()
    try:
        workflow = get_workflow(case.case_type)
    except KeyError:
        workflow = None
    return [_deadline_row(d, now, holidays, workflow) for d in deadlines]


def _transition_label(workflow: Workflow, name: str) -> str:
    """The step's label, or the label of the general concern's step the case began with."""
    return workflow_label(workflow.case_type, "transition", name) or _humanise(name)


def _rule_label(workflow: Workflow, name: str) -> str:
    try:
        return workflow.rule(name).label
    except KeyError:
        return _humanise(name)


@dataclasses.dataclass
class Referred:
    """What history events refer to by id, fetched once for a page of events."""

    notes: dict[int, CaseNote]
    attachments: dict[int, CaseAttachment]
    users: dict[int, str]


_USER_KEYS = ("from_owner", "to_owner", "user")


def _ids(events: Iterable[AuditEvent], keys: Sequence[str]) -> set[int]:
    return {
        e.data[k]
        for e in events
        if isinstance(e.data, dict)
        for k in keys
        if isinstance(e.data.get(k), int)
    }


def _referred(case: Case, events: list[AuditEvent]) -> Referred:
    """The notes, attachments and people a page of events names: at most three queries
    whatever the number of events."""
    notes = _ids((e for e in events if e.verb == AuditVerb.NOTE_ADDED), ["note"])
    files = _ids((e for e in events if e.verb == AuditVerb.ATTACHMENT_ADDED), ["attachment"])
    users = _ids(events, _USER_KEYS)
    return Referred(
        notes=_of_case(CaseNote, case, notes),
        attachments=_of_case(CaseAttachment, case, files),
        users=user_display_names(users),
    )


def _of_case(model: type[Any], case: Case, ids: set[int]) -> dict[int, Any]:
    """The case's rows of ``model`` with these ids, by a statement compiled once."""
    if not ids:
        return {}

    def build(case_id: int, every: str) -> QuerySet[Any]:
        return model.objects.filter(in_id_array("pk", every), case_id=case_id)

    rows = compiled_objects(("referred", model), build, (case.pk, id_array(sorted(ids))))
    return {row.pk: row for row in rows}


def _clock_words(workflow: Workflow, row: EventRow, data: dict[str, Any]) -> None:
    rule = _rule_label(workflow, str(data.get("rule", "")))
    if row.event.verb == AuditVerb.DEADLINE_PAUSED:
        row.title, row.note = f"Clock paused: {rule}", str(data.get("reason", ""))
    elif row.event.verb == AuditVerb.DEADLINE_RESUMED:
        row.title = f"Clock resumed: {rule}"
    else:
        row.title = f"{row.title}: {rule}"


_CLOCK_VERBS = {
    AuditVerb.DEADLINE_PAUSED,
    AuditVerb.DEADLINE_RESUMED,
    AuditVerb.DEADLINE_REMINDED,
    AuditVerb.DEADLINE_ESCALATED,
}


def _people_words(row: EventRow, data: dict[str, Any], referred: Referred) -> None:
    if row.event.verb == AuditVerb.CASE_ALLOCATED:
        row.change = f"Allocated to {referred.users.get(data.get('to_owner'), 'someone')}"
        return
    who = referred.users.get(data.get("user"), "someone")
    granted = row.event.verb == AuditVerb.ACCESS_GRANTED
    row.change = f"{who} {'can now' if granted else 'can no longer'} read this case"


_PEOPLE_VERBS = {AuditVerb.CASE_ALLOCATED, AuditVerb.ACCESS_GRANTED, AuditVerb.ACCESS_REVOKED}


def _event_row(workflow: Workflow, event: AuditEvent, referred: Referred) -> EventRow:
    """An audit event in words: what happened, and the states for a transition, the note
    for a note, the file for an attachment, who for an allocation or a grant."""
    data = event.data if isinstance(event.data, dict) else {}
    row = EventRow(event=event, title=verb_label(event.verb), actor=_user_name(event.actor))
    verb = event.verb
    if verb == AuditVerb.CASE_TRANSITIONED:
        row.title = _transition_label(workflow, str(data.get("transition", "")))
        before, after = data.get("from"), data.get("to")
        if before and after and before != after:
            row.change = f"{workflow.state_label(before)} → {workflow.state_label(after)}"
    elif verb == AuditVerb.CASE_UPDATED and data.get("from_case_type"):
        # A general concern given its type (workflows.unclassified).
        row.title = "Type of concern chosen"
        before, after = data.get("before") or {}, data.get("after") or {}
        row.change = f"{before.get('type')} → {after.get('type')}"
    elif verb in _CLOCK_VERBS:
        _clock_words(workflow, row, data)
    elif verb == AuditVerb.NOTE_ADDED:
        note = referred.notes.get(data.get("note"))
        row.note = note.text if note is not None else ""
    elif verb == AuditVerb.ATTACHMENT_ADDED:
        row.attachment = referred.attachments.get(data.get("attachment"))
    elif verb in _PEOPLE_VERBS:
        _people_words(row, data, referred)
    elif verb == AuditVerb.CASE_UPDATED:
        changed = ", ".join(_humanise(k) for k in (data.get("after") or {}))
        row.change = f"Changed: {changed}" if changed else ""
    return row


def _event_rows(case: Case, workflow: Workflow, events: Sequence[AuditEvent]) -> list[EventRow]:
    events = list(events)
    referred = _referred(case, events)
    return [_event_row(workflow, event, referred) for event in events]


def _changes(events: Any) -> Any:
    """Of ``events``, the changes, not reads, newest first, each with its actor."""
    return events.exclude(verb__in=READ_VERBS).select_related("actor").order_by("-id")


def _history(case: Case) -> Any:
    """The case's history for its readers: changes, not reads, newest first."""
    return _changes(case.audit_events)


def _first_events(case_id: int) -> Any:
    """The first page of ``_history`` and one more (to tell whether there are more)."""
    return _changes(AuditEvent.objects.filter(case_id=case_id))[: HISTORY_ON_PAGE + 1]


def _summary_rows(case: Case, workflow: Workflow) -> list[Row]:
    return [
        Row("Reference", [case.reference]),
        Row("Type of concern", [workflow.label]),
        Row("State", [workflow.state_label(case.state)]),
        Row("Team", [case.team.name]),
        Row("Allocated to", [_user_name(case.owner) or "Not allocated"]),
        Row("Raised by", [_user_name(case.raised_by)]),
        Row("Raised", [_datetime_words(case.raised_at)]),
        Row("Closed", [_datetime_words(case.closed_at) if case.closed_at else "Open"]),
        Row("Outcome", [outcome_words(case.case_type, case.outcome_code)]),
        # A process beside the main route (the closure powers), in its own state.
        *(
            Row(process.label, [process.state_label(process.state_of(case))])
            for process in workflow.sub_processes
        ),
    ]


def _closes(workflow: Workflow, transition: Any) -> bool:
    """A step that ends the case (into a closed state) or withdraws it."""
    return transition.target in workflow.terminal_states or transition.name.startswith("withdraw")


def _actions(case: Case, workflow: Workflow, user: Any) -> list[Action]:
    """The transitions ``user`` may take now: from this state, guards met, permitted.

    One of them is the page's primary (green) action, the next step expected: the first,
    in the order the workflow declares them, that moves the case on without closing it
    (else the first that only records something). Steps that close or withdraw the case
    are warning buttons, listed last; the rest are secondary.
    """
    found = available_transitions(case, user)
    closing = [t for t in found if _closes(workflow, t)]
    rest = [t for t in found if not _closes(workflow, t)]
    moving = [t for t in rest if t.target is not None and t.target != t.source]
    primary = (moving or rest or [None])[0]
    actions = []
    for t in [*rest, *closing]:
        kind = "primary" if t is primary else "warning" if t in closing else "secondary"
        url = reverse("case-action", args=[case.reference, t.name])
        actions.append(Action(name=t.name, label=t.custom["label"], url=url, kind=kind))
    return actions


def _case_actions(case: Case, user: Any, *, may_manage: bool, may_add: bool) -> list[Action]:
    """What else the user may do to the case, each leading to its form: allocate, share,
    refer (its leads); add a note or an attachment (whoever may work on it)."""
    found = []
    reference = case.reference
    if may_manage and not case.is_closed:
        label = "Re-allocate this case" if case.owner_id else "Allocate this case"
        found.append(Action("allocate", label, reverse("case-allocate", args=[reference])))
    if may_manage:
        found.append(Action("share", "Share access", reverse("case-access", args=[reference])))
        found.append(Action("link", "Link a related case", reverse("case-link", args=[reference])))
    if may_manage and not case.is_closed:
        url = reverse("case-related", args=[reference])
        found.append(Action("open-related", "Open a related case", url))
        url = reverse("referrals:referral-type", args=[reference])
        found.append(Action("refer", "Refer to a partner agency", url))
    if may_add:
        found.append(Action("add-note", "Add a note", reverse("case-note-add", args=[reference])))
        url = reverse("case-attachment-add", args=[reference])
        found.append(Action("add-attachment", "Add an attachment", url))
    return found


@dataclasses.dataclass
class AttachmentRow:
    attachment: CaseAttachment
    size: str
    kind: str


_KIND_WORDS = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "text/plain": "Text",
    "message/rfc822": "Email",
    "application/vnd.ms-outlook": "Outlook message",
    "application/vnd.oasis.opendocument.text": "ODT",
}


def _attachment_row(attachment: CaseAttachment) -> AttachmentRow:
    kind = _KIND_WORDS.get(attachment.content_type)
    if kind is None:
        kind = attachment.original_name.rpartition(".")[2].upper() or "File"
    return AttachmentRow(attachment, size=size_words(attachment.size), kind=kind)


def _content_context(
    request: HttpRequest, case: Case, workflow: Workflow, access: CaseAccess
) -> dict[str, Any]:
    """Notes, attachments and the history: each a bounded list, one query apiece."""
    user = request.user
    notes, more_notes = case_notes_first_for_user(user, case, access, NOTES_ON_PAGE)
    files, more_files = case_attachments_first_for_user(user, case, access, ATTACHMENTS_ON_PAGE)
    first_events = rows_of_case("case history", _first_events, case)
    events, more_events = first_events[:HISTORY_ON_PAGE], len(first_events) > HISTORY_ON_PAGE
    return {
        "notes": notes,
        "more_notes": more_notes,
        "attachments": [_attachment_row(a) for a in files],
        "more_attachments": more_files,
        "events": _event_rows(case, workflow, events),
        "more_events": more_events,
    }


def case_page(
    request: HttpRequest, case: Case, *, status: int = 200, problems: Sequence[str] = ()
) -> HttpResponse:
    """The case page; the action views show it with ``problems`` when they refuse (409)."""
    workflow = get_workflow(case.case_type)
    if case_is_limited(request.user, case):
        context = {"case": case, "workflow": workflow}
        return render(request, "casework/case_limited.html", context, status=status)
    if case_is_raiser_only(request.user, case):
        context = raiser_context(request.user, case, workflow)
        context["answers"] = [
            _detail_row(case.case_type, k, v)
            for k, v in _details_in_order(case.case_type, context["answers"])
        ]
        return render(request, "casework/case_raiser.html", context, status=status)
    people = case_people_of(case)
    # What the user may read of the case, decided once for its notes, files and referrals.
    access = case_access_for_user(request.user, case)
    may_edit = lead_may(case, request.user)
    may_add = case_may_add_to(request.user, case)
    context = {
        "premises_tenure": _premises_words(workflow, "tenure", case.premises),
        "case": case,
        "workflow": workflow,
        "state_label": workflow.state_label(case.state),
        "terminal": case.state in workflow.terminal_states,
        "summary_rows": _summary_rows(case, workflow),
        "people": [_person_row(link) for link in people],
        "details": [
            _detail_row(case.case_type, k, v)
            for k, v in _details_in_order(case.case_type, case.details or {})
            if k not in {p.field for p in workflow.sub_processes}  # in the summary
        ],
        "deadlines": _deadline_rows(case, timezone.now()),
        "actions": _actions(case, workflow, request.user),
        "case_actions": _case_actions(case, request.user, may_manage=may_edit, may_add=may_add),
        "may_manage_clocks": may_edit,
        "may_edit": may_edit,
        "may_add": may_add,
        "is_auditor": Role.AUDITOR in roles_of(request.user),
        "matches": possible_matches_for_user(request.user, case),
        "error_summary": [("actions", message) for message in problems],
        "linked_cases": case_links_for_user(request.user, case),
        "case_access": access,
        **_content_context(request, case, workflow, access),
    }
    return render(request, "casework/case_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A case as this user may see it: everything, or only that it was received.

    Each response that shows the case records one view (``casework.reads``; a 404
    records nothing).
    """
    return case_page(request, case_get_for_user(request.user, reference))


@login_required
@require_http_methods(["GET"])
def case_history(request: HttpRequest, reference: str) -> HttpResponse:
    """Everything that happened to a case, newest first, 50 a page: the full version of
    the case page's history, for whoever may see the case's content (its raiser, if it is
    a Prevent case they know only as received, gets 404, and so does a raiser who sees
    only their own contributions, issue 17). Recorded as a view of the case.
    """
    case = case_get_for_user(request.user, reference)
    if case_is_limited(request.user, case) or case_is_raiser_only(request.user, case):
        raise Http404("No case found.")
    workflow = get_workflow(case.case_type)
    page = Paginator(_history(case), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "case": case,
        "workflow": workflow,
        "state_label": workflow.state_label(case.state),
        "events": _event_rows(case, workflow, page.object_list),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1),
        "is_auditor": Role.AUDITOR in roles_of(request.user),
    }
    return render(request, "casework/case_history.html", context)


# A person ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person and the cases they are linked to, as far as this user may see them.

    A person known only from cases the user may not see is the same 404 as a missing
    one (``person_list_for_user``). A case the user may know only as received (a Prevent
    referral they raised) or sees only as its raiser (their status and their own
    contributions, issue 17; what they gave is on the case's page) is left out of the
    list altogether: who is linked to it is its content. A person known only from such
    cases is the same 404.
    """
    person, links = person_shown_for_user(request.user, person_id)
    if not links:
        raise Http404("No person found.")
    rows = [(link, case_row(request.user, link.case)) for link in links]
    person_read_note(person)
    context = {
        "person": person,
        "born": _born(person),
        "rows": rows,
        "may_edit": person_may_edit(request.user, person),
    }
    return render(request, "casework/person_detail.html", context)


@login_required
@require_http_methods(["GET"])
def premises_detail(request: HttpRequest, premises_id: int) -> HttpResponse:
    """Premises and every case at that address the user may see in full: those about
    these premises and those at the same address recorded again (same postcode and first
    line; repeat addresses are the signal of cuckooing). Premises the user knows of no
    case at are the same 404 as missing ones."""
    found = compiled_objects(
        ("premises",), lambda pk: Premises.objects.filter(pk=pk), (premises_id,)
    )
    premises = found[0] if found else None
    cases = premises_cases_for_user(request.user, premises) if premises else []
    if not cases:
        raise Http404("No premises found.")
    rows = [case_row(request.user, case) for case in cases]
    case_list_read_note(filters={"premises": premises.pk}, count=len(rows))
    context = {"premises": premises, "rows": rows}
    return render(request, "casework/premises_detail.html", context)
