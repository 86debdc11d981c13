"""Drive a case on the time-skipping server the way agencies and officers would."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cases.agencies import default_registry
from cases.calendar import CalendarSnapshot, calendar_for
from cases.change import ActionResult
from cases.ids import workflow_id
from cases.intake import CaseIntake
from cases.model import Actor, CaseFacts, ClockState, Document, PaperRecord
from cases.profiles import get_profile, profile_data
from cases.view import Caller, CaseView
from cases.vocabulary import (
    CaseSource,
    Classification,
    DocumentKind,
    FeedbackOutcome,
    Judgment,
    Role,
    Stage,
    ViolationType,
)
from tests.polling import eventually as poll
from tests.workflows.fakes import FakeAgencies
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, HistoryBudget, Opening

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


@dataclass
class Case:
    env: WorkflowEnvironment
    handle: WorkflowHandle[Any, Any]
    fakes: FakeAgencies
    case_id: str

    async def act(self, action: str, actor: Actor, **body: Any) -> ActionResult:
        result: ActionResult = await self.handle.execute_update(
            action, ActionRequest(actor, body), result_type=ActionResult
        )
        return result

    async def refused(self, action: str, actor: Actor, **body: Any) -> dict[str, Any]:
        """The refusal's details; fails the test if the action went through."""
        with pytest.raises(WorkflowUpdateFailedError) as raised:
            await self.act(action, actor, **body)
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

    async def opened(self) -> None:
        """Wait until the case has written its opening (the API writes it as it starts the case;
        here only the case's own write reaches the fakes)."""

        async def written() -> bool:
            if not any(e.action == "open" for e in self.fakes.entries()):
                return False
            events = (await self.handle.fetch_history()).events
            return any(e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED for e in events)

        await poll(written, "the case never wrote its opening", seconds=30, every=0.02)

    async def settle(self) -> None:
        """Wait until no activity of the case is in flight: a test that ends with one pending leaves
        the time-skipping server's clock held for every later test."""

        async def idle() -> bool:
            response = await self.env.client.workflow_service.describe_workflow_execution(
                DescribeWorkflowExecutionRequest(
                    namespace=self.env.client.namespace,
                    execution=WorkflowExecution(workflow_id=self.handle.id),
                )
            )
            return not response.pending_activities

        await poll(idle, "an activity stayed in flight", seconds=30, every=0.05)

    async def run_id(self) -> str:
        """The current run's id (read raw, like the search attributes below)."""
        response = await self.env.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=self.env.client.namespace,
                execution=WorkflowExecution(workflow_id=self.handle.id),
            )
        )
        run_id: str = response.workflow_execution_info.execution.run_id
        return run_id

    async def view(self, caller: Actor | None = None) -> CaseView:
        who = Caller(caller.agency, caller.role) if caller else None
        view: CaseView = await self.handle.query(CaseWorkflow.view, who)
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


def intake_for(
    start: datetime,
    *,
    mechanism: str = "env-police",
    facts: CaseFacts | None = None,
    agency: str = "EPB-DEMO",
    outside_jurisdiction: bool = False,
) -> CaseIntake:
    return CaseIntake(
        intake_ref=f"T{uuid.uuid4().hex[:10].upper()}",
        mechanism=mechanism,
        discovering_agency=agency,
        source=CaseSource.INSPECTION,
        subject="某化工有限公司",
        discovered_at=start - timedelta(hours=2),
        facts=facts or CaseFacts(violation_type=ViolationType.DIRECT_DISCHARGE),
        outside_jurisdiction=outside_jurisdiction,
    )


def case_input(
    intake: CaseIntake,
    start: datetime,
    calendar: CalendarSnapshot | None = None,
    budget: HistoryBudget | None = None,
) -> CaseInput:
    return CaseInput(
        intake,
        profile_data(intake.mechanism),
        calendar or calendar_for(start),
        default_registry().snapshot(),
        budget=budget or HistoryBudget(),
    )


async def open_by_start(
    env: WorkflowEnvironment, queue: str, input: CaseInput, at: datetime
) -> WorkflowHandle[Any, Any]:
    """Open a case as the API does: a start carrying the instant the API made its opening at (the
    API writes that opening to the read model itself; here the fakes see the case's own write)."""
    return await env.client.start_workflow(
        CaseWorkflow.run,
        replace(input, opened_at=at),
        id=workflow_id(input.intake.case_id),
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )


