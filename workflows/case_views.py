"""Case pages: the case list, a case, a person.

These pages only read. Cases come through the selectors, so a case the user may not see
is the same 404 as a missing one, and the raiser of a Prevent case sees only that it was
received (``case_is_limited``). The forms that change a case (transitions, pausing and
resuming clocks) are in ``workflows.views`` and write through the workflow services.
They live in ``workflows`` because showing a case means knowing its workflow; casework
knows no case type (DESIGN.md: dependencies point one way).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework.audit import READ_VERBS, AuditVerb
from casework.models import AuditEvent, Case, CasePerson, Person
from casework.permissions import lead_may
from casework.selectors import (
    case_get_for_user,
    case_is_limited,
    person_cases_for_user,
    person_list_for_user,
)
from casework.services import (
    case_view_record,
    person_may_edit,
    person_view_record,
)
from workflows.definitions import Field, FieldType, Unit, Workflow
from workflows.intake import answer_lines
from workflows.list_views import case_row
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import get_workflow
from workflows.selectors import available_transitions

PAGE_SIZE = 25


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


@dataclasses.dataclass
class EventRow:
    event: AuditEvent
    title: str
    actor: str
    change: str = ""
    note: str = ""


@dataclasses.dataclass
class Action:
    name: str
    label: str
    url: str


def _date_words(moment: Any) -> str:
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    return f"{moment.day} {moment:%B %Y}"


def _datetime_words(moment: datetime) -> str:
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    return f"{_date_words(local)} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


@dataclasses.dataclass(frozen=True)
class Declared:
    """What the declarations of a details key agree on: its label, and the field to read
    its value by (choice labels, dates in words). Two steps may declare one name with
    different labels (``rationale``, say) or choices; then the key's own wording, or the
    plain value, is shown rather than words that may be wrong."""

    label: str | None
    spec: Field | None


@cache
def _declared(case_type: str) -> dict[str, Declared]:
    workflow = get_workflow(case_type)
    specs = [*workflow.intake_fields]
    for transition in workflow.transitions():
        specs.extend(transition.custom.get("fields", ()))
    found: dict[str, list[Field]] = {}
    for spec in specs:
        found.setdefault(spec.name, []).append(spec)
    return {
        name: Declared(
            label=same[0].label if len({s.label for s in same}) == 1 else None,
            spec=same[0] if len({(s.type, tuple(s.choices)) for s in same}) == 1 else None,
        )
        for name, same in found.items()
    }


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "None"
    if isinstance(value, dict):
        return "; ".join(f"{_humanise(str(k))}: {_plain(v)}" for k, v in value.items())
    return "Not given" if value in (None, "") else str(value)


def _detail_row(case_type: str, name: str, value: Any) -> Row:
    """A details entry in words: its field's label and choice labels, Yes/No, lists joined."""
    declared = _declared(case_type).get(name, Declared(None, None))
    label = declared.label or _humanise(name)
    spec = declared.spec
    if spec is None:
        return Row(label, [_plain(value)])
    try:
        lines = answer_lines(spec, value)
    except (TypeError, ValueError, KeyError):
        lines = [_plain(value)]
    if spec.type is FieldType.MULTICHOICE:
        lines = [", ".join(lines)]
    return Row(label, lines)


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


def _time_left(deadline: Deadline, now: datetime) -> tuple[str, bool]:
    """How long an open clock has left, or how overdue it is: hours for an hours clock,
    otherwise days between today and the day it is due."""
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
    DeadlineStatus.OPEN: "",  # GOV.UK Frontend's default tag is blue
    DeadlineStatus.MET: "govuk-tag--green",
    DeadlineStatus.MISSED: "govuk-tag--red",
    DeadlineStatus.PAUSED: "govuk-tag--yellow",
    DeadlineStatus.CANCELLED: "govuk-tag--grey",
}


def _deadline_row(deadline: Deadline, now: datetime) -> DeadlineRow:
    if deadline.unit == Unit.HOURS:
        due = _datetime_words(deadline.due_at)
    else:
        due = _date_words(deadline.due_at)
    left, overdue = "", False
    if deadline.status == DeadlineStatus.OPEN:
        left, overdue = _time_left(deadline, now)
    elif deadline.status == DeadlineStatus.PAUSED and deadline.paused_at:
        left = f"Paused on {_date_words(deadline.paused_at)}"
    elif deadline.met_at:
        left = f"Met on {_date_words(deadline.met_at)}"
    tag = "govuk-tag--red" if overdue else _STATUS_TAGS.get(deadline.status, "govuk-tag--grey")
    return DeadlineRow(deadline=deadline, due=due, left=left, overdue=overdue, tag=tag)


