"""What the audit pages need to know of the workflows, registered with casework's audit
(which knows no case type) by ``WorkflowsConfig.ready``: the labels of case types,
reminder stages, clock units and a clock's unit, and the declarations of step inputs so
that each is shown by its label and its value in words (issue 20)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from casework.audit_describe import Line
from casework.chronology import Entry
from casework.dates import datetime_words
from workflows.definitions import Field, Unit
from workflows.models import Deadline, DeadlineStatus, ReminderStage
from workflows.registry import FIRST_TYPE, WORKFLOWS

UNIT_WORDS = {
    Unit.WORKING_DAYS: "Working days",
    Unit.CALENDAR_DAYS: "Calendar days",
    Unit.HOURS: "Hours",
    Unit.MONTHS: "Months",
}


def workflow_extra_label(case_type: str, kind: str, name: str) -> str | None:
    """Labels beyond a workflow's states, steps and rules (``registry.workflow_label``)."""
    if kind == "case_type" and name in WORKFLOWS:
        return WORKFLOWS[name].label
    if kind == "reminder_stage":
        return dict(ReminderStage.choices).get(name)
    if kind == "unit":
        return UNIT_WORDS.get(name)
    if kind == "deadline_unit" and name.isdigit():
        return Deadline.objects.filter(pk=int(name)).values_list("unit", flat=True).first()
    if kind == "rule":
        # A clock not declared by the case type (a partner's response clock) or a
        # case-type-less event: any workflow's rule of that name.
        for workflow in WORKFLOWS.values():
            for rule in workflow.deadline_rules:
                if rule.name == name:
                    return rule.label
    return None


def _step_fields(case_type: str, step: str) -> list[Field]:
    workflow = WORKFLOWS.get(case_type)
    if workflow is None:
        return []
    if step == "raise":
        return list(workflow.intake_fields)
    try:
        return list(workflow.transition_meta(step)["fields"])
    except KeyError:
        return []


def workflow_field(case_type: str, step: str, name: str) -> Any:
    """The declaration of input ``name`` of ``step`` of ``case_type``; failing that, the
    same name anywhere in the workflow (a partner's decision gives a step's inputs), or
    in the general concern the case may have begun as.
    A referral's inputs are the referrals app's to name."""
    if step.startswith("referral:"):
        return None
    # Declarations do not change while the app runs, so each answer is kept: a page of
    # 50 raise events asks for some 500 inputs' fields, each a walk of the workflow's
    # steps (docs/performance.md). Kept with the workflow it was found in, and asked
    # again if the registry holds another one under that name.
    workflow = WORKFLOWS.get(case_type)
    key = (case_type, step, name)
    kept = _FIELDS.get(key)
    if kept is not None and kept[0] is workflow:
        return kept[1]
    found = _field_of(case_type, step, name)
    if found is None and case_type != FIRST_TYPE:
        found = _field_of(FIRST_TYPE, step, name)
    if len(_FIELDS) < _FIELDS_KEPT:
        _FIELDS[key] = (workflow, found)
    return found


# Fields found, by (case type, step, input): as many as the workflows declare, at most.
_FIELDS: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_FIELDS_KEPT = 20_000


def _field_of(case_type: str, step: str, name: str) -> Any:
    for field in _step_fields(case_type, step):
        if field.name == name:
            return field
    workflow = WORKFLOWS.get(case_type)
    if workflow is None:
        return None
    for field in workflow.intake_fields:
        if field.name == name:
            return field
    for transition in workflow.transitions():
        for field in transition.custom.get("fields", ()):
            if field.name == name:
                return field
    return None


# Clock outcomes in a case chronology (casework.chronology) ------------------------------------


def _status_words(status: str) -> str:
    return dict(DeadlineStatus.choices).get(status) or status.replace("_", " ").capitalize()


def clock_outcomes(cases: Sequence[Any]) -> list[Any]:
    """How each clock of these cases ended: met, missed, cancelled (or a status a newer
    release adds), with when it was due and when it ended, as chronology entries."""
    deadlines = Deadline.objects.filter(case_id__in=[c.pk for c in cases]).select_related("case")
    entries = []
    for deadline in deadlines.exclude(status__in=["open", "paused"]).order_by("pk"):
        ended = deadline.met_at or deadline.closed_at or deadline.due_at
        lines = [
            Line("Clock", deadline.label),
            Line("Outcome", _status_words(deadline.status)),
            Line("Was due", datetime_words(deadline.due_at)),
            Line("Timescale", "Statutory" if deadline.statutory else "Local practice"),
        ]
        if deadline.met_at:
            lines.append(Line("Met", datetime_words(deadline.met_at)))
        entries.append(
            Entry(
                at=ended,
                case=deadline.case.reference,
                kind="Clock",
                title=f"Clock {_status_words(deadline.status).lower()}",
                by="Safecase",
                lines=lines,
            )
        )
    return entries
