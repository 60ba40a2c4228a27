"""The shapes of the workflow and case API (shared/API.md), and the checks on its input.

Serializers here only read: they turn workflow declarations, cases, deadlines and audit
events into the contract's JSON, and document it in the OpenAPI schema. Input is checked
for its JSON shape (``check_json_types``) and then validated by the services, which hold
the rules and messages the pages use too.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case, CasePerson
from casework.selectors import prefetched
from workflows.clocks import effective_duration, timescale_overrides
from workflows.definitions import Field, FieldType, Unit, Workflow
from workflows.models import Deadline, DeadlineKind, DeadlineStatus
from workflows.registry import WORKFLOWS, get_workflow
from workflows.services import SUMMARY_FIELD

# --- FIELD ---------------------------------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class RequiredWhenSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field whose answer decides.")
    values = serializers.ListField(
        child=serializers.CharField(),
        help_text="The answers under which this field applies (yes/no as true/false).",
    )


class SubFieldSerializer(serializers.Serializer):
    """A FIELD of shared/API.md, as a sub-field of a ``records`` field."""

    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=[t.value for t in FieldType])
    required = serializers.BooleanField()
    choices = ChoiceSerializer(
        many=True, required=False, help_text="The allowed values; choice types only."
    )
    help_text = serializers.CharField(required=False)
    min_value = serializers.IntegerField(required=False, help_text="Integer types, when bounded.")
    max_value = serializers.IntegerField(required=False, help_text="Integer types, when bounded.")
    max_length = serializers.IntegerField(
        required=False, help_text="String and text types: the most characters accepted."
    )
    required_when = RequiredWhenSerializer(
        required=False,
        help_text="A question that applies only under another's answers: required then, and "
        "neither required nor kept otherwise.",
    )


class FieldSerializer(SubFieldSerializer):
    """A FIELD of shared/API.md. ``records`` (a list of sub-records, each an object with
    the sub-fields listed in ``fields``) is Safecase's extension of the contract's types."""


# "fields" cannot be a class attribute: it is the name of Serializer.fields itself.
FieldSerializer._declared_fields["fields"] = SubFieldSerializer(
    many=True, required=False, help_text="The sub-fields of each record; records type only."
)


def field_data(spec: Field) -> dict[str, Any]:
    """A declared field in the contract's FIELD shape, with its integer bounds."""
    data = spec.as_api()
    if spec.min_value is not None:
        data["min_value"] = spec.min_value
    if spec.max_value is not None:
        data["max_value"] = spec.max_value
    if spec.length_limit is not None:
        data["max_length"] = spec.length_limit
    if spec.type is FieldType.RECORDS:
        data["fields"] = [field_data(sub) for sub in spec.fields]
    return data


# --- Workflows -----------------------------------------------------------------------------


class StateSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    terminal = serializers.BooleanField()


class TransitionDefinitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())
    target = serializers.CharField(
        allow_null=True, help_text="The state it leads to; null for a step that records "
        "something without changing the state."
    )  # fmt: skip
    permission = serializers.CharField(
        help_text="casework.manage_case (leads of the case's team) or casework.work_on_case "
        "(those leads or the worker the case is allocated to)."
    )
    fields = FieldSerializer(many=True)
    sub_process = serializers.CharField(
        allow_null=True,
        help_text="For a step of a process running beside the main route (e.g. cuckooing "
        "closure_powers): its name; the step keeps the case's state (target null).",
    )
    sub_sources = serializers.ListField(
        child=serializers.CharField(),
        help_text="The sub-process's states the step may be taken from ([] otherwise).",
    )
    sub_target = serializers.CharField(
        allow_null=True, help_text="The sub-process's state it leads to; null: unchanged."
    )


class SubProcessStateSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()


class SubProcessSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    field = serializers.CharField(help_text="The CASE key holding its state.")
    initial_state = serializers.CharField()
    states = SubProcessStateSerializer(many=True)
    runs_in = serializers.ListField(
        child=serializers.CharField(), help_text="The main states its steps may be taken from."
    )


class DeadlineRuleSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=DeadlineKind.values,
        help_text="task: the council acts by then (reminded, escalated, overdue when late); "
        "period: a protection or window others hold, which ends quietly (docs/clocks.md).",
    )
    starts_on = serializers.CharField(help_text="A transition name, or 'raise' for intake.")
    starts_at_field = serializers.CharField(
        allow_null=True,
        help_text="The step's input holding when the starting event happened; null means "
        "the clock starts when the step is recorded.",
    )
    duration = serializers.IntegerField(
        help_text="In force here: a local rule's duration may be set by the deployment."
    )
    unit = serializers.ChoiceField(choices=[u.value for u in Unit])
    met_by = serializers.ListField(child=serializers.CharField())
    statutory = serializers.BooleanField()
    source = serializers.CharField(allow_blank=True)
    repeatable = serializers.BooleanField()
    disregard_christmas_day = serializers.BooleanField()
    cancelled_by = serializers.ListField(child=serializers.CharField())
    due_at_field = serializers.CharField(
        allow_null=True, help_text="An input holding the date the clock is due, if any."
    )
    period_effect = serializers.CharField(
        allow_null=True, help_text="For a period: what it allows or blocks."
    )


class WorkflowSerializer(serializers.Serializer):
    case_type = serializers.ChoiceField(choices=sorted(WORKFLOWS))
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    initial_state = serializers.CharField()
    states = StateSerializer(many=True)
    intake_fields = FieldSerializer(
        many=True,
        help_text="What POST /api/v1/cases/ takes for this type: summary first, then the "
        "type's own fields, including the people (subject_..., applicant_...) it names.",
    )
    required_one_of = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Intake fields of which at least one must be given, e.g. a date of birth "
        "or an estimated age.",
    )
    transitions = TransitionDefinitionSerializer(many=True)
    deadline_rules = DeadlineRuleSerializer(many=True)
    sub_processes = SubProcessSerializer(many=True)


def _transitions_data(workflow: Workflow) -> list[dict[str, Any]]:
    """One entry per transition name, with every state it may be taken from."""
    by_name: dict[str, dict[str, Any]] = {}
    for t in workflow.transitions():
        entry = by_name.get(t.name)
        if entry is None:
            entry = by_name[t.name] = {
                "name": t.name,
                "label": t.custom["label"],
                "sources": [],
                "target": t.target,
                "permission": t.custom["permission_name"],
                "fields": [field_data(f) for f in t.custom["fields"]],
                **_sub_process_data(t),
            }
        entry["sources"].append(t.source)
    return list(by_name.values())


def _sub_process_data(t: Any) -> dict[str, Any]:
    process = t.custom.get("sub_process")
    return {
        "sub_process": process.name if process is not None else None,
        "sub_sources": list(t.custom.get("sub_source", ())),
        "sub_target": t.custom.get("sub_target"),
    }


def workflow_data(
    workflow: Workflow, overrides: Mapping[tuple[str, str], int] | None = None
) -> dict[str, Any]:
    """A workflow's definition (shared/API.md "Workflows"), durations as in force (the
    local rules' ``overrides`` read once for every workflow listed, else here)."""
    if overrides is None:
        overrides = timescale_overrides()
    return {
        "case_type": workflow.case_type,
        "label": workflow.label,
        "description": workflow.description,
        "initial_state": str(workflow.initial_state),
        "states": [
            {"name": value, "label": label, "terminal": value in workflow.terminal_states}
            for value, label in workflow.states.choices
        ],
        "intake_fields": [field_data(f) for f in [SUMMARY_FIELD, *workflow.intake_fields]],
        "required_one_of": [list(group.fields) for group in workflow.required_one_of],
        "transitions": _transitions_data(workflow),
        "deadline_rules": [
            rule.as_api(effective_duration(workflow, rule, overrides), workflow.start_field(rule))
            for rule in workflow.deadline_rules
        ],
        "sub_processes": [p.as_api() for p in workflow.sub_processes],
    }


# --- Deadlines -----------------------------------------------------------------------------


