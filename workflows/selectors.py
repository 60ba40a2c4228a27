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


def dhr_figures(*, year: int) -> dict[str, int]:
    """The committee pack's Domestic Homicide Review counts for ``year`` (RULES.md §6):
    deaths notified, decisions to review and not to, reviews published, and reviews in
    progress now (decided, not yet published). Counts from the dates the steps recorded,
    never a review's content; the caller suppresses small numbers where it publishes."""
    from workflows.dhr import REVIEW_BEFORE_PUBLICATION

    reviews = Case.objects.filter(case_type="dhr")
    prefix = f"{year:04d}-"
    decided = reviews.filter(details__decided_on__startswith=prefix)
    return {
        "year": year,
        "notified": reviews.filter(details__notified_on__startswith=prefix).count(),
        "decided_to_review": decided.filter(details__decision="review").count(),
        "decided_not_to_review": decided.filter(details__decision="no_review").count(),
        "published": reviews.filter(details__published_on__startswith=prefix).count(),
        "in_progress": reviews.filter(state__in=REVIEW_BEFORE_PUBLICATION).count(),
    }
