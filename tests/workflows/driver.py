"""Drive a case on the time-skipping server the way agencies and officers would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cases.actions import Action, ActionPayload, ActionRequest
from cases.calendar import CalendarSnapshot, default_calendar, snapshot
from cases.lifecycle import CaseIntake
from cases.model import (
    Actor,
    CaseFacts,
    CaseSource,
    Classification,
    ClockState,
    FeedbackOutcome,
    Role,
    Stage,
    ViolationType,
)
from cases.profiles import get_profile, profile_data
from cases.transitions import ActionResult
from tests.workflows.fakes import FakeAgencies
from workflows.case import CaseInput, CaseView, CaseWorkflow

EPB_OFFICER = Actor("EPB-DEMO", Role.OFFICER, "王执法")
EPB_HEAD = Actor("EPB-DEMO", Role.APPROVER, "李局长")
PSB_OFFICER = Actor("PSB-DEMO", Role.OFFICER, "刘警官")
PSB_HEAD = Actor("PSB-DEMO", Role.APPROVER, "赵局长")
PROCURATOR = Actor("PROC-DEMO", Role.PROCURATOR, "陈检察官")
COORDINATOR = Actor("JLO-DEMO", Role.COORDINATOR, "周协调")
LEADER = Actor("LG-DEMO", Role.LEADER, "吴组长")
STATION = Actor("MON-DEMO", Role.OFFICER, "孙监测")
APPRAISER = Actor("APR-DEMO", Role.OFFICER, "郑鉴定")
COUNTY = Actor("GOV-DEMO", Role.APPROVER, "县政府")
EAST_EPB = Actor("EPB-EAST", Role.OFFICER, "东邻执法")
NRB_HEAD = Actor("NRB-DEMO", Role.APPROVER, "钱局长")

SHA = "a" * 64


def calendar_for(start: datetime) -> CalendarSnapshot:
    return snapshot(default_calendar(), [start.year, start.year + 1])


@dataclass
class Case:
    env: WorkflowEnvironment
    handle: WorkflowHandle[Any, Any]
    fakes: FakeAgencies
    case_id: str

    async def act(self, action: Action, actor: Actor, **payload: Any) -> ActionResult:
        result: ActionResult = await self.handle.execute_update(
            action.value,
            ActionRequest(actor, ActionPayload(**payload)),
            result_type=ActionResult,
        )
        return result

    async def refused(self, action: Action, actor: Actor, **payload: Any) -> dict[str, Any]:
        """The refusal's details; fails the test if the action went through."""
        with pytest.raises(WorkflowUpdateFailedError) as raised:
            await self.act(action, actor, **payload)
        cause = raised.value.cause
        assert isinstance(cause, ApplicationError), cause
        assert cause.type == "ActionRefused", cause
        details: dict[str, Any] = cause.details[0]
        return details

    async def refused_raw(self, name: str, body: object) -> str:
        """Send an update by any name with any body; the refusal's message."""
        with pytest.raises(WorkflowUpdateFailedError) as raised:
            await self.handle.execute_update(name, body)
        cause = raised.value.cause
        assert isinstance(cause, ApplicationError), cause
        return cause.message

    async def search_attributes(self) -> dict[str, Any]:
        """The case's search attributes as the server holds them.

        Read raw: the time-skipping server keeps an unset attribute as an empty payload, which the
        SDK's describe() cannot parse as a datetime; a real server removes it.
        """
        response = await self.env.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=self.env.client.namespace,
                execution=WorkflowExecution(workflow_id=self.handle.id),
            )
        )
        fields = response.workflow_execution_info.search_attributes.indexed_fields
        return {name: json.loads(payload.data) for name, payload in fields.items() if payload.data}

    async def view(self) -> CaseView:
        view: CaseView = await self.handle.query(CaseWorkflow.view)
        return view

    async def clock(self, name: str) -> ClockState:
        view = await self.view()
        found = [c for c in view.state.clocks if c.name == name]
        assert found, f"no clock '{name}' in {[c.name for c in view.state.clocks]}"
        return found[-1]

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def sleep_until(self, instant: datetime, plus: timedelta = timedelta(0)) -> None:
        gap = instant + plus - await self.now()
        if gap > timedelta(0):
            await self.env.sleep(gap)


@asynccontextmanager
async def running_case(
    env: WorkflowEnvironment,
    *,
    mechanism: str = "env-police",
    facts: CaseFacts | None = None,
    agency: str = "EPB-DEMO",
    calendar: CalendarSnapshot | None = None,
    fakes: FakeAgencies | None = None,
    outside_jurisdiction: bool = False,
    workflow_class: type = CaseWorkflow,
    worker: Callable[[str], Worker] | None = None,
) -> AsyncIterator[Case]:
    """A case on its own task queue, with a worker running fake agencies (or ``worker(queue)``)."""
    fakes = fakes or FakeAgencies()
    queue = f"cases-{uuid.uuid4()}"
    case_id = f"T{uuid.uuid4().hex[:10].upper()}"
    start = await env.get_current_time()
    intake = CaseIntake(
        case_id=case_id,
        intake_ref=f"INTAKE-{case_id}",
        mechanism=mechanism,
        discovering_agency=agency,
        source=CaseSource.INSPECTION,
        subject="某化工有限公司",
        discovered_at=start - timedelta(hours=2),
        facts=facts or CaseFacts(violation_type=ViolationType.DIRECT_DISCHARGE),
        outside_jurisdiction=outside_jurisdiction,
    )
    running = (
        worker(queue)
        if worker is not None
        else Worker(
            env.client, task_queue=queue, workflows=[workflow_class], activities=fakes.activities
        )
    )
    async with running:
        handle = await env.client.start_workflow(
            CaseWorkflow.run,
            CaseInput(intake, profile_data(mechanism), calendar or calendar_for(start)),
            id=f"case-{case_id}",
            task_queue=queue,
        )
        try:
            yield Case(env, handle, fakes, case_id)
        finally:
            # A case left running without its worker would hold the test server's clock still.
            with contextlib.suppress(RPCError):  # finished cases cannot be terminated: fine
                await handle.terminate("test over")


