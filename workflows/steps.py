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
from workflows.definitions import Field, SubProcess

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
    outcome_words: str = "",
    guard_message: str = "",
    event_field: str = "",
    sub_process: SubProcess | None = None,
    sub_source: Sequence[str] = (),
    sub_target: str | None = None,
) -> Callable[[Any], Any]:
    """Declare a transition. ``target=None`` records an event without changing state.

    ``outcome`` is the outcome code recorded when the step closes the case, and
    ``outcome_words`` how every page, report and message says it ("Negative reasonable
    grounds decision", not the code); a step into a terminal state may instead take an
    ``outcome_code`` field, whose choices' labels are its words.
    ``guard_message`` explains a refusal when a condition is not met.
    ``event_field`` names the input that says when the step's event happened (the date
    of the meeting, the decision, the exit): clocks it starts or meets run from that
    time, not from when it was typed in (RULES.md §0.3, docs/clocks.md). It must not be
    in the future, nor before the case's earlier events.

    A step of a ``sub_process`` (which runs beside the main route) keeps the main state
    (``target`` must be None), may be taken only while the sub-process is in one of
    ``sub_source`` and moves it to ``sub_target`` (None: it stays).
    """
    if outcome and not outcome_words:
        raise ValueError(f"outcome {outcome!r} needs its outcome_words")
    if event_field and event_field not in {f.name for f in fields}:
        raise ValueError(f"event_field {event_field!r} is not one of the step's fields")
    custom: dict[str, Any] = {}
    if sub_process is not None:
        if target is not None or not sub_source:
            raise ValueError("a sub-process step keeps the main state and needs sub_source")
        conditions = [InSubState(sub_process, tuple(sub_source), label), *conditions]
        custom = {
            "sub_process": sub_process,
            "sub_source": tuple(sub_source),
            "sub_target": sub_target,
        }
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
            "outcome_words": outcome_words,
            "guard_message": guard_message,
            "event_field": event_field,
            **custom,
        },
    )


class InSubState:
    """The guard of a sub-process step: the sub-process is in one of its sources."""

    def __init__(self, process: SubProcess, sources: tuple[str, ...], label: str) -> None:
        self.process, self.sources, self.label = process, sources, label
        self.__name__ = f"in_{process.name}"

    def __call__(self, case: Any) -> bool:
        return self.process.state_of(case) in self.sources

    def refusal(self, case: Any) -> str:
        """Why the step is refused, in words (the 409's detail)."""
        state = self.process.state_label(self.process.state_of(case))
        process = self.process.label.lower()
        return f"{self.label} is not possible while the {process} are at “{state}”."


def refusing(message: str) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    """Give a guard its own refusal message, for a step with several guards (the first
    one that fails explains the refusal)."""

    def mark(condition: Callable[[Any], bool]) -> Callable[[Any], bool]:
        condition.guard_message = message  # type: ignore[attr-defined]
        return condition

    return mark
