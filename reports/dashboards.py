"""The home page's dashboard for each role: reads only, through the visibility selectors.

It lives in ``reports``, the top layer, because a lead's dashboard needs everything below
it: cases (``casework``), their workflows and clocks (``workflows``) and partner
referrals; dependencies point one way (DESIGN.md), so ``casework``'s home view receives
it through ``casework.views.home_dashboard_register`` (``ReportsConfig.ready``).

Every panel is a bounded list (``PANEL_ROWS`` rows and how many there are in all, with a
link into the filtered case list) built with a fixed number of queries, however many
cases there are (tests/reports/test_dashboard.py). What a panel counts or lists comes
from ``case_list_for_user`` (a lead never sees another team's case, nor a Prevent case
unless cleared) and, for content such as clocks and referrals, from
``team_case_list_for_user`` (its teams' cases the lead sees in full).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import BooleanField, Count, Q, QuerySet, Value, When
from django.db.models import Case as CaseWhen
from django.urls import reverse
from django.utils import timezone

from casework.audit import access_denied_counts_for_user, user_display_name, verb_label
from casework.audit_describe import describe_events
from casework.counting import capped_count, count_text
from casework.links import case_list_path, case_timeline_url, case_url
from casework.models import AuditEvent, Case, Team
from casework.permissions import team_ids_of
from casework.role_audit import role_change_list_for_user
from casework.roles import Role, role_of
from casework.selectors import (
    access_key,
    case_full_condition,
    case_is_limited,
    case_list_for_user,
    team_case_condition,
    team_case_list_for_user,
)
from casework.statements import compiled_count, compiled_values
from referrals.models import Referral, ReferralState
from workflows import modern_slavery
from workflows.calendar import add_working_days, working_days_between
from workflows.clocks import bank_holidays
from workflows.models import Deadline, DeadlineStatus, ReminderStage
from workflows.raiser import raised_summary, raiser_status, referred_to_kind
from workflows.registry import WORKFLOWS, get_workflow
from workflows.reminders import reminders_unheard

PANEL_ROWS = 10
# "Due soon" on a lead's dashboard: by the end of this many working days (local practice).
DUE_SOON_WORKING_DAYS = 5
# States in which a case waits for a lead: each workflow's first state (nobody has
# triaged it yet) and the modern slavery safeguarding triage, which is the lead's own
# decision (RULES.md §1: child or adult, consent, NRM or Duty to Notify).
EXTRA_AWAITING_LEAD_STATES = {"modern_slavery": {modern_slavery.State.TRIAGE.value}}


@dataclasses.dataclass
class CaseLine:
    reference: str
    type_label: str
    immediate_risk: bool
    state_label: str
    terminal: bool
    limited: bool
    raised_at: datetime
    team: str
    owner: str
    summary: str = ""  # "My concerns" (issue 19): what the raiser gave; none for Prevent

    @property
    def url(self) -> str:
        """The case's page (``casework.links.case_url``: not reversed row by row)."""
        return case_url(self.reference)


@dataclasses.dataclass
class Panel:
    """A bounded list: ``rows`` (at most PANEL_ROWS), ``total`` in all (counted up to
    ``casework.counting.COUNT_CAP``; ``capped``: more than that), where to see all."""

    rows: list[Any]
    total: int
    view_all_url: str = ""
    capped: bool = False

    @classmethod
    def of(cls, rows: list[Any], everything: QuerySet[Any], view_all_url: str = "") -> Panel:
        """The panel of ``rows`` (the first ``PANEL_ROWS`` of ``everything``), counting
        ``everything`` only up to the cap, and not at all when the panel is not full:
        then its rows are all there are."""
        return cls.counted(rows, lambda: capped_count(everything), view_all_url)

    @classmethod
    def counted(
        cls, rows: list[Any], count: Callable[[], tuple[int, bool]], view_all_url: str = ""
    ) -> Panel:
        """As ``of``, with ``count`` giving (how many, whether more) when it is asked."""
        if len(rows) < PANEL_ROWS:
            return cls(rows, len(rows), view_all_url, False)
        total, capped = count()
        return cls(rows, total, view_all_url, capped)

    @property
    def total_text(self) -> str:
        return count_text(self.total, self.capped)

    @property
    def more(self) -> int:
        return max(self.total - len(self.rows), 0)