class DeadlineSerializer(serializers.Serializer):
    """DEADLINE of shared/API.md, with when it started and ended."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="rule", help_text="The workflow's deadline rule.")
    label = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=DeadlineKind.values,
        help_text="task: the council must act by due_at; period: a protection or window "
        "someone else holds, which ends quietly and is never overdue.",
    )
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=DeadlineStatus.values)
    statutory = serializers.BooleanField()
    source = serializers.CharField(allow_blank=True)
    unit = serializers.CharField()
    duration = serializers.IntegerField()
    started_at = serializers.DateTimeField(help_text="When the starting event happened.")
    recorded_at = serializers.DateTimeField(
        allow_null=True, help_text="When the step that started the clock was recorded."
    )
    met_at = serializers.DateTimeField(
        allow_null=True, help_text="When the stop event happened (may be after due_at)."
    )
    closed_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, deadline: Deadline) -> bool:
        """A task past due and neither met nor cancelled, whether or not the sweep marked
        it missed; a period is never overdue (shared/API.md)."""
        return deadline.is_overdue(self.context["now"])


class DeadlineListItemSerializer(DeadlineSerializer):
    case_reference = serializers.CharField(source="case.reference")


# --- Cases ---------------------------------------------------------------------------------


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class LimitedCaseSerializer(serializers.Serializer):
    """A case the user knows only as received: the frontline raiser of a Prevent case
    (RULES.md §4.5) sees its reference, type and when it was received, nothing more."""

    reference = serializers.CharField()
    case_type = serializers.CharField()
    raised_at = serializers.DateTimeField()
    limited = serializers.SerializerMethodField()

    @extend_schema_field({"type": "boolean", "enum": [True]})
    def get_limited(self, case: Case) -> bool:
        return True


class RaiserCaseSerializer(serializers.Serializer):
    """A case the user sees only as its raiser (issue 17; DESIGN.md "Access": status and
    their own contributions): its status in plain words and what they raised, not its
    state, clocks, owner or steps (``workflows.raiser``)."""

    reference = serializers.CharField()
    case_type = serializers.CharField()
    status = serializers.SerializerMethodField(help_text="The status in plain words.")
    summary = serializers.SerializerMethodField(help_text="The summary as they raised it.")
    team = serializers.CharField(source="team.slug")
    raised_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    limited = serializers.SerializerMethodField()
    raiser_view = serializers.SerializerMethodField()

    def get_status(self, case: Case) -> str:
        from workflows.raiser import raiser_status

        return raiser_status(case, get_workflow(case.case_type))

    def get_summary(self, case: Case) -> str:
        from workflows.raiser import raised_answers

        if hasattr(case, "raised_summary"):  # annotated by the list (case_search)
            return str(case.raised_summary or "")
        return str(raised_answers(case).get("summary", ""))

    @extend_schema_field({"type": "boolean", "enum": [False]})
    def get_limited(self, case: Case) -> bool:
        return False

    @extend_schema_field({"type": "boolean", "enum": [True]})
    def get_raiser_view(self, case: Case) -> bool:
        return True


# How a summary writes its times, as its ``raised_at`` and ``closed_at`` fields do (the
# settings' format, in the current time zone). An unbound field only reads its settings
# to write a value, so one serves every request and thread.
_MOMENT = serializers.DateTimeField()


class FoundPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    given_names = serializers.CharField()
    family_name = serializers.CharField()
    aliases = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)


class FoundPremisesSerializer(serializers.Serializer):
    address = serializers.CharField()
    postcode = serializers.CharField()


class FoundSerializer(serializers.Serializer):
    """What a search found in a case (``workflows.case_search.case_search_found``)."""

    people = FoundPersonSerializer(
        many=True, help_text="The case's people the search's words match (its names, other "
        "names, date of birth, phone or address)."
    )  # fmt: skip
    premises = FoundPremisesSerializer(
        allow_null=True, help_text="The case's premises, when the search matched them."
    )


def found_body(found: Any) -> dict[str, Any] | None:
    """FOUND of a ``FoundIn``, or None."""
    if found is None:
        return None
    people = [
        {
            "id": person["id"],
            "given_names": person["given_names"],
            "family_name": person["family_name"],
            "aliases": person["aliases"],
            "date_of_birth": (
                None if person["date_of_birth"] is None else person["date_of_birth"].isoformat()
            ),
        }
        for person in found.people
    ]
    premises = None
    if found.premises is not None:
        premises = {"address": found.premises[0], "postcode": found.premises[1]}
    return {"people": people, "premises": premises}


class CaseSummarySerializer(serializers.Serializer):
    """CASE_SUMMARY: a case in a list, for a user who may see its content."""

    reference = serializers.CharField()
    case_type = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.SerializerMethodField()
    summary = serializers.CharField()
    team = serializers.CharField(source="team.slug")
    owner = serializers.SerializerMethodField(help_text="Who it is allocated to, if anyone.")
    raised_by = serializers.SerializerMethodField()
    raised_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(
        help_text="Send it back with a transition: a case changed since is refused (409)."
    )
    overdue = serializers.SerializerMethodField()
    limited = serializers.SerializerMethodField()
    found = serializers.SerializerMethodField(
        help_text="In a list searched (q): which of the case's people and whether its "
        "premises the search found, so that a match is judged without opening the case; "
        "null otherwise."
    )

    def get_state_label(self, case: Case) -> str:
        return get_workflow(case.case_type).state_label(case.state)

    def get_owner(self, case: Case) -> str | None:
        return _username(case.owner)

    def get_raised_by(self, case: Case) -> str:
        return case.raised_by.get_username()

    def get_overdue(self, case: Case) -> bool:
        """A task of the case is past due and not met or cancelled."""
        annotated = getattr(case, "has_overdue_deadline", None)
        if annotated is not None:
            return bool(annotated)
        return case.deadlines.overdue(self.context["now"]).exists()

    @extend_schema_field({"type": "boolean", "enum": [False]})
    def get_limited(self, case: Case) -> bool:
        return False

    @extend_schema_field(FoundSerializer(allow_null=True))
    def get_found(self, case: Case) -> dict[str, Any] | None:
        """From the context's ``found`` (``case_search_found``, by case id), if any."""
        return found_body(self.context.get("found", {}).get(case.pk))

    def summary_row(self, case: Case) -> dict[str, Any]:
        """CASE_SUMMARY of ``case``: the same answer as ``to_representation`` (a test
        holds them equal), built directly. DRF's generic walk over the fields (each
        field's source looked up, checked for ``None`` and converted) took 1.0-1.5 ms of
        CPU for a page of 25 rows, this 0.65-0.95 (docs/performance.md, a twelfth
        session). Its times are written by one unbound ``DateTimeField`` (``_MOMENT``):
        asking for ``self.fields`` copied all fourteen fields for those two, 0.12 ms a
        list (a thirteenth session)."""
        closed_at = case.closed_at
        return {
            "reference": case.reference,
            "case_type": case.case_type,
            "state": case.state,
            "state_label": self.get_state_label(case),
            "summary": case.summary,
            "team": case.team.slug,
            "owner": self.get_owner(case),
            "raised_by": self.get_raised_by(case),
            "raised_at": _MOMENT.to_representation(case.raised_at),
            "closed_at": None if closed_at is None else _MOMENT.to_representation(closed_at),
            "version": case.version,
            "overdue": self.get_overdue(case),
            "limited": False,
            "found": self.get_found(case),
        }


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="person.pk")
    role = serializers.CharField()
    given_names = serializers.CharField(source="person.given_names")
    family_name = serializers.CharField(source="person.family_name")
    aliases = serializers.CharField(source="person.aliases")
    date_of_birth = serializers.DateField(source="person.date_of_birth", allow_null=True)
    estimated_age = serializers.IntegerField(source="person.estimated_age", allow_null=True)
    gender = serializers.CharField(source="person.gender")
    address = serializers.CharField(source="person.address")
    phone = serializers.CharField(source="person.phone")
    email = serializers.CharField(source="person.email")


class PremisesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField()
    postcode = serializers.CharField()
    tenure = serializers.CharField()
    landlord = serializers.CharField()


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField(allow_null=True, help_text="null: the state stays as it is.")
    fields = FieldSerializer(many=True)
    sub_process = serializers.CharField(
        allow_null=True, help_text="The process beside the main route this step is part of."
    )


# Keys of CASE that the type-specific fields (the case's details) never overwrite.
CASE_KEYS = frozenset(
    {
        "reference", "case_type", "state", "state_label", "summary", "team", "owner",
        "raised_by", "raised_at", "closed_at", "outcome_code", "version", "overdue", "limited",
        "people", "premises", "deadlines", "available_transitions",
    }
)  # fmt: skip


class CaseSerializer(CaseSummarySerializer):
    """CASE: everything the user may see of a case and what they may do now. The
    type-specific fields recorded at intake and at each step follow as further keys."""

    outcome_code = serializers.CharField(allow_blank=True)
    found = None  # a list's, not a case's
    people = serializers.SerializerMethodField()
    premises = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField(
        help_text="Only what this user may do now: from this state, guards met, permitted."
    )

    @extend_schema_field(PersonSerializer(many=True))
    def get_people(self, case: Case) -> list[dict[str, Any]]:
        links = prefetched(case, "case_people")
        if links is None:
            links = CasePerson.objects.filter(case=case).select_related("person").order_by("pk")
        return PersonSerializer(links, many=True).data

    @extend_schema_field(PremisesSerializer(allow_null=True))
    def get_premises(self, case: Case) -> dict[str, Any] | None:
        return PremisesSerializer(case.premises).data if case.premises_id else None

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, case: Case) -> list[dict[str, Any]]:
        deadlines = prefetched(case, "deadlines")
        if deadlines is None:
            deadlines = case.deadlines.order_by("due_at", "pk")
        return DeadlineSerializer(deadlines, many=True, context=self.context).data

    @extend_schema_field(AvailableTransitionSerializer(many=True))
    def get_available_transitions(self, case: Case) -> list[dict[str, Any]]:
        return [
            {
                "name": t.name,
                "label": t.custom["label"],
                "target": t.target,
                "fields": [field_data(f) for f in t.custom["fields"]],
                "sub_process": _sub_process_data(t)["sub_process"],
            }
            for t in self.context["available_transitions"]
        ]

    def to_representation(self, case: Case) -> dict[str, Any]:
        data = super().to_representation(case)
        for key, value in (case.details or {}).items():
            if key not in CASE_KEYS:
                data[key] = value
        for process in WORKFLOWS[case.case_type].sub_processes:
            data[process.field] = process.state_of(case)  # from the first step
        return data


