"""Clock arithmetic for deadlines (RULES.md §0.3).

- Working days are Monday to Friday less the England and Wales bank holidays in the
  ``BankHoliday`` table (seeded from ``holidays``, editable by administrators). The day
  the clock starts is day 0 and the deadline is the end of the Nth following working day;
  an event outside working hours (after the cut-off time ``SAFECASE_WORKING_DAY_CUTOFF``,
  default 17:00, at a weekend or on a bank holiday) counts from the next working day.
  This convention is local practice [U], hence a setting.
- Calendar days and months are due at the end of the day they land on; months are
  calendar months, clamped to the month's last day (31 January + 1 month = 28/29 February).
- Hour clocks run continuously through weekends and bank holidays but disregard
  Christmas Day (ASBCPA 2014 s77(3), s80(4), RULES.md §2.4).

All functions take and return aware datetimes; days are reckoned in ``TIME_ZONE``
(Europe/London) so that British Summer Time does not move a date.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

END_OF_DAY = time(23, 59, 59, 999999)


def _local(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError("clock arithmetic needs an aware datetime")
    return timezone.localtime(moment)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, END_OF_DAY))


def _cutoff() -> time:
    text = getattr(settings, "SAFECASE_WORKING_DAY_CUTOFF", "17:00")
    hours, minutes = (int(p) for p in text.split(":"))
    return time(hours, minutes)


def is_working_day(day: date, holidays: set[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def working_day_start(moment: datetime, holidays: set[date]) -> date:
    """Day 0 of a working-day clock (RULES.md §0.3, one rule for every case): the
    event's date when it happened on a working day before the cut-off, else the next
    working day. So an event after the cut-off, at a weekend or on a bank holiday counts
    from the next working day: Fri 4 Dec 2026 18:00 and Sat 5 Dec 2026 09:00 are both
    day 0 on Mon 7 Dec, and 1 working day after either is Tue 8 Dec."""
    local = _local(moment)
    day = local.date()
    if not is_working_day(day, holidays) or local.time() >= _cutoff():
        day = next_working_day(day, holidays)
    return day


def next_working_day(day: date, holidays: set[date]) -> date:
    day += timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_working_days(start: datetime, days: int, holidays: set[date]) -> datetime:
    """End of the ``days``-th working day after the clock's day 0."""
    if days < 0:
        raise ValueError("a deadline cannot be a negative number of working days")
    day = working_day_start(start, holidays)
    for _ in range(days):
        day = next_working_day(day, holidays)
    return _end_of(day)


def working_days_between(start: datetime, end: datetime, holidays: set[date]) -> int:
    """Working days after ``start``'s date up to and including ``end``'s date."""
    day, last, count = _local(start).date(), _local(end).date(), 0
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count


def add_calendar_days(start: datetime, days: int) -> datetime:
    return _end_of(_local(start).date() + timedelta(days=days))


def add_months(start: datetime, months: int) -> datetime:
    day = _local(start).date()
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    return _end_of(date(year, month, min(day.day, last)))


def _is_christmas(moment: datetime) -> bool:
    local = _local(moment)
    return local.month == 12 and local.day == 25


def _next_local_midnight(moment: datetime) -> datetime:
    """The next local midnight, in UTC: elapsed-time arithmetic must be done in UTC, since
    adding to a datetime in a zone with summer time adds wall-clock time."""
    local = _local(moment)
    midnight = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min))
    return midnight.astimezone(UTC)


def add_hours_excluding_christmas(start: datetime, hours: float) -> datetime:
    """``hours`` of elapsed time after ``start``, not counting any time on 25 December."""
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(UTC)
    while True:
        boundary = _next_local_midnight(cursor)
        if _is_christmas(cursor):
            cursor = boundary
            continue
        if cursor + remaining <= boundary:
            return cursor + remaining
        remaining -= boundary - cursor
        cursor = boundary


def hours_between_excluding_christmas(start: datetime, end: datetime) -> float:
    """Elapsed hours from ``start`` to ``end`` that do not fall on 25 December."""
    total, cursor = timedelta(0), start.astimezone(UTC)
    while cursor < end:
        boundary = min(_next_local_midnight(cursor), end)
        if not _is_christmas(cursor):
            total += boundary - cursor
        cursor = boundary
    return total.total_seconds() / 3600


def holiday_set(days: Iterable[date]) -> set[date]:
    return set(days)
