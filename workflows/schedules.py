"""A mechanism's routines as Temporal Schedules: one per routine, mechanism and region.

``schedule_for`` turns a routine (``cases.routines.RoutineSpec``) into a Schedule, a pure function:
the routine's calendar in Asia/Shanghai local time (weekday, day of the month, months, hour),
``RoutineWorkflow`` as its action with the names of the mechanism, region and routine (nothing of a
case; the Schedule's note is the routine's title), one start at a time (``BUFFER_ONE``), and a
catch-up window of one period: a fire missed while the server was down still runs within its
period, and the occurrence's own id makes a repeated fire start nothing (``workflows.routines``).
Schedule calendars know no Chinese holidays: the routine moves itself to the working day.

``ensure_schedules`` makes the Schedules match the mechanisms' files: creates the missing,
updates the others and deletes those of a routine, mechanism or region no longer there. It is run
by the operator (``linkage schedules``) and by ``make run`` at start-up, never by a worker: several
workers starting together would race to write them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from cases.agencies import AgencyRegistry
from cases.profile import Profile
from cases.routine_effects import RoutineStart
from cases.routines import SCHEDULE_PREFIX, Cadence, RoutineSpec, regions_for, schedule_id

TIME_ZONE = "Asia/Shanghai"
# A missed fire is still taken within its routine's shortest period (after that the next one
# stands for it): a day, a week, the shortest month, quarter and year.
CATCH_UP = {
    Cadence.DAILY: timedelta(days=1),
    Cadence.WEEKLY: timedelta(days=7),
    Cadence.MONTHLY: timedelta(days=28),
    Cadence.QUARTERLY: timedelta(days=89),
    Cadence.YEARLY: timedelta(days=365),
}
# How long a start may take before Temporal gives up on it (its activities retry within).
START_TIMEOUT = timedelta(hours=24)


def calendar_spec(spec: RoutineSpec) -> ScheduleCalendarSpec:
    """The routine's calendar as a Schedule's: the fields it names, every value of the others."""
    return ScheduleCalendarSpec(
        second=(ScheduleRange(0),),
        minute=(ScheduleRange(spec.minute),),
        hour=(ScheduleRange(spec.hour),),
        day_of_month=(ScheduleRange(spec.day),) if spec.day else (ScheduleRange(1, 31),),
        month=tuple(ScheduleRange(m) for m in spec.months) or (ScheduleRange(1, 12),),
        # ISO weekdays (1 Monday … 7 Sunday) to the Schedule's (0 Sunday … 6 Saturday).
        day_of_week=(ScheduleRange(spec.weekday % 7),) if spec.weekday else (ScheduleRange(0, 6),),
        comment=spec.title_en,
    )


def schedule_for(mechanism: str, region: str, spec: RoutineSpec, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "RoutineWorkflow",
            RoutineStart(mechanism, region, spec.name),
            id=schedule_id(mechanism, region, spec.name),
            task_queue=task_queue,
            execution_timeout=START_TIMEOUT,
        ),
        spec=ScheduleSpec(calendars=[calendar_spec(spec)], time_zone_name=TIME_ZONE),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.BUFFER_ONE, catchup_window=CATCH_UP[spec.cadence]
        ),
        state=ScheduleState(note=f"{spec.title_en} ({mechanism}, {region})"),
    )


def desired(
    profiles: Iterable[Profile], registry: AgencyRegistry, task_queue: str
) -> dict[str, Schedule]:
    """Every Schedule the mechanisms' routines ask for, by id."""
    wanted: dict[str, Schedule] = {}
    for profile in profiles:
        for region in regions_for(profile, registry):
            for spec in profile.routines.values():
                sid = schedule_id(profile.name, region, spec.name)
                wanted[sid] = schedule_for(profile.name, region, spec, task_queue)
    return wanted


@dataclass
class Ensured:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


async def ensure_schedules(
    client: Client,
    profiles: Mapping[str, Profile] | Iterable[Profile],
    registry: AgencyRegistry,
    task_queue: str,
    *,
    remove: bool = True,
) -> Ensured:
    """Make the routines' Schedules match ``profiles``: idempotent, safe to run at every start."""
    listed = profiles.values() if isinstance(profiles, Mapping) else profiles
    wanted = desired(listed, registry, task_queue)
    done = Ensured()
    for sid, schedule in sorted(wanted.items()):
        handle = client.get_schedule_handle(sid)
        try:
            await handle.describe()
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            try:
                await client.create_schedule(sid, schedule)
                done.created.append(sid)
                continue
            except ScheduleAlreadyRunningError:  # made meanwhile by another run
                pass
        await handle.update(_replace_with(schedule))
        done.updated.append(sid)
    if remove:
        async for listed_schedule in await client.list_schedules():
            sid = listed_schedule.id
            if sid.startswith(SCHEDULE_PREFIX) and sid not in wanted:
                await client.get_schedule_handle(sid).delete()
                done.removed.append(sid)
    return done


def _replace_with(schedule: Schedule) -> Callable[[ScheduleUpdateInput], ScheduleUpdate]:
    """An update that puts ``schedule`` in place, keeping whether an operator paused it."""

    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        paused = current.description.schedule.state.paused
        schedule.state.paused = paused
        if paused:
            schedule.state.note = current.description.schedule.state.note
        return ScheduleUpdate(schedule=schedule)

    return update
