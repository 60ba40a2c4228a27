"""The report pages' choices: the reporting year, a period, an "as at" date, a case type
and a team. Each is a GET form; a bad value is a GOV.UK error on the page, never a 500."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from reports.figures import (
    CT_COUNTED_APART,
    CT_FIGURES,
    report_case_types,
    reporting_year,
    reporting_year_of,
)

# How far back the year and period choices go.
EARLIEST_YEAR = 2015


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _date_field(label: str, hint: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=hint or "For example, 2026-03-31",
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": f"Enter the {label.lower()}",
            "invalid": f"{label} must be a real date, like 2026-03-31",
        },
    )


def _check_not_too_early(form: forms.Form, name: str) -> None:
    value = form.cleaned_data.get(name)
    if value is not None and value.year < EARLIEST_YEAR:
        form.add_error(name, f"{form.fields[name].label} must be in {EARLIEST_YEAR} or later")


class YearForm(forms.Form):
    year = forms.TypedChoiceField(
        label="Reporting year",
        coerce=int,
        choices=[],
        error_messages={"invalid_choice": "Choose a reporting year from the list"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = reporting_year_of(timezone.localdate())
        self.fields["year"].choices = [
            (y, reporting_year(y).label) for y in range(current, EARLIEST_YEAR - 1, -1)
        ]

    @staticmethod
    def default_year() -> int:
        """The last complete reporting year: the one whose figures are published."""
        return reporting_year_of(timezone.localdate()) - 1


class FigureCasesForm(YearForm):
    """Which Community Trigger figure of which year to list the cases of."""

    figure = forms.ChoiceField(
        label="Figure",
        choices=[(key, label) for key, label, _, _ in [*CT_FIGURES, *CT_COUNTED_APART]],
        error_messages={
            "required": "Choose a figure of the return",
            "invalid_choice": "Choose a figure of the return",
        },
    )


class PeriodForm(forms.Form):
    start = _date_field("Start date")
    end = _date_field("End date")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "End date must be the same as or after the start date")
        for name in ("start", "end"):
            _check_not_too_early(self, name)
        return data

    @staticmethod
    def defaults() -> dict[str, str]:
        """From the start of the current reporting year to today."""
        today = timezone.localdate()
        return {
            "start": reporting_year(reporting_year_of(today)).start.isoformat(),
            "end": today.isoformat(),
        }


class StatisticsForm(PeriodForm):
    as_at = _date_field("As at", "Cases open at the end of this day. For example, 2026-03-31")
    case_type = forms.ChoiceField(
        label="Type of case",
        required=False,
        choices=[],
        error_messages={"invalid_choice": "Choose a type of case from the list"},
    )
    team = forms.TypedChoiceField(
        label="Team",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
        error_messages={"invalid_choice": "Choose one of the teams from the list"},
    )

    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_type"].choices = [("", "All types"), *report_case_types()]
        self.fields["team"].choices = [("", "All teams"), *[(t.pk, t.name) for t in teams]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_not_too_early(self, "as_at")
        return data

    @staticmethod
    def defaults() -> dict[str, str]:
        values = PeriodForm.defaults()
        return {**values, "as_at": values["end"]}


def bound(form_class: type[forms.Form], query: Any, defaults: dict[str, Any], **kw: Any):
    """The form bound to the query string, with ``defaults`` for what it does not give
    (a first visit shows the default report)."""
    data = {**defaults, **{k: v for k, v in query.items() if k in form_class.base_fields}}
    return form_class(data, **kw)


def today() -> date:
    return timezone.localdate()
