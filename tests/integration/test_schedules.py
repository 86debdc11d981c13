"""The routines' Temporal Schedules on a real dev server (the time-skipping server has none):
``ensure_schedules`` makes one per routine and region, idempotently, and removes those no mechanism
asks for; a Schedule's ``trigger`` starts its routine, which runs to its result: the weekly report
delivered, the joint meeting open with its agenda, the procuratorate's list made; a second trigger
in the same period starts nothing new.

The worker here counts every day as a working day, so that a trigger on a weekend or a holiday runs
at once rather than on the next working day (that move is tested on fixed dates elsewhere)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    WorkflowExecutionStatus,
)
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.routines import RoutineActivities
from cases.agencies import default_registry
from cases.calendar import WorkingDayCalendar, default_calendar
from cases.effects import NOTIFY, NoticeKind, NotificationBatch
from cases.meetings import CloseRequest, MeetingState, MeetingStatus
from cases.model import Actor
from cases.profiles import get_profile
from cases.projection import CaseProjection
from cases.routine_effects import BulletinOutcome, RoutineStarted
from cases.routines import AgendaReason
from cases.vocabulary import Classification, Role, Stage
from settings import Settings
from store.db import make_engine, migrate
from store.tables import CaseRow
from tests.polling import eventually
from workflows.routines import ROUTINE_WORKFLOWS
from workflows.schedules import ensure_schedules


@dataclass
class Notifier:
    batches: list[NotificationBatch] = field(default_factory=list)

    @activity.defn(name=NOTIFY)
    async def notify(self, batch: NotificationBatch) -> None:
        self.batches.append(batch)

    def kinds(self) -> list[str]:
        return [n.kind for b in self.batches for n in b.notices]


@dataclass
class Running:
    client: Client
    queue: str
    engine: Engine
    notifier: Notifier


def every_day_working() -> WorkingDayCalendar:
    """The calendar, with every day from a year and a half ago to next month a working day."""
    today = datetime.now(UTC).date()
    days = [today + timedelta(days=n) for n in range(-550, 40)]
    return default_calendar().with_overrides(workdays=days)


@pytest.fixture
async def running(dev_server: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Running]:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    migrate(engine)
    notifier = Notifier()
    queue = f"routines-{uuid.uuid4()}"
    activities = RoutineActivities(
        engine, Settings(data_dir=tmp_path), calendar=every_day_working()
    )
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            dev_server.client,
            task_queue=queue,
            workflows=list(ROUTINE_WORKFLOWS),
            activities=[*activities.all(), notifier.notify],
            activity_executor=executor,
        ):
            yield Running(dev_server.client, queue, engine, notifier)
    engine.dispose()


def add_case(engine: Engine, n: int, **fields: Any) -> CaseProjection:
    now = datetime.now(UTC)
    case = CaseProjection(
        case_id=f"EPB-DEMO.SCH-{uuid.uuid4().hex[:8]}-{n}",
        intake_ref=f"SCH-{n}",
        mechanism="env-police",
        region="demo-county",
        stage=Stage.EVIDENCE,
        subject="某厂",
        discovering_agency="EPB-DEMO",
        owner_agency="EPB-DEMO",
        suggested=Classification.ADMINISTRATIVE,
        opened_at=now - timedelta(days=1),
        updated_at=now,
    ).model_copy(update=fields)
    with Session(engine) as session:
        session.add(CaseRow.model_validate(case.model_dump()))
        session.commit()
    return case


async def triggered(client: Client, schedule: str, before: int) -> RoutineStarted:
    """Trigger the Schedule and wait for the start it made to finish."""
    handle = client.get_schedule_handle(schedule)
    await handle.trigger()
    found: list[str] = []

    async def started() -> bool:
        actions = (await handle.describe()).info.recent_actions
        found[:] = [
            a.action.workflow_id
            for a in actions
            if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
        ]
        return len(found) > before

    await eventually(started, f"{schedule} started nothing")
    start = client.get_workflow_handle(found[-1], result_type=RoutineStarted)
    result: RoutineStarted = await start.result()
    return result


async def test_the_schedules_are_made_once_and_triggered_run_their_routines(
    running: Running,
) -> None:
    client, registry = running.client, default_registry()
    env, urban = get_profile("env-police"), get_profile("urban-police")
    first = await ensure_schedules(client, [env, urban], registry, running.queue)
    assert len(first.created) == 2 * len(env.routines) + len(urban.routines)
    again = await ensure_schedules(client, [env, urban], registry, running.queue, remove=False)
    assert (again.created, sorted(again.updated)) == ([], sorted(first.created))
    try:
        await _routines_run(running)
        # A mechanism no longer listed loses its Schedules.
        gone: list[str] = []

        async def removed() -> bool:
            done = await ensure_schedules(client, [env], registry, running.queue)
            gone.extend(done.removed)
            return set(gone) >= {"routine.urban-police.demo-county.joint_meeting"}

        await eventually(removed, "urban-police's Schedules were not removed", seconds=30)
    finally:
        for sid in first.created:
            with contextlib.suppress(RPCError):  # removed above already
                await client.get_schedule_handle(sid).delete()


async def _routines_run(running: Running) -> None:
    client, engine = running.client, running.engine
    key = add_case(engine, 1, key_case=True)
    crime = add_case(engine, 2, suggested=Classification.CRIME, stage=Stage.ADMIN_PENALTY)
    add_case(engine, 3, referred=True, stage=Stage.INVESTIGATION)

    # The weekly report: delivered, in four formats.
    weekly = await triggered(client, "routine.env-police.demo-county.weekly_report", 0)
    assert weekly.started
    report = client.get_workflow_handle(weekly.workflow_id, result_type=BulletinOutcome)
    outcome: BulletinOutcome = await report.result()
    assert outcome.delivered_at is not None
    assert set(outcome.formats) == {"html", "pdf", "csv", "xlsx"}
    assert NoticeKind.BULLETIN in running.notifier.kinds()
    # Triggered again in the same week: the same report, not a second one.
    repeat = await triggered(client, "routine.env-police.demo-county.weekly_report", 1)
    assert (repeat.workflow_id, repeat.started) == (weekly.workflow_id, False)

    # The joint meeting opens at once (the quarter's meeting was due) with its agenda.
    met = await triggered(client, "routine.env-police.demo-county.joint_meeting", 0)
    meeting = client.get_workflow_handle(met.workflow_id, result_type=MeetingState)

    async def opened() -> bool:
        state: MeetingState = await meeting.query("meeting", result_type=MeetingState)
        return state.status is MeetingStatus.OPEN

    await eventually(opened, "the meeting did not open")
    state: MeetingState = await meeting.query("meeting", result_type=MeetingState)
    reasons = {i.case_id: i.reasons for i in state.agenda.items}
    assert reasons[key.case_id] == [AgendaReason.KEY]
    coordinator = Actor("JLO-DEMO", Role.COORDINATOR, "协调员")
    await meeting.execute_update("close_meeting", CloseRequest(coordinator, "无议定事项"))
    closed: MeetingState = await meeting.result()
    assert closed.status is MeetingStatus.DONE

    # The daily scan lists the suspected crime handled administratively for the procuratorate.
    scanned = await triggered(client, "routine.env-police.demo-county.referral_scan", 0)
    scan = client.get_workflow_handle(scanned.workflow_id)

    async def listed() -> bool:
        standing: list[str] = await scan.query("standing", result_type=list[str])
        return standing == [crime.case_id]

    await eventually(listed, "the scan did not list the case")
    await scan.terminate("the test is over")
    assert (await scan.describe()).status is WorkflowExecutionStatus.TERMINATED
    assert NoticeKind.REFERRAL_WATCH in running.notifier.kinds()
