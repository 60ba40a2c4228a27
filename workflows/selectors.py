"""Workflow reads for a user: what they may do to a case now.

Visibility (which cases a user may open) is decided by ``casework.selectors``; these
read a visible case's workflow. The case page and the API both list a case's actions
from here, so the two can never offer different steps.
"""

from __future__ import annotations

from typing import Any

from casework.models import Case
from workflows.registry import get_workflow


def available_transitions(case: Case, user: Any) -> list[Any]:
    """The django-fsm transitions ``user`` may take on ``case`` now: declared from its
    current state, their guards met, and permitted to the user (DESIGN.md "Access":
    leads of the case's team, or for some steps the allocated worker)."""
    workflow = get_workflow(case.case_type)
    proxy = case if isinstance(case, workflow.model) else workflow.model.objects.get(pk=case.pk)
    return list(proxy.get_available_user_state_transitions(user))
