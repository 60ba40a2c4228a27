"""Report pages under /reports/ (issue 21): thin views over ``reports.figures``.

Partnership analysts, leads (their teams' figures) and auditors may see them; anyone
else gets 403. The screen shows exact counts to those allowed to see the cases counted
and small numbers suppressed to others (``figures.figure_text``); every CSV download is
a published output, always suppressed (``figures.suppress``). Drill-down links name only
cases the user may open.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.counting import CappedPaginator
from casework.dates import day_words
from casework.forms import govuk_controls, govuk_error_summary
from casework.reads import case_list_read_note
from casework.roles import Role, roles_of
from reports import figures
from reports.forms import FigureCasesForm, PeriodForm, StatisticsForm, YearForm, bound
from workflows.registry import WORKFLOWS

# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def figures_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to sign-in) as a partnership analyst, lead or auditor (else 403)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not figures.may_see_figures(request.user):
            raise PermissionDenied("Only partnership analysts, leads and auditors see reports.")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(require_http_methods(["GET"])(wrapped))


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _form_context(form: Any) -> dict[str, Any]:
    controls = govuk_controls(form)
    return {
        "controls": controls,
        "error_summary": govuk_error_summary(form, controls) if form.errors else [],
    }


def _invalid(request: HttpRequest, template: str, form: Any, **extra: Any) -> HttpResponse:
    return render(request, template, {**_form_context(form), "form": form, **extra}, status=400)


# --- Index ----------------------------------------------------------------------------


@figures_required
def report_index(request: HttpRequest) -> HttpResponse:
    """The reports the user may see."""
    reports = [
        (
            "Community Trigger annual return",
            reverse("reports:community-trigger"),
            "The four figures every relevant body publishes each year (ASB, Crime and "
            "Policing Act 2014, section 104).",
        ),
        (
            "Case statistics",
            reverse("reports:case-statistics"),
            "Concerns raised, cases open as at a date and cases closed by outcome, with "
            "the rolling 12 months against the 12 before.",
        ),
        (
            "Emerging risks",
            reverse("reports:emerging-risks"),
            "Modern slavery, Prevent, cuckooing and child exploitation counts, and "
            "statutory clocks met on time and late.",
        ),
        (
            "Performance indicators",
            reverse("reports:indicator-list"),
            "Each indicator's status against target and its rolling 12 months against "
            "the 12 before, by district or team, with a trend chart.",
        ),
        (
            "Committee pack",
            reverse("reports:committee-pack"),
            "One reporting month's indicators, reviews, Community Trigger figures and "
            "emerging risks, to print or download as PDF, XLSX or CSV.",
        ),
    ]
    return render(request, "reports/index.html", {"reports": reports, **_scope(request.user)})


def _scope(user: Any) -> dict[str, Any]:
    """What the pages say about whose figures these are."""
    everyone = bool(roles_of(user) & figures.ALL_CASES_ROLES)
    teams = [] if everyone else [t.name for t in figures.report_teams(user)]
    return {
        "scope_all": everyone,
        "scope_teams": teams,
        "suppress_below": figures.suppress_below(),
        "exact": figures.shows_exact(user),
    }


# --- Community Trigger ----------------------------------------------------------------


@dataclasses.dataclass
class FigureLine:
    key: str
    label: str
    text: str
    note: str
    cases_url: str  # the figure's cases the user may open, listed a page at a time


# A drill-down page lists this many cases.
CASES_PER_PAGE = 25


def _ct_form(request: HttpRequest) -> YearForm:
    return bound(YearForm, request.GET, {"year": YearForm.default_year()})


def _may_open_cases(user: Any) -> bool:
    """A partnership analyst sees figures and never a case (DESIGN.md "Access")."""
    return Role.ANALYST not in roles_of(user) or bool(roles_of(user) - {Role.ANALYST})


@figures_required
def community_trigger(request: HttpRequest) -> HttpResponse:
    """The Community Trigger annual return for a reporting year (RULES.md §5.6): the
    figures, each linking to the list of its cases the user may open (not for analysts).
    The figures are counts; the page names no case, so it records no read."""
    form = _ct_form(request)
    template = "reports/community_trigger.html"
    if not form.is_valid():
        return _invalid(request, template, form, **_scope(request.user))
    ret = figures.community_trigger_return(request.user, form.cleaned_data["year"])
    drill = _may_open_cases(request.user)
    base = reverse("reports:community-trigger-cases")

    def line(f: figures.Figure) -> FigureLine:
        text = figures.figure_text(request.user, f.count, figures.CT_TYPE)
        url = f"{base}?{urlencode({'year': ret.year_start, 'figure': f.key})}"
        return FigureLine(f.key, f.label, text, f.note, url if drill and f.count else "")

    extra = [ret.threshold_met, ret.reviews_without_threshold_met, ret.overturned_on_escalation]
    context = {
        "form": form,
        **_form_context(form),
        "ret": ret,
        "lines": [line(f) for f in ret.figures],
        "extra_lines": [line(f) for f in extra],
        "csv_url": f"{reverse('reports:community-trigger-csv')}?year={ret.year_start}",
        **_scope(request.user),
    }
    return render(request, template, context)


@figures_required
def community_trigger_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind one Community Trigger figure that the user may open, 25 a page
    (``figures.figure_cases``): a list of cases, audited as one (``cases.listed``, with
    the report, year, figure and page). Partnership analysts see no case: 403."""
    user = request.user
    if not _may_open_cases(user):
        raise PermissionDenied("Partnership analysts see figures, not the cases behind them.")
    form = bound(FigureCasesForm, request.GET, {"year": YearForm.default_year()})
    template = "reports/community_trigger_cases.html"
    if not form.is_valid():
        return _invalid(request, template, form, **_scope(user))
    year, key = form.cleaned_data["year"], form.cleaned_data["figure"]
    ret_period = figures.reporting_year(year)
    label = dict(form.fields["figure"].choices)[key]
    cases = figures.figure_cases(user, figures.CT_FIGURE_KEYS[key], ret_period).only(
        "pk", "reference", "case_type", "state", "raised_at"
    )
    asked = request.GET.get("page")
    page = CappedPaginator(cases, CASES_PER_PAGE, page=asked).get_page(asked)
    rows = [
        {
            "reference": case.reference,
            "url": reverse("case-detail", args=[case.reference]),
            "raised_at": case.raised_at,
            "stage": WORKFLOWS[case.case_type].state_label(case.state),
        }
        for case in page
    ]
    filters = {"report": "community_trigger", "year": year, "figure": key}
    case_list_read_note(filters=filters, count=page.paginator.count, page=page.number)
    context = {
        "form": form,
        "figure_label": label,
        "period": ret_period,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1),
        "rows": rows,
        "back_url": f"{reverse('reports:community-trigger')}?year={year}",
        **_scope(user),
    }
    return render(request, template, context)


