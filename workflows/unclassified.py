"""A general concern whose raiser was not sure of its type (issue 19, point 5).

The raiser picks "Not sure which" on the choose-a-type page and answers four short
questions (who, where, what happened, is anyone at immediate risk). The concern is a
case of type ``unclassified``, raised like any other, so it has a reference, a history
and a place in its team's triage queue, and its team's leads are told at once.

A lead of the team opens it and takes its one step, **Choose the type of concern**
(``classify``): the effect ``case_classify`` turns it into a case of the chosen type, in
that type's first state, keeping its reference, people, answers and history, recording
the change in the audit trail and starting the new type's intake clocks from when the
concern was first raised. The new type's own intake questions are not asked again: what
the case lacks is added on the case page or by its steps. A concern classified as
Prevent is from then on need-to-know: only Prevent-cleared leads see it
(``casework.permissions``), and its raiser only that it was received. A lead may instead
close it as not a safeguarding concern.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F

from casework.audit import AuditVerb, audit_record
from casework.models import Case
from casework.permissions import named_case_types
from casework.search_index import search_index_update
from casework.selectors import case_leads
from notifications.models import Channel
from notifications.services import outbox_enqueue
from workflows import clocks
from workflows.definitions import RAISE, Field, FieldType, Workflow, WorkflowCaseMixin, msgs
from workflows.registry import FIRST_TYPE, WORKFLOWS, register
from workflows.state_history import state_change_record
from workflows.steps import step

UNCLASSIFIED = FIRST_TYPE


class State(models.TextChoices):
    AWAITING_TYPE = "awaiting_type", "Waiting for a lead to choose the type"
    CLOSED = "closed", "Closed: not a safeguarding concern"


def type_choices() -> list[tuple[str, str]]:
    """The types a lead may choose: every type a raiser could have chosen (not a death
    for review, which a lead records from the start)."""
    named = named_case_types()
    return [
        (case_type, workflow.label)
        for case_type, workflow in WORKFLOWS.items()
        if case_type != UNCLASSIFIED and case_type not in named
    ]


INTAKE_FIELDS = [
    Field(
        "subject_given_names",
        FieldType.STRING,
        "Who is the concern about? Their first name, or a description",
        help_text="For example, “Maria”, or “a teenage boy in a red coat”.",
        person="subject.given_names",
        max_length=200,
        errors=msgs(
            required="Enter the person's first name, or describe them",
            max_length="The person's name or description must be 200 characters or fewer",
        ),
    ),
    Field(
        "subject_family_name",
        FieldType.STRING,
        "Their last name, if you know it",
        required=False,
        person="subject.family_name",
        max_length=200,
        errors=msgs(
            required="Enter the person's last name",
            max_length="The person's last name must be 200 characters or fewer",
        ),
    ),
    Field(
        "subject_estimated_age",
        FieldType.INTEGER,
        "Their age, or your best guess, if you know it",
        required=False,
        person="subject.estimated_age",
        min_value=0,
        max_value=120,
        errors=msgs(
            required="Enter the person's age, or your best guess",
            invalid="Age must be a whole number of years, like 35",
            min_value="Age must be 0 or more",
            max_value="Age must be 120 or less",
        ),
    ),
    Field(
        "location",
        FieldType.TEXT,
        "Where did it happen, or where does the person live?",
        help_text="An address, or a description of the place, like “the car wash on Mill Lane”.",
        max_length=1000,
        errors=msgs(
            required="Enter where it happened, or where the person lives",
            max_length="Where it happened must be 1000 characters or fewer",
        ),
    ),
    Field(
        "what_happened",
        FieldType.TEXT,
        "What happened, or what have you seen or been told?",
        help_text="Include dates and times if you know them.",
        errors=msgs(
            required="Enter what happened, or what you have seen or been told",
            max_length="What happened must be 20000 characters or fewer",
        ),
    ),
    Field(
        "immediate_risk",
        FieldType.BOOLEAN,
        "Is anyone at immediate risk?",
        help_text="If someone's life is at risk, call 999 now, then raise this concern.",
        errors=msgs(required="Select yes if anyone is at immediate risk"),
    ),
]


class UnclassifiedCase(WorkflowCaseMixin, Case):
    """A general concern waiting for a lead to choose its type."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        source=State.AWAITING_TYPE,
        target=None,
        label="Choose the type of concern",
        fields=[
            Field(
                "concern_type",
                FieldType.CHOICE,
                "What type of concern is this?",
                choices=type_choices(),
                help_text=(
                    "The case keeps its reference, the people named and everything the "
                    "raiser wrote, and continues as a case of this type. A Prevent case is "
                    "then seen only by leads cleared for Prevent."
                ),
            )
        ],
    )
    def classify(self, *, actor: Any, data: dict) -> None:
        """Nothing here: ``case_classify`` (the step's effect) changes the case's type."""

    @step(
        source=State.AWAITING_TYPE,
        target=State.CLOSED,
        label="Close: not a safeguarding concern",
        outcome="NOT_SAFEGUARDING",
        outcome_words="Not a safeguarding concern",
        fields=[Field("rationale", FieldType.TEXT, "Why this is not a safeguarding concern")],
    )
    def close_not_safeguarding(self, *, actor: Any, data: dict) -> None:
        self.record(data)


