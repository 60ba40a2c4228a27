"""Workflow writes: raising a case, moving it through its workflow, pausing clocks.

Each service is one transaction (DESIGN.md "One write path"): lock, check permission
and guards, apply the django-fsm transition, save, write the audit event, open and close
deadlines, and queue notifications. A refused or invalid call raises before anything is
written, and the transaction rolls back anything written before a later failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import holidays
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from casework.audit import AuditVerb, audit_record
from casework.matching import possible_matches_record
from casework.models import Case, CasePerson, CasePersonRole, Person, Premises, Team
from casework.permissions import can_raise, lead_may, may_raise_type, team_ids_of
from casework.references import next_case_reference
from casework.search_index import search_index_update
from casework.selectors import (
    case_content_list_for_user,
    case_lead_contacts,
    case_readers,
    person_list_for_user,
    teams_by_name,
)
from casework.services import case_compartment_name_raiser
from casework.statements import compiled_objects
from notifications.models import Channel
from notifications.services import OutboxDraft, case_link, outbox_enqueue, outbox_enqueue_many
from workflows import clocks
from workflows.case_figures import case_figures_of_new_cases, case_figures_refresh
from workflows.definitions import RAISE, Field, FieldType, Workflow
from workflows.errors import StaleCase, TransitionNotAllowed
from workflows.forms import intake_answers, validate_fields
from workflows.models import (
    BankHoliday,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    TimescaleOverride,
)
from workflows.registry import UnknownCaseType, get_workflow
from workflows.selectors import case_answer_prefetch, raise_answer_prefetch
from workflows.state_history import state_change_record

# Clocks on different machines disagree a little: a time this far ahead is still "now".
EVENT_CLOCK_SKEW = timedelta(minutes=5)
SUMMARY_FIELD = Field(
    name="summary",
    type=FieldType.TEXT,
    label="Summary of the concern",
    help_text="One or two sentences: what worries you. You can add the detail below.",
    errors=(
        ("required", "Enter a summary of the concern"),
        ("max_length", "The summary must be 20000 characters or fewer"),
    ),
)
PERSON_ATTRS = {f.name for f in Person._meta.get_fields() if getattr(f, "concrete", False)}


def _team_for_raise(actor: Any, team: Team | None) -> Team:
    teams = team_ids_of(actor)
    if team is not None:
        if team.pk not in teams:
            raise ValidationError({"team": ["Choose one of your own teams."]})
        return team
    if len(teams) == 1:
        (only,) = teams_by_name(teams)
        return only
    if not teams:
        raise PermissionDenied("You are not a member of a team, so you cannot raise a concern.")
    raise ValidationError({"team": ["Choose which of your teams this concern is for."]})


def _split_values(
    fields: list[Field], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]:
    """Separate intake values into case details, people (by role) and premises."""
    details: dict[str, Any] = {}
    people: dict[str, dict[str, Any]] = {}
    premises: dict[str, Any] = {}
    by_name = {f.name: f for f in fields}
    for name, value in values.items():
        spec = by_name.get(name)
        if spec is not None and spec.person:
            role, attr = spec.person.split(".")
            people.setdefault(role, {})[attr] = value
        elif spec is not None and spec.premises:
            premises[spec.premises] = value
        else:
            details[name] = value
    return details, people, premises


def _link_people(
    case: Case, people: dict[str, dict[str, Any]], existing: Mapping[str, Person]
) -> None:
    for role, attrs in people.items():
        person = existing.get(role) or Person.objects.create(
            **{k: v for k, v in attrs.items() if k in PERSON_ATTRS}
        )
        CasePerson.objects.create(case=case, person=person, role=CasePersonRole(role))


def intake_people_and_premises(
    case_type: str, values: Mapping[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The people (by role) and the premises entered in validated intake ``values``:
    what intake matching compares (``casework.matching``)."""
    workflow = get_workflow(case_type)
    _, people, premises = _split_values([SUMMARY_FIELD, *workflow.intake_fields], dict(values))
    return people, premises


