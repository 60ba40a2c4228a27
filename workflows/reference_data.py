"""Bank holidays and local timescales in the administrator's own pages (issue 20).

The working-day calendar (RULES.md §0.2: the table is the authority, so one-off
proclamations can be added) and the deployment's durations for local deadline rules;
statutory rules are shown, fixed. Services audit every change with who and why; views
are thin (``casework.staff_views`` draws the forms).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework.audit import AuditVerb, audit_record
from casework.dates import day_words
from casework.staff import is_administrator, reason_clean, require_administrator
from casework.staff_views import ReasonField, administrator_required, apply_errors, form_page
from workflows.audit_labels import UNIT_WORDS
from workflows.clocks import timescale_overrides
from workflows.definitions import DeadlineRule, Unit, Workflow
from workflows.models import BankHoliday, TimescaleOverride
from workflows.registry import WORKFLOWS
from workflows.services import timescale_set

# Bank holidays ----------------------------------------------------------------------------------


def bank_holiday_list_for_user(user: Any, *, since: date) -> QuerySet[BankHoliday]:
    if not is_administrator(user):
        return BankHoliday.objects.none()
    return BankHoliday.objects.filter(date__gte=since).order_by("date")


@transaction.atomic
def bank_holiday_add(*, actor: Any, day: date, title: str, reason: str) -> BankHoliday:
    """Add a bank holiday (a one-off proclamation, say); working-day clocks started
    afterwards skip it."""
    require_administrator(actor)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Enter the name of the bank holiday"]
    if BankHoliday.objects.filter(date=day).exists():
        errors["date"] = [f"{day_words(day)} is already a bank holiday"]
    if errors:
        raise ValidationError(errors)
    reason = reason_clean(reason)
    holiday = BankHoliday.objects.create(date=day, title=title, source="manual")
    audit_record(
        actor=actor,
        verb=AuditVerb.BANK_HOLIDAY_ADDED,
        target=holiday,
        data={"date": day, "title": title, "reason": reason},
    )
    return holiday


@transaction.atomic
def bank_holiday_remove(*, actor: Any, holiday: BankHoliday, reason: str) -> None:
    """Remove a day entered in error; clocks already running keep the due time they have."""
    require_administrator(actor)
    reason = reason_clean(reason)
    holiday = BankHoliday.objects.select_for_update().get(pk=holiday.pk)
    data = {"date": holiday.date, "title": holiday.title, "reason": reason}
    holiday.delete()
    audit_record(actor=actor, verb=AuditVerb.BANK_HOLIDAY_REMOVED, data=data)


# Local timescales ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Timescale:
    workflow: Workflow
    rule: DeadlineRule
    duration: int
    overridden: bool

    @property
    def words(self) -> str:
        return duration_words(self.duration, self.rule.unit)

    @property
    def default_words(self) -> str:
        return duration_words(self.rule.duration, self.rule.unit)


def duration_words(duration: int, unit: Unit | str) -> str:
    """ "5 working days", "1 month", "48 hours"."""
    text = UNIT_WORDS.get(Unit(unit), str(unit)).lower()
    return f"{duration} {text[:-1] if duration == 1 else text}"


def timescale_list_for_user(user: Any) -> list[Timescale]:
    """Every deadline rule once, by case type, with the duration in force."""
    if not is_administrator(user):
        return []
    overrides = timescale_overrides()
    found = []
    for workflow in sorted(WORKFLOWS.values(), key=lambda w: w.label):
        for rule in workflow.deadline_rules:
            override = None if rule.statutory else overrides.get((workflow.case_type, rule.name))
            found.append(Timescale(workflow, rule, override or rule.duration, override is not None))
    return found


@transaction.atomic
def timescale_change(
    *, actor: Any, case_type: str, rule: str, duration: int, reason: str
) -> TimescaleOverride:
    """Set the deployment's duration for a local deadline rule (statutory ones are fixed);
    clocks started afterwards use it. Audited with before and after and why."""
    require_administrator(actor)
    reason = reason_clean(reason)
    workflow = WORKFLOWS[case_type]
    declared = workflow.rule(rule)
    before = (
        TimescaleOverride.objects.filter(case_type=case_type, rule=rule)
        .values_list("duration", flat=True)
        .first()
    ) or declared.duration
    override = timescale_set(case_type=case_type, rule=rule, duration=duration)
    audit_record(
        actor=actor,
        verb=AuditVerb.TIMESCALE_SET,
        target=override,
        data={
            "case_type": case_type,
            "rule": rule,
            "unit": str(declared.unit),
            "duration": {"before": before, "after": duration},
            "reason": reason,
        },
    )
    return override


# Pages ------------------------------------------------------------------------------------------


class BankHolidayForm(forms.Form):
    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date of the bank holiday",
            "invalid": "Date must be a real date",
        },
    )
    title = forms.CharField(
        label="Name",
        max_length=120,
        help_text="For example, Bank holiday for the coronation.",
        error_messages={"required": "Enter the name of the bank holiday"},
    )
    reason = ReasonField()


class RemoveForm(forms.Form):
    reason = ReasonField(label="Why are you removing it?")


class TimescaleForm(forms.Form):
    duration = forms.IntegerField(
        label="Duration",
        min_value=1,
        max_value=999,
        error_messages={
            "required": "Enter the duration",
            "invalid": "Duration must be a whole number",
            "min_value": "Duration must be 1 or more",
            "max_value": "Duration must be 999 or fewer",
        },
    )
    reason = ReasonField()


@administrator_required
@require_http_methods(["GET"])
def bank_holiday_list(request: HttpRequest) -> HttpResponse:
    since = timezone.localdate() - timedelta(days=365)
    holidays = [
        (h, day_words(h.date)) for h in bank_holiday_list_for_user(request.user, since=since)
    ]
    context = {"holidays": holidays, "section": "bank-holidays"}
    return render(request, "staff/bank_holiday_list.html", context)


@administrator_required
@require_http_methods(["GET", "POST"])
def bank_holiday_form(request: HttpRequest) -> HttpResponse:
    form = BankHolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bank_holiday_add(
                actor=request.user, day=data["date"], title=data["title"], reason=data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{day_words(data['date'])} was added as a bank holiday.")
            return redirect("staff:bank-holidays")
    return form_page(
        request,
        "staff/simple_form.html",
        form,
        heading="Add a bank holiday",
        intro="Working-day clocks started after this skip the day.",
        back=reverse("staff:bank-holidays"),
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def bank_holiday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    since = date.min
    holiday = bank_holiday_list_for_user(request.user, since=since).filter(pk=pk).first()
    if holiday is None:
        raise Http404("No bank holiday found.")
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank_holiday_remove(
                actor=request.user, holiday=holiday, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{day_words(holiday.date)} is no longer a bank holiday.")
            return redirect("staff:bank-holidays")
    return form_page(
        request,
        "staff/simple_form.html",
        form,
        heading=f"Remove {holiday.title}, {day_words(holiday.date)}",
        intro="Clocks already running keep their due dates.",
        button="Remove",
        warning=True,
        back=reverse("staff:bank-holidays"),
    )


@administrator_required
@require_http_methods(["GET"])
def timescale_list(request: HttpRequest) -> HttpResponse:
    timescales = timescale_list_for_user(request.user)
    groups: dict[str, list[Timescale]] = {}
    for timescale in timescales:
        groups.setdefault(timescale.workflow.label, []).append(timescale)
    context = {"groups": groups, "section": "timescales"}
    return render(request, "staff/timescale_list.html", context)


@administrator_required
@require_http_methods(["GET", "POST"])
def timescale_form(request: HttpRequest, case_type: str, rule: str) -> HttpResponse:
    found = [
        t
        for t in timescale_list_for_user(request.user)
        if t.workflow.case_type == case_type and t.rule.name == rule and not t.rule.statutory
    ]
    if not found:
        raise Http404("No local timescale found.")
    timescale = found[0]
    form = TimescaleForm(request.POST or None, initial={"duration": timescale.duration})
    form.fields["duration"].label = f"Duration in {UNIT_WORDS[Unit(timescale.rule.unit)].lower()}"
    if request.method == "POST" and form.is_valid():
        try:
            timescale_change(
                actor=request.user,
                case_type=case_type,
                rule=rule,
                duration=form.cleaned_data["duration"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{timescale.rule.label} was changed.")
            return redirect("staff:timescales")
    return form_page(
        request,
        "staff/simple_form.html",
        form,
        heading=f"{timescale.workflow.label}: {timescale.rule.label}",
        intro=f"Local practice; the default is {timescale.default_words}. Clocks started "
        "after the change use the new duration.",
        back=reverse("staff:timescales"),
    )
