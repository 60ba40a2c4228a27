"""The range every date, time and number Safecase accepts must fall in.

A date that parses is not always one PostgreSQL, Python and the clocks can all hold: the
first of January of year 1 is a year 0 datetime once it is shown in UK time, and a clock
started late in year 9999 falls due after the last year Python can represent. Nothing
in casework happens before 1900 or after 2100, so input outside those years is refused
before anything is written (shared/API.md: "a refused request changes nothing").
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# A whole number field that declares no bounds of its own (counts, months, ages do) is
# held to these: never negative, and small enough for any integer column.
INTEGER_MIN = 0
INTEGER_MAX = 1_000_000
DATE_RANGE_MESSAGE = "Enter a date between 1 January 1900 and 31 December 2100."


def validate_date_in_range(value: date | datetime) -> None:
    """Refuse a date, or a datetime (judged by its own calendar date), outside 1900-2100."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE, code="date_out_of_range")