@figures_required
def community_trigger_csv(request: HttpRequest) -> HttpResponse:
    """The Community Trigger return as published: small numbers suppressed."""
    form = _ct_form(request)
    if not form.is_valid():
        return _invalid(request, "reports/community_trigger.html", form, **_scope(request.user))
    ret = figures.community_trigger_return(request.user, form.cleaned_data["year"])
    rows = [
        (ret.period.label, f.label, figures.suppress(f.count), f.note)
        for f in [*ret.figures, ret.threshold_met, ret.reviews_without_threshold_met]
    ]
    return _csv(
        f"community-trigger-{ret.year_start}-{ret.year_start + 1}",
        ["Reporting year", "Figure", "Number", "Note"],
        rows,
    )


# --- Case statistics ------------------------------------------------------------------


def _stats_form(request: HttpRequest) -> StatisticsForm:
    teams = figures.report_teams(request.user)
    return bound(StatisticsForm, request.GET, StatisticsForm.defaults(), teams=teams)


def _statistics(request: HttpRequest, form: StatisticsForm) -> tuple[Any, Any]:
    data = form.cleaned_data
    filters = {"case_type": data.get("case_type") or None, "team_id": data.get("team")}
    stats = figures.case_statistics(
        request.user, data["start"], data["end"], data["as_at"], **filters
    )
    rolling = figures.rolling_statistics(request.user, data["end"], **filters)
    return stats, rolling


