"""Partnership figures from live data: the Community Trigger return, case statistics,
the rolling comparison and the emerging-risk counts (issue 21; docs/reports.md).

Public, stable functions (the report pages, the CSV downloads and the committee pack
build on these; keep the signatures). Final signatures:

- ``community_trigger_return(user, year_start: int) -> CommunityTriggerReturn``: the
  four figures every relevant body publishes each year (ASB, Crime and Policing Act 2014
  s104; RULES.md §5.6) as ``.figures`` (``Figure(key, label, count, case_ids, note)``,
  keys ``applications_received``, ``threshold_not_met``, ``reviews_carried_out``,
  ``reviews_with_recommendations``), and counted apart ``.threshold_met``,
  ``.reviews_without_threshold_met``, ``.overturned_on_escalation``; ``.period``;
  ``.figure(key)``. A not-met decision overturned on escalation counts as met.
- ``case_statistics(user, start: date, end: date, as_at: date, *, case_type=None,
  team_id=None) -> CaseStatistics``: ``.rows`` of ``StatisticsRow(case_type,
  type_label, team_id, team_name, raised, open_as_at, closed, closed_by_outcome)``,
  ``.totals``, ``.period``, ``.as_at``.
- ``rolling_statistics(user, end: date, *, case_type=None, team_id=None) -> Rolling``:
  concerns raised in the 12 months to ``end`` against the 12 months before:
  ``.current``, ``.previous`` (periods), ``.rows`` of ``RollingRow(case_type,
  type_label, team_id, team_name, comparison)``, ``.total``.
- ``rolling_comparison(current: int, previous: int) -> Comparison``: ``.difference``,
  ``.percent`` (Decimal, 1 place, None when previous is 0), ``.text`` in the committee's
  format ("2,483 vs 2,960, -477, -16.1%"), ``.published()`` (suppressed).
- ``emerging_risks(user, start: date, end: date, *, statutory_only=True) ->
  EmergingRisks``: ``.modern_slavery_referrals`` {(route, exploitation type, "Adult" or
  "Child"): n}, ``.modern_slavery_outcomes`` {(decision, age group): n},
  ``.prevent_stages``, ``.cuckooing``, ``.child_exploitation``,
  ``.child_exploitation_closed`` (lists of ``Tally(label, count)``), ``.clocks`` (``ClockRow``
  per rule: on_time, late, overdue_not_met).
- ``suppress(n: int, *, threshold: int | None = None) -> str``: a count as a published
  output shows it (1 to 4 become "fewer than 5"; ``SAFECASE_SUPPRESS_BELOW``, default 5).
- ``figure_text(user, n: int, case_type: str | None = None) -> str``,
  ``shows_exact(user, case_type=None) -> bool``, ``shows_exact_by_type(user) ->
  dict[str, bool]``: a count as this user's screen shows it: exact for those allowed to
  see the cases, suppressed otherwise (ask ``shows_exact_by_type`` first on a page, so
  its query count does not depend on its data).
- ``may_see_figures(user) -> bool``; ``figures_scope(user) -> QuerySet[Case]``: who may
  have figures (analysts, leads, auditors; else PermissionDenied), and the cases their
  figures count (leads: their teams' cases, as ``team_case_list_for_user``; partnership
  analysts and auditors: every case, as counts only); ``report_teams(user)``.
- ``reporting_year(year_start: int) -> Period``, ``reporting_year_of(day: date) -> int``,
  ``period_of(start, end) -> Period``, ``rolling_periods(end) -> (Period, Period)``:
  reporting periods (``SAFECASE_REPORTING_YEAR_START_MONTH``, default 4: April to
  March); ``Period(start, end)`` has ``.starts_at``, ``.ends_before``, ``.label``.

Dates are inclusive local (UK) dates. A period is from the start of its first day to
the end of its last; "as at" a date is the end of that day. Facts come from the state
history (``workflows.models.CaseStateChange``, written by the one transition service
at each event's date), through the facts the same write path derives from it per case
and their sums by day and month (``workflows.case_figures``: ``CaseFigure``, ``FigureSum``), so
a figure for a past period or date does not change when the cases move on later and a
report is a few small indexed sums at county scale (docs/performance.md). Every
function runs a fixed number of SQL queries, whatever the
length of the period or the number of cases (tests/reports/test_figures.py).

Drill-down: each figure that names cases keeps the ids of those the user may open
(``case_list_for_user``); nobody is shown a case they could not otherwise open, and a
partnership analyst opens none.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from casework.dates import day_words
from casework.models import Case, CaseType, Team
from casework.permissions import auditor_cleared_for, named_case_types, restricted_case_types
from casework.roles import Role, has_prevent_clearance, roles_of
from casework.selectors import (
    case_list_for_user,
    team_case_condition,
    team_case_list_for_user,
    teams_by_name,
)
from workflows import case_figures as facts
from workflows.definitions import undeclared_code_words
from workflows.models import CaseFigure, Deadline, DeadlineKind, FigureSum
from workflows.modern_slavery.states import EXPLOITATION_TYPES
from workflows.registry import WORKFLOWS

FIGURE_ROLES = frozenset({Role.ANALYST, Role.LEAD, Role.PREVENT_LEAD, Role.AUDITOR})
ALL_CASES_ROLES = frozenset({Role.ANALYST, Role.AUDITOR})

# --- Who may have figures, and of which cases -------------------------------------------


def may_see_figures(user: Any) -> bool:
    """Partnership analysts, leads and auditors (DESIGN.md "Access"); not frontline staff
    or administrators."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and roles_of(user) & FIGURE_ROLES
    )


