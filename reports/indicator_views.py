"""Performance indicator pages: the list with statuses, one indicator's trend, and the
management pages (define, enter a month's value, upload a CSV). Thin views over
``reports.indicators`` (reads) and ``reports.indicator_services`` (writes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.staff_views import apply_errors, form_page
from reports import access
from reports.charts import line_chart
from reports.indicator_services import (
    CSV_COLUMNS,
    CsvImportError,
    RowError,
    indicator_save,
    indicator_value_enter,
    indicator_values_import,
    may_manage_indicators,
)
from reports.indicators import (
    SUPPRESSED,
    IndicatorReport,
    fmt,
    indicator_reports,
    last_complete_month,
    month_label,
    month_parse,
    source_choices,
)
from reports.models import Breakdown, Direction, Indicator, Unit

NO_FIGURES = "Performance figures are for partnership analysts, leads and auditors."
NOT_MANAGER = "Only administrators and partnership analysts manage indicators."


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "workflows/forbidden.html", {"message": message}, status=403)


def period_of(request: HttpRequest) -> tuple[date, str]:
    """The reporting month from ``?period=YYYY-MM`` (default: the last whole month) and
    an error message when what was given is not a month."""
    text = request.GET.get("period", "").strip()
    if not text:
        return last_complete_month(), ""
    try:
        return month_parse(text), ""
    except ValueError:
        return last_complete_month(), "Enter the period as a month, like 2026-03"


def summary_of(report: IndicatorReport, *, published: bool = False) -> str:
    """The chart's one-line summary, in words (small counts suppressed where the reader
    may not see the cases, and always in a publication)."""
    code, total = report.indicator.code, report.total
    if total.current is None:
        return f"{code} has no values for the 12 months to {month_label(report.period)}."
    current, previous, _, pct = total.texts(hide_small=True if published else None)
    text = f"{code}: {current} in the 12 months to {month_label(report.period)}"
    if total.previous is not None:
        text += f", against {previous} in the 12 months before"
        if pct not in ("-", SUPPRESSED):
            text += f" ({pct})"
    text += f"; the target is {report.target_text} ({report.direction_text.lower()})."
    if report.status is not None:
        text += f" Status: {report.status.label}."
    return text


def chart_of(report: IndicatorReport, *, published: bool = False) -> dict[str, Any]:
    """A trend chart with its data table rows and summary, for ``reports/_chart.html``."""
    indicator = report.indicator
    hide = True if published else None
    target = indicator.target if indicator.unit == Unit.PERCENT else None  # a count's is yearly
    summary = summary_of(report, published=published)
    chart_id = f"chart-{indicator.code.lower()}"
    title = f"{indicator.code} - {indicator.name}: each month, {report.total.area.lower()}"
    return {
        "id": chart_id,
        "title": title,
        "svg": line_chart(
            chart_id=chart_id,
            title=title,
            description=summary,
            labels=[m.strftime("%b %y") for m, _ in report.trend],
            values=report.trend_points(hide_small=hide),
            target=target,
        ),
        "rows": [(month_label(m), text) for m, text in report.trend_texts(hide_small=hide)],
        "summary": summary,
    }


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    """Every indicator's status and rolling comparison for a reporting month."""
    if not access.may_see_figures(request.user):
        return forbidden(request, NO_FIGURES)
    period, error = period_of(request)
    reports = indicator_reports(
        Indicator.objects.all(),
        period=period,
        cases=access.figures_scope(request.user),
        team_slugs=access.team_scope(request.user),
        exact=access.shows_exact(request.user),
    )
    context = {
        "reports": reports,
        "period": period,
        "period_error": error,
        "error_summary": [("period", error)] if error else [],
        "may_manage": may_manage_indicators(request.user),
    }
    return render(request, "reports/indicator_list.html", context, status=400 if error else 200)