# --- Paths -------------------------------------------------------------------------------------------


async def classified(case: Case, as_: Classification = Classification.CRIME) -> None:
    suggested = (await case.view()).state.triage.suggested
    reasons = "" if as_ is suggested else "现场发现暗管,涉嫌犯罪"
    await case.act(Action.CLASSIFY, EPB_OFFICER, classification=as_, reasons=reasons)


async def package(case: Case) -> None:
    profile = get_profile((await case.view()).state.mechanism)
    for kind in profile.referral_required:
        await case.act(Action.RECORD_EVIDENCE, EPB_OFFICER, kind=kind, title=kind, sha256=SHA)


async def to_approval(case: Case) -> None:
    await classified(case)
    await package(case)
    await case.act(Action.REQUEST_APPROVAL, EPB_OFFICER)


async def to_sending(case: Case) -> None:
    await to_approval(case)
    await case.act(Action.APPROVE_REFERRAL, EPB_HEAD)


async def to_acceptance(case: Case) -> None:
    await to_sending(case)
    await case.act(Action.SEND_REFERRAL, EPB_OFFICER)
    await delivered(case)


async def delivered(case: Case) -> None:
    """Wait until the police system's receipt (or its refusal) is on the case."""

    async def settled() -> bool:
        referral = (await case.view()).state.referral
        return referral.receipt is not None or referral.delivery_error is not None

    await eventually(case, settled, "the referral was never delivered")


async def soon(check: Callable[[], Awaitable[bool]], failure: str, seconds: float = 30) -> None:
    """Wait in real time only (workflow time stands still) for the worker to catch up.

    After the test server's clock moves, the timers are due at once, but the worker processes them
    when it gets the CPU: on a loaded machine that is a moment later.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(failure)


async def until(case: Case, check: Callable[[], bool], failure: str) -> None:
    """``eventually`` for a plain condition (what a fake agency has seen)."""

    async def holds() -> bool:
        return check()

    await eventually(case, holds, failure)


async def eventually(
    case: Case, condition: Callable[[], Awaitable[bool]], failure: str, seconds: float = 60
) -> None:
    """Let workflow time and real time pass in small steps until ``condition`` holds.

    Both pass: activities against real HTTP services take real time, and retry backoffs are timers
    that the time-skipping server only moves past when asked to sleep.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return
        await case.env.sleep(timedelta(milliseconds=500))
        await asyncio.sleep(0.05)
    raise AssertionError(failure)


async def to_filing(case: Case) -> None:
    await to_acceptance(case)
    await case.act(Action.ACCEPT, PSB_OFFICER, reference="PSB-2026-001")


async def to_not_filed(case: Case) -> None:
    await to_filing(case)
    await case.act(Action.DECLINE_FILING, PSB_OFFICER, reasons="证据不足,不构成犯罪")


async def to_handover(case: Case) -> None:
    await to_filing(case)
    await case.act(Action.FILE_CASE, PSB_OFFICER, reference="立案-001")


async def to_investigation(case: Case) -> None:
    await to_handover(case)
    await case.act(Action.HAND_OVER, EPB_OFFICER, items=["水样3份", "暗管照片"])


async def finish(case: Case, history: str | None = None) -> None:
    """Take the case from wherever it stands to the archive, and keep its history under ``history``."""
    from tests.workflows.histories import keep_history

    for _ in range(10):
        stage = (await case.view()).state.stage
        if stage is Stage.ARCHIVED:
            break
        if stage in (Stage.DISCOVERY, Stage.EVIDENCE, Stage.NOT_FILED):
            await case.act(Action.HANDLE_ADMINISTRATIVELY, EPB_OFFICER, reasons="转行政处罚")
        elif stage is Stage.ADMIN_PENALTY:
            await case.act(Action.IMPOSE_PENALTY, EPB_OFFICER, reference="罚字〔2026〕1号")
        elif stage is Stage.ACCEPTANCE:
            await case.act(Action.ACCEPT, PSB_OFFICER)
        elif stage is Stage.FILING_DECISION:
            await case.act(Action.FILE_CASE, PSB_OFFICER)
        elif stage is Stage.HANDOVER:
            await case.act(Action.HAND_OVER, EPB_OFFICER, items=["水样"])
        elif stage is Stage.INVESTIGATION:
            await case.act(Action.FEED_BACK, PSB_OFFICER, outcome=FeedbackOutcome.PROSECUTION)
        elif stage is Stage.ARCHIVING:
            await case.act(Action.ARCHIVE, EPB_OFFICER)
        else:
            raise AssertionError(f"finish() does not know the way out of {stage}")
    outcome = await case.handle.result()
    assert outcome.stage is Stage.ARCHIVED
    if history is not None:
        await keep_history(case, history)