@dataclasses.dataclass
class StateCount:
    state_label: str
    count: int
    url: str


@dataclasses.dataclass
class TypeCounts:
    team: str
    type_label: str
    total: int
    url: str
    states: list[StateCount]


@dataclasses.dataclass
class DeadlineLine:
    reference: str
    label: str
    due_at: datetime
    statutory: bool
    working_days: int  # left before it is due, or past it when overdue

    @property
    def url(self) -> str:
        """The case's page (``casework.links.case_url``: not reversed row by row)."""
        return case_url(self.reference)


@dataclasses.dataclass
class UnheardLine:
    """A reminder or escalation that reached nobody: which case, clock and stage, when."""

    reference: str
    label: str
    stage: str
    acted_at: datetime

    @property
    def url(self) -> str:
        """The case's page (``casework.links.case_url``: not reversed row by row)."""
        return case_url(self.reference)


@dataclasses.dataclass
class ReferralLine:
    pk: int
    reference: str
    referral_type: str
    partner: str
    state_label: str
    sent_at: datetime | None
    due_at: datetime | None
    overdue: bool

    @property
    def url(self) -> str:
        """The case's page (``casework.links.case_url``: not reversed row by row)."""
        return case_url(self.reference)


@dataclasses.dataclass
class ActivityLine:
    at: datetime
    actor: str
    action: str
    reference: str

    @property
    def timeline_url(self) -> str:
        """The case's audit timeline (``casework.links``: not reversed row by row)."""
        return case_timeline_url(self.reference) if self.reference else ""


@dataclasses.dataclass
class AdminLink:
    label: str
    url: str
    description: str


def case_list_url(**params: Any) -> str:
    """The case list filtered by ``params`` (those given a value)."""
    query = _list_query(tuple((k, str(v)) for k, v in params.items() if v not in (None, "")))
    return case_list_path() + (f"?{query}" if query else "")


@functools.lru_cache(maxsize=4096)
def _list_query(params: tuple[tuple[str, str], ...]) -> str:
    # A lead's dashboard links each count by team, type and state (about fifty links, the
    # same on every visit): each encoded once, not on every request.
    return urlencode(params)


def _line(user: Any, row: dict[str, Any]) -> CaseLine:
    """A case on a panel, from its row (``_LINE_VALUES``); one seen only as its raiser
    (``full_content`` False, annotated by ``_case_panel``) shows its status in plain
    words, not its step (issue 17)."""
    case = Case(**{name: row[name] for name in _CASE_VALUES})
    for name in ("raised_summary", "raiser_referred_to"):
        if name in row:
            setattr(case, name, row[name])
    workflow = get_workflow(case.case_type)
    full = row.get("full_content", True)
    limited = case_is_limited(user, case)
    owner = row["owner__first_name"], row["owner__last_name"], row["owner__username"]
    return CaseLine(
        reference=case.reference,
        type_label=workflow.label,
        immediate_risk=case.immediate_risk and full and not case.closed_at,
        state_label=workflow.state_label(case.state) if full else raiser_status(case, workflow),
        terminal=case.state in workflow.terminal_states,
        limited=limited,
        raised_at=case.raised_at,
        team=row["team__name"],
        owner=_name(*owner) if case.owner_id else "",
        summary="" if limited else (getattr(case, "raised_summary", None) or case.summary),
    )


def _name(first: str, last: str, username: str) -> str:
    """``User.get_full_name() or get_username()``, from the columns a row read."""
    return f"{first} {last}".strip() or username


# What a panel's line reads (``_line``, ``case_is_limited``, ``raiser_status``): the rest
# of the case, its team and its owner is neither selected nor compiled (a case panel's
# query compiled 45 columns for 12 it shows).
_CASE_VALUES = (
    "pk", "reference", "case_type", "state", "summary", "team_id", "owner_id", "raised_at",
    "closed_at", "outcome_code", "immediate_risk",
)  # fmt: skip
_LINE_VALUES = (*_CASE_VALUES, "team__name", "owner__first_name", "owner__last_name",
                "owner__username")  # fmt: skip


