"""Opening, meeting, pausing and resuming deadlines (RULES.md §0.3, §7.3).

Durations come from the workflow's DeadlineRule, or from a ``TimescaleOverride`` for a
local rule. These functions write rows but no audit: they run inside the services'
transactions, which record the change that moved the clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from casework.statements import compiled_objects, compiled_values
from workflows import calendar
from workflows.definitions import DeadlineRule, Unit, Workflow
from workflows.models import (
    BankHoliday,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    TimescaleOverride,
)

# Working-day clocks never span more than a few months; a year either side is ample.
_HOLIDAY_WINDOW = timedelta(days=400)


def bank_holidays(around: datetime) -> set[date]:
    """Bank holidays within a year or so of ``around`` (one query, its statement
    compiled once a day: ``casework.statements``; the table is read every time, so an
    administrator's change counts at once)."""
    day = timezone.localtime(around).date()

    def window() -> QuerySet[BankHoliday]:
        return BankHoliday.objects.filter(
            date__gte=day - _HOLIDAY_WINDOW, date__lte=day + _HOLIDAY_WINDOW
        ).values("date")

    return {row["date"] for row in compiled_values(("bank holidays", day), window)}


def timescale_overrides() -> dict[tuple[str, str], int]:
    """Every override of a local rule's duration, by (case type, rule): one query, for
    whatever shows many rules at once (``effective_duration``'s ``overrides``)."""
    rows = TimescaleOverride.objects.values_list("case_type", "rule", "duration")
    return {(case_type, rule): duration for case_type, rule, duration in rows}


def effective_duration(
    workflow: Workflow,
    rule: DeadlineRule,
    overrides: Mapping[tuple[str, str], int] | None = None,
) -> int:
    """The rule's duration, or the deployment's override for a local rule: looked up in
    ``overrides`` (``timescale_overrides``) when given, else read for this rule."""
    if rule.statutory:
        return rule.duration
    if overrides is not None:
        return overrides.get((workflow.case_type, rule.name)) or rule.duration
    override = (
        TimescaleOverride.objects.filter(case_type=workflow.case_type, rule=rule.name)
        .values_list("duration", flat=True)
        .first()
    )
    return override or rule.duration


def due_after(
    start: datetime, duration: float, unit: Unit | str, *, disregard_christmas_day: bool = False
) -> datetime:
    """When a clock of ``duration`` ``unit`` started at ``start`` falls due."""
    match Unit(unit):
        case Unit.WORKING_DAYS:
            return calendar.add_working_days(start, int(duration), bank_holidays(start))
        case Unit.CALENDAR_DAYS:
            return calendar.add_calendar_days(start, int(duration))
        case Unit.HOURS if disregard_christmas_day:
            return calendar.add_hours_excluding_christmas(start, duration)
        case Unit.HOURS:
            return start + timedelta(hours=duration)
        case Unit.MONTHS:
            return calendar.add_months(start, int(duration))
    raise ValueError(unit)


def event_time(raw: Any) -> datetime | None:
    """An event's time from a step's date or datetime input: a date means the start of
    that day (UK time), so a clock met "on 21 December" is met by the end of that day."""
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        return raw if timezone.is_aware(raw) else timezone.make_aware(raw)
    if isinstance(raw, date):
        return timezone.make_aware(datetime.combine(raw, time.min))
    if isinstance(raw, str) and "T" not in raw and len(raw) == 10:
        return timezone.make_aware(datetime.combine(date.fromisoformat(raw), time.min))
    moment = datetime.fromisoformat(raw)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def rule_start(
    workflow: Workflow, rule: DeadlineRule, values: dict, now: datetime, earlier: dict | None = None
) -> datetime:
    """When a rule's clock starts (its start event, docs/clocks.md): the input named by
    the rule's ``starts_at_field`` or the starting step's event field, read from the
    step's inputs or, failing that, from what the case recorded earlier (``earlier``,
    the case's details); the time the step was recorded only when there is no such
    input."""
    field = workflow.start_field(rule)
    if not field:
        return now
    raw = values.get(field)
    if raw in (None, "") and earlier is not None:
        raw = earlier.get(field)
    return event_time(raw) or now


def rule_due(
    workflow: Workflow, rule: DeadlineRule, duration: int, start: datetime, values: dict
) -> datetime:
    """When a clock started at ``start`` falls due: the end of the date in the rule's
    ``due_at_field`` if the step gave one (a date the panel set), else after ``duration``."""
    chosen = event_time(values.get(rule.due_at_field)) if rule.due_at_field else None
    if chosen is not None:
        return calendar.add_calendar_days(chosen, 0)
    return due_after(
        start, duration, rule.unit, disregard_christmas_day=rule.disregard_christmas_day
    )


def deadline_open(
    *,
    case,
    workflow: Workflow,
    rule: DeadlineRule,
    at: datetime,
    actor=None,
    recorded_at: datetime | None = None,
    values: dict | None = None,
) -> Deadline | None:
    """Start a clock at its start event ``at``, unless the same non-repeatable clock is
    already running. ``recorded_at`` is when the starting step was entered."""
    running = Deadline.objects.filter(
        case=case, rule=rule.name, status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED]
    )
    if not rule.repeatable and running.exists():
        return None
    duration = effective_duration(workflow, rule)
    return Deadline.objects.create(
        case=case,
        rule=rule.name,
        label=rule.label,
        kind=str(rule.kind),
        unit=str(rule.unit),
        duration=duration,
        statutory=rule.statutory,
        disregard_christmas_day=rule.disregard_christmas_day,
        source=rule.source,
        started_at=at,
        recorded_at=recorded_at or timezone.now(),
        due_at=rule_due(workflow, rule, duration, at, values or {}),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def deadline_stop(deadline: Deadline, at: datetime) -> Deadline:
    """Record a clock's stop event at ``at`` (when it happened, not when it was typed in).

    A task is met on time if ``at`` is by its due time, even if the sweep had already
    marked it missed because the event was recorded late; met after it, it stays (or
    becomes) missed with ``met_at`` saying how late. A period ends.
    """
    if deadline.kind == DeadlineKind.PERIOD:
        deadline.status = DeadlineStatus.ENDED
    elif at <= deadline.due_at:
        deadline.status = DeadlineStatus.MET
    else:
        deadline.status = DeadlineStatus.MISSED
    deadline.met_at = at
    deadline.closed_at = at
    deadline.paused_at = None
    deadline.save()
    return deadline


def running_clocks(case, rule_names: list[str]) -> list[Deadline]:
    """The clocks of these rules that a stop event would stop, oldest first: read at
    every step, by a statement compiled once for each set of rules (a step's)."""
    rules = tuple(rule_names)
    if not rules:
        return []  # a step that stops no clock

    def running(case_id: int) -> QuerySet[Deadline]:
        return Deadline.objects.filter(
            case_id=case_id,
            rule__in=rules,
            status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED, DeadlineStatus.MISSED],
            met_at__isnull=True,
            closed_at__isnull=True,
        ).order_by("started_at", "id")

    return compiled_objects(("running clocks", rules), running, (case.pk,))


