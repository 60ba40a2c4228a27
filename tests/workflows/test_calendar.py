"""Deadline arithmetic on real dates (RULES.md §0.2, §0.3, §2.4)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from workflows import calendar, clocks
from workflows.definitions import Unit
from workflows.models import BankHoliday

LONDON = ZoneInfo("Europe/London")


def at(*args):
    return datetime(*args, tzinfo=LONDON)


def local(moment):
    return moment.astimezone(LONDON)


@pytest.fixture
def holidays(db):
    return clocks.bank_holidays(at(2026, 12, 24, 10))


def test_seeded_bank_holidays_include_the_2026_boxing_day_substitute(holidays):

    assert date(2026, 12, 25) in holidays
    assert date(2026, 12, 28) in holidays
    assert date(2027, 1, 1) in holidays


def test_five_working_days_from_christmas_eve_2026_is_tuesday_5_january(holidays):
    due = calendar.add_working_days(at(2026, 12, 24, 10), 5, holidays)
    assert local(due).date().isoformat() == "2027-01-05"
    assert local(due).strftime("%A") == "Tuesday"


def test_one_working_day_from_christmas_eve_2026_is_tuesday_29_december(holidays):
    due = calendar.add_working_days(at(2026, 12, 24, 10), 1, holidays)
    assert local(due).date().isoformat() == "2026-12-29"


def test_due_at_is_the_end_of_the_working_day(holidays):
    due = local(calendar.add_working_days(at(2026, 12, 24, 10), 1, holidays))
    assert (due.hour, due.minute) == (23, 59)


def test_event_after_cut_off_counts_from_next_working_day(holidays, settings):
    settings.SAFECASE_WORKING_DAY_CUTOFF = "17:00"
    # Wednesday 23 December 2026 at 18:00: day 0 becomes Thursday 24th.
    due = calendar.add_working_days(at(2026, 12, 23, 18), 1, holidays)
    assert local(due).date().isoformat() == "2026-12-29"
    before = calendar.add_working_days(at(2026, 12, 23, 16, 59), 1, holidays)
    assert local(before).date().isoformat() == "2026-12-24"


def test_weekend_start_counts_from_the_next_working_day(holidays):
    """One day-0 rule (issue 14): an event at a weekend counts from Monday, as one after
    the cut-off on Friday does, so 1 working day later is Tuesday for both."""
    due = calendar.add_working_days(at(2026, 11, 28, 12), 1, holidays)  # a Saturday
    assert local(due).date().isoformat() == "2026-12-01"
    friday_evening = calendar.add_working_days(at(2026, 12, 4, 18), 1, holidays)
    saturday_morning = calendar.add_working_days(at(2026, 12, 5, 9), 1, holidays)
    assert local(friday_evening).date() == local(saturday_morning).date() == date(2026, 12, 8)


def test_a_bank_holiday_counts_from_the_next_working_day(holidays):
    """Christmas Day 10:00 and Christmas Eve 18:00 both count from Tue 29 Dec 2026 (28 Dec
    is the Boxing Day substitute), so 1 working day later is Wed 30 Dec for both."""
    christmas = calendar.add_working_days(at(2026, 12, 25, 10), 1, holidays)
    eve = calendar.add_working_days(at(2026, 12, 24, 18), 1, holidays)
    assert local(christmas).date() == local(eve).date() == date(2026, 12, 30)


def test_an_edited_bank_holiday_moves_the_deadline(db):
    BankHoliday.objects.create(date=date(2026, 12, 29), title="Proclaimed day")
    due = clocks.due_after(at(2026, 12, 24, 10), 1, Unit.WORKING_DAYS)
    assert local(due).date().isoformat() == "2026-12-30"


def test_48_hours_from_noon_christmas_eve_disregards_christmas_day():
    due = calendar.add_hours_excluding_christmas(at(2026, 12, 24, 12), 48)
    assert local(due) == at(2026, 12, 27, 12)


def test_24_hours_starting_on_christmas_day_start_on_boxing_day():
    due = calendar.add_hours_excluding_christmas(at(2026, 12, 25, 9), 24)
    assert local(due) == at(2026, 12, 27, 0)


def test_hour_clock_runs_through_weekends_and_clock_changes():
    # 29 March 2026 is the spring clock change: 24 elapsed hours end at 13:00 local time.
    due = calendar.add_hours_excluding_christmas(at(2026, 3, 28, 12), 24)
    assert local(due) == at(2026, 3, 29, 13)


def test_hours_between_excludes_christmas():
    assert calendar.hours_between_excluding_christmas(
        at(2026, 12, 24, 12), at(2026, 12, 27, 12)
    ) == pytest.approx(48)


def test_calendar_days_and_months():
    assert local(calendar.add_calendar_days(at(2026, 12, 24, 10), 30)).date().isoformat() == (
        "2027-01-23"
    )
    assert local(calendar.add_months(at(2026, 1, 31, 10), 1)).date().isoformat() == "2026-02-28"
    assert local(calendar.add_months(at(2026, 11, 30, 10), 3)).date().isoformat() == "2027-02-28"
    assert local(calendar.add_months(at(2027, 11, 30, 10), 3)).date().isoformat() == "2028-02-29"


def test_working_days_between(holidays):
    assert calendar.working_days_between(at(2026, 12, 24, 10), at(2027, 1, 5, 10), holidays) == 5


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        calendar.add_calendar_days(datetime(2026, 1, 1), 1)  # noqa: DTZ001
