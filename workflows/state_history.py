"""The state history of cases (``CaseStateChange``), kept by the one write path.

``state_change_record`` is called only inside ``workflows.services.case_raise`` and
``case_transition``, in their transaction, after the case row is locked; nothing else
writes the table (the backfill migration ``workflows.0011_case_state_change`` filled it
once from the audit log). The reports (``reports/figures.py``) read it for figures "as
at" a date and for what happened in a period (issue 21).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casework.models import Case
from workflows.definitions import Workflow
from workflows.models import CaseStateChange


def state_change_record(
    *,
    case: Case,
    workflow: Workflow,
    from_state: str,
    transition: str,
    at: datetime,
    actor: Any,
    recorded_at: datetime,
) -> CaseStateChange:
    """Record that ``case`` entered its current state at ``at`` (the event's time).

    The previous row (the state it leaves) is closed at the same moment. A back-dated
    event earlier than the previous change is placed at the previous change's time, so
    the intervals of one case never overlap and "as at" has exactly one answer. A raise
    (``from_state`` empty) is the case's first change: nothing before it is looked for.
    """
    previous = (
        CaseStateChange.objects.filter(case_id=case.pk, until__isnull=True)
        .order_by("-at", "-id")
        .first()
        if from_state
        else None
    )
    if previous is not None and at < previous.at:
        at = previous.at
    if previous is not None:
        CaseStateChange.objects.filter(case_id=case.pk, until__isnull=True).update(until=at)
    return CaseStateChange.objects.create(
        case_id=case.pk,
        case_type=case.case_type,
        from_state=from_state,
        to_state=case.state,
        transition=transition,
        closed=case.state in workflow.terminal_states,
        at=at,
        recorded_at=recorded_at,
        by=actor if getattr(actor, "pk", None) else None,
    )