def deadlines_meet(*, case, rule_names: list[str], at: datetime) -> list[Deadline]:
    """Stop the running clocks of these rules at ``at`` (a repeatable rule: the oldest)."""
    by_rule: dict[str, list[Deadline]] = {}
    for deadline in running_clocks(case, rule_names):
        by_rule.setdefault(deadline.rule, []).append(deadline)
    return [deadline_stop(running[0], at) for running in by_rule.values()]


def deadlines_cancel(*, case, at: datetime, rule_names: list[str] | None = None) -> int:
    """Stop running clocks that no longer apply (all of them when the case closes).

    A task already missed keeps that status (reports count it) but stops being overdue."""
    running = Deadline.objects.filter(case=case, closed_at__isnull=True, met_at__isnull=True)
    if rule_names is not None:
        running = running.filter(rule__in=rule_names)
    stopped = running.filter(status=DeadlineStatus.MISSED).update(closed_at=at)
    return stopped + running.filter(status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED]).update(
        status=DeadlineStatus.CANCELLED, closed_at=at, paused_at=None
    )


def remaining_at(deadline: Deadline, at: datetime) -> float:
    """What is left on a clock at ``at``: working days, or seconds for other units."""
    if deadline.unit == Unit.WORKING_DAYS:
        holidays = bank_holidays(at)
        return float(calendar.working_days_between(at, deadline.due_at, holidays))
    if deadline.unit == Unit.HOURS and deadline.disregard_christmas_day:
        return calendar.hours_between_excluding_christmas(at, deadline.due_at) * 3600
    return max((deadline.due_at - at).total_seconds(), 0.0)


def resumed_due_at(deadline: Deadline, at: datetime) -> datetime:
    """The new due time of a clock resumed at ``at`` with what it had left."""
    remaining = deadline.remaining or 0.0
    if deadline.unit == Unit.WORKING_DAYS:
        return calendar.add_working_days(at, int(remaining), bank_holidays(at))
    if deadline.unit == Unit.HOURS and deadline.disregard_christmas_day:
        return calendar.add_hours_excluding_christmas(at, remaining / 3600)
    return at + timedelta(seconds=remaining)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def left_when_paused(deadline: Deadline) -> str:
    """What a paused clock will have when it is resumed (kept when it was paused), in its
    own unit: "5 working days", "7 hours", "3 days"."""
    remaining = deadline.remaining or 0.0
    if deadline.unit == Unit.WORKING_DAYS:
        return _plural(int(remaining), "working day")
    if deadline.unit == Unit.HOURS:
        return _plural(math.ceil(remaining / 3600), "hour")
    return _plural(math.ceil(remaining / 86400), "day")


def paused_words(deadline: Deadline) -> str:
    """A paused clock where its due date would be: it has none until it is resumed, only
    the time it keeps ("Paused, 5 working days left")."""
    return f"Paused, {left_when_paused(deadline)} left"
