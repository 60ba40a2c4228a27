"""The workflows of all case types, by case type id (shared/API.md).

Each case-type module calls ``register`` when it is imported; ``workflows.models``
imports them all, so the registry is complete once Django's apps are loaded.
"""

from __future__ import annotations

from workflows.definitions import Workflow

WORKFLOWS: dict[str, Workflow] = {}


class UnknownCaseType(LookupError):
    pass


def register(workflow: Workflow) -> Workflow:
    if workflow.case_type in WORKFLOWS:
        raise ValueError(f"workflow {workflow.case_type} registered twice")
    WORKFLOWS[workflow.case_type] = workflow
    return workflow


def get_workflow(case_type: str) -> Workflow:
    try:
        return WORKFLOWS[case_type]
    except KeyError:
        raise UnknownCaseType(case_type) from None


def valid_states() -> dict[str, list[str]]:
    """Every case type's states: the source of the database CHECK constraint."""
    return {t: list(w.states.values) for t, w in sorted(WORKFLOWS.items())}


# A case may have begun as a general concern and been given its type later
# (workflows.unclassified): its earlier events are labelled by that workflow.
FIRST_TYPE = "unclassified"


def workflow_label(case_type: str, kind: str, name: str) -> str | None:
    """The label of a state, transition or deadline rule of ``case_type``'s workflow
    (registered with the audit pages by ``WorkflowsConfig.ready``); failing that, of the
    general concern the case may have begun as."""
    try:
        found = _workflow_label(case_type, kind, name)
    except (KeyError, LookupError):
        found = None
    first = WORKFLOWS.get(FIRST_TYPE)
    if found is None and case_type != FIRST_TYPE and first is not None:
        declared = {"state": first.states.values, "transition": first.transition_names()}
        if name in declared.get(kind, ()):
            return _workflow_label(FIRST_TYPE, kind, name)
    return found


def _workflow_label(case_type: str, kind: str, name: str) -> str | None:
    workflow = WORKFLOWS.get(case_type)
    if workflow is None:
        return None
    if kind == "state":
        return workflow.state_label(name)
    if kind == "transition":
        return workflow.transition_meta(name)["label"]
    if kind == "rule":
        return workflow.rule(name).label
    return None