def _transition_label(workflow: Workflow, name: str) -> str:
    try:
        return str(workflow.transition_meta(name)["label"])
    except KeyError:
        return _humanise(name)


def _rule_label(workflow: Workflow, name: str) -> str:
    try:
        return workflow.rule(name).label
    except KeyError:
        return _humanise(name)


def _event_row(workflow: Workflow, event: AuditEvent) -> EventRow:
    """An audit event in words: what happened, and the states for a transition."""
    data = event.data or {}
    row = EventRow(event=event, title=_humanise(event.verb), actor=_user_name(event.actor))
    if event.verb == AuditVerb.CASE_RAISED:
        row.title = "Concern raised"
    elif event.verb == AuditVerb.CASE_TRANSITIONED:
        row.title = _transition_label(workflow, str(data.get("transition", "")))
        before, after = data.get("from"), data.get("to")
        if before and after and before != after:
            row.change = f"{workflow.state_label(before)} → {workflow.state_label(after)}"
    elif event.verb == AuditVerb.DEADLINE_PAUSED:
        row.title = f"Clock paused: {_rule_label(workflow, str(data.get('rule', '')))}"
        row.note = str(data.get("reason", ""))
    elif event.verb == AuditVerb.DEADLINE_RESUMED:
        row.title = f"Clock resumed: {_rule_label(workflow, str(data.get('rule', '')))}"
    return row


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
        Row("Outcome code", [case.outcome_code or "None"]),
    ]


def _actions(case: Case, workflow: Workflow, user: Any) -> list[Action]:
    """The transitions ``user`` may take now: from this state, guards met, permitted."""
    return [
        Action(
            name=t.name,
            label=t.custom["label"],
            url=reverse("case-action", args=[case.reference, t.name]),
        )
        for t in available_transitions(case, user)
    ]


def case_page(
    request: HttpRequest, case: Case, *, status: int = 200, problems: Sequence[str] = ()
) -> HttpResponse:
    """The case page; the action views show it with ``problems`` when they refuse (409)."""
    workflow = get_workflow(case.case_type)
    if case_is_limited(request.user, case):
        context = {"case": case, "workflow": workflow}
        return render(request, "casework/case_limited.html", context, status=status)
    now = timezone.now()
    people = case.case_people.select_related("person").order_by("pk")
    # Who opened the case is kept in the audit log (the auditor's timeline), not here.
    events = case.audit_events.exclude(verb__in=READ_VERBS).select_related("actor").order_by("pk")
    may_edit = lead_may(case, request.user)
    context = {
        "case": case,
        "workflow": workflow,
        "state_label": workflow.state_label(case.state),
        "terminal": case.state in workflow.terminal_states,
        "summary_rows": _summary_rows(case, workflow),
        "people": [_person_row(link) for link in people],
        "details": [_detail_row(case.case_type, k, v) for k, v in (case.details or {}).items()],
        "deadlines": [_deadline_row(d, now) for d in case.deadlines.order_by("due_at", "pk")],
        "events": [_event_row(workflow, event) for event in events],
        "actions": _actions(case, workflow, request.user),
        "may_manage_clocks": may_edit,
        "may_edit": may_edit,
        "error_summary": [("actions", message) for message in problems],
    }
    return render(request, "casework/case_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A case as this user may see it: everything, or only that it was received.

    Each response that shows the case records one view (a 404 records nothing).
    """
    case = case_get_for_user(request.user, reference)
    response = case_page(request, case)
    case_view_record(user=request.user, case=case)
    return response


# A person ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person and the cases they are linked to, as far as this user may see them.

    A person known only from cases the user may not see is the same 404 as a missing
    one (``person_list_for_user``). A case the user may know only as received (a Prevent
    referral they raised) is left out of the list altogether: who is linked to it is
    its content.
    """
    person = person_list_for_user(request.user).filter(pk=person_id).first()
    links = []
    if person is not None:
        links = [
            link
            for link in person_cases_for_user(request.user, person)
            if not case_is_limited(request.user, link.case)
        ]
    if not links:
        raise Http404("No person found.")
    rows = [(link, case_row(request.user, link.case)) for link in links]
    person_view_record(user=request.user, person=person)
    context = {
        "person": person,
        "born": _born(person),
        "rows": rows,
        "may_edit": person_may_edit(request.user, person),
    }
    return render(request, "casework/person_detail.html", context)
