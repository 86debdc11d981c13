"""A routine's Schedule, as the pure function ``workflows.schedules.schedule_for`` makes it: its
calendar fires at exactly the routine's nominal occurrences (``cases.routines.occurrences``) in
Asia/Shanghai time, one start at a time, a missed fire caught up within its period, and its action
names the routine and nothing of a case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import pytest
from temporalio.client import (
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    ScheduleRange,
)

from cases.agencies import default_registry
from cases.calendar import CHINA_TZ
from cases.profiles import default_profiles, get_profile
from cases.routine_effects import RoutineStart
from cases.routines import occurrences
from workflows.schedules import CATCH_UP, TIME_ZONE, calendar_spec, desired, schedule_for

ENV = get_profile("env-police")


def _in(value: int, ranges: Sequence[ScheduleRange]) -> bool:
    return any(r.start <= value <= r.end and (value - r.start) % r.step == 0 for r in ranges)


def fires(calendar: ScheduleCalendarSpec, start: date, end: date) -> list[datetime]:
    """The instants a Schedule calendar in Asia/Shanghai matches between two days, as the server
    reads the calendar (0 is Sunday)."""
    found = []
    day = start
    while day < end:
        if (
            _in(day.month, calendar.month)
            and _in(day.day, calendar.day_of_month)
            and _in(day.isoweekday() % 7, calendar.day_of_week)
        ):
            for hour in range(24):
                for minute in range(60):
                    if _in(hour, calendar.hour) and _in(minute, calendar.minute):
                        found.append(datetime.combine(day, time(hour, minute), CHINA_TZ))
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize("mechanism", sorted(default_profiles()))
def test_every_schedule_fires_at_its_routines_occurrences(mechanism: str) -> None:
    for spec in get_profile(mechanism).routines.values():
        start, end = date(2026, 1, 1), date(2027, 1, 1)
        expected = occurrences(
            spec,
            datetime.combine(start, time(0), CHINA_TZ),
            datetime.combine(end, time(0), CHINA_TZ),
        )
        assert fires(calendar_spec(spec), start, end) == expected, spec.name


def test_the_weekly_report_fires_on_fridays_at_16_beijing_time() -> None:
    calendar = calendar_spec(ENV.routines["weekly_report"])
    assert calendar.day_of_week == (ScheduleRange(5),)
    assert (calendar.hour, calendar.minute) == ((ScheduleRange(16),), (ScheduleRange(0),))
    assert calendar.month == (ScheduleRange(1, 12),)
    assert calendar.day_of_month == (ScheduleRange(1, 31),)


def test_the_meeting_fires_on_the_first_day_of_each_quarter() -> None:
    calendar = calendar_spec(ENV.routines["joint_meeting"])
    assert calendar.month == tuple(ScheduleRange(m) for m in (1, 4, 7, 10))
    assert calendar.day_of_month == (ScheduleRange(1),)
    assert calendar.day_of_week == (ScheduleRange(0, 6),)


def test_the_enforcement_month_fires_on_may_the_first() -> None:
    calendar = calendar_spec(ENV.routines["enforcement_month"])
    assert (calendar.month, calendar.day_of_month) == ((ScheduleRange(5),), (ScheduleRange(1),))


def test_a_schedule_starts_the_routine_by_name_one_at_a_time() -> None:
    spec = ENV.routines["referral_scan"]
    schedule = schedule_for("env-police", "demo-county", spec, "cases")
    assert schedule.spec.time_zone_name == TIME_ZONE == "Asia/Shanghai"
    assert schedule.policy.overlap is ScheduleOverlapPolicy.BUFFER_ONE
    assert schedule.policy.catchup_window == CATCH_UP[spec.cadence] == timedelta(days=1)
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "RoutineWorkflow"
    assert list(action.args) == [RoutineStart("env-police", "demo-county", "referral_scan")]
    assert action.id == "routine.env-police.demo-county.referral_scan"
    assert action.task_queue == "cases"
    assert schedule.state.note == f"{spec.title_en} (env-police, demo-county)"


def test_the_schedules_of_every_mechanism_and_region() -> None:
    wanted = desired(default_profiles().values(), default_registry(), "cases")
    env = sorted(s for s in wanted if s.startswith("routine.env-police."))
    assert env == sorted(
        f"routine.env-police.{region}.{routine}"
        for region in ("demo-county", "east-county")
        for routine in ENV.routines
    )
    # demo-city has no joint office: no routines there.
    assert not [s for s in wanted if ".demo-city." in s]
    assert "routine.urban-police.demo-county.joint_meeting" in wanted