@figures_required
def case_statistics(request: HttpRequest) -> HttpResponse:
    """Concerns raised, open as at a date, closed by outcome; the rolling comparison."""
    form = _stats_form(request)
    template = "reports/case_statistics.html"
    if not form.is_valid():
        return _invalid(request, template, form, **_scope(request.user))
    user = request.user
    exact_by_type = figures.shows_exact_by_type(user)
    stats, rolling = _statistics(request, form)
    types = {r.case_type for r in stats.rows} | {r.case_type for r in rolling.rows}
    exact_all = all(exact_by_type.get(t, False) for t in types)

    def show(n: int, case_type: str | None) -> str:
        exact = exact_all if case_type is None else exact_by_type.get(case_type, False)
        return f"{n:,}" if exact else figures.suppress(n)

    def comparison(c: figures.Comparison, case_type: str | None) -> dict[str, str]:
        exact = exact_all if case_type is None else exact_by_type.get(case_type, False)
        if exact:
            return {
                "current": f"{c.current:,}", "previous": f"{c.previous:,}",
                "difference": c.difference_text, "percent": c.percent_text, "text": c.text,
            }  # fmt: skip
        shown = c.published()
        return {**shown, "text": ""}

    rows = [
        {
            "type": r.type_label,
            "team": r.team_name,
            "raised": show(r.raised, r.case_type),
            "open": show(r.open_as_at, r.case_type),
            "closed": show(r.closed, r.case_type),
            "outcomes": [(k, show(v, r.case_type)) for k, v in r.closed_by_outcome.items()],
        }  # fmt: skip
        for r in stats.rows
    ]
    total = stats.totals
    rolling_rows = [
        {"type": r.type_label, "team": r.team_name, **comparison(r.comparison, r.case_type)}
        for r in rolling.rows
    ]
    context = {
        "form": form,
        **_form_context(form),
        "stats": stats,
        "rows": rows,
        "total": {
            "raised": show(total.raised, None),
            "open": show(total.open_as_at, None),
            "closed": show(total.closed, None),
        },
        "rolling": rolling,
        "rolling_rows": rolling_rows,
        "rolling_total": comparison(rolling.total, None),
        "csv_url": f"{reverse('reports:case-statistics-csv')}?{request.GET.urlencode()}",
        **_scope(user),
    }
    return render(request, template, context)


@figures_required
def case_statistics_csv(request: HttpRequest) -> HttpResponse:
    """Case statistics and the rolling comparison as published: suppressed."""
    form = _stats_form(request)
    if not form.is_valid():
        return _invalid(request, "reports/case_statistics.html", form, **_scope(request.user))
    stats, rolling = _statistics(request, form)
    s = figures.suppress
    period, as_at = stats.period.label, f"as at {day_words(stats.as_at)}"
    rows: list[tuple[str, ...]] = []
    for r in stats.rows:
        rows.append((period, r.type_label, r.team_name, "Concerns raised", s(r.raised)))
        rows.append((period, r.type_label, r.team_name, f"Open {as_at}", s(r.open_as_at)))
        rows.append((period, r.type_label, r.team_name, "Closed", s(r.closed)))
        for outcome, n in r.closed_by_outcome.items():
            rows.append((period, r.type_label, r.team_name, f"Closed: {outcome}", s(n)))
    current, previous = rolling.current.label, rolling.previous.label
    for r in rolling.rows:
        shown = r.comparison.published()
        rows.append((current, r.type_label, r.team_name, "Concerns raised", shown["current"]))
        rows.append((previous, r.type_label, r.team_name, "Concerns raised", shown["previous"]))
        rows.append(
            (current, r.type_label, r.team_name, "Difference from the previous 12 months",
             shown["difference"])
        )  # fmt: skip
        rows.append(
            (current, r.type_label, r.team_name, "% difference from the previous 12 months",
             shown["percent"])
        )  # fmt: skip
    return _csv(
        f"case-statistics-{stats.period.start}-{stats.period.end}",
        ["Period", "Type of case", "Team", "Measure", "Number"],
        rows,
    )


# --- Emerging risks -------------------------------------------------------------------


def _risk_form(request: HttpRequest) -> PeriodForm:
    return bound(PeriodForm, request.GET, PeriodForm.defaults())


