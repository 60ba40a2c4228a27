"""Opening, meeting, pausing and resuming deadlines (RULES.md §0.3, §7.3).

Durations come from the workflow's DeadlineRule, or from a ``TimescaleOverride`` for a
local rule. These functions write rows but no audit: they run inside the services'
transactions, which record the change that moved the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from workflows import calendar
from workflows.definitions import DeadlineRule, Unit, Workflow
from workflows.models import BankHoliday, Deadline, DeadlineStatus, TimescaleOverride

# Working-day clocks never span more than a few months; a year either side is ample.
_HOLIDAY_WINDOW = timedelta(days=400)


def bank_holidays(around: datetime) -> set[date]:
    """Bank holidays within a year or so of ``around`` (one query)."""
    day = timezone.localtime(around).date()
    return set(
        BankHoliday.objects.filter(
            date__gte=day - _HOLIDAY_WINDOW, date__lte=day + _HOLIDAY_WINDOW
        ).values_list("date", flat=True)
    )


def effective_duration(workflow: Workflow, rule: DeadlineRule) -> int:
    """The rule's duration, or the deployment's override for a local rule."""
    if rule.statutory:
        return rule.duration
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


def rule_start(rule: DeadlineRule, values: dict, now: datetime) -> datetime:
    """When a rule's clock starts: the transition's ``starts_at_field`` input if the rule
    names one and it was given (a date means the start of that day), else ``now``."""
    raw = values.get(rule.starts_at_field) if rule.starts_at_field else None
    if not raw:
        return now
    if isinstance(raw, str) and "T" not in raw and len(raw) == 10:
        return timezone.make_aware(datetime.combine(date.fromisoformat(raw), time.min))
    moment = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def deadline_open(
    *, case, workflow: Workflow, rule: DeadlineRule, at: datetime, actor=None
) -> Deadline | None:
    """Start a clock, unless the same non-repeatable clock is already running."""
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
        due_at=due_after(
            at, duration, rule.unit, disregard_christmas_day=rule.disregard_christmas_day
        ),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def deadlines_meet(*, case, rule_names: list[str], at: datetime) -> list[Deadline]:
    """Mark the running clocks of these rules met (a repeatable rule: the oldest one).

    A clock the sweep already marked missed keeps that status but records when it was
    finally met, so reports count it as missed and the history shows the date.
    """
    met = []
    for name in rule_names:
        running = list(
            Deadline.objects.filter(
                case=case,
                rule=name,
                status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED, DeadlineStatus.MISSED],
                met_at__isnull=True,
            ).order_by("started_at", "id")
        )
        for deadline in running[:1] if len(running) > 1 else running:
            if deadline.status != DeadlineStatus.MISSED:
                deadline.status = DeadlineStatus.MET
            deadline.met_at = at
            deadline.closed_at = at
            deadline.paused_at = None
            deadline.save()
            met.append(deadline)
    return met


def deadlines_cancel(*, case, at: datetime, rule_names: list[str] | None = None) -> int:
    """Stop running clocks that no longer apply (all of them when the case closes)."""
    running = Deadline.objects.filter(
        case=case, status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED]
    )
    if rule_names is not None:
        running = running.filter(rule__in=rule_names)
    return running.update(status=DeadlineStatus.CANCELLED, closed_at=at, paused_at=None)


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
