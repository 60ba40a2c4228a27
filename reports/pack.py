"""The committee pack (issue 21, part 5): one reporting period's partnership figures.

``committee_pack(user, period)`` assembles, for the reporting month ``period``:

1. the performance indicators: each one's status, its rolling 12 months against the 12
   before by area, and its trend chart with the chart's data and summary;
2. the Domestic Homicide Reviews and CCTV footage requests of the reporting year to the
   end of the month (not for leads: they are the partnership's, not a team's);
3. the Community Trigger return of the reporting year the month is in, and the
   emerging-risk counts of the 12 months (``reports.figures``, for the user's figures
   scope: a lead's, their teams' cases).

Every figure is a ``Cell`` holding both what the user's screen shows and what a
publication shows: counts from 1 to 4 read "fewer than 5" in every published output
(PDF, XLSX, CSV), and what is worked out from such a count is not given ("[c]"). The
screen is exact for those allowed to see the cases counted (leads, their teams'; auditors),
suppressed like a publication otherwise (partnership analysts). Leads see their teams'
figures only: the partnership-wide sections (reviews, footage) are left out for them.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString

from casework.dates import day_words
from footage.selectors import footage_figures
from reports import access
from reports.figures import (
    community_trigger_return,
    emerging_risks,
    reporting_year,
    reporting_year_of,
    suppress,
)
from reports.indicators import (
    SUPPRESSED,
    IndicatorReport,
    indicator_reports,
    month_add,
    month_label,
)
from reports.models import Indicator
from workflows.selectors import dhr_figures


@dataclasses.dataclass(frozen=True)
class Cell:
    screen: str  # as this user's screen shows it
    published: str  # as the PDF, XLSX and CSV show it
    number: Decimal | int | None = None  # the value, for a spreadsheet, when published exact

    @classmethod
    def text(cls, value: str) -> Cell:
        return cls(value, value)

    @classmethod
    def count(cls, n: int, *, exact: bool) -> Cell:
        published = suppress(n)
        return cls(
            f"{n:,}" if exact else published, published, n if published == f"{n:,}" else None
        )


@dataclasses.dataclass
class Row:
    header: str
    cells: list[Cell]


@dataclasses.dataclass
class Table:
    caption: str
    columns: list[str]  # the first names the row headers' column
    rows: list[Row]
    note: str = ""


@dataclasses.dataclass
class Chart:
    id: str
    title: str
    screen_svg: SafeString
    published_svg: SafeString
    screen_summary: str
    published_summary: str
    rows: list[Row]


@dataclasses.dataclass
class Section:
    id: str
    title: str
    intro: str
    tables: list[Table]
    charts: list[Chart] = dataclasses.field(default_factory=list)
    statuses: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    sheet: str = ""  # the worksheet's name (at most 31 characters)


@dataclasses.dataclass
class Pack:
    period: date
    title: str
    scope: str
    sections: list[Section]

    @property
    def period_text(self) -> str:
        return f"12 months to {self.period:%B %Y}"


# --- indicators -------------------------------------------------------------------------


def _indicator_table(report: IndicatorReport) -> Table:
    def cells(row: Any) -> list[Cell]:
        screen, published = row.texts(), row.texts(hide_small=True)
        numbers: list[Any] = [row.current, row.previous, row.difference, row.percent_difference]
        return [
            Cell(s, p, n if s == p and p not in ("-", SUPPRESSED) else None)
            for s, p, n in zip(screen, published, numbers, strict=True)
        ]

    indicator = report.indicator
    return Table(
        caption=f"{indicator.code} - {indicator.name}",
        columns=[
            "Area", f"12 months to {report.period:%b %Y}", "12 months before", "Difference",
            "% difference",
        ],
        rows=[Row(r.area, cells(r)) for r in [*report.rows, report.total]],
        note=f"Target {report.target_text} ({report.direction_text.lower()}).",
    )  # fmt: skip


def _indicator_chart(report: IndicatorReport) -> Chart:
    from reports.indicator_views import chart_of

    screen, published = chart_of(report), chart_of(report, published=True)
    return Chart(
        id=screen["id"],
        title=screen["title"],
        screen_svg=screen["svg"],
        published_svg=published["svg"],
        screen_summary=screen["summary"],
        published_summary=published["summary"],
        rows=[
            Row(month, [Cell(s, p)])
            for (month, s), (_, p) in zip(screen["rows"], published["rows"], strict=True)
        ],
    )


def _indicators(user: Any, period: date) -> Section:
    reports = indicator_reports(
        Indicator.objects.all(),
        period=period,
        cases=access.figures_scope(user),
        team_slugs=access.team_scope(user),
        exact=access.shows_exact(user),
    )
    statuses = [
        (f"{r.indicator.code} - {r.indicator.name}", r.status.value if r.status else "")
        for r in reports
    ]
    return Section(
        id="indicators",
        title="Performance indicators",
        intro=(
            "Each indicator's rolling 12 months against the 12 months before, by area, "
            "with the difference and the percentage difference. The status compares the 12 "
            "months of all areas with the target: green at or better than the target, amber "
            "worse but within the indicator's tolerance, red beyond it."
        ),
        tables=[_indicator_table(r) for r in reports],
        charts=[_indicator_chart(r) for r in reports],
        statuses=statuses,
        sheet="Indicators",
    )


# --- the partnership's year: reviews and footage -----------------------------------------

DHR_LABELS = [
    ("notified", "Deaths notified"),
    ("decided_to_review", "Decisions to hold a review"),
    ("decided_not_to_review", "Decisions not to hold a review"),
    ("published", "Reviews published"),
    ("in_progress", "Reviews in progress now"),
]
FOOTAGE_LABELS = [
    ("requests", "Requests made"),
    ("approved", "Approved"),
    ("refused", "Refused"),
    ("refused_too_late", "Refused at once: could not be preserved in time"),
    ("preserved_in_time", "Preserved before the cameras overwrote it"),
    ("lost_to_overwrite", "Lost to the overwrite"),
]


def _counts_table(caption: str, labels: list[tuple[str, str]], figures: dict, exact: bool):
    return Table(
        caption=caption,
        columns=["Figure", "Count"],
        rows=[Row(label, [Cell.count(figures[key], exact=exact)]) for key, label in labels],
    )


def _partnership_year(user: Any, period: date) -> Section:
    """The reviews and footage requests of the reporting year ``period`` falls in, to the
    end of ``period``'s month: the same year as the Community Trigger return beside them
    (April to March by default, ``SAFECASE_REPORTING_YEAR_START_MONTH``)."""
    year = reporting_year(reporting_year_of(period))
    end = min(year.end, _month_end(period))
    label = year.label if end == year.end else f"{day_words(year.start)} to {day_words(end)}"
    return Section(
        id="reviews-and-services",
        sheet="Reviews and CCTV",
        title=f"Domestic Homicide Reviews and CCTV, {label}",
        intro=(
            f"Counts for the reporting year to date ({label}), from the dates the steps "
            "were recorded; no review's or request's content."
        ),
        tables=[
            _counts_table(
                f"Domestic Homicide Reviews, {label}",
                DHR_LABELS,
                dhr_figures(start=year.start, end=end),
                access.shows_exact(user, "dhr"),
            ),
            _counts_table(
                f"CCTV footage requests, {label}",
                FOOTAGE_LABELS,
                footage_figures(start=year.start, end=end),
                access.shows_exact(user),
            ),
        ],
    )


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


# --- the Community Trigger return and the emerging risks (reports.figures) -----------------


def _community_trigger(user: Any, period: date) -> Section:
    year_start = reporting_year_of(period)
    ct = community_trigger_return(user, year_start)
    exact = access.shows_exact(user, "community_trigger")
    label = reporting_year(year_start).label
    statutory = Table(
        caption=f"Community Trigger: the published figures, {label}",
        columns=["Figure", "Count"],
        rows=[Row(f.label, [Cell.count(f.count, exact=exact)]) for f in ct.figures],
        note=" ".join(f"{f.label}: {f.note}" for f in ct.figures if f.note),
    )
    apart = [ct.threshold_met, ct.reviews_without_threshold_met, ct.overturned_on_escalation]
    counted_apart = Table(
        caption="Community Trigger: threshold met and reviews held, counted apart",
        columns=["Figure", "Count"],
        rows=[Row(f.label, [Cell.count(f.count, exact=exact)]) for f in apart],
        note="A not-met decision overturned on escalation counts as met.",
    )
    return Section(
        id="community-trigger",
        title=f"Community Trigger, {label}",
        intro=(
            "The four figures every relevant body publishes each year (Anti-social "
            "Behaviour, Crime and Policing Act 2014, section 104), for the reporting year."
        ),
        tables=[statutory, counted_apart],
        sheet="Community Trigger",
    )


def _tally_table(caption: str, tallies: list, exact: bool) -> Table:
    return Table(
        caption=caption,
        columns=["Figure", "Count"],
        rows=[Row(t.label, [Cell.count(t.count, exact=exact)]) for t in tallies],
    )


def _emerging(user: Any, period: date) -> Section:
    start = month_add(period, -11)
    end = month_add(period, 1) - timedelta(days=1)
    risks = emerging_risks(user, start, end)
    ms = access.shows_exact(user, "modern_slavery")
    referrals = Table(
        caption="Modern slavery: NRM referrals and Duty to Notify, by exploitation type",
        columns=["Route, exploitation type, adult or child", "Count"],
        rows=[
            Row(f"{route}: {kind}, {age}", [Cell.count(n, exact=ms)])
            for (route, kind, age), n in risks.modern_slavery_referrals.items()
        ],
        note="A referral with several exploitation types counts under each.",
    )
    outcomes = Table(
        caption="Modern slavery: reasonable and conclusive grounds decisions",
        columns=["Decision, adult or child", "Count"],
        rows=[
            Row(f"{decision}, {age}", [Cell.count(n, exact=ms)])
            for (decision, age), n in risks.modern_slavery_outcomes.items()
        ],
    )
    clocks = Table(
        caption="Statutory clocks met on time and late",
        columns=["Rule", "Met on time", "Met late", "Due and not met"],
        rows=[
            Row(
                f"{c.type_label}: {c.label}",
                [
                    Cell.count(n, exact=access.shows_exact(user, c.case_type))
                    for n in (c.on_time, c.late, c.overdue_not_met)
                ],
            )  # fmt: skip
            for c in risks.clocks
        ],
    )
    exact = access.shows_exact(user)
    return Section(
        id="emerging-risks",
        title="Emerging risks",
        intro=f"Counts for {risks.period.label}, each at the date it happened.",
        tables=[
            referrals,
            outcomes,
            _tally_table(
                "Prevent referrals by stage",
                risks.prevent_stages,
                access.shows_exact(user, "prevent"),
            ),
            _tally_table("County lines cuckooing", risks.cuckooing, exact),
            _tally_table(
                "Child exploitation referrals and decisions", risks.child_exploitation, exact
            ),
            _tally_table(
                "Child exploitation cases closed, by outcome",
                risks.child_exploitation_closed,
                exact,
            ),
            clocks,
        ],  # fmt: skip
        sheet="Emerging risks",
    )


def committee_pack(user: Any, period: date) -> Pack:
    """The committee pack of the 12 months to ``period`` as ``user`` may have it."""
    sections = [_indicators(user, period)]
    lead = access.team_scope(user) is not None
    if not lead:
        sections.append(_partnership_year(user, period))
    sections += [_community_trigger(user, period), _emerging(user, period)]
    for table in (t for section in sections for t in section.tables):
        if not table.rows:
            zero = [Cell.text("0")] * (len(table.columns) - 1)
            table.rows = [Row("None in the period", zero)]
    scope = "Your teams' figures" if lead else "The partnership's figures"
    return Pack(
        period=period,
        title=f"Community Safety Partnership performance: {month_label(period)}",
        scope=scope,
        sections=sections,
    )