def _risk_sections(risks: figures.EmergingRisks) -> list[dict[str, Any]]:
    """The emerging-risk counts as tables: (caption, case type, headers, rows of cells
    with the count last)."""
    ms_rows = [
        [route, kind, age, n] for (route, kind, age), n in risks.modern_slavery_referrals.items()
    ]
    ms_outcomes = [[label, age, n] for (label, age), n in risks.modern_slavery_outcomes.items()]
    return [
        {
            "id": "modern-slavery", "case_type": figures.MS,
            "caption": "Modern slavery: NRM referrals and Duty to Notify notifications",
            "headers": ["Route", "Type of exploitation", "Adult or child", "Number"],
            "rows": ms_rows,
            "note": "A person with several types of exploitation is counted under each.",
        },
        {
            "id": "modern-slavery-decisions", "case_type": figures.MS,
            "caption": "Modern slavery: reasonable and conclusive grounds decisions",
            "headers": ["Decision", "Adult or child", "Number"], "rows": ms_outcomes,
        },
        {
            "id": "prevent", "case_type": figures.PREVENT,
            "caption": "Prevent referrals by stage",
            "headers": ["Stage", "Number"],
            "rows": [[t.label, t.count] for t in risks.prevent_stages],
        },
        {
            "id": "cuckooing", "case_type": figures.CUCKOOING,
            "caption": "County lines cuckooing: concerns, closure notices and orders",
            "headers": ["Measure", "Number"],
            "rows": [[t.label, t.count] for t in risks.cuckooing],
        },
        {
            "id": "child-exploitation", "case_type": figures.CSE,
            "caption": "Child exploitation: referrals and decisions",
            "headers": ["Measure", "Number"],
            "rows": [[t.label, t.count] for t in risks.child_exploitation],
        },
        {
            "id": "child-exploitation-closed", "case_type": figures.CSE,
            "caption": "Child exploitation: cases closed, by outcome",
            "headers": ["Outcome", "Number"],
            "rows": [[t.label, t.count] for t in risks.child_exploitation_closed],
        },
    ]  # fmt: skip


@figures_required
def emerging_risks(request: HttpRequest) -> HttpResponse:
    """The emerging-risk counts of a period."""
    form = _risk_form(request)
    template = "reports/emerging_risks.html"
    if not form.is_valid():
        return _invalid(request, template, form, **_scope(request.user))
    data = form.cleaned_data
    user = request.user
    figures.shows_exact_by_type(user)  # one query for the clearances, whatever the data
    risks = figures.emerging_risks(user, data["start"], data["end"])
    sections = _risk_sections(risks)
    for section in sections:
        kind = section["case_type"]
        section["rows"] = [
            [*row[:-1], figures.figure_text(user, row[-1], kind)] for row in section["rows"]
        ]
    clocks = [
        {
            "type": c.type_label,
            "label": c.label,
            "statutory": c.statutory,
            "on_time": figures.figure_text(user, c.on_time, c.case_type),
            "late": figures.figure_text(user, c.late, c.case_type),
            "overdue": figures.figure_text(user, c.overdue_not_met, c.case_type),
        }  # fmt: skip
        for c in risks.clocks
    ]
    context = {
        "form": form,
        **_form_context(form),
        "risks": risks,
        "sections": sections,
        "clocks": clocks,
        "csv_url": f"{reverse('reports:emerging-risks-csv')}?{request.GET.urlencode()}",
        **_scope(user),
    }
    return render(request, template, context)


@figures_required
def emerging_risks_csv(request: HttpRequest) -> HttpResponse:
    """The emerging-risk counts as published: suppressed."""
    form = _risk_form(request)
    if not form.is_valid():
        return _invalid(request, "reports/emerging_risks.html", form, **_scope(request.user))
    data = form.cleaned_data
    risks = figures.emerging_risks(request.user, data["start"], data["end"])
    period = risks.period.label
    rows: list[list[str]] = []
    for section in _risk_sections(risks):
        for row in section["rows"]:
            *labels, n = row
            rows.append([period, section["caption"], " / ".join(labels), figures.suppress(n)])
    for c in risks.clocks:
        caption = f"Clocks: {c.type_label}"
        rows.append([period, caption, f"{c.label}: met on time", figures.suppress(c.on_time)])
        rows.append([period, caption, f"{c.label}: met late", figures.suppress(c.late)])
        rows.append(
            [period, caption, f"{c.label}: due, not met", figures.suppress(c.overdue_not_met)]
        )
    return _csv(
        f"emerging-risks-{risks.period.start}-{risks.period.end}",
        ["Period", "Table", "Measure", "Number"],
        rows,
    )
