"""Walk a workflow through its declared transitions using only its declarations.

Used by each case type's tests: every (transition, source) pair is taken at least once
on a fresh case reached by the shortest declared path, and every terminal state is
reached. Sample inputs are made from each field's declared type; a test supplies
``overrides`` for values its guards depend on, and several intake variants where guards
split the paths (a child and an adult, say).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from workflows.definitions import Field, FieldType, Workflow
from workflows.errors import TransitionNotAllowed
from workflows.services import case_raise, case_transition

# Fields whose first choice would not fit every sample case: an anonymous notification's
# age band must include the person's recorded age, and "Not known" fits every adult.
NAMED_SAMPLES: dict[str, Any] = {"age_band": "unknown"}


def sample_value(spec: Field) -> Any:
    if spec.name in NAMED_SAMPLES:
        return NAMED_SAMPLES[spec.name]
    return _sample_of_type(spec)


def _sample_of_type(spec: Field) -> Any:
    match spec.type:
        case FieldType.STRING:
            return "Example"
        case FieldType.TEXT:
            return "Example text."
        case FieldType.BOOLEAN:
            return True
        case FieldType.DATE:
            return timezone.localdate().isoformat()
        case FieldType.DATETIME:
            return timezone.now().isoformat()
        case FieldType.INTEGER:
            return spec.min_value if spec.min_value is not None else 1
        case FieldType.CHOICE:
            return spec.choices[0][0]
        case FieldType.MULTICHOICE:
            return [spec.choices[0][0]]
        case FieldType.RECORDS:
            return [sample_values(spec.fields)]
    raise ValueError(spec.type)


def sample_values(fields: Iterable[Field], overrides: dict[str, Any] | None = None) -> dict:
    """A value for every field, except an optional date or time ("if not now"): left out,
    it means the step happened when it was recorded."""
    values = {
        f.name: sample_value(f)
        for f in fields
        if f.required or f.type not in (FieldType.DATE, FieldType.DATETIME)
    }
    values.update(overrides or {})
    return values


def edges(workflow: Workflow) -> list[tuple[str, str, str]]:
    """(source, name, target) for every declared transition of the main route; target None
    means no change. A sub-process's steps (``sub_edges``) are walked on their own."""
    out = []
    for t in workflow.transitions():
        if t.custom.get("sub_process") is not None:
            continue
        target = t.target if t.target is not None else t.source
        out.append((t.source, t.name, target))
    return out


def shortest_paths(workflow: Workflow) -> dict[str, list[tuple[str, str, str]]]:
    """For each reachable state, the shortest list of edges from the initial state."""
    paths: dict[str, list] = {workflow.initial_state: []}
    queue = deque([workflow.initial_state])
    graph = edges(workflow)
    while queue:
        state = queue.popleft()
        for source, name, target in graph:
            if source == state and target not in paths:
                paths[target] = [*paths[state], (source, name, target)]
                queue.append(target)
    return paths


def walk_all(
    workflow: Workflow,
    *,
    raise_case: Callable[[dict], Any],
    actor: Any,
    variants: list[dict],
    overrides: dict[str, dict] | None = None,
    before_step: Callable[[Any, str], None] | None = None,
) -> dict[str, set]:
    """Take every declared (source, transition) once; return what was taken and reached.

    For each edge, each intake variant is tried in turn; a variant whose guards refuse the
    path is skipped. Raises AssertionError for an edge that no variant can take.
    """
    overrides = overrides or {}
    paths = shortest_paths(workflow)
    taken: set[tuple[str, str]] = set()
    reached: set[str] = set()
    for source, name, target in edges(workflow):
        assert source in paths, f"{workflow.case_type}: state {source} is unreachable"
        errors = []
        for variant in variants:
            case = raise_case(variant)
            try:
                for _, step_name, _ in [*paths[source], (source, name, target)]:
                    fields = workflow.transition_meta(step_name)["fields"]
                    if before_step is not None:
                        # It may take a step that changes no state and return the case.
                        case = before_step(case, step_name) or case
                    case = case_transition(
                        case=case,
                        actor=actor,
                        name=step_name,
                        data=sample_values(fields, overrides.get(step_name)),
                        expected_version=case.version,
                    )
            except (TransitionNotAllowed, ValidationError) as exc:
                errors.append(f"{variant}: {exc}")
                continue
            assert case.state == target, (name, case.state, target)
            taken.add((source, name))
            reached.add(case.state)
            break
        else:
            raise AssertionError(
                f"{workflow.case_type}: cannot take {name} from {source}: {errors}"
            )
    return {"taken": taken, "reached": reached}


def sub_edges(workflow: Workflow) -> list[tuple[str, str, str]]:
    """(sub-source, name, sub-target) of every step of the workflow's sub-processes."""
    out: dict[tuple[str, str, str], None] = {}
    for t in workflow.transitions():
        if t.custom.get("sub_process") is None:
            continue
        for source in t.custom["sub_source"]:
            out[(source, t.name, t.custom["sub_target"] or source)] = None
    return list(out)


def default_raise(workflow: Workflow, actor: Any) -> Callable[[dict], Any]:
    def _raise(variant: dict) -> Any:
        data = sample_values(workflow.intake_fields, variant)
        data.setdefault("summary", "A concern raised in a test.")
        return case_raise(actor=actor, case_type=workflow.case_type, data=data)

    return _raise


def today() -> date:
    return timezone.localdate()
