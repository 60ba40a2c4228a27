"""Dates and times as staff read them: one format everywhere (GOV.UK style).

A date is "3 December 2026"; a time of day is "9:15am" (12-hour, no leading zero, no
full stop in "am"; "9am" on the hour; "midday" and "midnight"); both together are
"3 December 2026 at 9:15am". Times are shown in the service's time zone (``TIME_ZONE``).
Templates use the filters of ``casework.templatetags.govuk_dates`` (built in, no
``{% load %}``); Python code that writes a date into words (case pages, messages, the
audit trail) calls these functions, so no page has a format of its own (issue 19).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone


def as_moment(value: Any) -> date | datetime | None:
    """A date or datetime from a date, a datetime or an ISO string; None if none."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return in_service_zone(value)
    return value if isinstance(value, date) else None


def in_service_zone(moment: datetime) -> datetime:
    """An aware ``moment`` in the service's time zone (``TIME_ZONE``); a naive one as it is.

    Safecase serves one partnership and activates no zone of its own for a request or
    a user, so this is the zone every page shows. It is not asked of Django for each
    moment (``timezone.localtime``, the zone active in this thread): that took 2.5
    microseconds against 0.3, 150 times on a page of the audit trail
    (docs/performance.md, a twenty-fourth session)."""
    if moment.utcoffset() is None:
        return moment
    return moment.astimezone(timezone.get_default_timezone())


# The months as ``strftime``'s ``%B`` names them (the C locale: Safecase is in English).
# Written from this table rather than by ``strftime``, which took 2.4 microseconds a
# date against 0.3, on every row of every list (docs/performance.md, 7 December 2026).
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


def time_words(moment: datetime) -> str:
    """A time of day in GOV.UK's style: "9am", "9:15am", "midday", "midnight" (the first
    minute of the day, as GOV.UK defines it). Until 7 December 2026 pages wrote "9:00am"
    and "12:00pm" while the audit trail wrote "9am" and "midday"; both write this now."""
    if not moment.minute:
        if moment.hour == 0:
            return "midnight"
        if moment.hour == 12:
            return "midday"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def day_words(day: date) -> str:
    """A day: "3 December 2026" (a datetime's day as it is, in its own time zone)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def date_words(value: Any) -> str:
    """A date (or the day of a datetime): "3 December 2026"; "" for nothing."""
    moment = as_moment(value)
    if moment is None:
        return ""
    return day_words(moment)


def datetime_words(value: Any) -> str:
    """A moment: "3 December 2026 at 9:15am"; a plain date is shown as a date."""
    moment = as_moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return day_words(moment)
    return f"{day_words(moment)} at {time_words(moment)}"


def month_words(value: Any) -> str:
    """A month: "December 2026"."""
    moment = as_moment(value)
    return f"{MONTHS[moment.month - 1]} {moment.year}" if moment is not None else ""
