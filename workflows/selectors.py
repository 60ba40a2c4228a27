"""Workflow reads for a user: what they may do to a case now.

Visibility (which cases a user may open) is decided by ``casework.selectors``; these
read a visible case's workflow. The case page and the API both list a case's actions
from here, so the two can never offer different steps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from casework.models import Case, CasePerson
from casework.selectors import prefetched_set
from casework.statements import compiled_objects, compiled_values
from workflows.models import Deadline
from workflows.registry import get_workflow


def available_transitions(case: Case, user: Any) -> list[Any]:
    """The django-fsm transitions ``user`` may take on ``case`` now: declared from its
    current state, their guards met, and permitted to the user (DESIGN.md "Access":
    leads of the case's team, or for some steps the allocated worker)."""
    workflow = get_workflow(case.case_type)
    proxy = case
    if not isinstance(case, workflow.model):
        # The case read again as its type's model, by a statement compiled once.
        model = workflow.model
        found = compiled_objects(
            ("case as its type", model),
            lambda pk: model.objects.filter(pk=pk),
            (case.pk,),
            prepared=True,
        )
        if not found:
            raise model.DoesNotExist(f"No case {case.pk}.")
        proxy = found[0]
    return list(proxy.get_available_user_state_transitions(user))


def rows_of_case(key: Any, build: Callable[[int], QuerySet[Any]], case: Case) -> list[Any]:
    """``build(case.pk)``'s rows, each knowing ``case`` as a related manager's would: one
    statement built and compiled once (``casework.statements``), the case's id given
    each time. ``build`` reads by the id alone, never by who asks: the caller has
    decided that they may read these rows of the case."""
    rows = compiled_objects(key, build, (case.pk,), prepared=True)
    for row in rows:
        row.case = case
    return rows


def _people(case_id: int) -> QuerySet[CasePerson]:
    return CasePerson.objects.filter(case_id=case_id).select_related("person").order_by("pk")


def _clocks(case_id: int) -> QuerySet[Deadline]:
    return Deadline.objects.filter(case_id=case_id).order_by("due_at", "pk")


def case_people_of(case: Case) -> list[CasePerson]:
    """The case's links to people, each with its person, in the order they were made."""
    return rows_of_case("case people", _people, case)


def case_clocks_of(case: Case) -> list[Deadline]:
    """The case's clocks, soonest due first."""
    return rows_of_case("case clocks", _clocks, case)


def _overdue(case_id: int, now: datetime) -> QuerySet[Any]:
    return Deadline.objects.filter(case_id=case_id).overdue(now).values("pk")[:1]


def case_answer_prefetch(case: Case, now: datetime) -> None:
    """Read onto ``case`` what the API's answer about it shows besides its own row: its
    people with their details, its clocks (ordered as the answer lists them) and whether
    one is overdue at ``now`` (``CaseSerializer`` uses them when present), each a kept
    statement. A write that answers with the case calls this before taking the audit
    chain's lock, so the lock is held for the figures and the event, not for these
    reads (docs/performance.md)."""
    prefetched_set(case, "case_people", case_people_of(case))
    prefetched_set(case, "deadlines", case_clocks_of(case))
    overdue = compiled_values(("case overdue",), _overdue, (case.pk, now), prepared=True)
    case.has_overdue_deadline = bool(overdue)


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
    decided = within("decided_on")
    # One statement, one pass over the reviews (five counts were five passes, about 12
    # ms of SQL a committee pack at 500,000 cases; docs/performance.md).
    counts = reviews.aggregate(
        notified=Count("pk", filter=within("notified_on")),
        decided_to_review=Count("pk", filter=decided & Q(details__decision="review")),
        decided_not_to_review=Count("pk", filter=decided & Q(details__decision="no_review")),
        published=Count("pk", filter=within("published_on")),
        in_progress=Count("pk", filter=Q(state__in=REVIEW_BEFORE_PUBLICATION)),
    )
    return {"year": year, "start": start, "end": end, **counts}