@login_required
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One indicator: its comparison by area and its trend chart with the data."""
    if not access.may_see_figures(request.user):
        return forbidden(request, NO_FIGURES)
    indicator = Indicator.objects.filter(code=code.upper()).first()
    if indicator is None:
        raise Http404("No such indicator.")
    period, error = period_of(request)
    (report,) = indicator_reports(
        [indicator],
        period=period,
        cases=access.figures_scope(request.user),
        team_slugs=access.team_scope(request.user),
        exact=access.shows_exact(request.user),
    )
    context = {
        "report": report,
        "chart": chart_of(report),
        "period": period,
        "period_error": error,
        "error_summary": [("period", error)] if error else [],
    }
    return render(request, "reports/indicator_detail.html", context, status=400 if error else 200)


# Management --------------------------------------------------------------------------------


class IndicatorForm(forms.Form):
    code = forms.CharField(
        label="Code", max_length=12, help_text="Capital letters and digits, like ASB1",
        error_messages={"required": "Enter the indicator's code"},
    )  # fmt: skip
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the indicator's name"}
    )
    unit = forms.ChoiceField(
        label="Unit", choices=Unit.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the unit"},
    )  # fmt: skip
    target = forms.DecimalField(
        label="Target", max_digits=12, decimal_places=2,
        help_text="For a count, the 12 months' total of all areas; for a percentage, "
        "its 12 months' average.",
        error_messages={"required": "Enter the target", "invalid": "Target must be a number"},
    )  # fmt: skip
    direction = forms.ChoiceField(
        label="Which way is better", choices=Direction.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select whether higher or lower is better"},
    )  # fmt: skip
    amber_tolerance_percent = forms.DecimalField(
        label="Amber tolerance (%)", max_digits=5, decimal_places=2, min_value=0, initial=5,
        help_text="How far worse than the target, as a percentage of it, is still amber",
        error_messages={
            "required": "Enter the amber tolerance", "invalid": "Tolerance must be a number",
            "min_value": "Tolerance must be 0 or more",
        },
    )  # fmt: skip
    breakdown = forms.ChoiceField(
        label="Reported", choices=Breakdown.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select whether it is reported by district or by team"},
    )  # fmt: skip
    source = forms.ChoiceField(
        label="Computed from Safecase (optional)", required=False,
        help_text="Leave unselected for values that are entered each month",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Entered each month"), *source_choices()]


def _manager_only(request: HttpRequest) -> HttpResponse | None:
    if not may_manage_indicators(request.user):
        return forbidden(request, NOT_MANAGER)
    return None


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    if refused := _manager_only(request):
        return refused
    context = {"indicators": Indicator.objects.all(), "columns": ",".join(CSV_COLUMNS)}
    return render(request, "reports/manage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    if refused := _manager_only(request):
        return refused
    indicator = None
    if code is not None:
        indicator = Indicator.objects.filter(code=code.upper()).first()
        if indicator is None:
            raise Http404("No such indicator.")
    initial = {f: getattr(indicator, f) for f in IndicatorForm.base_fields} if indicator else None
    form = IndicatorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = indicator_save(actor=request.user, data=form.cleaned_data, indicator=indicator)
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied:
            return forbidden(request, NOT_MANAGER)
        else:
            messages.success(request, f"{saved.code} is saved.")
            return redirect("reports:indicators-manage")
    heading = f"Change {indicator.code}" if indicator else "Define an indicator"
    return form_page(
        request,
        "reports/form.html",
        form,
        heading=heading,
        back=reverse("reports:indicators-manage"),
    )


class ValueForm(forms.Form):
    indicator = forms.ChoiceField(
        label="Indicator", error_messages={"required": "Select the indicator"}
    )
    month = forms.CharField(
        label="Month", help_text="For example, 2026-03",
        error_messages={"required": "Enter the month"},
    )  # fmt: skip
    area = forms.CharField(
        label="District or team", help_text="As the indicator is reported, for example Corby",
        error_messages={"required": "Enter the district or team"},
    )  # fmt: skip
    value = forms.CharField(label="Value", error_messages={"required": "Enter the value"})

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        entered = Indicator.objects.filter(source="")
        self.fields["indicator"].choices = [(i.code, str(i)) for i in entered]


@login_required
@require_http_methods(["GET", "POST"])
def value_enter(request: HttpRequest) -> HttpResponse:
    if refused := _manager_only(request):
        return refused
    form = ValueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        indicator = Indicator.objects.get(code=data["indicator"])
        try:
            value = indicator_value_enter(
                actor=request.user, indicator=indicator, month=data["month"],
                area=data["area"], value=data["value"],
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"{indicator.code} for {value.area}, {month_label(value.month)}: "
                f"{fmt(value.value, indicator.unit)} is saved.",
            )
            return redirect("reports:indicators-manage")
    return form_page(
        request, "reports/form.html", form, heading="Enter a month's value",
        back=reverse("reports:indicators-manage"),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def values_upload(request: HttpRequest) -> HttpResponse:
    """Upload month values as CSV: all rows or none, each problem named by row."""
    if refused := _manager_only(request):
        return refused
    errors: list[RowError] = []
    if request.method == "POST":
        upload = request.FILES.get("values_file")
        if upload is None:
            errors = [RowError(0, "file", "Select a CSV file")]
        else:
            try:
                count = indicator_values_import(
                    actor=request.user, content=upload.read(2 * 1024 * 1024)
                )
            except CsvImportError as problem:
                errors = problem.errors
            else:
                messages.success(request, f"{count:,} values were imported.")
                return redirect("reports:indicators-manage")
    context = {"errors": errors, "columns": ",".join(CSV_COLUMNS)}
    return render(request, "reports/upload.html", context, status=400 if errors else 200)
