"""The period function on fixed dates of the State Council's 2026 arrangement, as the package has it.

2026: Spring Festival Feb 15-23 off, Sat Feb 14 and Sat Feb 28 worked; National Day and Mid-Autumn
Oct 1-7 off, Sun Sep 20 and Sat Oct 10 worked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cases.calendar import (
    CHINA_TZ,
    Unit,
    WorkingDayCalendar,
    default_calendar,
    due_instant,
    load_published_years,
)
from cases.errors import ConfigError


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CHINA_TZ)


def midnight_after(y: int, m: int, d: int) -> datetime:
    """24:00 of the given day."""
    return datetime(y, m, d, tzinfo=CHINA_TZ) + timedelta(days=1)


def test_calendar_knows_the_2026_arrangement() -> None:
    cal = default_calendar()
    assert cal.knows(2026)
    assert not cal.is_working_day(date(2026, 10, 7))  # National Day week
    assert cal.is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert cal.is_working_day(date(2026, 9, 20))  # make-up Sunday
    assert cal.is_working_day(date(2026, 2, 14))  # Spring Festival make-up Saturday
    assert not cal.is_working_day(date(2026, 2, 23))  # Spring Festival Monday off


def test_days_across_national_day_move_to_the_next_working_day() -> None:
    # Tue Sep 29 + 3 days = Fri Oct 2, a holiday; the next working day is Thu Oct 8.
    due = due_instant(at(2026, 9, 29), 3, Unit.DAYS)
    assert due.at == midnight_after(2026, 10, 8)
    assert not due.provisional


def test_working_days_across_national_day_count_the_make_up_saturday() -> None:
    # After Wed Sep 30: Oct 1-7 off, Thu Oct 8 (1), Fri Oct 9 (2), make-up Sat Oct 10 (3).
    due = due_instant(at(2026, 9, 30), 3, Unit.WORKING_DAYS)
    assert due.at == midnight_after(2026, 10, 10)


def test_working_days_count_the_make_up_sunday() -> None:
    # After Fri Sep 18: Sat 19 off, make-up Sun Sep 20 (1), 21 (2), 22 (3), 23 (4), 24 (5).
    due = due_instant(at(2026, 9, 18), 5, Unit.WORKING_DAYS)
    assert due.at == midnight_after(2026, 9, 24)


def test_days_whose_last_day_is_a_make_up_saturday_end_that_day() -> None:
    # Wed Oct 7 (a holiday) + 3 days = Sat Oct 10, a working day: the period ends at its 24:00.
    due = due_instant(at(2026, 10, 7), 3, Unit.DAYS)
    assert due.at == midnight_after(2026, 10, 10)


def test_days_across_the_spring_festival() -> None:
    # Fri Feb 13 + 3 days = Mon Feb 16, the festival; the next working day is Tue Feb 24.
    due = due_instant(at(2026, 2, 13), 3, Unit.DAYS)
    assert due.at == midnight_after(2026, 2, 24)


def test_working_days_across_the_spring_festival() -> None:
    # After Thu Feb 12: Fri Feb 13 (1), make-up Sat Feb 14 (2), Feb 15-23 off, Tue Feb 24 (3).
    due = due_instant(at(2026, 2, 12), 3, Unit.WORKING_DAYS)
    assert due.at == midnight_after(2026, 2, 24)


def test_a_period_whose_last_day_is_a_weekend() -> None:
    # Wed Nov 25 + 3 days = Sat Nov 28; the period runs to 24:00 of Mon Nov 30.
    due = due_instant(at(2026, 11, 25), 3, Unit.DAYS)
    assert due.at == midnight_after(2026, 11, 30)


def test_a_period_whose_last_day_is_a_working_day_is_not_moved() -> None:
    due = due_instant(at(2026, 11, 23, 23, 59), 3, Unit.DAYS)  # Mon + 3 = Thu Nov 26
    assert due.at == midnight_after(2026, 11, 26)


def test_a_period_starting_on_a_holiday() -> None:
    # Starting on Sat Oct 3 (holiday), the starting day is not counted either way.
    assert due_instant(at(2026, 10, 3), 3, Unit.WORKING_DAYS).at == midnight_after(2026, 10, 10)
    # Thu Oct 1 + 3 days = Sun Oct 4, a holiday; the next working day is Thu Oct 8.
    assert due_instant(at(2026, 10, 1), 3, Unit.DAYS).at == midnight_after(2026, 10, 8)


def test_a_24_hour_period_across_midnight_runs_exactly() -> None:
    start = at(2026, 10, 1, 22, 30)
    due = due_instant(start, 24, Unit.HOURS)
    assert due.at == at(2026, 10, 2, 22, 30)  # holidays do not stretch an hour period
    assert due.at - start == timedelta(hours=24)


def test_demonstration_units_run_exactly() -> None:
    start = at(2026, 10, 1, 23, 59)
    assert due_instant(start, 90, Unit.SECONDS).at == start + timedelta(seconds=90)
    assert due_instant(start, 2, Unit.MINUTES).at == start + timedelta(minutes=2)


def test_the_start_is_read_in_asia_shanghai_whatever_its_zone() -> None:
    # 17:00 UTC on Sep 29 is 01:00 on Sep 30 in Shanghai: Sep 30 is the starting day.
    start = datetime(2026, 9, 29, 17, 0, tzinfo=UTC)
    assert due_instant(start, 1, Unit.DAYS).at == midnight_after(2026, 10, 8)
    assert due_instant(start, 1, Unit.WORKING_DAYS).at == midnight_after(2026, 10, 8)


def test_a_date_in_a_year_the_calendar_does_not_know_is_flagged() -> None:
    # Wed Dec 30 2026 + 3 days = Sat Jan 2 2027: 2027's arrangement is not published in the data.
    due = due_instant(at(2026, 12, 30), 3, Unit.DAYS)
    assert due.provisional
    assert due.unknown_years == (2027,)
    assert due.at == midnight_after(2027, 1, 4)  # weekends and the statutory New Year's Day alone
    assert not due_instant(at(2026, 12, 1), 3, Unit.DAYS).provisional


def test_a_newly_published_year_from_the_data_file(tmp_path: Path) -> None:
    file = tmp_path / "calendar.toml"
    file.write_text(
        """