async def open_by_update(
    env: WorkflowEnvironment, queue: str, input: CaseInput
) -> tuple[WorkflowHandle[Any, Any], Opening]:
    """Open a case as the API did before it wrote openings itself (and as a repeated intake asks a
    running case): the start and the ``open`` update in one call."""
    operation = WithStartWorkflowOperation(
        CaseWorkflow.run,
        input,
        id=workflow_id(input.intake.case_id),
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    opening: Opening = await env.client.execute_update_with_start_workflow(
        "open", input.intake, result_type=Opening, start_workflow_operation=operation
    )
    return await operation.workflow_handle(), opening


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
    opened_by: Literal["api", "update", "hand"] = "api",
    budget: HistoryBudget | None = None,
) -> AsyncIterator[Case]:
    """A case on its own task queue, with a worker running fake agencies (or ``worker(queue)``),
    opened as the API opens one, as it did before with the ``open`` update, or by a bare start."""
    fakes = fakes or FakeAgencies()
    queue = f"cases-{uuid.uuid4()}"
    start = await env.get_current_time()
    intake = intake_for(
        start,
        mechanism=mechanism,
        facts=facts,
        agency=agency,
        outside_jurisdiction=outside_jurisdiction,
    )
    input = case_input(intake, start, calendar, budget)
    running = (
        worker(queue)
        if worker is not None
        else Worker(
            env.client, task_queue=queue, workflows=[workflow_class], activities=fakes.activities
        )
    )
    async with running:
        if opened_by == "api":
            handle = await open_by_start(env, queue, input, start)
        elif opened_by == "update":
            handle, _ = await open_by_update(env, queue, input)
        else:
            handle = await env.client.start_workflow(
                CaseWorkflow.run, input, id=workflow_id(intake.case_id), task_queue=queue
            )
        case = Case(env, handle, fakes, intake.case_id)
        try:
            yield case
            await case.settle()
        finally:
            # A case left running without its worker would hold the test server's clock still.
            with contextlib.suppress(RPCError):  # finished cases cannot be terminated: fine
                await handle.terminate("test over")


# --- Paths -------------------------------------------------------------------------------------------


async def classified(case: Case, as_: Classification = Classification.CRIME) -> None:
    suggested = (await case.view()).state.triage.suggested
    reasons = {} if as_ is suggested else {"reasons": "现场发现暗管,涉嫌犯罪"}
    await case.act("classify", EPB_OFFICER, classification=as_, **reasons)


def items(*kinds: str) -> list[dict[str, str]]:
    """Evidence items of these kinds, fingerprinted, as a ``record_evidence`` body lists them."""
    return [{"kind": kind, "title": kind, "sha256": SHA} for kind in kinds]


async def package(case: Case) -> None:
    """The whole referral package, recorded in one step."""
    profile = get_profile((await case.view()).state.mechanism)
    await case.act("record_evidence", EPB_OFFICER, items=items(*profile.referral_required))