def _key(user: Any, panel: str) -> tuple[Any, ...]:
    """What a panel's statements are kept under (``casework.statements``): the panel,
    how many rows it shows and the user's access key."""
    return ("dashboard", panel, PANEL_ROWS, access_key(user))


def _case_panel(
    user: Any,
    name: str,
    cases: Callable[[], QuerySet[Case]],
    order: tuple[str, ...],
    url: str,
    annotations: tuple[str, ...] = (),
) -> Panel:
    """Two statements, each built and compiled once per user's access key
    (``casework.statements``): the first rows (with team and owner, and whether the user
    sees each in full) and, only when the panel is full, the count. ``cases`` builds the
    panel's cases, ``annotations`` the names it annotates them with that a line reads.

    The first rows' ids are picked first, then only those rows are read: the index
    ``case_open_by_team`` holds the columns the lead's panels filter and sort by, so the
    ids come from the index alone, where selecting the rows whole read every waiting case
    of the team from the heap to sort them (1,367 at 500,000 cases: 6 ms to 1.5 ms,
    docs/performance.md)."""

    def rows() -> QuerySet[Any]:
        listed = cases()
        first = listed.order_by(*order).values("pk")[:PANEL_ROWS]
        chosen = listed.filter(pk__in=first)
        full = case_full_condition(user)
        shown = [*_LINE_VALUES, *annotations]
        if full is not None:
            chosen = chosen.annotate(
                full_content=CaseWhen(
                    When(full, then=Value(True)), default=Value(False), output_field=BooleanField()
                )
            )
            shown.append("full_content")
        return chosen.order_by(*order).values(*shown)[:PANEL_ROWS]

    key = _key(user, name)
    lines = [_line(user, row) for row in compiled_values(key, rows)]
    return Panel.counted(lines, lambda: compiled_count(key, cases), url)


# Frontline staff ----------------------------------------------------------------------------


def _raised_by(user: Any) -> QuerySet[Case]:
    """The concerns ``user`` raised, each with the summary they gave and the partner kind
    its status may name (issue 19: "My concerns" with summary and status), no query per
    row."""
    return (
        case_list_for_user(user)
        .filter(raised_by=user)
        .annotate(raised_summary=raised_summary(), raiser_referred_to=referred_to_kind())
    )


def frontline_dashboard(user: Any) -> dict[str, Any]:
    """The concerns they raised, newest first (a Prevent one only as received, RULES.md
    §4.5), and the open cases allocated to them."""
    newest = ("-raised_at", "-pk")
    return {
        "raised": _case_panel(
            user,
            "raised",
            functools.partial(_raised_by, user),
            newest,
            case_list_url(),
            annotations=("raised_summary", "raiser_referred_to"),
        ),
        "allocated": _case_panel(
            user,
            "allocated",
            lambda: case_list_for_user(user).filter(owner=user, closed_at__isnull=True),
            newest,
            case_list_url(owner="me"),
        ),
    }


# Leads ------------------------------------------------------------------------------------


def awaiting_lead() -> Q:
    """Open cases waiting for a lead: in a workflow's first state (or modern slavery
    triage), or not allocated to anyone."""
    waiting = Q(owner__isnull=True)
    for case_type, workflow in WORKFLOWS.items():
        states = {workflow.initial_state, *EXTRA_AWAITING_LEAD_STATES.get(case_type, set())}
        waiting |= Q(case_type=case_type, state__in=states)
    return waiting


def _team_cases(user: Any) -> QuerySet[Case]:
    """The open cases of the user's teams that the user sees in full (the partial index
    ``case_open_by_team`` serves them)."""
    return team_case_list_for_user(user).filter(closed_at__isnull=True)