def case_classify(*, case: Case, actor: Any, data: dict[str, Any], at: Any) -> None:
    """Turn the general concern into a case of ``data["concern_type"]`` (in the transition
    service's transaction, after its step): its type and first state change, everything
    else stays; audited; the new type's intake clocks start from when it was raised; the
    leads who triage the new type are told."""
    new_type = data["concern_type"]
    workflow = WORKFLOWS[new_type]
    before = WORKFLOWS[UNCLASSIFIED]
    Case.objects.filter(pk=case.pk).update(
        case_type=new_type, state=workflow.initial_state, version=F("version") + 1
    )
    converted = workflow.model.objects.get(pk=case.pk)
    state_change_record(
        case=converted,
        workflow=workflow,
        from_state=case.state,
        transition="classify",
        at=at,
        actor=actor,
        recorded_at=at,
    )
    audit_record(
        actor=actor,
        verb=AuditVerb.CASE_UPDATED,
        case=converted,
        target=converted,
        data={
            "before": {"type": before.label, "stage": before.state_label(case.state)},
            "after": {"type": workflow.label, "stage": workflow.state_label(converted.state)},
            "case_type": new_type,
            "from_case_type": UNCLASSIFIED,
        },
    )
    for rule in workflow.rules_starting_on(RAISE):
        start = clocks.rule_start(workflow, rule, converted.details, converted.raised_at)
        clocks.deadline_open(
            case=converted, workflow=workflow, rule=rule, at=start, actor=actor, recorded_at=at
        )
    search_index_update([case.pk])
    _notify_classified(converted, workflow, actor)


def _notify_classified(case: Case, workflow: Workflow, actor: Any) -> None:
    """Tell the leads who triage the new type (for Prevent, the cleared ones) that it is
    theirs now; the reference and type only, as when a concern is raised."""
    for lead in case_leads(case):
        if lead.pk == actor.pk:
            continue
        outbox_enqueue(
            recipient_id=lead.pk,
            channel=Channel.IN_APP,
            template="case.raised",
            subject=f"New {workflow.label.lower()} concern {case.reference}",
            body=f"{case.reference} was given its type and is waiting for triage.",
        )


WORKFLOW = register(
    Workflow(
        case_type=UNCLASSIFIED,
        label="General concern",
        description=(
            "A general concern whose raiser was not sure which type it is. A safeguarding "
            "lead of the team chooses the type, and the case carries on as that type with "
            "the same reference and everything recorded so far."
        ),
        choose_when=(
            "You are not sure which type fits: answer four short questions and a "
            "safeguarding lead will decide."
        ),
        model=UnclassifiedCase,
        states=State,
        initial_state=State.AWAITING_TYPE,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        effects={"classify": case_classify},
    )
)