async def to_approval(case: Case) -> None:
    await classified(case)
    await package(case)
    await case.act("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])


async def to_sending(case: Case) -> None:
    await to_approval(case)
    await case.act("approve_referral", EPB_HEAD)


async def to_acceptance(case: Case) -> None:
    await to_sending(case)
    await case.act("send_referral", EPB_OFFICER)
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
    await poll(check, failure, seconds=seconds, every=0.05)


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

    async def nudge() -> None:
        await case.env.sleep(timedelta(milliseconds=500))

    await poll(condition, failure, seconds=seconds, every=0.05, between=nudge)


async def to_filing(case: Case) -> None:
    """Where the receipt is the acceptance (N2017 Art. 7) the case is there once delivered; where
    acceptance is a step of its own (D4, D5) the police take it."""
    await to_acceptance(case)
    state = (await case.view()).state
    if not get_profile(state.mechanism).rules_for(state.classification).acceptance_on_receipt:
        await case.act("accept", PSB_OFFICER, reference="PSB-2026-001")


async def settled(case: Case, kind: DocumentKind) -> Document:
    """Wait until the newest notice of this kind is received, or refused, by its receiver's system."""

    async def done() -> bool:
        docs = [d for d in (await case.view()).state.documents if d.kind is kind]
        return bool(docs) and (docs[-1].received_at is not None or docs[-1].error is not None)

    await eventually(case, done, f"the {kind} never settled")
    return [d for d in (await case.view()).state.documents if d.kind is kind][-1]


async def paper(case: Case, key: str) -> PaperRecord:
    """Wait until the paper of ``key`` is on the case, or could not be made ("referral-1", the
    notice's id for its acknowledgement, "handover")."""

    async def done() -> bool:
        return (await case.view()).state.paper(key) is not None

    await eventually(case, done, f"the paper {key} was never made")
    made = (await case.view()).state.paper(key)
    assert made is not None
    return made


async def to_not_filed(case: Case) -> None:
    await to_filing(case)
    await case.act("decline_filing", PSB_OFFICER, reasons="证据不足,不构成犯罪")
    notice = await settled(case, DocumentKind.NOT_FILED_NOTICE)
    if notice.received_at is not None:
        await paper(case, notice.doc_id)  # the agency's acknowledgement of it


async def to_handover(case: Case) -> None:
    await to_filing(case)
    await case.act("file_case", PSB_OFFICER, reference="立案-001")
    await settled(case, DocumentKind.FILING_NOTICE)


async def to_investigation(case: Case) -> None:
    await to_handover(case)
    await case.act("hand_over", EPB_OFFICER, items=["水样3份", "暗管照片"])
    await paper(case, "handover")


# --- The detention track (P2014) ----------------------------------------------------------------------

SUPERIOR = Actor("EPB-CITY", Role.APPROVER, "市局稽查")  # EPB-DEMO's superior (P2014 Art. 17)


def detention_package(mechanism: str = "env-police") -> list[dict[str, str]]:
    """The P2014 Art. 11 package as a ``record_evidence`` body."""
    rules = get_profile(mechanism).detention
    assert rules is not None
    return items(*rules.referral_required)


async def to_detention_approval(case: Case) -> None:
    """Confirmed as 治安, the package and the penalty first (P2014 Art. 2), then the report."""
    mechanism = (await case.view()).state.mechanism
    await classified(case, Classification.PUBLIC_SECURITY)
    await case.act("record_evidence", EPB_OFFICER, items=detention_package(mechanism))
    await case.act("decide_penalty", EPB_OFFICER, reference="罚字〔2026〕9号")
    await case.act("request_approval", EPB_OFFICER, officers=["王执法"])


async def to_detention_sending(case: Case) -> None:
    await to_detention_approval(case)
    await case.act("approve_referral", EPB_HEAD)


async def to_detention_acceptance(case: Case) -> None:
    await to_detention_sending(case)
    await case.act("send_referral", EPB_OFFICER)
    await delivered(case)


async def to_detention_review(case: Case) -> None:
    await to_detention_acceptance(case)
    await case.act("accept", PSB_OFFICER, reference="受案-2026-77")


async def finish(case: Case, history: str | None = None) -> None:
    """Take the case from wherever it stands to the archive, and keep its history under ``history``."""
    from tests.workflows.histories import keep_history

    for _ in range(10):
        stage = (await case.view()).state.stage
        if stage is Stage.ARCHIVED:
            break
        if stage in (Stage.DISCOVERY, Stage.EVIDENCE, Stage.NOT_FILED):
            await case.act("handle_administratively", EPB_OFFICER, reasons="转行政处罚")
        elif stage is Stage.ADMIN_PENALTY:
            await case.act("impose_penalty", EPB_OFFICER, reference="罚字〔2026〕1号")
        elif stage is Stage.ACCEPTANCE:
            state = (await case.view()).state
            if get_profile(state.mechanism).rules_for(state.classification).acceptance_on_receipt:
                await delivered(case)  # the receipt moves the case on
            else:
                await case.act("accept", PSB_OFFICER)
        elif stage is Stage.DETENTION_REVIEW:
            await case.act("decide_detention", PSB_OFFICER, reference="拘决字1号", days=10)
            await settled(case, DocumentKind.DETENTION_DECISION)
        elif stage is Stage.FILING_DECISION:
            await case.act("file_case", PSB_OFFICER)
        elif stage is Stage.HANDOVER:
            await case.act("hand_over", EPB_OFFICER, items=["水样"])
            await paper(case, "handover")
        elif stage is Stage.INVESTIGATION:
            await case.act("feed_back", PSB_OFFICER, outcome=FeedbackOutcome.PROSECUTION)
        elif stage is Stage.PROSECUTION:
            await case.act("charge", PROCURATOR, reference="检诉〔2026〕1号")
        elif stage is Stage.TRIAL:
            await case.act("record_judgment", PROCURATOR, judgment=Judgment.CONVICTED)
        elif stage is Stage.ARCHIVING:
            await case.act("archive", EPB_OFFICER)
        else:
            raise AssertionError(f"finish() does not know the way out of {stage}")
    outcome = await case.handle.result()
    assert outcome.stage == Stage.ARCHIVED
    if history is not None:
        await keep_history(case, history)