def _counts(user: Any, teams: dict[int, dict[str, Any]]) -> list[TypeCounts]:
    """Open team cases by team, type and state (one GROUP BY statement, compiled once per
    access key), with links into the case list filtered the same way."""

    def grouped() -> QuerySet[Any]:
        # COUNT(*), not COUNT(id): the index ``case_open_by_team`` holds team, type and
        # state but not the id, so counting ids read a heap page for every open case of
        # the team (8.7 ms at county scale), counting rows reads the index alone (1.3 ms).
        cases = _team_cases(user).values("team_id", "case_type", "state")
        return cases.annotate(n=Count("*")).order_by()

    by_type: dict[tuple[int, str], list[tuple[str, int]]] = defaultdict(list)
    for row in compiled_values(_key(user, "counts"), grouped):
        by_type[(row["team_id"], row["case_type"])].append((row["state"], row["n"]))
    result = []
    for (team_id, case_type), states in by_type.items():
        workflow, slug = get_workflow(case_type), teams[team_id]["slug"]
        lines = [
            StateCount(
                workflow.state_label(s), n, case_list_url(case_type=case_type, state=s, team=slug)
            )
            for s, n in states
        ]
        lines.sort(key=lambda line: line.state_label)
        result.append(
            TypeCounts(
                team=teams[team_id]["name"],
                type_label=workflow.label,
                total=sum(n for _, n in states),
                url=case_list_url(case_type=case_type, team=slug),
                states=lines,
            )
        )
    return sorted(result, key=lambda t: (t.team, t.type_label))


def _of_team_cases(user: Any, rows: QuerySet[Any]) -> QuerySet[Any]:
    """Clocks or referrals of the cases ``team_case_list_for_user`` gives, by the copy of
    their case's team and type they carry (kept by the database: ``workflows.case_facts``),
    so that an index range answers instead of a join with every case of the team."""
    condition = team_case_condition(user)
    return rows.none() if condition is None else rows.filter(condition)


def _deadline_panel(
    user: Any,
    name: str,
    deadlines: Callable[..., QuerySet[Deadline]],
    times: tuple[datetime, ...],
    holidays: set,
    *,
    overdue: bool,
    url: str,
) -> Panel:
    """The first clocks of ``deadlines(*times)``, soonest first, and how many there are;
    both statements compiled once per access key, the times given at each use."""

    def rows(*given: datetime) -> QuerySet[Any]:
        # The columns the lines show: a case row is wide (its intake answers are kilobytes).
        ordered = deadlines(*given).order_by("due_at", "pk")
        return ordered.values("label", "due_at", "statutory", "case__reference")[:PANEL_ROWS]

    key = _key(user, name)
    now = times[0]
    lines = [
        DeadlineLine(
            reference=d["case__reference"],
            label=d["label"],
            due_at=d["due_at"],
            statutory=d["statutory"],
            working_days=(
                working_days_between(d["due_at"], now, holidays)
                if overdue
                else working_days_between(now, d["due_at"], holidays)
            ),
        )
        for d in compiled_values(key, rows, times)
    ]
    return Panel.counted(lines, lambda: compiled_count(key, deadlines, times), url)


def _deadlines(user: Any, now: datetime, one_team: str) -> dict[str, Any]:
    """Tasks of the team's cases seen in full: overdue (``Deadline.objects.overdue``:
    past due and neither met nor cancelled, whether or not the sweep has marked them
    missed, so they stay here until done), and due by the end of the fifth working day
    (England and Wales bank holidays, RULES.md §0.3). Periods are never overdue and are
    not work due; the case page shows them."""
    holidays = bank_holidays(now)
    horizon = add_working_days(now, DUE_SOON_WORKING_DAYS, holidays)

    def overdue(at: datetime) -> QuerySet[Deadline]:
        return _of_team_cases(user, Deadline.objects.all()).overdue(at)

    def due_soon(at: datetime, by: datetime) -> QuerySet[Deadline]:
        clocks = _of_team_cases(user, Deadline.objects.all()).tasks()
        return clocks.filter(status=DeadlineStatus.OPEN, due_at__gte=at, due_at__lte=by)

    return {
        "overdue": _deadline_panel(
            user,
            "overdue",
            overdue,
            (now,),
            holidays,
            overdue=True,
            url=case_list_url(overdue="true", team=one_team),
        ),
        "due_soon": _deadline_panel(
            user, "due_soon", due_soon, (now, horizon), holidays, overdue=False, url=""
        ),
        "due_horizon": horizon,
    }


