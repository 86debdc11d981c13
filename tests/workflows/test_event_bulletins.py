"""D4 §5's two bulletins started by a person, on the time-skipping server against the real read
model (SQLite) and a fake notifier: a typical case named on a test calendar (the next three days
declared holidays) is reminded and escalated at the instants ``cases.event_bulletins.limit`` gives
for it, and issued late; issued in time, its timers stop; an emergency is delivered at once, on a
day off too."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.event_bulletins import EventBulletinActivities
from cases.agencies import default_registry
from cases.calendar import WorkingDayCalendar, default_calendar, local_date, snapshot
from cases.effects import NoticeKind
from cases.event_bulletin_effects import EventBulletinInput, EventOutcome, IssueAnswer, IssueRequest
from cases.event_bulletins import EventKind, bulletin_id, limit, recipients
from cases.model import Actor
from cases.profiles import get_profile
from cases.projection import CaseProjection
from cases.vocabulary import Classification, Role, Stage
from settings import Settings
from store import routines as store
from store.db import make_engine, migrate
from store.tables import BulletinRow, CaseRow
from tests.polling import eventually
from tests.workflows.histories import HISTORIES, keep, recording
from tests.workflows.test_routines import Notifier, load
from workflows.engine import DATA_CONVERTER
from workflows.event_bulletins import EVENT_BULLETIN_WORKFLOWS
from workflows.routines import ROUTINE_WORKFLOWS

EVENT_HISTORIES = HISTORIES / "routines" / "event_bulletins"
AHP = get_profile("animal-health-police")
COORD = Actor("JLO-DEMO", Role.COORDINATOR, "联动办协调员")
POLICE = Actor("PSB-DEMO", Role.OFFICER, "民警")
REGION = "demo-county"


@dataclass
class Running:
    env: WorkflowEnvironment
    engine: Engine
    notifier: Notifier
    queue: str

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def pass_until(self, instant: datetime) -> None:
        gap = instant - await self.now()
        if gap > timedelta(0):
            await self.env.sleep(gap)


@asynccontextmanager
async def running(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Running]:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    migrate(engine)
    notifier = Notifier()
    queue = f"events-{uuid.uuid4()}"
    activities = EventBulletinActivities(engine, Settings(data_dir=tmp_path))
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[*ROUTINE_WORKFLOWS, *EVENT_BULLETIN_WORKFLOWS],
            activities=[*activities.all(), *activities.event_activities(), notifier.notify],
            activity_executor=executor,
        ):
            try:
                yield Running(env, engine, notifier, queue)
            finally:
                # A bulletin left waiting on its time limit (a failed test's) would hold the shared
                # test server's clock for the tests after it: every one this test started ends.
                with Session(engine) as session:
                    started = list(session.exec(select(BulletinRow.bulletin_id)))
                for workflow_id in started:
                    with contextlib.suppress(RPCError):
                        await env.client.get_workflow_handle(workflow_id).terminate("test over")
    engine.dispose()


def holidays_ahead(today: date, days: int) -> WorkingDayCalendar:
    """The shipped calendar with the next ``days`` days declared days off."""
    base = default_calendar()
    off = frozenset(today + timedelta(days=n) for n in range(1, days + 1))
    return WorkingDayCalendar(
        published=base.published, estimated=base.estimated, extra_days_off=off
    )


def typical_input(calendar: WorkingDayCalendar, case_id: str, year: int) -> EventBulletinInput:
    registry = default_registry()
    spec = AHP.event_bulletins[EventKind.TYPICAL_CASE]
    return EventBulletinInput(
        bulletin_id=bulletin_id(
            EventKind.TYPICAL_CASE, AHP.name, REGION, "JLO-DEMO", uuid.uuid4().hex
        ),
        kind=EventKind.TYPICAL_CASE,
        mechanism=AHP.name,
        region=REGION,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        source=spec.source,
        source_zh=spec.source_zh,
        statutory=spec.statutory,
        to=recipients(spec, registry, REGION),
        escalate_to=["JLO-DEMO", "LG-DEMO"],
        started_by=COORD,
        registry=registry.snapshot(),
        issuer_kinds=list(spec.to),
        case_id=case_id,
        reason="病死猪肉流入市场,案值大、影响广",
        within=spec.within,
        unit=spec.unit,
        remind_before=spec.remind_before,
        calendar=snapshot(calendar, [year - 1, year, year + 1]),
    )


def add_case(engine: Engine, opened: datetime) -> str:
    case = CaseProjection(
        case_id=f"AHS-DEMO.EV-{uuid.uuid4().hex[:8]}",
        intake_ref="EV-1",
        mechanism=AHP.name,
        region=REGION,
        stage=Stage.INVESTIGATION,
        subject="某屠宰场",
        discovering_agency="AHS-DEMO",
        owner_agency="PSB-DEMO",
        suggested=Classification.CRIME,
        opened_at=opened,
        updated_at=opened,
        referred=True,
    )
    with Session(engine) as session:
        session.add(CaseRow.model_validate(case.model_dump()))
        session.commit()
    return case.case_id


async def test_d4_5_a_typical_case_is_reminded_escalated_and_issued_late(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running(time_skipping, tmp_path) as run:
        now = await run.now()
        calendar = holidays_ahead(local_date(now), 3)
        case_id = add_case(run.engine, now)
        input = typical_input(calendar, case_id, local_date(now).year)
        handle = await run.env.client.start_workflow(
            "TypicalCaseBulletinWorkflow",
            input,
            id=input.bulletin_id,
            task_queue=run.queue,
            result_type=EventOutcome,
        )
        due_at = await handle.query("due_at", result_type=datetime)
        expected = limit(AHP.event_bulletins[EventKind.TYPICAL_CASE], now, calendar)
        # Counted from the workflow's own start, on the calendar it carries: the three holidays
        # ahead push it past them.
        assert abs(due_at - expected.due_at) < timedelta(seconds=5)
        assert due_at > now + timedelta(days=6)

        async def recorded() -> bool:  # the workflow's first write, after its first task
            return store.bulletin(run.engine, input.bulletin_id) is not None

        await eventually(recorded, "the pending bulletin was not recorded")
        row = store.bulletin(run.engine, input.bulletin_id)
        assert row is not None
        assert (row.formats, row.covers_to) == ({}, due_at)

        await run.pass_until(due_at - timedelta(days=1) + timedelta(minutes=1))

        async def reminded() -> bool:
            return any(n.text.startswith("提醒") for n in run.notifier.of(NoticeKind.BULLETIN))

        await eventually(reminded, "the joint office was not reminded")
        (reminder,) = run.notifier.of(NoticeKind.BULLETIN)
        assert reminder.to == ["JLO-DEMO"]
        await run.pass_until(due_at + timedelta(minutes=1))

        async def escalated() -> bool:
            return any("到期仍未发出" in n.text for n in run.notifier.of(NoticeKind.BULLETIN))

        await eventually(escalated, "the lateness was not reported")
        late_told = [n for n in run.notifier.of(NoticeKind.BULLETIN) if "到期仍未发出" in n.text]
        assert late_told[0].to == ["JLO-DEMO", "LG-DEMO"]

        # Only the region's coordinator or leader issues it; the police may not.
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update("issue", IssueRequest(POLICE, "x"))
        assert isinstance(failed.value.cause, ApplicationError)
        assert failed.value.cause.details[0]["reason"] == "role_not_permitted"
        answer = await handle.execute_update(
            "issue", IssueRequest(COORD, "请各成员单位引以为戒"), result_type=IssueAnswer
        )
        assert answer.late
        outcome: EventOutcome = await handle.result()
        assert outcome.late
        assert outcome.reminded_at is not None
        assert outcome.escalated_at is not None
        assert set(outcome.formats) >= {"html"}
        delivered = [n for n in run.notifier.of(NoticeKind.BULLETIN) if "逾期" in n.text]
        assert delivered[0].to == input.to
        assert {"AHS-DEMO", "PSB-DEMO", "JLO-DEMO", "LG-DEMO"} <= set(input.to)
        html = store.paper(run.engine, input.bulletin_id, "html")
        assert html is not None
        text = html.content.decode()
        assert "某屠宰场" in text
        assert "请各成员单位引以为戒" in text
        assert "逾期通报" in text
        row = store.bulletin(run.engine, input.bulletin_id)
        assert row is not None
        assert row.delivered_at is not None
        assert row.published_at > row.covers_to
        await keep(handle, EVENT_HISTORIES, "typical_case_late")


async def test_d4_5_a_typical_case_issued_in_time_stops_its_timers(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running(time_skipping, tmp_path) as run:
        now = await run.now()
        case_id = add_case(run.engine, now)
        input = typical_input(default_calendar(), case_id, local_date(now).year)
        handle = await run.env.client.start_workflow(
            "TypicalCaseBulletinWorkflow",
            input,
            id=input.bulletin_id,
            task_queue=run.queue,
            result_type=EventOutcome,
        )
        answer = await handle.execute_update(
            "issue", IssueRequest(COORD, "典型案件通报"), result_type=IssueAnswer
        )
        assert not answer.late
        outcome: EventOutcome = await handle.result()
        assert (outcome.late, outcome.reminded_at, outcome.escalated_at) == (False, None, None)
        (delivered,) = run.notifier.of(NoticeKind.BULLETIN)
        assert "按时" in delivered.text


async def test_d4_5_an_emergency_is_delivered_at_once_on_a_day_off(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running(time_skipping, tmp_path) as run:
        now = await run.now()
        # Today declared a day off, and the next three: zero delay waits for no working day.
        today = local_date(now)
        assert not holidays_ahead(today - timedelta(days=1), 4).is_working_day(today)
        registry = default_registry()
        spec = AHP.event_bulletins[EventKind.EMERGENCY]
        input = EventBulletinInput(
            bulletin_id=bulletin_id(EventKind.EMERGENCY, AHP.name, REGION, "PSB-DEMO", "e-1"),
            kind=EventKind.EMERGENCY,
            mechanism=AHP.name,
            region=REGION,
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            source=spec.source,
            source_zh=spec.source_zh,
            statutory=spec.statutory,
            to=recipients(spec, registry, REGION),
            escalate_to=["JLO-DEMO", "LG-DEMO"],
            started_by=POLICE,
            registry=registry.snapshot(),
            issuer_kinds=list(spec.to),
            what="发现大批病死猪被运往屠宰场",
            place="示范县某镇",
            happened_at=now - timedelta(hours=1),
        )
        handle = await run.env.client.start_workflow(
            "EmergencyBulletinWorkflow",
            input,
            id=input.bulletin_id,
            task_queue=run.queue,
            result_type=EventOutcome,
        )
        outcome: EventOutcome = await handle.result()
        assert outcome.delivered_at is not None
        assert outcome.delivered_at - now < timedelta(minutes=1)
        (told,) = run.notifier.of(NoticeKind.BULLETIN)
        assert told.to == input.to  # every member agency of the region, stations too
        assert {"AHS-DEMO", "PSB-DEMO", "JLO-DEMO", "LG-DEMO"} <= set(told.to)
        assert "发现大批病死猪" in told.text
        html = store.paper(run.engine, input.bulletin_id, "html")
        assert html is not None
        assert "示范县某镇" in html.content.decode()
        await keep(handle, EVENT_HISTORIES, "emergency")


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
@pytest.mark.parametrize("path", sorted(EVENT_HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_an_event_bulletins_recorded_history_replays(path: Path) -> None:
    result = await Replayer(
        workflows=list(EVENT_BULLETIN_WORKFLOWS), data_converter=DATA_CONVERTER
    ).replay_workflow(load(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_every_event_bulletin_workflow_has_a_recorded_history() -> None:
    assert {p.stem for p in EVENT_HISTORIES.glob("*.json")} >= {
        "typical_case_late",
        "emergency",
    } or recording()