CASE_OR_LIMITED = PolymorphicProxySerializer(
    component_name="CaseOrLimited",
    serializers=[CaseSerializer, RaiserCaseSerializer, LimitedCaseSerializer],
    resource_type_field_name=None,
)


class CasePageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Exact up to 1,000 past the page asked for.")
    count_capped = serializers.BooleanField(help_text="True: there are more than count.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PolymorphicProxySerializer(
        component_name="CaseSummaryOrLimited",
        serializers=[CaseSummarySerializer, RaiserCaseSerializer, LimitedCaseSerializer],
        resource_type_field_name=None,
        many=True,
    )


class DeadlinePageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Exact up to 1,000 past the page asked for.")
    count_capped = serializers.BooleanField(help_text="True: there are more than count.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DeadlineListItemSerializer(many=True)


# --- History -------------------------------------------------------------------------------


class HistoryEventSerializer(serializers.Serializer):
    """An audit event of the case (shared/API.md "history")."""

    at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField(help_text="Username; null for the system.")
    action = serializers.CharField(source="verb", help_text="The audit verb, e.g. case.raised.")
    from_state = serializers.SerializerMethodField()
    to_state = serializers.SerializerMethodField()
    details = serializers.JSONField(source="data")

    def get_actor(self, event: AuditEvent) -> str | None:
        return _username(event.actor)

    def get_from_state(self, event: AuditEvent) -> str | None:
        if event.verb == AuditVerb.CASE_TRANSITIONED:
            return (event.data or {}).get("from")
        return None

    def get_to_state(self, event: AuditEvent) -> str | None:
        data = event.data or {}
        if event.verb == AuditVerb.CASE_TRANSITIONED:
            return data.get("to")
        if event.verb == AuditVerb.CASE_RAISED:
            return data.get("state")
        return None


# --- Input ---------------------------------------------------------------------------------


class RaiseSerializer(serializers.Serializer):
    """Only for the schema: the body of POST /api/v1/cases/. The type's intake fields
    (GET /api/v1/workflows/{case_type}/ "intake_fields") go alongside."""

    case_type = serializers.ChoiceField(choices=sorted(WORKFLOWS))
    summary = serializers.CharField()
    team = serializers.SlugField(
        required=False,
        help_text="The slug of one of your teams; needed only if you are in more than one.",
    )


class TransitionInputSerializer(serializers.Serializer):
    """The body of POST .../transitions/{name}/: the transition's fields alongside."""

    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="The case's version as the client last read it.",
    )


