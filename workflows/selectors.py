"""Workflow reads for a user: what they may do to a case now.

Visibility (which cases a user may open) is decided by ``casework.selectors``; these
read a visible case's workflow. The case page and the API both list a case's actions
from here, so the two can never offer different steps.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, Q, prefetch_related_objects

from casework.models import Case, CasePerson
from workflows.models import Deadline
from workflows.registry import get_workflow


def available_transitions(case: Case, user: Any) -> list[Any]:
    """The django-fsm transitions ``user`` may take on ``case`` now: declared from its
    current state, their guards met, and permitted to the user (DESIGN.md "Access":
    leads of the case's team, or for some steps the allocated worker)."""
    workflow = get_workflow(case.case_type)
    proxy = case if isinstance(case, workflow.model) else workflow.model.objects.get(pk=case.pk)
    return list(proxy.get_available_user_state_transitions(user))


def case_answer_prefetch(case: Case, now: datetime) -> None:
    """Read onto ``case`` what the API's answer about it shows besides its own row: its
    people with their details, its clocks (ordered as the answer lists them) and whether
    one is overdue at ``now`` (``CaseSerializer`` uses them when present). A write that
    answers with the case calls this before taking the audit chain's lock, so the lock
    is held for the figures and the event, not for these reads (docs/performance.md)."""
    prefetch_related_objects(
        [case],
        Prefetch(
            "case_people", queryset=CasePerson.objects.select_related("person").order_by("pk")
        ),
        Prefetch("deadlines", queryset=Deadline.objects.order_by("due_at", "pk")),
    )
    case.has_overdue_deadline = Deadline.objects.filter(case=case).overdue(now).exists()


def raise_answer_prefetch(case: Case, summary: str) -> None:
    """Set on a concern just raised what its raiser's view (``RaiserCaseSerializer``)
    would otherwise read back: the summary as they gave it (the ``case.raised`` event's,
    written after this) and that it has not been referred anywhere yet (the annotations
    the case list gives the same view, ``workflows.raiser``). Called by ``case_raise``
    before the audit chain's lock, so a raise's answer reads nothing under it that it
    already knows (docs/performance.md)."""
    case.raised_summary = summary
    case.raiser_referred_to = None


def dhr_figures(
    *, year: int | None = None, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """The committee pack's Domestic Homicide Review counts (RULES.md §6) for the calendar
    ``year``, or for the inclusive dates ``start`` to ``end`` (the pack gives its
    reporting year to date): deaths notified, decisions to review and not to, reviews
    published, and reviews in progress now (decided, not yet published). Counts from the
    dates the steps recorded, never a review's content; the caller suppresses small
    numbers where it publishes."""
    from django.db.models.fields.json import KT

    from workflows.dhr import REVIEW_BEFORE_PUBLICATION

    if year is not None:
        start, end = date(year, 1, 1), date(year, 12, 31)
    if start is None or end is None:
        raise ValueError("Give a year, or a start and an end.")
    first, last = start.isoformat(), end.isoformat()

    def within(key: str) -> Q:
        # The steps store ISO dates, so their text orders as the dates do.
        return Q(**{f"{key}__gte": first, f"{key}__lte": last})

    reviews = Case.objects.filter(case_type="dhr").annotate(
        notified_on=KT("details__notified_on"),
        decided_on=KT("details__decided_on"),
        published_on=KT("details__published_on"),
    )
    decided = reviews.filter(within("decided_on"))
    return {
        "year": year,
        "start": start,
        "end": end,
        "notified": reviews.filter(within("notified_on")).count(),
        "decided_to_review": decided.filter(details__decision="review").count(),
        "decided_not_to_review": decided.filter(details__decision="no_review").count(),
        "published": reviews.filter(within("published_on")).count(),
        "in_progress": reviews.filter(state__in=REVIEW_BEFORE_PUBLICATION).count(),
    }
