"""Performance indicators: reading their values, the rolling comparison and the status.

Reads only (the writes are ``reports.indicator_services``). The committee's table
compares the rolling 12 months that end with the reporting month with the 12 months
before, per area, with the difference and the percentage difference::

    ASB1 - police-recorded anti-social behaviour incidents:
    Corby 2,483 vs 2,960, -477, -16.1%

The red/amber/green status compares the rolling 12 months' figure of all areas (a
count's total, a percentage's average) with the target: green at or better than the
target, amber worse but within the amber tolerance (a percentage of the target), red
beyond it (``rag_status``). It is computed, never typed.

Values come from ``IndicatorValue`` (entered) or from a source in ``SOURCES`` (computed
from Safecase's cases); either way a whole report takes one query for every entered
value and one per source, however many months or areas (``indicator_reports``).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from casework.models import Case, Team
from reports.figures import suppress, suppress_below
from reports.models import Breakdown, Direction, Indicator, IndicatorValue, Unit

MONTHS = 12
POINTS = "points"  # the unit of a difference between two percentages


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return {"green": "Green", "amber": "Amber", "red": "Red"}[self.value]


def rag_status(
    value: Decimal, *, target: Decimal, direction: str, tolerance_percent: Decimal
) -> Rag:
    """Green at or better than ``target``; amber worse than it by no more than
    ``tolerance_percent`` of the target; red beyond. Exact decimal arithmetic, so a value
    on the edge of the band is amber, never red by a rounding error."""
    value, target = Decimal(value), Decimal(target)
    band = abs(target) * Decimal(tolerance_percent) / 100
    if direction == Direction.HIGHER:
        if value >= target:
            return Rag.GREEN
        return Rag.AMBER if value >= target - band else Rag.RED
    if value <= target:
        return Rag.GREEN
    return Rag.AMBER if value <= target + band else Rag.RED


# --- months ---------------------------------------------------------------------------


def month_parse(text: str) -> date:
    """``YYYY-MM`` to the first day of that month; ValueError when it is not one."""
    parsed = datetime.strptime(text.strip(), "%Y-%m")  # noqa: DTZ007 (a month, no time)
    if not 1900 < parsed.year < 2200:
        raise ValueError(text)
    return parsed.date()


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_ending(last: date, count: int) -> list[date]:
    """The ``count`` months up to and including ``last``, oldest first."""
    return [month_add(last, -n) for n in range(count - 1, -1, -1)]


def month_label(month: date) -> str:
    return month.strftime("%b %Y")


# --- areas ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Area:
    key: str  # a district's name, or a team's slug
    name: str


def areas_for(breakdown: str, *, team_slugs: set[str] | None = None) -> list[Area]:
    """The areas an indicator is reported for: the configured districts, or the teams
    (only ``team_slugs`` when given: a lead's teams)."""
    if breakdown == Breakdown.DISTRICT:
        return [Area(d, d) for d in settings.SAFECASE_DISTRICTS]
    teams = Team.objects.order_by("name").values_list("slug", "name")
    return [Area(s, n) for s, n in teams if team_slugs is None or s in team_slugs]


# --- computed sources -------------------------------------------------------------------

Series = dict[tuple[str, date], Decimal]  # (area key, month) -> value
# (first month, last month, the cases the reader's figures may count) -> values
Source = Callable[[date, date, QuerySet[Case]], Series]


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    name: str
    label: str
    breakdown: str
    unit: str
    compute: Source


def _window(first: date, last: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    end = month_add(last, 1)
    return (
        datetime(first.year, first.month, 1, tzinfo=tz),
        datetime(end.year, end.month, 1, tzinfo=tz),
    )


def _cases_by_team_month(
    field: str, first: date, last: date, cases: QuerySet[Case], **filters: Any
) -> Series:
    start, end = _window(first, last)
    rows = (
        cases.order_by()
        .filter(**{f"{field}__gte": start, f"{field}__lt": end}, **filters)
        .annotate(month=TruncMonth(field, tzinfo=timezone.get_current_timezone()))
        .values_list("team__slug", "month")
        .annotate(n=Count("pk"))
    )
    return {(slug, month.date()): Decimal(n) for slug, month, n in rows}


def _source(name: str, label: str, **filters: Any) -> SourceSpec:
    field = filters.pop("field", "raised_at")
    return SourceSpec(
        name,
        label,
        Breakdown.TEAM,
        Unit.COUNT,
        lambda first, last, cases: _cases_by_team_month(field, first, last, cases, **filters),
    )


# Counts of cases (never their content) per team and month, from the cases' own dates.
SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in [
        _source("concerns_raised", "Concerns raised (all types)"),
        _source("cases_closed", "Cases closed (all types)", field="closed_at"),
        _source(
            "community_trigger_applications",
            "Community Trigger applications received",
            case_type="community_trigger",
        ),
        _source("modern_slavery_concerns", "Modern slavery concerns", case_type="modern_slavery"),
        _source("cuckooing_concerns", "Cuckooing concerns", case_type="cuckooing"),
        _source("child_exploitation_referrals", "Child exploitation concerns", case_type="cse"),
    ]
}


def source_choices() -> list[tuple[str, str]]:
    return [(s.name, s.label) for s in SOURCES.values()]


# --- values ----------------------------------------------------------------------------


def _entered_series(indicators: Iterable[Indicator], first: date, last: date) -> dict[int, Series]:
    ids = [i.pk for i in indicators if not i.computed]
    by_indicator: dict[int, Series] = defaultdict(dict)
    if ids:
        rows = IndicatorValue.objects.filter(
            indicator_id__in=ids, month__gte=first, month__lte=last
        ).values_list("indicator_id", "area", "month", "value")
        for indicator_id, area, month, value in rows:
            by_indicator[indicator_id][(area, month)] = value
    return by_indicator


def _aggregate(values: list[Decimal], unit: str) -> Decimal | None:
    if not values:
        return None
    total = sum(values, Decimal(0))
    if unit == Unit.PERCENT:
        return (total / len(values)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return total


@dataclasses.dataclass
class Comparison:
    """One area's (or all areas') rolling 12 months against the 12 before."""

    area: str
    current: Decimal | None
    previous: Decimal | None
    unit: str
    # Counts of cases a reader may not see: 1 to 4 read "fewer than 5", and what is worked
    # out from such a count is not given ("[c]"), as in a publication.
    hide_small: bool = False

    @property
    def difference(self) -> Decimal | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def percent_difference(self) -> Decimal | None:
        if self.difference is None or not self.previous:
            return None
        pct = self.difference * 100 / self.previous
        return pct.quantize(Decimal("0.1"), ROUND_HALF_UP)

    def texts(self, *, hide_small: bool | None = None) -> tuple[str, str, str, str]:
        """(current, previous, difference, % difference) as shown; ``hide_small`` (default
        the row's own) suppresses small counts and what is worked out from them."""
        hide = self.hide_small if hide_small is None else hide_small
        small = (
            hide
            and self.unit == Unit.COUNT
            and any(
                v is not None and 0 < v < suppress_below() for v in (self.current, self.previous)
            )
        )
        current, previous = (
            suppress_value(v, self.unit) if hide else fmt(v, self.unit)
            for v in (self.current, self.previous)
        )
        if small:
            return current, previous, SUPPRESSED, SUPPRESSED
        # A percentage's difference is in percentage points, not a percentage of it.
        unit = POINTS if self.unit == Unit.PERCENT else self.unit
        difference = "-" if self.difference is None else fmt_signed(self.difference, unit)
        pct = self.percent_difference
        return current, previous, difference, "-" if pct is None else fmt_signed(pct, Unit.PERCENT)

    @property
    def shown(self) -> tuple[str, str, str, str]:
        return self.texts()

    def text(self, *, hide_small: bool | None = None) -> str:
        """The committee's format: ``Corby 2,483 vs 2,960, -477, -16.1%``."""
        current, previous, difference, pct = self.texts(hide_small=hide_small)
        parts = [f"{self.area} {current} vs {previous}"]
        parts += [p for p in (difference, pct) if p != "-"]
        return ", ".join(parts)


def fmt(value: Decimal | None, unit: str) -> str:
    """A value as the committee reads it: ``2,483``, ``62.5%``; ``no data`` when none."""
    if value is None:
        return "no data"
    if unit == Unit.PERCENT:
        return f"{value:,.1f}%"
    if unit == POINTS:
        return f"{value:,.1f} points"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


SUPPRESSED = "[c]"  # not given: worked out from a count of fewer than 5


def suppress_value(value: Decimal | None, unit: str) -> str:
    """A value as published: a count from 1 to 4 reads "fewer than 5" (``suppress``)."""
    if unit == Unit.COUNT and value is not None and value == value.to_integral_value():
        return suppress(int(value))
    return fmt(value, unit)


def fmt_signed(value: Decimal, unit: str) -> str:
    text = fmt(abs(value), unit)
    if unit == Unit.PERCENT and not text.endswith("%"):
        text += "%"
    return f"-{text}" if value < 0 else f"+{text}" if value > 0 else text


@dataclasses.dataclass
class IndicatorReport:
    indicator: Indicator
    period: date  # the last month of the rolling 12 months
    areas: list[Area]
    # month -> the month's figure of all the report's areas (a trend chart's points)
    trend: list[tuple[date, Decimal | None]]
    rows: list[Comparison]
    total: Comparison
    status: Rag | None
    hide_small: bool = False  # small counts suppressed (a computed indicator's)

    def trend_texts(self, *, hide_small: bool | None = None) -> list[tuple[date, str]]:
        hide = self.hide_small if hide_small is None else hide_small
        unit = self.indicator.unit
        return [(m, suppress_value(v, unit) if hide else fmt(v, unit)) for m, v in self.trend]

    def trend_points(self, *, hide_small: bool | None = None) -> list[Decimal | None]:
        """The chart's points; a suppressed count is left out (a gap in the line)."""
        hide = self.hide_small if hide_small is None else hide_small
        limit = suppress_below()
        return [None if hide and v is not None and 0 < v < limit else v for _, v in self.trend]

    @property
    def target_text(self) -> str:
        return fmt(self.indicator.target, self.indicator.unit)

    @property
    def direction_text(self) -> str:
        return Direction(self.indicator.direction).label


def indicator_reports(
    indicators: Iterable[Indicator],
    *,
    period: date,
    cases: QuerySet[Case] | None = None,
    team_slugs: set[str] | None = None,
    exact: bool = True,
) -> list[IndicatorReport]:
    """Each indicator's rolling comparison, status and 24 months' trend ending with
    ``period``. A computed indicator counts ``cases`` (the reader's figures scope;
    default every case). ``team_slugs`` limits indicators by team to those teams (a
    lead's): their rows, total, status and trend are of those teams only."""
    cases = Case.objects.all() if cases is None else cases
    indicators = list(indicators)
    first, last = month_add(period, -(2 * MONTHS - 1)), period
    entered = _entered_series(indicators, first, last)
    computed: dict[str, Series] = {}
    for name in {i.source for i in indicators if i.computed and i.source in SOURCES}:
        computed[name] = SOURCES[name].compute(first, last, cases)
    area_lists = {b: areas_for(b, team_slugs=team_slugs) for b in Breakdown.values}
    reports = []
    for indicator in indicators:
        series = (
            computed.get(indicator.source, {})
            if indicator.computed
            else entered.get(indicator.pk, {})
        )
        # A lead sees their teams' figures only; the target is the whole partnership's,
        # so a status of some teams against it would mislead and is not given.
        partial = team_slugs is not None and indicator.breakdown == Breakdown.TEAM
        report = _report(
            indicator, period, area_lists[indicator.breakdown], series, partial=partial
        )
        if indicator.computed and not exact:
            report.hide_small = True
            for row in [*report.rows, report.total]:
                row.hide_small = True
        reports.append(report)
    return reports


def _report(
    indicator: Indicator, period: date, areas: list[Area], series: Series, *, partial: bool
) -> IndicatorReport:
    unit, computed = indicator.unit, indicator.computed
    current_months = months_ending(period, MONTHS)
    previous_months = months_ending(month_add(period, -MONTHS), MONTHS)

    def values(keys: list[str], months: list[date]) -> list[Decimal]:
        # A computed count with no case in a month is a true zero, not a missing value.
        got = [series.get((k, m)) for k in keys for m in months]
        return (
            [v if v is not None else Decimal(0) for v in got]
            if computed
            else [v for v in got if v is not None]
        )

    def month_value(keys: list[str], month: date) -> Decimal | None:
        if unit == Unit.PERCENT:
            return _aggregate(values(keys, [month]), unit)
        got = values(keys, [month])
        return sum(got, Decimal(0)) if got else None

    keys = [a.key for a in areas]
    rows = [
        Comparison(
            a.name,
            _aggregate(values([a.key], current_months), unit),
            _aggregate(values([a.key], previous_months), unit),
            unit,
        )
        for a in areas
    ]
    total = Comparison(
        "Your teams" if partial else "All areas",
        _aggregate(values(keys, current_months), unit),
        _aggregate(values(keys, previous_months), unit),
        unit,
    )
    status = None
    if total.current is not None and not partial:
        status = rag_status(
            total.current,
            target=indicator.target,
            direction=indicator.direction,
            tolerance_percent=indicator.amber_tolerance_percent,
        )
    trend = [(m, month_value(keys, m)) for m in previous_months + current_months]
    return IndicatorReport(indicator, period, areas, trend, rows, total, status)


def last_complete_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return month_add(date(today.year, today.month, 1), -1)