def _check_existing(
    actor: Any,
    people: Mapping[str, Any],
    existing_people: Mapping[str, Person],
    existing_premises: Premises | None,
) -> None:
    """A raiser may link only people and premises of cases they may see in full, and a
    person only in a part the intake asks about."""
    errors = {}
    for role, person in existing_people.items():
        known = person_list_for_user(actor).filter(pk=person.pk).exists()
        if role not in people or not known:
            errors[f"link_{role}"] = ["Choose a person from the matches offered."]
    if existing_premises is not None and not (
        case_content_list_for_user(actor).filter(premises=existing_premises).exists()
    ):
        errors["link_premises"] = ["Choose premises from the matches offered."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_raise(
    *,
    actor: Any,
    case_type: str,
    data: Mapping[str, Any],
    team: Team | None = None,
    existing_people: Mapping[str, Person] | None = None,
    existing_premises: Premises | None = None,
    answer: bool = False,
) -> Case:
    """Raise a concern of ``case_type`` from validated intake data (frontline and leads).

    Creates the case in its workflow's initial state with a new reference, the people
    named in the intake (or, for a role in ``existing_people``, links the person already
    known, whom the raiser may see), its premises (or ``existing_premises``), an audit
    event, the clocks that start on intake and the possible matches with known people
    and addresses (``casework.matching.possible_matches_record``).

    ``answer``: the caller answers with the case (the API), so what its raiser's view
    shows of a concern just raised is set on it here, before the audit chain's lock,
    rather than read back while the lock is held (``raise_answer_prefetch``).
    """
    if not can_raise.test(actor):
        raise PermissionDenied("Your role cannot raise concerns.")
    try:
        workflow = get_workflow(case_type)
    except UnknownCaseType:
        raise ValidationError({"case_type": ["Choose a type of concern."]}) from None
    if not may_raise_type(actor, case_type):
        raise PermissionDenied(f"Only a safeguarding lead can record a {workflow.label.lower()}.")
    fields = [SUMMARY_FIELD, *workflow.intake_fields]
    values, errors = intake_answers(workflow, fields, data)
    if errors:
        raise ValidationError(errors)
    team = _team_for_raise(actor, team)
    details, people, premises = _split_values(fields, values)
    existing_people = dict(existing_people or {})
    _check_existing(actor, people, existing_people, existing_premises)
    summary = details.pop("summary")
    now = timezone.now()
    case = workflow.model.objects.create(
        reference=next_case_reference(),
        case_type=case_type,
        state=workflow.initial_state,
        summary=summary,
        details=details,
        team=team,
        raised_by=actor,
        raised_at=now,
        immediate_risk=workflow.is_urgent(values),
        premises=existing_premises or (Premises.objects.create(**premises) if premises else None),
    )
    _link_people(case, people, existing_people)
    state_change_record(
        case=case,
        workflow=workflow,
        from_state="",
        transition=RAISE,
        at=now,
        actor=actor,
        recorded_at=now,
    )
    case_compartment_name_raiser(case=case, actor=actor)
    search_index_update([case.pk])
    possible_matches_record(case=case, people=people, premises=premises)
    linked = {role: p.pk for role, p in existing_people.items()}
    if existing_premises is not None:
        linked["premises"] = existing_premises.pk
    for rule in workflow.rules_starting_on(RAISE):
        start = clocks.rule_start(workflow, rule, values, now)
        clocks.deadline_open(
            case=case, workflow=workflow, rule=rule, at=start, actor=actor, recorded_at=now
        )
    _notify_raised(case, workflow)
    if answer:
        raise_answer_prefetch(case, summary)
    # Last, the figures and the audit event: the figures' sums take the audit chain's
    # lock, which is held from there to the commit, and every writer of the chain waits
    # for it (docs/performance.md), so nothing else is done under it: the new case's
    # facts are written before it, its sums after.
    case_figures_of_new_cases([case.pk])  # raised, open, and the clocks intake started
    audit_record(
        actor=actor,
        verb=AuditVerb.CASE_RAISED,
        case=case,
        target=case,
        data={"case_type": case_type, "state": case.state, "inputs": values}
        | ({"linked": linked} if linked else {}),
    )
    return case


def _to_lead(
    case: Case, lead_id: int, channel: str, template: str, subject: str, body: str
) -> OutboxDraft:
    """A message to one lead about ``case``, linking to its page."""
    return OutboxDraft(
        recipient_id=lead_id, channel=channel, template=template, subject=subject, body=body,
        link=case_link(case.reference), case_id=case.pk,
    )  # fmt: skip


def _notify_raised(case: Case, workflow: Workflow) -> None:
    """Tell the leads who triage the case that it arrived. The message names the
    reference and type only: the case page shows the rest to those allowed to see it.
    One insert for all of them (``outbox_enqueue_many``)."""
    if case.immediate_risk:
        _notify_urgent(case, workflow)
        return
    subject = f"New {workflow.label.lower()} concern {case.reference}"
    body = f"{case.reference} was raised and is waiting for triage."
    outbox_enqueue_many(
        drafts=[
            _to_lead(case, lead["pk"], Channel.IN_APP, "case.raised", subject, body)
            for lead in case_lead_contacts(case)
        ]
    )


def _notify_urgent(case: Case, workflow: Workflow) -> None:
    """Someone is at immediate risk (issue 19): every lead who acts on the case is told
    at once, in the app and by email, each message linking to the case. The email names
    the reference only (no type, person or place), as it leaves the system; the case
    page shows the rest to those allowed to see it."""
    template, ref = "case.raised_urgent", case.reference
    in_app = (
        f"Immediate risk: new {workflow.label.lower()} concern {ref}",
        f"{ref} was raised with someone at immediate risk. Read it and act now.",
    )
    email = (
        f"Immediate risk: concern {ref} needs a lead now",
        f"A concern was raised in Safecase with someone at immediate risk. "
        f"Its reference is {ref}. Sign in to read it and act now.",
    )
    drafts = []
    for lead in case_lead_contacts(case):
        drafts.append(_to_lead(case, lead["pk"], Channel.IN_APP, template, *in_app))
        if lead["email"]:
            drafts.append(_to_lead(case, lead["pk"], Channel.EMAIL, template, *email))
    outbox_enqueue_many(drafts=drafts)


def _notify_transitioned(case: Case, workflow: Workflow, actor: Any, label: str) -> None:
    """Tell the allocated worker, if someone else moved their case on."""
    if case.owner_id is None or case.owner_id == actor.pk:
        return
    # The one content check for every message naming a state (issue 17).
    if not case_readers(case, [case.owner_id]):
        return
    outbox_enqueue(
        recipient_id=case.owner_id,
        channel=Channel.IN_APP,
        template="case.transitioned",
        subject=f"{case.reference}: {label}",
        body=f"{case.reference} is now {workflow.state_label(case.state).lower()}.",
        case=case,
    )


def _find_transition(workflow: Workflow, case: Case, name: str) -> Any:
    if name not in workflow.transition_names():
        raise TransitionNotAllowed(f"There is no action called {name!r}.", state=case.state)
    method = getattr(case, name)
    meta = method._django_fsm
    if not meta.has_transition(case.state):
        raise TransitionNotAllowed(
            f"{workflow.transition_meta(name)['label']} is not possible while the case is "
            f"{workflow.state_label(case.state).lower()}.",
            state=case.state,
        )
    return meta.get_transition(case.state)


def _check_guards(workflow: Workflow, case: Case, name: str) -> None:
    """Refuse (409) when a guard fails, with the first failing guard's own message (a
    sub-process's state, a closure order in force) or else the step's."""
    transition = getattr(case, name)._django_fsm.get_transition(case.state)
    for condition in transition.conditions:
        if condition(case):
            continue
        refusal = getattr(condition, "refusal", None)
        message = (
            (refusal(case) if refusal is not None else "")
            or getattr(condition, "guard_message", "")
            or transition.custom.get("guard_message")
            or "The conditions for this action are not met."
        )
        raise TransitionNotAllowed(message, state=case.state)


def _apply_clocks(
    workflow: Workflow, case: Case, name: str, actor: Any, now: Any, values: dict[str, Any]
) -> None:
    """Stop the clocks this step meets or cancels and start the ones it starts, each at
    the time its event happened (docs/clocks.md), not when the step was typed in."""
    rules = workflow.deadline_rules
    event_at = clocks.event_time(values.get(workflow.event_field(name))) or now
    met = [r.name for r in rules if name in r.met_by]
    clocks.deadlines_meet(case=case, rule_names=met, at=event_at)
    cancelled = [r.name for r in rules if name in r.cancelled_by]
    if cancelled:
        clocks.deadlines_cancel(case=case, at=event_at, rule_names=cancelled)
    if case.state in workflow.terminal_states:
        clocks.deadlines_cancel(case=case, at=event_at)
        return
    for rule in workflow.rules_starting_on(name):
        start = clocks.rule_start(workflow, rule, values, now, earlier=case.details)
        clocks.deadline_open(
            case=case,
            workflow=workflow,
            rule=rule,
            at=start,
            actor=actor,
            recorded_at=now,
            values=values,
        )


def _event_fields(workflow: Workflow, name: str) -> list[str]:
    """The inputs of step ``name`` that say when something happened: its event field and
    the start fields of the clocks it starts."""
    fields = [workflow.event_field(name)]
    fields += [r.starts_at_field for r in workflow.rules_starting_on(name)]
    own = {f.name for f in workflow.transition_meta(name)["fields"]}
    return [f for f in dict.fromkeys(fields) if f and f in own]


def future_event_problem(raw: Any, label: str, now: Any) -> str | None:
    """The one check that an event date or time is not in the future (RULES.md §0.3,
    issue 14): a date may be today, a time up to ``EVENT_CLOCK_SKEW`` ahead. Used by
    ``check_event_dates`` for every step and by any other record of an event (a
    partner's decision on a referral); returns the message, or None."""
    moment = clocks.event_time(raw)
    if moment is None:
        return None
    dated = isinstance(raw, str) and len(raw) == 10
    if dated:
        future = timezone.localtime(moment).date() > timezone.localdate(now)
    else:
        future = moment > now + EVENT_CLOCK_SKEW
    return f"{label} must be today or in the past." if future else None


def check_event_dates(
    workflow: Workflow, case: Case, name: str, values: dict[str, Any], now: Any
) -> None:
    """The dates that start or stop clocks must be true (RULES.md §0.3, issue 14): not in
    the future, and a stop event not before the event that started the clock it stops
    (a conference cannot precede the strategy discussion that called it). Events before
    the case was raised are allowed: a closure notice served at the first police visit
    or a referral made before the concern was entered here. Raises ValidationError by
    field; writes nothing."""
    labels = {f.name: f.label for f in workflow.transition_meta(name)["fields"]}
    errors: dict[str, list[str]] = {}
    stop_field = workflow.event_field(name)
    met = [r.name for r in workflow.deadline_rules if name in r.met_by]
    running = clocks.running_clocks(case, met) if stop_field else []
    for field in _event_fields(workflow, name):
        raw = values.get(field)
        moment = clocks.event_time(raw)
        if moment is None:
            continue
        dated = isinstance(raw, str) and len(raw) == 10
        local = timezone.localtime(moment)
        label = labels.get(field, field)
        future = future_event_problem(raw, label, now)
        if future:
            errors[field] = [future]
        elif field == stop_field:
            # Only a clock started from a recorded event date is a true earlier event;
            # one started when its step was typed in says nothing of when it happened.
            for deadline in running:
                if deadline.recorded_at in (None, deadline.started_at):
                    continue
                start = timezone.localtime(deadline.started_at)
                if (local.date() < start.date()) if dated else (moment < deadline.started_at):
                    errors[field] = [
                        f"{label} must be on or after {start:%-d %B %Y}, when "
                        f"{deadline.label.lower()} started."
                    ]
                    break
    if errors:
        raise ValidationError(errors)


def _step_outcome(
    workflow: Workflow, case: Case, custom: Mapping[str, Any], values: Mapping[str, Any], now: Any
) -> None:
    """What a step records beside its state: the sub-process it moved, and the closing
    date and outcome when it closed the case."""
    sub_process, sub_target = custom.get("sub_process"), custom.get("sub_target")
    if sub_process is not None and sub_target:
        case.details = {**case.details, sub_process.field: sub_target}
    if case.state in workflow.terminal_states and case.closed_at is None:
        case.closed_at = now
        case.outcome_code = values.get("outcome_code") or custom.get("outcome", "")


def _case_locked(workflow: Workflow, pk: int) -> Case:
    """The case, its row alone locked to the end of the transaction; its team, owner,
    raiser and premises come with it for the answer and the messages. The statement is
    compiled once per case type (``casework.statements``): a step's own Python time."""

    def build(pk: int) -> Any:
        locked = workflow.model.objects.select_for_update(of=("self",))
        return locked.select_related("team", "owner", "raised_by", "premises").filter(pk=pk)

    found = compiled_objects(("case locked for a step", workflow.model._meta.label), build, (pk,))
    if not found:
        raise workflow.model.DoesNotExist(f"No case {pk}")
    return found[0]


@transaction.atomic
def case_transition(
    *,
    case: Case,
    actor: Any,
    name: str,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    answer: bool = False,
) -> Case:
    """Take the transition ``name`` on ``case`` as ``actor`` (DESIGN.md "One write path").

    Refuses (changing nothing) when the case moved on since ``expected_version``, the
    transition is not possible from the current state or its guard fails (409), the
    actor may not take it (403), or the input is invalid (400).

    ``answer``: the caller answers with the whole case (the API), so its people, its
    clocks and whether one is overdue are read here, before the audit chain's lock, and
    not while the lock is held (``case_answer_prefetch``).
    """
    workflow = get_workflow(case.case_type)
    case = _case_locked(workflow, case.pk)
    if expected_version is not None and case.version != expected_version:
        raise StaleCase(
            "This case has changed since you opened it. Reload it and try again.",
            state=case.state,
        )
    transition = _find_transition(workflow, case, name)
    if not transition.has_perm(case, actor):
        raise PermissionDenied("You are not allowed to do this on this case.")
    custom = transition.custom
    values = validate_fields(custom["fields"], data or {})
    now = timezone.now()
    check_event_dates(workflow, case, name, values, now)
    _check_guards(workflow, case, name)
    before = case.state
    indexed = (case.team_id, case.owner_id)
    getattr(case, name)(actor=actor, data=values)
    _step_outcome(workflow, case, custom, values, now)
    # The row is locked since it was read, so no one else can have changed its version.
    case.version += 1
    case.save()
    effect = workflow.effects.get(name)
    if effect is not None:
        effect(case=case, actor=actor, data=values, at=now)
    if (case.team_id, case.owner_id) != indexed:
        search_index_update([case.pk])
    if case.state != before:
        state_change_record(
            case=case,
            workflow=workflow,
            from_state=before,
            transition=name,
            at=clocks.event_time(values.get(workflow.event_field(name))) or now,
            actor=actor,
            recorded_at=now,
        )
    _apply_clocks(workflow, case, name, actor, now, values)
    _notify_transitioned(case, workflow, actor, custom["label"])
    if answer:
        case_answer_prefetch(case, now)
    # Last, as in case_raise: the figures take the audit chain's lock, held from here to
    # the commit. Every step: a step may record what a figure splits by without changing
    # the state.
    case_figures_refresh([case.pk])
    audit_record(
        actor=actor,
        verb=AuditVerb.CASE_TRANSITIONED,
        case=case,
        target=case,
        data={"transition": name, "from": before, "to": case.state, "inputs": values},
    )
    if effect is not None:  # a general concern given its type is now another type's case
        case_type = Case.objects.filter(pk=case.pk).values_list("case_type", flat=True).get()
        if case_type != case.case_type:
            return get_workflow(case_type).model.objects.get(pk=case.pk)
    return case


def _deadline_for_update(deadline: Deadline, actor: Any) -> Deadline:
    deadline = Deadline.objects.select_for_update().select_related("case").get(pk=deadline.pk)
    if not lead_may(deadline.case, actor):
        raise PermissionDenied("Only a lead of the case's team can pause or resume its clocks.")
    return deadline


@transaction.atomic
def deadline_pause(*, deadline: Deadline, actor: Any, reason: str) -> Deadline:
    """Stop a running clock, keeping what is left of it (e.g. criminal proceedings)."""
    deadline = _deadline_for_update(deadline, actor)
    if deadline.kind == DeadlineKind.PERIOD:
        raise ValidationError(
            {"deadline": ["A period (a protection or window others hold) cannot be paused."]}
        )
    if deadline.status != DeadlineStatus.OPEN:
        raise ValidationError({"deadline": ["Only an open deadline can be paused."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the clock is paused."]})
    now = timezone.now()
    deadline.remaining = clocks.remaining_at(deadline, now)
    deadline.status, deadline.paused_at = DeadlineStatus.PAUSED, now
    deadline.save()
    case_figures_refresh([deadline.case_id])
    audit_record(
        actor=actor,
        verb=AuditVerb.DEADLINE_PAUSED,
        case=deadline.case,
        target=deadline,
        data={"rule": deadline.rule, "reason": reason, "remaining": deadline.remaining},
    )
    return deadline


@transaction.atomic
def deadline_resume(*, deadline: Deadline, actor: Any, reason: str = "") -> Deadline:
    """Restart a paused clock with the time it had left when paused (``reason``, if
    given, is recorded: e.g. the criminal proceedings concluded)."""
    deadline = _deadline_for_update(deadline, actor)
    if deadline.status != DeadlineStatus.PAUSED:
        raise ValidationError({"deadline": ["Only a paused deadline can be resumed."]})
    now = timezone.now()
    old_due = deadline.due_at
    deadline.due_at = clocks.resumed_due_at(deadline, now)
    deadline.status, deadline.paused_at, deadline.remaining = DeadlineStatus.OPEN, None, None
    deadline.save()
    case_figures_refresh([deadline.case_id])
    audit_record(
        actor=actor,
        verb=AuditVerb.DEADLINE_RESUMED,
        case=deadline.case,
        target=deadline,
        data={
            "rule": deadline.rule,
            "previous_due_at": old_due,
            "due_at": deadline.due_at,
            **({"reason": reason} if reason else {}),
        },
    )
    return deadline


@transaction.atomic
def timescale_set(*, case_type: str, rule: str, duration: int) -> TimescaleOverride:
    """Set a deployment's duration for a local deadline rule; statutory rules are fixed."""
    workflow = get_workflow(case_type)
    try:
        declared = workflow.rule(rule)
    except KeyError:
        raise ValidationError({"rule": [f"{case_type} has no deadline rule {rule!r}."]}) from None
    if declared.statutory:
        raise ValidationError({"rule": [f"{declared.label} is statutory and cannot be changed."]})
    if duration <= 0:
        raise ValidationError({"duration": ["Enter a duration of at least 1."]})
    override, _ = TimescaleOverride.objects.update_or_create(
        case_type=case_type, rule=rule, defaults={"duration": duration}
    )
    return override


def holidays_for(first_year: int, last_year: int) -> dict[Any, str]:
    """England and Wales bank holidays from the ``holidays`` package (subdivision ENG)."""
    return dict(
        holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    )


@transaction.atomic
def bank_holidays_load(*, first_year: int, last_year: int) -> int:
    """Add the bank holidays of these years that the table lacks; edits are kept.

    RULES.md §0.2: the table is the authority so administrators can add one-off
    proclamations; loading never overwrites or deletes a row.
    """
    if first_year > last_year:
        raise ValidationError({"years": ["The first year must not be after the last."]})
    known = set(
        BankHoliday.objects.filter(
            date__year__gte=first_year, date__year__lte=last_year
        ).values_list("date", flat=True)
    )
    new = [
        BankHoliday(date=day, title=title, source="holidays")
        for day, title in sorted(holidays_for(first_year, last_year).items())
        if day not in known
    ]
    BankHoliday.objects.bulk_create(new)
    return len(new)
