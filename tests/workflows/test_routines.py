"""A mechanism's routines on the time-skipping server, each run as its Schedule would start it
(``RoutineWorkflow`` with the occurrence's nominal instant), against the real read model (SQLite)
and a fake notifier: a quarter passes and the joint meeting opens with its agenda, its decisions
are followed up until done (N2017 Art. 23); Friday comes and the weekly report is delivered in
four formats (D2 §一.4); the daily scan lists a suspected crime handled administratively for the
procuratorate, which marks it, and the next day's scan takes the list over (N2017 Art. 14).

The server starts at today's real time: the tests take the next occurrence after it, and check
that the workflows wake at the instants ``cases.routines`` gives for it (the dates themselves are
tested in ``tests/domain/test_routines.py``)."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowHistory, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.routines import RoutineActivities
from cases.calendar import CHINA_TZ, default_calendar, local_date, snapshot
from cases.effects import NOTIFY, Notice, NoticeKind, NotificationBatch
from cases.meetings import (
    CloseRequest,
    DecisionBody,
    DecisionRequest,
    DoneRequest,
    MeetingState,
    MeetingStatus,
)
from cases.model import Actor
from cases.profiles import get_profile
from cases.projection import CaseProjection
from cases.referral_watch import MarkOutcome, MarkRequest
from cases.routine_effects import BulletinOutcome, RoutineStart, RoutineStarted, ScanSummary
from cases.routines import AgendaReason, occurrences, plan
from cases.vocabulary import Classification, Role, Stage
from settings import Settings
from store import routines as store
from store.db import make_engine, migrate
from store.tables import CaseRow, ReferralWatchRow
from tests.polling import eventually
from tests.workflows.histories import HISTORIES, keep, recording
from workflows.engine import DATA_CONVERTER
from workflows.routines import ROUTINE_WORKFLOWS

ROUTINE_HISTORIES = HISTORIES / "routines"
ENV = get_profile("env-police")
COORD = Actor("JLO-DEMO", Role.COORDINATOR, "联动办协调员")
POLICE = Actor("PSB-DEMO", Role.OFFICER, "民警")
PROCURATOR = Actor("PROC-DEMO", Role.PROCURATOR, "检察官")


@dataclass
class Notifier:
    """The notifier, as a fake activity under its real name."""

    batches: list[NotificationBatch] = field(default_factory=list)

    @activity.defn(name=NOTIFY)
    async def notify(self, batch: NotificationBatch) -> None:
        self.batches.append(batch)

    def of(self, kind: NoticeKind) -> list[Notice]:
        return [n for b in self.batches for n in b.notices if n.kind == kind]


@dataclass
class Routines:
    env: WorkflowEnvironment
    engine: Engine
    notifier: Notifier
    queue: str
    started: list[str] = field(default_factory=list)

    async def start(self, routine: str, nominal: datetime) -> RoutineStarted:
        start = RoutineStart("env-police", "demo-county", routine, nominal)
        handle = await self.env.client.start_workflow(
            "RoutineWorkflow",
            start,
            id=f"routine-start-{uuid.uuid4().hex}",
            task_queue=self.queue,
            result_type=RoutineStarted,
        )
        started: RoutineStarted = await handle.result()
        self.started.append(started.workflow_id)
        return started

    def handle(self, workflow_id: str, result_type: type | None = None) -> WorkflowHandle[Any, Any]:
        return self.env.client.get_workflow_handle(workflow_id, result_type=result_type)

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def pass_until(self, instant: datetime) -> None:
        gap = instant - await self.now()
        if gap > timedelta(0):
            await self.env.sleep(gap)

    def add_cases(self, *cases: CaseProjection) -> None:
        with Session(self.engine) as session:
            for case in cases:
                session.add(CaseRow.model_validate(case.model_dump()))
            session.commit()


@asynccontextmanager
async def running(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Routines]:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    migrate(engine)
    notifier = Notifier()
    queue = f"routines-{uuid.uuid4()}"
    activities = RoutineActivities(engine, Settings(data_dir=tmp_path))
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=list(ROUTINE_WORKFLOWS),
            activities=[*activities.all(), notifier.notify],
            activity_executor=executor,
        ):
            routines = Routines(env, engine, notifier, queue)
            try:
                yield routines
            finally:
                # A routine left waiting (a failed test's meeting, a scan's list until the next
                # day) would hold the shared test server's clock for the tests after it.
                for workflow_id in routines.started:
                    with contextlib.suppress(RPCError):
                        await env.client.get_workflow_handle(workflow_id).terminate("test over")
    engine.dispose()


def case(n: int, opened: datetime, **fields: Any) -> CaseProjection:
    base = CaseProjection(
        case_id=f"EPB-DEMO.RT-{uuid.uuid4().hex[:8]}-{n}",
        intake_ref=f"RT-{n}",
        mechanism="env-police",
        region="demo-county",
        stage=Stage.EVIDENCE,
        subject="某厂",
        discovering_agency="EPB-DEMO",
        owner_agency="EPB-DEMO",
        suggested=Classification.ADMINISTRATIVE,
        opened_at=opened,
        updated_at=opened,
    )
    return base.model_copy(update=fields)


def next_occurrence(routine: str, after: datetime) -> datetime:
    spec = ENV.routines[routine]
    return occurrences(spec, after, after + timedelta(days=400))[0]


async def refused(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await call()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    details = cause.details[0]
    assert isinstance(details, dict)
    return details


async def test_n2017_art_23_a_quarter_passes_and_the_meeting_opens_with_its_agenda(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running(time_skipping, tmp_path) as routines:
        now = await routines.now()
        nominal = next_occurrence("joint_meeting", now)
        # The calendar as the routine's setup reads it (the years around the occurrence): after the
        # suite's long cases, the test server's clock may stand in a year nobody published.
        year = nominal.astimezone(CHINA_TZ).year
        calendar = snapshot(default_calendar(), [year - 1, year, year + 1]).calendar()
        expected = plan(ENV.routines["joint_meeting"], nominal, calendar)
        # How the region stands when the meeting opens: a clock breached and escalated, one
        # overdue, a key case, a stalled one, one that is fine, one closed.
        opens = expected.at
        escalated = case(1, now, next_deadline=now + timedelta(days=1), escalation_level=1)
        overdue = case(2, now, next_deadline=opens - timedelta(days=2))
        key = case(3, now, key_case=True, next_deadline=opens + timedelta(days=30))
        stalled = case(4, now, stalled_at=opens - timedelta(days=5))
        fine = case(5, now, next_deadline=opens + timedelta(days=30))
        closed = case(6, now, key_case=True, stage=Stage.ARCHIVED, closed_at=now)
        routines.add_cases(escalated, overdue, key, stalled, fine, closed)

        started = await routines.start("joint_meeting", nominal)
        assert started.started
        assert started.occurrence.at == opens
        assert (
            started.workflow_id == f"routine.env-police.demo-county.joint_meeting.{expected.period}"
        )
        meeting = routines.handle(started.workflow_id, MeetingState)
        before: MeetingState = await meeting.query("meeting", result_type=MeetingState)
        assert before.status is MeetingStatus.SCHEDULED

        # The Schedule fires again for the same quarter (a catch-up, a trigger): nothing new.
        again = await routines.start("joint_meeting", nominal + timedelta(seconds=1))
        assert (again.workflow_id, again.started) == (started.workflow_id, False)

        await routines.pass_until(opens + timedelta(minutes=1))

        async def opened() -> bool:
            state = await meeting.query("meeting", result_type=MeetingState)
            return state.status is MeetingStatus.OPEN

        await eventually(opened, "the meeting did not open")
        state: MeetingState = await meeting.query("meeting", result_type=MeetingState)
        assert state.opened_at is not None
        assert opens <= state.opened_at < opens + timedelta(minutes=1)
        agenda = {item.case_id: item.reasons for item in state.agenda.items}
        assert agenda == {
            escalated.case_id: [AgendaReason.ESCALATED, AgendaReason.OVERDUE],
            overdue.case_id: [AgendaReason.OVERDUE],
            key.case_id: [AgendaReason.KEY],
            stalled.case_id: [AgendaReason.STALE],
        }
        (told,) = routines.notifier.of(NoticeKind.MEETING)
        assert set(told.to) == {"EPB-DEMO", "PSB-DEMO", "PROC-DEMO", "JLO-DEMO", "LG-DEMO"}
        assert "议程4件" in told.text
        row = store.meeting(routines.engine, started.workflow_id)
        assert row is not None
        assert (row.status, row.agenda_size) == ("open", 4)

        # Decisions: the joint office records them; the police may not; a past date is refused.
        today = local_date(opens)
        first = await meeting.execute_update(
            "record_decision",
            DecisionRequest(
                COORD, DecisionBody("排查全县电镀企业", "EPB-DEMO", today + timedelta(days=20))
            ),
        )
        assert first["decision_id"] == "d1"
        await meeting.execute_update(
            "record_decision",
            DecisionRequest(
                COORD, DecisionBody("通报侦查进展", "PSB-DEMO", today + timedelta(days=2))
            ),
        )
        not_theirs = await refused(
            lambda: meeting.execute_update(
                "record_decision",
                DecisionRequest(POLICE, DecisionBody("x", "PSB-DEMO", today + timedelta(days=2))),
            )
        )
        assert not_theirs["reason"] == "role_not_permitted"
        past = await refused(
            lambda: meeting.execute_update(
                "record_decision", DecisionRequest(COORD, DecisionBody("x", "EPB-DEMO", today))
            )
        )
        assert past["reason"] == "invalid_payload"
        await meeting.execute_update("close_meeting", CloseRequest(COORD, "会议纪要"))

        # d2 is due in two days (closer than the 3 days' reminder): at its due instant the joint
        # office is told it is overdue; d1 is reminded 3 days before it is due.
        await routines.pass_until(opens + timedelta(days=3))

        async def overdue_told() -> bool:
            return any("已于" in n.text for n in routines.notifier.of(NoticeKind.DECISION))

        await eventually(overdue_told, "the overdue decision was not reported")
        (late,) = [n for n in routines.notifier.of(NoticeKind.DECISION) if "已于" in n.text]
        assert late.to == ["JLO-DEMO", "PSB-DEMO"]
        await routines.pass_until(opens + timedelta(days=19))

        async def reminded() -> bool:
            return any(n.text.startswith("提醒") for n in routines.notifier.of(NoticeKind.DECISION))

        await eventually(reminded, "the owner was not reminded")
        await meeting.execute_update("decision_done", DoneRequest(POLICE, "d2"))
        await meeting.execute_update("decision_done", DoneRequest(COORD, "d1", "已排查完毕"))
        done: MeetingState = await meeting.result()
        assert done.status is MeetingStatus.DONE
        row = store.meeting(routines.engine, started.workflow_id)
        assert row is not None
        assert (row.status, row.decisions_open) == ("done", 0)
        minutes = store.paper(routines.engine, started.workflow_id, "html")
        assert minutes is not None
        assert "排查全县电镀企业" in minutes.content.decode()
        pdf = store.paper(routines.engine, started.workflow_id, "pdf")
        assert pdf is not None
        assert pdf.content.startswith(b"%PDF")
        await keep(meeting, ROUTINE_HISTORIES, "meeting")


async def test_d2_friday_comes_and_the_weekly_report_is_delivered(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running(time_skipping, tmp_path) as routines:
        now = await routines.now()
        nominal = next_occurrence("weekly_report", now)
        assert nominal.isoweekday() == 5
        week_ago = nominal - timedelta(days=5)
        routines.add_cases(
            case(1, week_ago, referred=True, stage=Stage.INVESTIGATION),
            case(2, week_ago, next_deadline=week_ago + timedelta(days=1)),
            case(3, nominal - timedelta(days=30)),  # opened before the week: counted open only
        )
        started = await routines.start("weekly_report", nominal)
        assert started.occurrence.at >= nominal
        report = routines.handle(started.workflow_id, BulletinOutcome)
        # Only the handles a test starts skip time while awaited: this one was started by another
        # workflow, so time is moved to the report's instant here; the rest runs in real time.
        await routines.pass_until(started.occurrence.at)
        outcome: BulletinOutcome = await report.result()
        assert outcome.delivered_at is not None
        assert outcome.delivered_at >= started.occurrence.at
        assert set(outcome.formats) == {"html", "pdf", "csv", "xlsx"}
        (told,) = routines.notifier.of(NoticeKind.BULLETIN)
        assert told.to == ["JLO-DEMO", "LG-DEMO"]
        assert "新发现案件2件,其中已移送1件" in told.text
        row = store.bulletin(routines.engine, started.workflow_id)
        assert row is not None
        assert row.delivered_at is not None
        assert (row.figures.opened, row.figures.referred, row.figures.open_cases) == (2, 1, 3)
        csv = store.paper(routines.engine, started.workflow_id, "csv")
        assert csv is not None
        assert "本期新发现案件,2" in csv.content.decode("utf-8-sig")
        xlsx = store.paper(routines.engine, started.workflow_id, "xlsx")
        assert xlsx is not None
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        values = {r[0]: r[2] for r in sheet.iter_rows(min_row=4, values_only=True)}
        assert values["opened"] == 2
        html = store.paper(routines.engine, started.workflow_id, "html")
        assert html is not None
        assert "周报告" in html.content.decode()
        await keep(report, ROUTINE_HISTORIES, "weekly_report")


async def test_n2017_art_14_the_scan_lists_a_case_until_the_procuratorate_marks_it(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running(time_skipping, tmp_path) as routines:
        now = await routines.now()
        penalised = case(1, now, suggested=Classification.CRIME, stage=Stage.ADMIN_PENALTY)
        overridden = case(
            2, now, suggested=Classification.CRIME, classification=Classification.ADMINISTRATIVE
        )
        referred = case(3, now, suggested=Classification.CRIME, stage=Stage.ARCHIVED, referred=True)
        routines.add_cases(penalised, overridden, referred)
        day1 = next_occurrence("referral_scan", now)
        first = await routines.start("referral_scan", day1)
        scan1 = routines.handle(first.workflow_id, ScanSummary)
        await routines.pass_until(first.occurrence.at + timedelta(minutes=1))

        async def listed() -> bool:
            return bool(await scan1.query("standing", result_type=list[str]))

        await eventually(listed, "the scan listed nothing")
        assert await scan1.query("standing", result_type=list[str]) == sorted(
            [penalised.case_id, overridden.case_id]
        )
        (told,) = routines.notifier.of(NoticeKind.REFERRAL_WATCH)
        assert told.to == ["PROC-DEMO"]
        assert penalised.case_id in told.text
        assert "N2017 第14条" in told.text

        # Only the region's procurators mark the list, and only what is on it.
        police = await refused(
            lambda: scan1.execute_update(
                "mark", MarkRequest(POLICE, penalised.case_id, MarkOutcome.REVIEWED)
            )
        )
        assert police["reason"] == "role_not_permitted"
        standing = await scan1.execute_update(
            "mark",
            MarkRequest(PROCURATOR, overridden.case_id, MarkOutcome.RECOMMENDED, "已发检察意见"),
            result_type=list[str],
        )
        assert standing == [penalised.case_id]

        # The next day's scan takes the list over; the case penalised is still on it.
        day2 = next_occurrence("referral_scan", first.occurrence.at + timedelta(hours=1))
        second = await routines.start("referral_scan", day2)
        assert second.workflow_id != first.workflow_id
        await routines.pass_until(second.occurrence.at + timedelta(minutes=1))
        summary: ScanSummary = await scan1.result()
        assert summary.superseded
        assert summary.marked == [overridden.case_id]
        scan2 = routines.handle(second.workflow_id, ScanSummary)

        async def taken_over() -> bool:
            standing: list[str] = await scan2.query("standing", result_type=list[str])
            return standing == [penalised.case_id]

        await eventually(taken_over, "the next scan did not take the list over")
        # Nothing new to tell: the second day's scan sends no notice.
        assert len(routines.notifier.of(NoticeKind.REFERRAL_WATCH)) == 1
        with Session(routines.engine) as session:
            marked = session.get(ReferralWatchRow, overridden.case_id)
            assert marked is not None
            assert (marked.cleared, marked.outcome, marked.marked_by_agency) == (
                "marked",
                "recommended",
                "PROC-DEMO",
            )
        await scan2.execute_update(
            "mark", MarkRequest(PROCURATOR, penalised.case_id, MarkOutcome.REVIEWED)
        )
        last: ScanSummary = await scan2.result()
        assert last.standing == []
        await keep(scan2, ROUTINE_HISTORIES, "referral_scan")


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
@pytest.mark.parametrize("path", sorted(ROUTINE_HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_a_routines_recorded_history_replays(path: Path) -> None:
    history = load(path)
    result = await Replayer(
        workflows=list(ROUTINE_WORKFLOWS), data_converter=DATA_CONVERTER
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_every_routine_workflow_has_a_recorded_history() -> None:
    assert {p.stem for p in ROUTINE_HISTORIES.glob("*.json")} >= {
        "meeting",
        "weekly_report",
        "referral_scan",
    } or recording()