def _unheard(user: Any) -> Panel:
    """Reminders and escalations of the team's open cases, on clocks still running, that
    reached nobody (an empty service-manager group, no lead who can open the case):
    never dropped silently (docs/reminders.md). Two statements, compiled once per access
    key."""

    def unheard() -> QuerySet[Any]:
        return reminders_unheard().filter(
            deadline__case__in=_team_cases(user).values("pk"), deadline__closed_at__isnull=True
        )

    def rows() -> QuerySet[Any]:
        newest = unheard().order_by("-acted_at", "-pk")
        fields = ("stage", "acted_at", "deadline__label", "deadline__case__reference")
        return newest.values(*fields)[:PANEL_ROWS]

    key = _key(user, "unheard")
    lines = [
        UnheardLine(
            reference=r["deadline__case__reference"],
            label=r["deadline__label"],
            stage=ReminderStage(r["stage"]).label,
            acted_at=r["acted_at"],
        )
        for r in compiled_values(key, rows)
    ]
    return Panel.counted(lines, lambda: compiled_count(key, unheard))


# What a referral's line shows, and what ``Deadline.is_overdue`` reads.
_REFERRAL_LINE_VALUES = (
    "pk", "referral_type", "state", "sent_at", "case__reference", "partner__name",
    "response_deadline__due_at", "response_deadline__kind", "response_deadline__status",
    "response_deadline__closed_at",
)  # fmt: skip
_RESPONSE_ORDER = ("response_deadline__due_at", "sent_at", "pk")


def _responses(user: Any, now: datetime) -> Panel:
    """Referrals of the team's cases sent and not yet answered, the partner's response
    clock soonest first (RULES.md: each partner's expected response time). Two
    statements, compiled once per access key."""

    def awaited() -> QuerySet[Referral]:
        return _of_team_cases(user, Referral.objects.all()).filter(
            state__in=[ReferralState.SENT, ReferralState.ACKNOWLEDGED]
        )

    def rows() -> QuerySet[Any]:
        # The first rows' ids from the index alone, then those rows: ordering the teams'
        # awaited referrals with their whole rows read every one of them (21 ms at county
        # scale, docs/performance.md).
        first = awaited().order_by(*_RESPONSE_ORDER).values("pk")[:PANEL_ROWS]
        chosen = Referral.objects.filter(pk__in=first).order_by(*_RESPONSE_ORDER)
        return chosen.values(*_REFERRAL_LINE_VALUES)

    key = _key(user, "responses")
    types = dict(Referral._meta.get_field("referral_type").flatchoices)
    lines = []
    for r in compiled_values(key, rows):
        clock = None
        if r["response_deadline__due_at"] is not None:
            clock = Deadline(
                due_at=r["response_deadline__due_at"],
                kind=r["response_deadline__kind"],
                status=r["response_deadline__status"],
                closed_at=r["response_deadline__closed_at"],
            )
        lines.append(
            ReferralLine(
                pk=r["pk"],
                reference=r["case__reference"],
                referral_type=str(types.get(r["referral_type"], r["referral_type"])),
                partner=r["partner__name"],
                state_label=ReferralState(r["state"]).label,
                sent_at=r["sent_at"],
                due_at=clock.due_at if clock else None,
                overdue=bool(clock and clock.is_overdue(now)),
            )
        )
    return Panel.counted(lines, lambda: compiled_count(key, awaited))


def _teams(user: Any) -> dict[int, dict[str, Any]]:
    """The user's teams' names and slugs, by id (the statement compiled once per set of
    teams)."""
    ids = tuple(sorted(team_ids_of(user)))
    rows = compiled_values(
        ("dashboard", "teams", ids),
        lambda: Team.objects.filter(pk__in=ids).values("pk", "name", "slug"),
    )
    return {row["pk"]: row for row in rows}


def lead_dashboard(user: Any) -> dict[str, Any]:
    """A lead's (or Prevent-cleared lead's) teams: the triage queue oldest first, open
    cases by type and state, clocks overdue and due soon, and partner responses awaited."""
    now = timezone.now()
    teams = _teams(user)
    one_team = next(iter(teams.values()))["slug"] if len(teams) == 1 else ""
    return {
        "teams": sorted(t["name"] for t in teams.values()),
        "triage": _case_panel(
            user,
            "triage",
            lambda: _team_cases(user).filter(awaiting_lead()),
            ("-immediate_risk", "raised_at", "pk"),  # immediate risk first (issue 19)
            case_list_url(owner="unallocated", team=one_team, sort="raised", order="asc"),
        ),
        # The lead's own open cases (issue 19).
        "mine": _case_panel(
            user,
            "mine",
            lambda: case_list_for_user(user).filter(owner=user, closed_at__isnull=True),
            ("-raised_at", "-pk"),
            case_list_url(owner="me"),
        ),
        "counts": _counts(user, teams),
        **_deadlines(user, now, one_team),
        "unheard": _unheard(user),
        "responses": _responses(user, now),
    }


