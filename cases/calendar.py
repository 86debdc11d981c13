"""The working-day calendar and the one function that counts a period.

Every deadline of the product is computed by :func:`due_instant`; nothing else counts days. The rule is
the usual Chinese procedural one (DOMAIN.md, "Clocks and escalation"):

* time is Asia/Shanghai (UTC+8, no daylight saving since 1991, so a fixed offset is exact and keeps the
  function free of tz-database lookups inside workflow code);
* a period in days does not count the day of the starting event and ends at 24:00 of its last day;
  when that last day is not a working day, it ends at 24:00 of the next working day;
* a period in working days counts only working days after the starting day;
* a period in hours (and, for demonstration mechanisms, minutes or seconds) runs exactly.

Working days follow the State Council's yearly arrangement, make-up working weekends (调休) included.
The ``holidays`` package knows the published years up to its release; a year published later is added
as data in ``data/calendar.toml``. A due instant whose counting touched a year that neither source knows
is flagged, so that a coordinator sees the deadline is provisional.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import holidays
from holidays.countries.china import ChinaStaticHolidays

from cases.errors import ConfigError, read_toml

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
DATA_DIR = Path(__file__).parent / "data"
CALENDAR_FILE = DATA_DIR / "calendar.toml"


class Unit(StrEnum):
    """Units a clock may be counted in. Minutes and seconds exist for demonstration mechanisms only."""

    DAYS = "days"
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    MINUTES = "minutes"
    SECONDS = "seconds"

    @property
    def is_calendar(self) -> bool:
        return self in (Unit.DAYS, Unit.WORKING_DAYS)

    @property
    def is_demo(self) -> bool:
        return self in (Unit.MINUTES, Unit.SECONDS)


@dataclass(frozen=True)
class YearArrangement:
    """One year's State Council holiday arrangement, as published (放假调休安排)."""

    year: int
    source: str
    days_off: frozenset[date]
    workdays: frozenset[date]


@dataclass(frozen=True)
class Due:
    """A computed deadline. ``unknown_years`` lists years the counting relied on without knowing them."""

    at: datetime
    unknown_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.unknown_years)


@cache
def _package_years() -> frozenset[int]:
    """Years whose arrangement the ``holidays`` package took from an official notice."""
    return frozenset(ChinaStaticHolidays.special_public_holidays)


@cache
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Days off on weekdays and make-up working days of one year, from the ``holidays`` package."""
    china = holidays.country_holidays("CN", years=year)
    days_off = frozenset(d for d in china if d.year == year)
    workdays = frozenset(d for d in getattr(china, "weekend_workdays", ()) if d.year == year)
    return days_off, workdays


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Which days are working days, from the package, the published-years file and any overrides.

    Overrides exist so that a test (or an emergency decision, such as an extended holiday) can declare
    particular days off or on without waiting for a package release.
    """

    published: Mapping[int, YearArrangement] = field(default_factory=dict)
    extra_days_off: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    # Years not published, with a best guess (statutory festivals, no make-up days known).
    estimated: Mapping[int, YearArrangement] = field(default_factory=dict)
    # Guess other years from the ``holidays`` package. Off for calendars that travel in workflow
    # history: they must answer from their own data, the same on every replay.
    use_package: bool = True

    def knows(self, year: int) -> bool:
        return year in self.published or (self.use_package and year in _package_years())

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_days_off:
            return False
        arrangement = self.published.get(day.year) or self.estimated.get(day.year)
        if arrangement is not None:
            days_off, workdays = arrangement.days_off, arrangement.workdays
        elif self.use_package:
            days_off, workdays = _package_year(day.year)
        else:
            days_off, workdays = frozenset(), frozenset()
        if day in workdays:
            return True
        return day.weekday() < 5 and day not in days_off

    def with_overrides(
        self, *, days_off: Iterable[date] = (), workdays: Iterable[date] = ()
    ) -> WorkingDayCalendar:
        days_off = frozenset(days_off)
        workdays = frozenset(workdays)
        clash = days_off & workdays
        if clash:
            raise ValueError(f"days declared both off and working: {sorted(clash)}")
        return replace(
            self,
            extra_days_off=(self.extra_days_off - workdays) | days_off,
            extra_workdays=(self.extra_workdays - days_off) | workdays,
        )


@dataclass
class CalendarSnapshot:
    """The working-day arrangement of some years, as plain data that can travel in workflow history.

    A case's workflow counts its periods on the snapshot it was given, so that replaying its history
    gives the same deadlines whatever package or data file the worker has by then; a newly published
    year reaches a running case as a new snapshot, recorded in its history.
    """

    years: list[int]  # the years it covers
    known_years: list[int]  # those of them whose arrangement is published
    days_off: list[str]  # ISO dates of weekdays off
    workdays: list[str]  # ISO dates of make-up working weekend days

    def calendar(self) -> WorkingDayCalendar:
        off = {date.fromisoformat(d) for d in self.days_off}
        work = {date.fromisoformat(d) for d in self.workdays}
        years = {
            year: YearArrangement(
                year,
                "snapshot",
                frozenset(d for d in off if d.year == year),
                frozenset(d for d in work if d.year == year),
            )
            for year in self.years
        }
        return WorkingDayCalendar(
            published={y: a for y, a in years.items() if y in self.known_years},
            extra_days_off=frozenset(d for d in off if d.year not in years),
            extra_workdays=frozenset(d for d in work if d.year not in years),
            estimated={y: a for y, a in years.items() if y not in self.known_years},
            use_package=False,
        )