[years.2027]
source = "a notice for the test"
days_off = ["2027-01-01", "2027-01-04"]
workdays = ["2027-01-09"]
""",
        encoding="utf-8",
    )
    cal = WorkingDayCalendar(published=load_published_years(file))
    assert cal.knows(2027)
    due = due_instant(at(2026, 12, 30), 3, Unit.DAYS, cal)
    assert not due.provisional
    assert due.at == midnight_after(2027, 1, 5)  # Jan 4 declared off moves the end to Tue Jan 5
    assert cal.is_working_day(date(2027, 1, 9))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('[years.2027]\ndays_off = ["2027-01-01"]\n', "needs a source"),
        ('[years.2027]\nsource = "x"\ndays_off = ["2027-13-01"]\n', "is not a date"),
        ('[years.2027]\nsource = "x"\ndays_off = ["2028-01-01"]\n', "dates outside 2027"),
        (
            '[years.2027]\nsource = "x"\ndays_off = ["2027-01-01"]\nworkdays = ["2027-01-05"]\n',
            "must fall on weekends",
        ),
        ('[years.twenty]\nsource = "x"\ndays_off = ["2027-01-01"]\n', "must be a year"),
        ('[years.2027]\nsource = "x"\n', "lists no days off"),
        ("[years.2027\n", "not valid TOML"),
    ],
)
def test_a_malformed_calendar_year_fails_with_its_file_and_year(
    tmp_path: Path, body: str, problem: str
) -> None:
    file = tmp_path / "calendar.toml"
    file.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_published_years(file)
    assert str(file) in str(raised.value)
    assert problem in str(raised.value)


def test_overrides_declaring_the_coming_days_off_move_the_due_instant() -> None:
    start = at(2026, 11, 23)  # Monday
    plain = due_instant(start, 3, Unit.DAYS)
    assert plain.at == midnight_after(2026, 11, 26)
    cal = default_calendar().with_overrides(
        days_off=[date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]
    )
    moved = due_instant(start, 3, Unit.DAYS, cal)
    assert moved.at == midnight_after(2026, 11, 27)
    assert due_instant(start, 3, Unit.WORKING_DAYS, cal).at == midnight_after(2026, 12, 1)


def test_the_shipped_calendar_file_loads() -> None:
    assert isinstance(load_published_years(), dict)


@pytest.mark.parametrize("length", [0, -1])
def test_a_period_must_be_positive(length: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        due_instant(at(2026, 1, 5), length, Unit.DAYS)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_instant(datetime(2026, 1, 5), 1, Unit.DAYS)  # noqa: DTZ001
