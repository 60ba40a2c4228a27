"""Dates and times in words (casework.dates) are written without ``strftime``: the same
words as ``%B``, ``%Y`` and ``%M`` give, for every day and every minute."""

from datetime import UTC, date, datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from casework import dates
from casework.audit_describe import words as audit_words


def _days():
    day = date(2025, 1, 1)
    while day < date(2028, 1, 1):  # a leap year among them
        yield day
        day += timedelta(days=1)
    yield from (date(1, 1, 1), date(999, 12, 31), date(9999, 12, 31))


def test_a_day_is_written_as_strftime_wrote_it():
    for day in _days():
        assert dates.day_words(day) == f"{day.day} {day:%B %Y}"
        assert dates.date_words(day) == f"{day.day} {day:%B %Y}"
        assert dates.month_words(day) == f"{day:%B %Y}"


def test_a_time_is_written_in_govuk_style_at_every_minute_of_a_day():
    start = datetime(2026, 12, 3, tzinfo=UTC)
    for minute in range(24 * 60):
        moment = start + timedelta(minutes=minute)
        hour = moment.hour % 12 or 12
        half = "am" if moment.hour < 12 else "pm"
        if moment.minute:
            expected = f"{hour}:{moment:%M}{half}"  # 9:15am, 12:01am, 12:30pm
        elif moment.hour == 0:
            expected = "midnight"
        elif moment.hour == 12:
            expected = "midday"
        else:
            expected = f"{hour}{half}"  # 9am, not 9:00am
        assert dates.time_words(moment) == expected


@pytest.mark.parametrize(
    ("hour", "minute", "words"),
    [(0, 0, "midnight"), (0, 1, "12:01am"), (9, 0, "9am"), (9, 5, "9:05am"),
     (12, 0, "midday"), (12, 30, "12:30pm"), (18, 0, "6pm"), (23, 59, "11:59pm")],
)  # fmt: skip
def test_the_pages_and_the_audit_trail_write_a_time_alike(hour, minute, words):
    moment = datetime(2026, 6, 1, hour, minute, tzinfo=ZoneInfo("Europe/London"))
    with timezone.override(ZoneInfo("Europe/London")):
        assert dates.time_words(moment) == words
        assert dates.datetime_words(moment) == f"1 June 2026 at {words}"
        assert audit_words(moment) == f"1 June 2026 at {words}"  # the audit trail's


@pytest.mark.parametrize(
    ("utc", "words"),
    [
        # The clocks go back at 2am BST on 25 October 2026: 00:59 UTC is 1:59am BST.
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "25 October 2026 at 1:59am"),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "25 October 2026 at 1am"),
        # Midnight in London on New Year's Eve is still the old year's last day in UTC + 0.
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "31 December 2026 at 11:59pm"),
        # BST: 23:30 UTC on 30 June is 12:30am on 1 July in London.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026 at 12:30am"),
    ],
)
def test_a_moment_is_written_in_the_services_time_zone(utc, words):
    with timezone.override(ZoneInfo("Europe/London")):
        assert dates.datetime_words(utc) == words
        assert dates.date_words(utc) == words.split(" at ")[0]


def test_nothing_is_written_as_nothing():
    assert dates.date_words(None) == ""
    assert dates.month_words("") == ""
    assert dates.datetime_words("not a date") == ""


def test_a_moment_is_written_in_the_services_zone_whichever_zone_is_active():
    """The service's zone (TIME_ZONE), not one a request might activate: Safecase
    activates none, and asks Django's active zone of no moment it writes."""
    utc = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 12:30am on 1 July in London
    with timezone.override(ZoneInfo("America/New_York")):
        assert dates.datetime_words(utc) == "1 July 2026 at 12:30am"
        assert dates.date_words(utc) == "1 July 2026"
        assert dates.in_service_zone(utc).isoformat() == "2026-07-01T00:30:00+01:00"
    naive = datetime(2026, 6, 30, 23, 30)  # noqa: DTZ001 - a naive moment, on purpose
    assert dates.in_service_zone(naive) is naive
    assert dates.datetime_words(naive) == "30 June 2026 at 11:30pm"


def test_a_moment_is_asked_no_zone_of_djangos_for_each_moment():
    with patch.object(timezone, "localtime", side_effect=AssertionError("asked")):
        assert dates.datetime_words(datetime(2026, 1, 5, 9, tzinfo=UTC)) == "5 January 2026 at 9am"
