"""``step``: django-fsm's ``@transition`` with the metadata Safecase needs.

Each transition declares a label, the input fields a user fills in, and who may take
it. The method body only sets fields (DESIGN.md "Transitions"); the service
(``workflows.services.case_transition``) does the locking, audit, clocks and outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django_fsm import transition

from casework.permissions import lead_may, worker_may
from workflows.definitions import Field

LEAD = "casework.manage_case"
WORKER = "casework.work_on_case"
_PERMISSIONS: dict[str, Callable[[Any, Any], bool]] = {LEAD: lead_may, WORKER: worker_may}


def step(
    *,
    source: str | Sequence[str],
    target: str | None,
    label: str,
    fields: Sequence[Field] = (),
    conditions: Sequence[Callable[[Any], bool]] = (),
    permission: str = LEAD,
    outcome: str = "",
    guard_message: str = "",
    event_field: str = "",
) -> Callable[[Any], Any]:
    """Declare a transition. ``target=None`` records an event without changing state.

    ``outcome`` is the outcome code recorded when the step closes the case; a step
    into a terminal state may instead take an ``outcome_code`` field.
    ``guard_message`` explains a refusal when a condition is not met.
    ``event_field`` names the input that says when the step's event happened (the date
    of the meeting, the decision, the exit): clocks it starts or meets run from that
    time, not from when it was typed in (RULES.md §0.3, docs/clocks.md). It must not be
    in the future, nor before the case's earlier events.
    """
    if event_field and event_field not in {f.name for f in fields}:
        raise ValueError(f"event_field {event_field!r} is not one of the step's fields")
    return transition(
        field="state",
        source=list(source) if not isinstance(source, str) else source,
        target=target,
        conditions=list(conditions),
        permission=_PERMISSIONS[permission],
        custom={
            "label": label,
            "fields": tuple(fields),
            "permission_name": permission,
            "outcome": outcome,
            "guard_message": guard_message,
            "event_field": event_field,
        },
    )