# Auditors and administrators --------------------------------------------------------------


# What an activity line shows: not the event's data and hashes, nor the whole case row.
_ACTIVITY_LINE_FIELDS = (
    "at", "verb", "case__reference",
    "actor__first_name", "actor__last_name", "actor__username",
)  # fmt: skip


def auditor_dashboard(user: Any) -> dict[str, Any]:
    """The latest events of the audit log about a case, changes and views alike (one
    query), each linked to the case's timeline; sign-ins and searches are in the log."""
    events = (
        AuditEvent.objects.filter(case__isnull=False)
        .select_related("actor", "case")
        .only(*_ACTIVITY_LINE_FIELDS)
        .order_by("-pk")[:PANEL_ROWS]
    )
    return {
        "activity": [
            ActivityLine(
                at=e.at,
                actor=user_display_name(e.actor) or "Nobody signed in",
                action=verb_label(e.verb),
                reference=e.case.reference if e.case_id else "",
            )
            for e in events
        ],
        # Who asked for cases they may not see, last 30 days (issue 20).
        "denied": access_denied_counts_for_user(user),
        # Who was given or lost a role, clearance or permission, and by whom (issue 17).
        "role_changes": describe_events(role_change_list_for_user(user)[:PANEL_ROWS]),
    }


ADMIN_LINKS = (
    (
        "People",
        "staff:people",
        "Add staff, give them a role, teams and clearance, reset passwords, unlock and "
        "deactivate accounts.",
    ),
    ("Teams", "staff:teams", "The teams that own cases, their areas and duty leads."),
    (
        "Partner agencies",
        "staff:partners",
        "Who cases are referred to, their secure mailboxes and how long each is expected "
        "to take to answer.",
    ),
    ("Bank holidays", "staff:bank-holidays", "The days working-day deadlines skip."),
    (
        "Timescales",
        "staff:timescales",
        "Every clock's timescale: the statutory ones fixed, the local ones set here.",
    ),
)


def administrator_dashboard(user: Any) -> dict[str, Any]:
    """Links into the administration pages, and how many reminders reached nobody (with
    a link to their list, which names the case reference and the clock only); no case
    content at all (DESIGN.md "Access")."""
    return {
        "admin_links": [AdminLink(label, reverse(name), text) for label, name, text in ADMIN_LINKS],
        "unheard_count": reminders_unheard().count(),
        "unheard_url": reverse("workflows:reminders-unheard"),
    }


def analyst_dashboard(user: Any) -> dict[str, Any]:
    """Links to the reports: a partnership analyst sees figures, never a case."""
    return {
        "report_links": [
            AdminLink("Community Trigger annual return", reverse("reports:community-trigger"),
                      "The four figures published each year about ASB case reviews."),
            AdminLink("Case statistics", reverse("reports:case-statistics"),
                      "Concerns raised, cases open as at a date, closed by outcome, and the "
                      "rolling 12 months."),
            AdminLink("Emerging risks", reverse("reports:emerging-risks"),
                      "Modern slavery, Prevent, cuckooing, child exploitation and clocks."),
        ]
    }  # fmt: skip


BUILDERS = {
    Role.FRONTLINE: frontline_dashboard,
    Role.LEAD: lead_dashboard,
    Role.PREVENT_LEAD: lead_dashboard,
    Role.AUDITOR: auditor_dashboard,
    Role.ADMINISTRATOR: administrator_dashboard,
    Role.ANALYST: analyst_dashboard,
}


def home_dashboard(user: Any) -> dict[str, Any]:
    """The dashboard of the user's principal role (``role_of``); nothing without a role."""
    role = role_of(user)
    if role is None:
        return {}
    return {"dashboard": BUILDERS[role](user)}