def snapshot(calendar: WorkingDayCalendar, years: Iterable[int]) -> CalendarSnapshot:
    """What ``calendar`` knows of ``years`` (weekday days off and weekend workdays), as data."""
    covered = sorted(set(years))
    known: list[int] = []
    days_off: list[str] = []
    workdays: list[str] = []
    for year in covered:
        if calendar.knows(year):
            known.append(year)
        day = date(year, 1, 1)
        while day.year == year:
            working = calendar.is_working_day(day)
            if day.weekday() < 5 and not working:
                days_off.append(day.isoformat())
            elif day.weekday() >= 5 and working:
                workdays.append(day.isoformat())
            day += timedelta(days=1)
    return CalendarSnapshot(covered, known, days_off, workdays)


def merge_snapshots(old: CalendarSnapshot, new: CalendarSnapshot) -> CalendarSnapshot:
    """``new`` replaces what ``old`` said of the years ``new`` covers."""
    replaced = set(new.years)

    def keep(days: list[str]) -> list[str]:
        return [d for d in days if int(d[:4]) not in replaced]

    return CalendarSnapshot(
        sorted(set(old.years) | replaced),
        sorted((set(old.known_years) - replaced) | set(new.known_years)),
        sorted(keep(old.days_off) + new.days_off),
        sorted(keep(old.workdays) + new.workdays),
    )


def _as_date(value: Any, file: Path, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(file, where, f"{value!r} is not a date (write YYYY-MM-DD)")


def load_published_years(path: Path = CALENDAR_FILE) -> dict[int, YearArrangement]:
    """Read years published after the package release. Malformed entries stop start-up."""
    raw = read_toml(path, "calendar file")
    years = raw.get("years", {})
    if not isinstance(years, dict):
        raise ConfigError(path, "years", "must be a table of [years.YYYY] tables")
    result: dict[int, YearArrangement] = {}
    for key, entry in years.items():
        where = f"year {key}"
        try:
            year = int(key)
        except ValueError:
            raise ConfigError(
                path, where, "the table name must be a year, as in [years.2027]"
            ) from None
        if not isinstance(entry, dict):
            raise ConfigError(path, where, "must be a table")
        unknown = set(entry) - {"source", "days_off", "workdays"}
        if unknown:
            raise ConfigError(path, where, f"unknown keys {sorted(unknown)}")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(path, where, "needs a source: the notice that published the year")
        days_off = frozenset(
            _as_date(v, path, f"{where} days_off") for v in entry.get("days_off", [])
        )
        workdays = frozenset(
            _as_date(v, path, f"{where} workdays") for v in entry.get("workdays", [])
        )
        stray = sorted(d for d in days_off | workdays if d.year != year)
        if stray:
            raise ConfigError(path, where, f"dates outside {year}: {stray}")
        if days_off & workdays:
            raise ConfigError(
                path, where, f"days both off and working: {sorted(days_off & workdays)}"
            )
        weekday_work = sorted(d for d in workdays if d.weekday() < 5)
        if weekday_work:
            raise ConfigError(
                path, where, f"make-up workdays must fall on weekends: {weekday_work}"
            )
        if not days_off:
            raise ConfigError(path, where, "lists no days off; a published year always has some")
        result[year] = YearArrangement(year, source.strip(), days_off, workdays)
    return result


@cache
def default_calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar(published=load_published_years())


def calendar_for(now: datetime) -> CalendarSnapshot:
    """The calendar a run starts with: this year's and next year's arrangements, as published."""
    return _years_from(now.year)


@cache
def _years_from(year: int) -> CalendarSnapshot:
    """Made once per year: the published years file does not change while the process runs (a
    newly published year reaches running cases as a published snapshot, and a new process)."""
    return snapshot(default_calendar(), [year, year + 1])


def local_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an instant."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(CHINA_TZ).date()


def beijing_time(instant: datetime) -> str:
    """An instant as people read a deadline, in Beijing time to the minute: the end of a day is
    "24:00" of that day (a period in days ends then), not 00:00 of the next, which reads a day late."""
    local = instant.astimezone(CHINA_TZ)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def end_of_day(day: date) -> datetime:
    """24:00 of ``day`` in Asia/Shanghai, that is 00:00 of the following day."""
    return datetime.combine(day + timedelta(days=1), time(0), CHINA_TZ)


def due_instant(
    start: datetime,
    length: int,
    unit: Unit | str,
    calendar: WorkingDayCalendar | None = None,
) -> Due:
    """When a period of ``length`` ``unit`` that starts at ``start`` runs out.

    This is the only place in the product where a period is counted.
    """
    unit = Unit(unit)
    if length <= 0:
        raise ValueError(f"a period must be positive, got {length} {unit}")
    if start.tzinfo is None:
        raise ValueError("the start of a period must be timezone-aware")
    if unit is Unit.HOURS:
        return Due(start + timedelta(hours=length))
    if unit is Unit.MINUTES:
        return Due(start + timedelta(minutes=length))
    if unit is Unit.SECONDS:
        return Due(start + timedelta(seconds=length))

    cal = calendar if calendar is not None else default_calendar()
    unknown: set[int] = set()

    def working(day: date) -> bool:
        if not cal.knows(day.year):
            unknown.add(day.year)
        return cal.is_working_day(day)

    day = local_date(start)
    if unit is Unit.DAYS:
        day += timedelta(days=length)
        while not working(day):
            day += timedelta(days=1)
    else:
        counted = 0
        while counted < length:
            day += timedelta(days=1)
            if working(day):
                counted += 1
    return Due(end_of_day(day), tuple(sorted(unknown)))
