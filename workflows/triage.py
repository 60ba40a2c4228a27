"""The triage queue (issue 19): the reads a lead works from.

A lead's queue holds the open cases of their teams that nobody is allocated to, seen
through ``team_case_list_for_user`` (a Prevent case only for a Prevent-cleared lead, a
Domestic Homicide Review never by team), in two tabs:

- ``new``: concerns nobody has acted on yet (still in their type's first state);
- ``worked``: cases already moved on by a step but not allocated to anyone.

Cases with someone at immediate risk (``Case.immediate_risk``) come first, then the
order asked for: when raised, or the clock nearest due. Each row carries a short summary,
the main person or the address, and the nearest clock, read with a fixed number of
queries whatever the number of rows (tests/workflows/test_triage_queue.py).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from casework.models import Case, CasePerson, Team
from casework.permissions import team_ids_of
from casework.roles import Role, roles_of
from casework.selectors import team_case_list_for_user
from workflows.models import TASK_RUNNING, DeadlineKind
from workflows.registry import WORKFLOWS

User = get_user_model()

TABS = {"new": "New concerns", "worked": "Worked on, not allocated"}
SORTS = {"raised": "Raised", "due": "Nearest deadline"}
ORDERS = ("asc", "desc")
PAGE_SIZE = 25
SUMMARY_CHARS = 140
# Who a case is mainly about, in this order, when it has several people.
MAIN_ROLES = ("subject", "occupier", "applicant", "household_member", "parent_carer", "other")
# A task clock still to be met: open, or past due (missed) and not yet closed. A paused
# clock has no due time that counts.
OPEN_TASK = Q(
    deadlines__kind=DeadlineKind.TASK,
    deadlines__status__in=TASK_RUNNING,
    deadlines__closed_at__isnull=True,
)


def is_lead(user: Any) -> bool:
    return bool(roles_of(user) & {Role.LEAD, Role.PREVENT_LEAD})


def _first_states() -> Q:
    """Cases still in their type's first state: nobody has taken a step on them."""
    first = Q(pk__in=[])
    for case_type, workflow in WORKFLOWS.items():
        first |= Q(case_type=case_type, state=workflow.initial_state)
    return first


def triage_queue_for_user(
    user: Any, *, tab: str = "new", sort: str = "raised", order: str = "asc"
) -> QuerySet[Case]:
    """The lead's queue ``tab``, urgent cases first, then by ``sort`` in ``order``; each
    case annotated with ``next_due`` (its open task clock nearest due, or None), its team
    and premises joined and its people prefetched (three queries for a page)."""
    unallocated = team_case_list_for_user(user).filter(closed_at__isnull=True, owner__isnull=True)
    cases = unallocated.filter(_first_states() if tab == "new" else ~_first_states())
    cases = cases.annotate(next_due=Min("deadlines__due_at", filter=OPEN_TASK))
    if sort == "due":
        key = (
            F("next_due").desc(nulls_last=True)
            if order == "desc"
            else F("next_due").asc(nulls_last=True)
        )
    else:
        key = F("raised_at").desc() if order == "desc" else F("raised_at").asc()
    people = CasePerson.objects.select_related("person").order_by("pk")
    # A row shows none of the intake's answers (``details``, kilobytes a case).
    return (
        cases.defer("details")
        .select_related("team", "premises")
        .prefetch_related(Prefetch("case_people", queryset=people))
        .order_by("-immediate_risk", key, "pk")
    )


def triage_counts_for_user(user: Any) -> dict[str, int]:
    """How many cases each tab holds (one query)."""
    unallocated = team_case_list_for_user(user).filter(closed_at__isnull=True, owner__isnull=True)
    first = _first_states()
    counts = unallocated.aggregate(new=Count("pk", filter=first), worked=Count("pk", filter=~first))
    return {"new": counts["new"], "worked": counts["worked"]}


@dataclasses.dataclass
class QueueRow:
    case: Case
    type_label: str
    state_label: str
    summary: str
    about: str
    urgent: bool
    raised_at: datetime
    next_due: datetime | None
    overdue: bool


def _about(case: Case) -> str:
    """The main person (by name) or, failing that, the address the case is about."""
    links = list(case.case_people.all())
    links.sort(key=lambda link: MAIN_ROLES.index(link.role) if link.role in MAIN_ROLES else 99)
    for link in links:
        name = link.person.full_name or link.person.aliases
        if name:
            return name
    if case.premises_id and case.premises.address:
        first = case.premises.address.splitlines()[0]
        return f"{first}, {case.premises.postcode}" if case.premises.postcode else first
    return "Not known"


def _short(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


def queue_row(case: Case, now: datetime) -> QueueRow:
    workflow = WORKFLOWS[case.case_type]
    next_due = getattr(case, "next_due", None)
    return QueueRow(
        case=case,
        type_label=workflow.label,
        state_label=workflow.state_label(case.state),
        summary=_short(case.summary),
        about=_about(case),
        urgent=case.immediate_risk,
        raised_at=case.raised_at,
        next_due=next_due,
        overdue=next_due is not None and next_due < now,
    )


@dataclasses.dataclass
class Worker:
    pk: int
    label: str
    open_cases: int


def with_open_cases(users: QuerySet[Any]) -> QuerySet[Any]:
    """``users`` each annotated with ``open_cases``: how many open cases are allocated
    to them (a subquery, so the query count stays one)."""
    open_cases = (
        Case.objects.filter(owner=OuterRef("pk"), closed_at__isnull=True)
        .order_by()
        .values("owner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return users.annotate(open_cases=Coalesce(Subquery(open_cases, output_field=IntegerField()), 0))


def allocation_choices_for_user(user: Any) -> list[Worker]:
    """The people a lead may allocate their teams' cases to, each with their open
    caseload: active frontline workers and leads of the lead's teams (one query; the
    allocation service still checks each case's team and clearance)."""
    groups = [r.group_name for r in (Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD)]
    staff = with_open_cases(
        User.objects.filter(
            is_active=True,
            pk__in=User.objects.filter(
                team_memberships__team_id__in=team_ids_of(user), groups__name__in=groups
            ).values("pk"),
        )
    ).order_by("first_name", "last_name", "username")
    return [
        Worker(
            u.pk,
            f"{u.get_full_name() or u.get_username()} ({caseload_text(u.open_cases)})",
            u.open_cases,
        )
        for u in staff
    ]


def caseload_text(n: int) -> str:
    """ "12 open cases", "1 open case"."""
    return f"{n} open case" + ("" if n == 1 else "s")


def lead_teams(user: Any) -> list[Team]:
    return list(Team.objects.filter(pk__in=team_ids_of(user)).order_by("name"))