class QueryParameters(serializers.Serializer):
    """A serializer of a list's query parameters, whose fields are copied shallowly.

    DRF gives each serializer a deep copy of its declared fields, remaking each from deep
    copies of its arguments: for the case list's six (the state among every workflow's
    states) 0.16 ms of an API request of some 4 ms (docs/performance.md, a thirteenth
    session). These fields' arguments are settings read and never changed (choices,
    limits, messages, validators), so a shallow copy is as safe: each serializer still
    binds its own copy (its name and parent), sharing only what is read. A test holds
    the answers equal to DRF's own for good and bad values."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class CaseFilterSerializer(QueryParameters):
    case_type = serializers.ChoiceField(choices=sorted(WORKFLOWS), required=False)
    state = serializers.ChoiceField(
        choices=sorted({s for w in WORKFLOWS.values() for s in w.states.values}),
        required=False,
    )
    overdue = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="true: only cases with an open deadline past due; false: only without.",
    )
    assigned_to = serializers.ChoiceField(
        choices=["me"], required=False, help_text="me: only cases allocated to you."
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Search references, summaries and the names of people linked to a case.",
    )
    page = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        case_type, state = attrs.get("case_type"), attrs.get("state")
        if case_type and state and state not in WORKFLOWS[case_type].states.values:
            raise serializers.ValidationError({"state": [f"{case_type} has no state {state}."]})
        return attrs


class DeadlineFilterSerializer(QueryParameters):
    status = serializers.ChoiceField(choices=DeadlineStatus.values, required=False)
    overdue = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="true: only open deadlines past due; false: only the others.",
    )
    assigned_to = serializers.ChoiceField(
        choices=["me"], required=False, help_text="me: only deadlines of cases allocated to you."
    )
    page = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


def bad_text(value: str) -> bool:
    """NUL and lone surrogates cannot be stored in PostgreSQL text."""
    return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)


def _text_problem(spec: Field, value: Any) -> str | None:
    if not isinstance(value, str):
        return "Enter a string."
    if bad_text(value):
        return "Enter text without NUL or unpaired surrogate characters."
    return None


def _boolean_problem(spec: Field, value: Any) -> str | None:
    return None if isinstance(value, bool) else "Enter true or false."


def _integer_problem(spec: Field, value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31
    return None if ok else "Enter a whole number."


def _multichoice_problem(spec: Field, value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) and not bad_text(v) for v in value)
    return None if ok else "Enter a list of strings."


def _records_problem(spec: Field, value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        return "Enter a list of objects."
    for index, item in enumerate(value, start=1):
        errors = json_type_errors(spec.fields, item)
        if errors:
            name, messages = next(iter(errors.items()))
            return f"Record {index}, {name}: {messages[0]}"
    return None


_TYPE_CHECKS = {
    FieldType.STRING: _text_problem,
    FieldType.TEXT: _text_problem,
    FieldType.DATE: _text_problem,
    FieldType.DATETIME: _text_problem,
    FieldType.CHOICE: _text_problem,
    FieldType.BOOLEAN: _boolean_problem,
    FieldType.INTEGER: _integer_problem,
    FieldType.MULTICHOICE: _multichoice_problem,
    FieldType.RECORDS: _records_problem,
}


def json_type_errors(fields: Sequence[Field], data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Errors for values whose JSON type does not fit their declared field. The services
    then validate the content; this keeps a number where a date belongs from reaching
    them (Django's form fields expect strings)."""
    errors = {}
    for spec in fields:
        value = data.get(spec.name)
        problem = None if value is None else _TYPE_CHECKS[spec.type](spec, value)
        if problem:
            errors[spec.name] = [problem]
    return errors
