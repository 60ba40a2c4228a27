"""The raiser's view of a case (issue 17, finding 5; DESIGN.md "Access": frontline staff
see the cases they raised as "status and their own contributions").

Someone who sees a case only because they raised it (``case_is_raiser_only``: not
allocated to it, not a lead of its team, not granted it, not an auditor) gets its status
in plain words, what they raised (their answers as they gave them, from the
``case.raised`` event), and the notes and files they added themselves, and may add more.
Nothing else: not the lead's notes or files, the clocks, the steps taken, the referrals
or the history. The raiser of a Prevent case knows even less: only that it was received
(``case_is_limited``, RULES.md §4.5).
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case
from casework.notes import case_attachment_list_for_user, case_note_list_for_user
from workflows.definitions import Workflow

RECEIVED = "Received: waiting for a safeguarding lead to look at it"
OPEN = "Open: the safeguarding team is working on it"


def raiser_status(case: Case, workflow: Workflow) -> str:
    """The case's status in plain words, without the step it has reached."""
    if case.closed_at is not None or case.state in workflow.terminal_states:
        return "Closed"
    if case.state == workflow.initial_state:
        return RECEIVED
    return OPEN


def raised_answers(case: Case) -> dict[str, Any]:
    """What the raiser gave when they raised the case (the ``case.raised`` event's
    inputs): later corrections by the lead are the lead's, not theirs."""
    event = case.audit_events.filter(verb=AuditVerb.CASE_RAISED).order_by("pk").first()
    data = event.data if event is not None and isinstance(event.data, dict) else {}
    inputs = data.get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def raised_summary() -> Subquery:
    """The summary as the raiser gave it, for annotating a list of cases (``summary``
    of the ``case.raised`` event's inputs): no query per row."""
    events = AuditEvent.objects.filter(case=OuterRef("pk"), verb=AuditVerb.CASE_RAISED)
    return Subquery(events.order_by("pk").values("data__inputs__summary")[:1])


def raiser_context(user: Any, case: Case, workflow: Workflow) -> dict[str, Any]:
    """Everything the raiser's page shows: their own notes and files only (the note and
    attachment selectors keep a raiser to what they added)."""
    return {
        "case": case,
        "workflow": workflow,
        "status": raiser_status(case, workflow),
        "closed": case.closed_at is not None,
        "answers": raised_answers(case),
        "notes": list(case_note_list_for_user(user, case)[:50]),
        "attachments": list(case_attachment_list_for_user(user, case)[:50]),
    }