def figures_scope(user: Any) -> QuerySet[Case]:
    """The cases the user's figures count: every case for a partnership analyst or an
    auditor (counts only: a figure never shows their content), their teams' cases for a
    lead (``team_case_list_for_user``: a Prevent-cleared lead's including Prevent).
    PermissionDenied for anyone else."""
    if not may_see_figures(user):
        raise PermissionDenied("Only partnership analysts, leads and auditors see reports.")
    if roles_of(user) & ALL_CASES_ROLES:
        return Case.objects.all()
    return team_case_list_for_user(user)


def _scoped(queryset: QuerySet[Any], user: Any, field: str = "case") -> QuerySet[Any]:
    """``queryset`` limited to the user's figures scope through ``field`` (a foreign key
    to Case, or "" for a queryset of cases)."""
    scope = figures_scope(user)
    if roles_of(user) & ALL_CASES_ROLES:
        return queryset
    if not field:
        return queryset.filter(pk__in=scope.values("pk"))
    return queryset.filter(**{f"{field}__in": scope.values("pk")})


def _facts_scoped(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """``queryset`` of figure facts (``CaseFigure``, ``FigureSum``: rows holding a case
    type and team) limited to the user's figures scope, by the same team and type rule
    as ``team_case_list_for_user``; PermissionDenied for those who have no figures."""
    figures_scope(user)
    if roles_of(user) & ALL_CASES_ROLES:
        return queryset
    condition = team_case_condition(user)
    return queryset.none() if condition is None else queryset.filter(condition)


def shows_exact(user: Any, case_type: str | None = None) -> bool:
    """Whether the user's screen shows exact small numbers for ``case_type`` (None: any
    type): only for those allowed to see the cases counted (leads: their teams' cases;
    auditors: every case, a restricted or named type only with its clearance). A
    partnership analyst sees no case, so their screen is suppressed like a publication."""
    held = roles_of(user)
    if held & {Role.LEAD, Role.PREVENT_LEAD}:
        return True
    if Role.AUDITOR in held:
        if case_type in named_case_types():
            return auditor_cleared_for(user, case_type)
        if case_type in restricted_case_types():
            return has_prevent_clearance(user)
        return True
    return False


def shows_exact_by_type(user: Any) -> dict[str, bool]:
    """``shows_exact`` for every case type at once: a page asks this first, so that its
    query count does not depend on which types its figures happen to hold."""
    return {case_type: shows_exact(user, case_type) for case_type in sorted(WORKFLOWS)}


# --- Small numbers --------------------------------------------------------------------


def suppress_below() -> int:
    return int(getattr(settings, "SAFECASE_SUPPRESS_BELOW", 5))


def suppress(n: int, *, threshold: int | None = None) -> str:
    """A count as published (CSV, PDF, XLSX): from 1 to ``threshold`` - 1 it reads
    "fewer than 5", since so few could identify a person; 0 and larger counts are shown
    with thousands separators. ``threshold`` defaults to ``SAFECASE_SUPPRESS_BELOW`` (5);
    1 or less turns suppression off."""
    limit = suppress_below() if threshold is None else threshold
    if 0 < n < limit:
        return f"fewer than {limit}"
    return f"{n:,}"


def figure_text(user: Any, n: int, case_type: str | None = None) -> str:
    """A count as this user's screen shows it: exact for those allowed to see the cases
    (``shows_exact``), suppressed otherwise."""
    return f"{n:,}" if shows_exact(user, case_type) else suppress(n)


# --- Periods --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Period:
    """Inclusive local dates."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return _day_start(self.start)

    @property
    def ends_before(self) -> datetime:
        return _day_start(self.end + timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{day_words(self.start)} to {day_words(self.end)}"


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def reporting_year_start_month() -> int:
    return int(getattr(settings, "SAFECASE_REPORTING_YEAR_START_MONTH", 4))


def reporting_year(year_start: int) -> Period:
    """The reporting year that starts in calendar year ``year_start``: by default
    1 April ``year_start`` to 31 March the next year (RULES.md §5.6: typically the
    financial year)."""
    month = reporting_year_start_month()
    start = date(year_start, month, 1)
    end = date(year_start + 1, month, 1) - timedelta(days=1)
    return Period(start, end)


def reporting_year_of(day: date) -> int:
    """The ``year_start`` of the reporting year ``day`` falls in."""
    return day.year if day.month >= reporting_year_start_month() else day.year - 1


def period_of(start: date, end: date) -> Period:
    if end < start:
        raise ValueError("The end of a period must not be before its start.")
    return Period(start, end)


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier, clamped to the month's end."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def sums_between(start: date, end: date) -> Q:
    """The ``FigureSum`` rows that add up to the days from ``start`` to ``end``
    (inclusive): the months wholly inside, by their month rows, and the days of the
    months the period starts or ends within, by their day rows; the rows sum to the same
    figure as the days would, a few thousand of them for a year at county scale."""
    first_whole = start if start.day == 1 else _next_month(start)
    after_last_whole = _month_start(end + timedelta(days=1))  # the month after the last
    if first_whole >= after_last_whole:
        return Q(grain=FigureSum.Grain.DAY, day__gte=start, day__lte=end)
    found = Q(grain=FigureSum.Grain.MONTH, day__gte=first_whole, day__lt=after_last_whole)
    if start < first_whole:
        found |= Q(grain=FigureSum.Grain.DAY, day__gte=start, day__lt=first_whole)
    if after_last_whole <= end:
        found |= Q(grain=FigureSum.Grain.DAY, day__gte=after_last_whole, day__lte=end)
    return found


def sums_to(day: date) -> Q:
    """The ``FigureSum`` rows that add up to every day to ``day`` (inclusive): the whole
    months before its month, and its month's days to it."""
    return Q(grain=FigureSum.Grain.MONTH, day__lt=_month_start(day)) | Q(
        grain=FigureSum.Grain.DAY, day__gte=_month_start(day), day__lte=day
    )


# --- The rolling comparison -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Comparison:
    current: int
    previous: int

    @property
    def difference(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        """The difference as a percentage of the previous figure, to one decimal place
        (half away from zero); None when the previous figure is 0."""
        if self.previous == 0:
            return None
        raw = Decimal(self.difference) * 100 / Decimal(self.previous)
        return raw.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def difference_text(self) -> str:
        return f"{self.difference:+,}" if self.difference else "0"

    @property
    def percent_text(self) -> str:
        if self.percent is None:
            return "no previous figure"
        return f"{self.percent:+}%" if self.percent else "0.0%"

    @property
    def text(self) -> str:
        """The committee's format: "2,483 vs 2,960, -477, -16.1%"."""
        return f"{self.current:,} vs {self.previous:,}, {self.difference_text}, {self.percent_text}"

    def published(self, threshold: int | None = None) -> dict[str, str]:
        """The comparison as a publication shows it: each count suppressed, and the
        difference and percentage withheld when either count is (they would give it
        away)."""
        limit = suppress_below() if threshold is None else threshold
        hidden = any(0 < n < limit for n in (self.current, self.previous))
        return {
            "current": suppress(self.current, threshold=limit),
            "previous": suppress(self.previous, threshold=limit),
            "difference": "withheld" if hidden else self.difference_text,
            "percent": "withheld" if hidden else self.percent_text,
        }


def rolling_comparison(current: int, previous: int) -> Comparison:
    """Current against previous: difference and % difference (of the previous figure),
    ``.text`` in the committee's format, e.g. ``rolling_comparison(2483, 2960).text ==
    "2,483 vs 2,960, -477, -16.1%"``."""
    return Comparison(int(current), int(previous))


# --- Community Trigger (RULES.md §5.6) ------------------------------------------------


@dataclasses.dataclass
class Figure:
    key: str
    label: str
    count: int
    note: str = ""
    # What the figure counts, for its drill-down (``figure_cases``).
    measure: str = ""
    period: Period | None = None
    user: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def case_ids(self) -> list[int]:
        """The ids of the cases counted that the user may open, in order (one query,
        asked only when a drill-down lists them)."""
        if self.period is None or not self.measure:
            return []
        return list(figure_cases(self.user, self.measure, self.period).values_list("pk", flat=True))


@dataclasses.dataclass
class CommunityTriggerReturn:
    year_start: int
    period: Period
    figures: list[Figure]  # the four statutory figures, in the order they are published
    threshold_met: Figure
    reviews_without_threshold_met: Figure
    overturned_on_escalation: Figure

    @property
    def every_figure(self) -> list[Figure]:
        return [
            *self.figures,
            self.threshold_met,
            self.reviews_without_threshold_met,
            self.overturned_on_escalation,
        ]

    def figure(self, key: str) -> Figure:
        for f in self.every_figure:
            if f.key == key:
                return f
        raise KeyError(key)


CT_TYPE = CaseType.COMMUNITY_TRIGGER.value
# Each figure: (key, label, the fact it counts, note), in the order published.
CT_FIGURES = [
    ("applications_received", "Applications received", facts.CT_APPLIED, ""),
    (
        "threshold_not_met",
        "Times the threshold was not met",
        facts.CT_NOT_MET,
        "A not-met decision overturned on escalation counts as met.",
    ),
    (
        "reviews_carried_out",
        "ASB case reviews carried out",
        facts.CT_REVIEWED,
        "Including reviews held when the threshold was not met.",
    ),
    (
        "reviews_with_recommendations",
        "ASB case reviews that resulted in recommendations",
        facts.CT_REVIEWED_WITH_RECOMMENDATIONS,
        "",
    ),
]
CT_COUNTED_APART = [
    (
        "threshold_met",
        "Times the threshold was met",
        facts.CT_MET,
        "Including not-met decisions overturned on escalation.",
    ),
    (
        "reviews_without_threshold_met",
        "Reviews carried out when the threshold was not met",
        facts.CT_REVIEWED_NOT_MET,
        "",
    ),
    (
        "overturned_on_escalation",
        "Not-met decisions overturned on escalation",
        facts.CT_OVERTURNED,
        "",
    ),
]
CT_FIGURE_KEYS = {key: measure for key, _, measure, _ in [*CT_FIGURES, *CT_COUNTED_APART]}


def community_trigger_return(user: Any, year_start: int) -> CommunityTriggerReturn:
    """The Community Trigger figures of the reporting year starting in ``year_start``
    (ASB, Crime and Policing Act 2014 s104; RULES.md §5.6), for the user's figures scope.

    - **Applications received**: applications whose date received (as recorded at
      intake, else the day raised) is in the year.
    - **Threshold not met**: applications whose threshold decision was made in the year
      and stands as not met. A not-met decision overturned on escalation (the
      escalation ordered a review) counts as **met**, not here, in the year of the
      original decision.
    - **Reviews carried out**: applications whose review meeting was held in the year,
      whether or not the threshold was met (a council may review when it was not;
      counted apart as ``reviews_without_threshold_met``).
    - **Reviews resulting in recommendations**: of those, the reviews that made
      recommendations.

    Each application counts once in each figure. Two queries, over the facts the write
    path keeps per application (``workflows.case_figures``); the cases behind a figure
    are asked only for its drill-down (``Figure.case_ids``, ``figure_cases``).
    """
    period = reporting_year(year_start)
    # An application has one fact of each of these at most: their sums count it once.
    once = [facts.CT_APPLIED, facts.CT_MET, facts.CT_NOT_MET, facts.CT_OVERTURNED]
    counted = dict(
        _facts_scoped(FigureSum.objects.filter(sums_between(period.start, period.end)), user)
        .filter(case_type=CT_TYPE, measure__in=once)
        .order_by()
        .values("measure")
        .annotate(n=Sum("n"))
        .values_list("measure", "n")
    )
    # A review meeting may be held twice in a year: those count each application once.
    counted.update(
        _facts_scoped(CaseFigure.objects.all(), user)
        .filter(
            case_type=CT_TYPE,
            measure__in=sorted(set(CT_FIGURE_KEYS.values()) - set(once)),
            day__gte=period.start,
            day__lte=period.end,
        )
        .order_by()
        .values("measure")
        .annotate(n=Count("case_id", distinct=True))
        .values_list("measure", "n")
    )

    def figure(key: str, label: str, measure: str, note: str) -> Figure:
        return Figure(key, label, counted.get(measure, 0), note, measure, period, user)

    apart = [figure(*spec) for spec in CT_COUNTED_APART]
    return CommunityTriggerReturn(
        year_start=year_start,
        period=period,
        figures=[figure(*spec) for spec in CT_FIGURES],
        threshold_met=apart[0],
        reviews_without_threshold_met=apart[1],
        overturned_on_escalation=apart[2],
    )


def figure_cases(user: Any, measure: str, period: Period) -> QuerySet[Case]:
    """The cases a Community Trigger figure counted (``measure`` in ``period``, in the
    user's figures scope) that the user may open (``case_list_for_user``: nobody is shown
    a case they could not otherwise open; a partnership analyst opens none), by id."""
    counted = _facts_scoped(CaseFigure.objects.all(), user).filter(
        case_type=CT_TYPE, measure=measure, day__gte=period.start, day__lte=period.end
    )
    return case_list_for_user(user).filter(pk__in=counted.values("case_id")).order_by("pk")


# --- Case statistics ------------------------------------------------------------------


@dataclasses.dataclass
class StatisticsRow:
    case_type: str
    type_label: str
    team_id: int
    team_name: str
    raised: int = 0
    open_as_at: int = 0
    closed: int = 0
    closed_by_outcome: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class CaseStatistics:
    period: Period
    as_at: date
    rows: list[StatisticsRow]

    @property
    def totals(self) -> StatisticsRow:
        total = StatisticsRow("", "All types", 0, "All teams")
        outcomes: Counter[str] = Counter()
        for row in self.rows:
            total.raised += row.raised
            total.open_as_at += row.open_as_at
            total.closed += row.closed
            outcomes.update(row.closed_by_outcome)
        total.closed_by_outcome = dict(sorted(outcomes.items()))
        return total


def _type_label(case_type: str) -> str:
    workflow = WORKFLOWS.get(case_type)
    return workflow.label if workflow is not None else dict(CaseType.choices).get(case_type, "")


def outcome_label(case_type: str, transition: str, outcome_code: str) -> str:
    """A closing step's outcome in words: the case's outcome code if it has one (a step
    may take the outcome as an input), else the step's declared outcome, else its label;
    codes in the words their steps declare (``Workflow.outcome_words``)."""
    workflow = WORKFLOWS.get(case_type)
    code = outcome_code
    if not code and workflow is not None and transition:
        try:
            meta = workflow.transition_meta(transition)
        except (KeyError, AttributeError):
            meta = {}
        code = meta.get("outcome") or ""
        if not code and meta.get("label"):
            return str(meta["label"])
    if not code:
        return "Closed (outcome not recorded)"
    if workflow is not None:
        return workflow.outcome_words(code)
    return undeclared_code_words(code)


_BY_OUTCOME = (
    "SELECT measure, case_type, team_id,"
    " CASE WHEN measure = %s AND strpos(key, '|') > 0 AND right(key, 1) <> '|'"
    " THEN substr(key, strpos(key, '|')) ELSE key END,"
    " SUM(n)::bigint FROM ({inner}) AS sums GROUP BY 1, 2, 3, 4"
)


def _summed_by_outcome(counted: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """``counted``'s rows (measure, case type, team, key, n) summed again by what a
    closing's words depend on (``outcome_label``): a closing keyed ``"<step>|<code>"``
    with an outcome code becomes ``"|<code>"`` (the words are the code's, whichever step
    closed the case); one without a code, and every other measure, keeps its key. For a
    partnership-wide year at 500,000 cases the sums are 4,657 rows per step and outcome
    and 987 per outcome: the database adds them up (about 3 ms), not Python (about 7 ms),
    and only once they are summed per key, so the key's words are worked out for each of
    the 4,657 sums rather than each of the 38,000 daily and monthly rows under them
    (docs/performance.md, an eighth session)."""
    try:
        inner, params = counted.query.get_compiler(using=counted.db).as_sql()
    except EmptyResultSet:  # a scope that holds nothing (``QuerySet.none()``)
        return []
    # The inner statement is the ORM's, its values passed as parameters.
    sql = _BY_OUTCOME.format(inner=inner)
    with connections[counted.db].cursor() as cursor:
        cursor.execute(sql, (facts.CLOSED, *params))
        return cursor.fetchall()


def _filters(case_type: str | None, team_id: int | None, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    if case_type:
        found[f"{prefix}case_type"] = case_type
    if team_id:
        found[f"{prefix}team_id"] = team_id
    return found


def case_statistics(
    user: Any,
    start: date,
    end: date,
    as_at: date,
    *,
    case_type: str | None = None,
    team_id: int | None = None,
) -> CaseStatistics:
    """Per case type and team (the case's team now), for the user's figures scope:

    - **raised**: concerns raised from ``start`` to ``end`` (inclusive);
    - **open as at**: cases open at the end of ``as_at`` (from the state history: a case
      raised by then whose state at that moment was not a closing one; counted under its
      type and team now), which stays the same however the cases move on afterwards;
    - **closed**: cases that reached a closing state in the period, by outcome (a case
      closed, reopened and closed again in the period counts at each closing).

    Two queries, whatever the period: the sums the write path keeps
    (``workflows.case_figures``: an "open as at" figure sums each case's openings and
    closings up to that day, so it stays put when the cases move on later), grouped by
    type, team id and outcome (``_summed_by_outcome``), and the teams' names.
    """
    period = period_of(start, end)
    rows: dict[tuple[str, int], StatisticsRow] = {}

    def row(kind: str, team: int) -> StatisticsRow:
        key = (kind, team)
        if key not in rows:
            rows[key] = StatisticsRow(kind, _type_label(kind), team, team_names.get(team, ""))
        return rows[key]

    sums = _facts_scoped(FigureSum.objects.filter(**_filters(case_type, team_id)), user)
    in_period = sums_between(period.start, period.end)
    counted = (
        sums.filter(
            (Q(measure__in=[facts.RAISED, facts.CLOSED]) & in_period)
            | (Q(measure=facts.OPEN) & sums_to(as_at))
        )
        .order_by()
        .values_list("measure", "case_type", "team_id", "key")
        .annotate(n=Sum("n"))
    )
    team_names = dict(Team.objects.values_list("pk", "name"))
    for measure, kind, team, key, n in _summed_by_outcome(counted):
        if not n:
            continue
        target = row(kind, team)
        if measure == facts.RAISED:
            target.raised += n
        elif measure == facts.OPEN:
            target.open_as_at += n
        else:
            transition, _, outcome_code = key.partition("|")
            label = outcome_label(kind, transition, outcome_code)
            target.closed += n
            target.closed_by_outcome[label] = target.closed_by_outcome.get(label, 0) + n
    ordered = sorted(rows.values(), key=lambda r: (r.type_label, r.team_name))
    for r in ordered:
        r.closed_by_outcome = dict(sorted(r.closed_by_outcome.items()))
    return CaseStatistics(period=period, as_at=as_at, rows=ordered)


@dataclasses.dataclass
class RollingRow:
    case_type: str
    type_label: str
    team_id: int
    team_name: str
    comparison: Comparison


@dataclasses.dataclass
class Rolling:
    current: Period
    previous: Period
    rows: list[RollingRow]

    @property
    def total(self) -> Comparison:
        return rolling_comparison(
            sum(r.comparison.current for r in self.rows),
            sum(r.comparison.previous for r in self.rows),
        )


def rolling_periods(end: date) -> tuple[Period, Period]:
    """The 12 months to ``end`` (inclusive) and the 12 months before them: to 28 February
    2026, 1 March 2025 to 28 February 2026 against 1 March 2024 to 28 February 2025."""
    current = Period(_months_before(end + timedelta(days=1), 12), end)
    previous = Period(_months_before(current.start, 12), current.start - timedelta(days=1))
    return current, previous


def rolling_statistics(
    user: Any, end: date, *, case_type: str | None = None, team_id: int | None = None
) -> Rolling:
    """Concerns raised in the rolling 12 months to ``end`` against the 12 months before,
    per case type and team, each with its difference and % difference (one query)."""
    current, previous = rolling_periods(end)
    counted = (
        _facts_scoped(FigureSum.objects.filter(**_filters(case_type, team_id)), user)
        .filter(measure=facts.RAISED)
        .filter(sums_between(previous.start, previous.end) | sums_between(current.start, end))
        .order_by()
        .values("case_type", "team_id", "team__name")
        .annotate(
            now=Sum("n", filter=sums_between(current.start, end), default=0),
            before=Sum("n", filter=sums_between(previous.start, previous.end), default=0),
        )
    )
    rows = [
        RollingRow(
            r["case_type"],
            _type_label(r["case_type"]),
            r["team_id"],
            r["team__name"],
            rolling_comparison(r["now"], r["before"]),
        )
        for r in counted
    ]
    rows.sort(key=lambda r: (r.type_label, r.team_name))
    return Rolling(current=current, previous=previous, rows=rows)


# --- Emerging risks -------------------------------------------------------------------


@dataclasses.dataclass
class Tally:
    """A labelled count in a breakdown."""

    label: str
    count: int


@dataclasses.dataclass
class ClockRow:
    case_type: str
    type_label: str
    rule: str
    label: str
    statutory: bool
    on_time: int
    late: int
    overdue_not_met: int


@dataclasses.dataclass
class EmergingRisks:
    period: Period
    # Modern slavery (RULES.md §1): (route, exploitation type label, "Adult"/"Child") -> n
    modern_slavery_referrals: dict[tuple[str, str, str], int]
    modern_slavery_outcomes: dict[tuple[str, str], int]  # (decision label, age group) -> n
    prevent_stages: list[Tally]  # RULES.md §4.2, the Home Office statistics' stages
    cuckooing: list[Tally]  # concerns, closure notices, closure orders (RULES.md §2)
    child_exploitation: list[Tally]  # referrals and the MASH decisions (RULES.md §3)
    child_exploitation_closed: list[Tally]  # closed in the period, by outcome
    clocks: list[ClockRow]

    def referrals(self, route: str) -> int:
        return sum(n for (r, _, _), n in self.modern_slavery_referrals.items() if r == route)


MS = CaseType.MODERN_SLAVERY.value
PREVENT = CaseType.PREVENT.value
CUCKOOING = CaseType.CUCKOOING.value
CSE = CaseType.CSE.value
NRM = "NRM referral"
DTN = "Duty to Notify (anonymous)"
MS_ROUTES = {"submit_nrm_referral": NRM, "submit_duty_to_notify": DTN}
MS_DECISIONS = {
    "record_rg_positive": "Positive reasonable grounds",
    "record_rg_negative": "Negative reasonable grounds",
    "record_cg_positive": "Positive conclusive grounds",
    "record_cg_negative": "Negative conclusive grounds",
}
# Prevent referrals by stage (RULES.md §4.2): the referral, the police gateway's
# outcome, discussed at the Channel panel (adopted or not), adopted, and exited.
PREVENT_STAGES = [
    ("Prevent referrals made", {"submit_referral"}),
    ("Gateway outcome: no further action", {"close_nfa_at_gateway"}),
    ("Gateway outcome: signposted to other services", {"close_signposted"}),
    ("Gateway outcome: police-led case management", {"close_police_led"}),
    ("Gateway outcome: referred to Channel", {"refer_to_channel"}),
    ("Discussed at the Channel panel", {"adopt", "not_adopt"}),
    ("Adopted as a Channel case", {"adopt"}),
    ("Exited Channel", {"exit_support"}),
]
CUCKOOING_STAGES = [
    ("Cuckooing concerns raised", {"raise"}),
    ("Closure notices issued", {"issue_closure_notice", "issue_closure_notice_48h"}),
    ("Closure orders made", {"record_order_made"}),
    ("Closure orders refused", {"record_order_refused"}),
]
CSE_STAGES = [
    ("Child exploitation concerns raised", {"raise"}),
    ("Referred to children's social care (MASH)", {"refer_to_mash"}),
    ("MASH decision: no further action", {"decide_no_further_action"}),
    ("MASH decision: early help", {"decide_early_help"}),
    ("MASH decision: child and family assessment", {"decide_s17_assessment"}),
    ("MASH decision: strategy discussion", {"decide_strategy_discussion"}),
    ("Section 47 enquiries started", {"start_s47_enquiry"}),
    ("Child protection plans started", {"hold_icpc_cp_plan"}),
]
_STEPS = {
    MS: set(MS_ROUTES) | set(MS_DECISIONS),
    PREVENT: set().union(*(s for _, s in PREVENT_STAGES)),
    CUCKOOING: set().union(*(s for _, s in CUCKOOING_STAGES)),
    CSE: set().union(*(s for _, s in CSE_STAGES)),
}
_NOT_COUNTED = sorted(set(CaseType.values) - set(_STEPS))
EXPLOITATION_LABELS = dict(EXPLOITATION_TYPES)
NOT_RECORDED = "Not recorded"


def emerging_risks(
    user: Any, start: date, end: date, *, statutory_only: bool = True
) -> EmergingRisks:
    """The emerging-risk counts of the period for the user's figures scope (the counts
    the national statistics use; RULES.md §1-§4), each event counted at the date it
    happened (the state history):

    - modern slavery: NRM referrals and anonymous Duty to Notify notifications, by
      exploitation type (a case with several types counts under each) and adult/child;
      reasonable and conclusive grounds decisions by adult/child;
    - Prevent: referrals by stage (gateway outcome, discussed at the Channel panel,
      adopted, exited);
    - cuckooing: concerns raised, closure notices issued, closure orders made/refused;
    - child exploitation: concerns, referrals to MASH and its decisions; closed by outcome;
    - clocks (statutory ones unless ``statutory_only`` is False): per rule, those met in
      the period on time and late, and those that fell due in the period and are still
      not met.

    Three queries, whatever the period, over the sums the write path keeps
    (``workflows.case_figures``) and today's running clocks.
    """
    period = period_of(start, end)
    # Every step of the types counted, summed per step: the steps not counted are
    # dropped below (a plain measure filter keeps the sums' index in use). The types not
    # counted are left out by a condition the index does not take: given the four types
    # counted as a list, PostgreSQL 15 walks the index once for each measure and type,
    # reading a measure's days once for each type (30 ms of a partnership-wide year's
    # 43 at 500,000 cases, against 7 read once).
    counted = (
        _facts_scoped(FigureSum.objects.filter(sums_between(period.start, period.end)), user)
        .filter(measure__in=[facts.STEP, facts.MS_ROUTE, facts.MS_DECISION, facts.CLOSED])
        .exclude(case_type__in=_NOT_COUNTED)
        .order_by()
        .values_list("measure", "case_type", "key")
        .annotate(n=Sum("n"))
    )
    ms_referrals: Counter[tuple[str, str, str]] = Counter()
    ms_outcomes: Counter[tuple[str, str]] = Counter()
    steps_done: dict[str, Counter[str]] = defaultdict(Counter)
    cse_closed: Counter[str] = Counter()
    for measure, kind, key, n in counted:
        if not n or kind not in _STEPS:
            continue
        if measure == facts.STEP:
            steps_done[kind][key] += n if key in _STEPS[kind] else 0
        elif measure == facts.MS_ROUTE:
            transition, exploitation, age = key.split("|")
            label = EXPLOITATION_LABELS.get(exploitation, NOT_RECORDED)
            ms_referrals[(MS_ROUTES[transition], label, age)] += n
        elif measure == facts.MS_DECISION:
            transition, age = key.split("|")
            ms_outcomes[(MS_DECISIONS[transition], age)] += n
        elif kind == CSE:
            transition, _, outcome_code = key.partition("|")
            cse_closed[outcome_label(CSE, transition, outcome_code)] += n

    def stages(kind: str, table: list[tuple[str, set[str]]]) -> list[Tally]:
        done = steps_done.get(kind, Counter())
        return [Tally(label, sum(done[s] for s in steps)) for label, steps in table]

    return EmergingRisks(
        period=period,
        modern_slavery_referrals=dict(sorted(ms_referrals.items())),
        modern_slavery_outcomes=dict(sorted(ms_outcomes.items())),
        prevent_stages=stages(PREVENT, PREVENT_STAGES),
        cuckooing=stages(CUCKOOING, CUCKOOING_STAGES),
        child_exploitation=stages(CSE, CSE_STAGES),
        child_exploitation_closed=[Tally(k, v) for k, v in sorted(cse_closed.items())],
        clocks=_clock_rows(user, period, statutory_only),
    )


def _clock_rows(user: Any, period: Period, statutory_only: bool) -> list[ClockRow]:
    """Task clocks per rule: met in the period on time (by the end of the due time) or
    late, and those due in the period and not met yet (not cancelled or paused): by the
    end of yesterday from the sums the write path keeps, and today's to this moment
    from the clocks themselves (two queries)."""
    now = timezone.now()
    today = timezone.localdate(now)
    met = Q(measure__in=[facts.CLOCK_ON_TIME, facts.CLOCK_LATE]) & sums_between(
        period.start, period.end
    )
    last_due_day = min(period.end, today - timedelta(days=1))
    due = (
        Q(measure=facts.CLOCK_DUE) & sums_between(period.start, last_due_day)
        if last_due_day >= period.start
        else Q(pk__in=[])
    )
    counted = (
        _facts_scoped(FigureSum.objects.filter(met | due), user)
        .order_by()
        .values_list("measure", "case_type", "key")
        .annotate(n=Sum("n"))
    )
    rows: list[tuple[str, str, str, int]] = [
        (measure, kind, key, n) for measure, kind, key, n in counted if n
    ]
    # Today's clocks that fell due before now (the partial index on running tasks' due
    # times answers it); none when today is outside the period.
    start_of_today = _day_start(today)
    running_today = (
        _scoped(Deadline.objects.filter(kind=DeadlineKind.TASK), user)
        .filter(
            status__in=["open", "missed"],
            met_at__isnull=True,
            closed_at__isnull=True,
            due_at__gte=max(start_of_today, period.starts_at),
            due_at__lt=min(now, period.ends_before),
        )
        .order_by()
        .values_list("case__case_type", "rule", "statutory", "label")
        .annotate(n=Count("pk"))
    )
    for kind, rule, statutory, label, n in running_today:
        rows.append((facts.CLOCK_DUE, kind, facts.clock_key(rule, statutory, label), n))
    merged: dict[tuple[str, str], ClockRow] = {}
    for measure, kind, key, n in rows:
        rule, statutory, label = key.split("|", 2)
        if statutory_only and not statutory:
            continue
        if (kind, rule) not in merged:
            merged[(kind, rule)] = ClockRow(
                kind, _type_label(kind), rule, label, bool(statutory), 0, 0, 0
            )
        target = merged[(kind, rule)]
        if measure == facts.CLOCK_ON_TIME:
            target.on_time += n
        elif measure == facts.CLOCK_LATE:
            target.late += n
        else:
            target.overdue_not_met += n
    return sorted(merged.values(), key=lambda m: (m.type_label, m.label))


# The case types a team can be chosen for, for the report forms.
def report_case_types() -> list[tuple[str, str]]:
    return [(k, _type_label(k)) for k in sorted(WORKFLOWS, key=_type_label)]


def report_teams(user: Any) -> list[Team]:
    """The teams the user may ask figures of, by name: all for analysts and auditors,
    their own for a lead."""
    from casework.permissions import team_ids_of

    return teams_by_name(None if roles_of(user) & ALL_CASES_ROLES else team_ids_of(user))
