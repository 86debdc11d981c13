"""Reading a case for the API: its workflow's own view, the engine's word on its calls in flight,
and noticing (and telling once) a case whose workflow ended without being archived."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from starlette.concurrency import run_in_threadpool
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import QueryRejectCondition, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Services, point_read
from api.errors import FIXES, ApiError
from api.schemas import OutsideCallPublic
from api.temporal import QUERY_TIMEOUT, bounded, case_handle, unavailable
from cases.agencies import AgencyKind
from cases.context import Reason
from cases.effects import NoticeKind, NotificationBatch, notice
from cases.ids import case_id_of, step_key
from cases.limits import KEPT_ERROR
from cases.phrases import Both
from cases.view import Caller, CaseView
from cases.view import stored_view as view_of_stored
from cases.vocabulary import STAGE_LABELS, Stage
from store.records import case_row, mark_ended
from store.tables import CaseRow
from store.views import stored_case
from workflows.case import CaseWorkflow
from workflows.notice import NoticeWorkflow

log = structlog.get_logger(__name__)


@dataclass
class Live:
    view: CaseView


@dataclass
class Closed:
    status: WorkflowExecutionStatus | None  # None: the engine no longer keeps the history


@dataclass
class Unreachable:
    error: str


async def view_case(
    services: Services, case_id: str, caller: Caller
) -> Live | Closed | Unreachable:
    """The case as its workflow computes it for ``caller``, or why it cannot be asked."""
    handle = case_handle(services, case_id)
    try:
        async with asyncio.timeout(services.settings.outage_bound):
            view: CaseView = await handle.query(
                CaseWorkflow.view,
                caller,
                reject_condition=QueryRejectCondition.NOT_OPEN,
                rpc_timeout=QUERY_TIMEOUT,
            )
        return Live(view)
    except TimeoutError:
        return Unreachable("no answer in time")
    except WorkflowQueryRejectedError as exc:
        return Closed(exc.status)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return Closed(None)
        return Unreachable(exc.message)
    except WorkflowQueryFailedError as exc:
        return Unreachable(str(exc))


async def archived_view(services: Services, case_id: str, caller: Caller) -> CaseView | None:
    """An archived case as its completed workflow last held it (while the engine keeps it)."""
    try:
        async with asyncio.timeout(services.settings.outage_bound):
            view: CaseView = await case_handle(services, case_id).query(
                CaseWorkflow.view, caller, rpc_timeout=QUERY_TIMEOUT
            )
    except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError, TimeoutError):
        return None
    return view


async def ended_status(services: Services, row: CaseRow) -> str | None:
    """For a case whose workflow the engine calls closed: None when it was archived (or is running
    after all); otherwise how its workflow ended, marked on the case and told to the region's joint
    office the first time it is seen. An engine that cannot be asked is a 503, never an ending."""
    status: WorkflowExecutionStatus | None = None
    try:
        async with bounded(services):
            status = (await case_handle(services, row.case_id).describe()).status
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise unavailable(services, exc.message) from None
    if status in (WorkflowExecutionStatus.COMPLETED, WorkflowExecutionStatus.RUNNING):
        return None
    if status is None and row.closed_at is not None:
        return None
    return await noticed_ended(services, row, status)


async def closed_case(services: Services, row: CaseRow) -> ApiError:
    """Why a closed case takes no step: archived, or its workflow ended without archiving."""
    ended = await ended_status(services, row)
    if ended is None:
        if row.closed_at is None:  # running after all (it has just moved to a new run)
            return unavailable(services, "the case was moving to a new run; try again")
        return ApiError(409, Reason.CASE_CLOSED.value, "the case is archived", FIXES["case_closed"])
    return ApiError(
        409,
        "case_ended",
        f"the case's workflow ended ({ended}) without the case being archived; it takes no "
        "further step",
        "the region's joint office has been told; an operator must restore the case",
        workflow_status=ended,
    )


ENDED = "('Terminated', 'Failed', 'TimedOut', 'Canceled')"


# Neither a list nor a case page from its stored state asks the engine whether a case's run ended:
# the case workflows that ended without archiving are swept every ``sweep_every`` seconds instead,
# one visibility query for all of them (asked per page, it cost every first page 30 ms).
SWEEP_OVERLAP = timedelta(minutes=5)  # visibility is eventually consistent: look back further


async def sweep_ended(services: Services, since: datetime | None) -> datetime:
    """The case workflows that ended without completing since ``since`` (all the engine keeps,
    the first time) are marked on their cases and told once (``noticed_ended``). Returns the
    instant to sweep from next time."""
    started = datetime.now(UTC)
    query = f"WorkflowType = 'CaseWorkflow' AND ExecutionStatus IN {ENDED}"
    if since is not None:
        query += f" AND CloseTime >= '{(since - SWEEP_OVERLAP).isoformat()}'"
    async with bounded(services):
        found = [execution.id async for execution in services.temporal.list_workflows(query)]
    for wid in dict.fromkeys(found):
        row = await run_in_threadpool(case_row, services.engine, case_id_of(wid))
        if row is not None and row.workflow_status is None and row.closed_at is None:
            await ended_status(services, row)  # a start that failed and was made again runs
    return started


async def sweeping(services: Services) -> None:
    """``sweep_ended`` every ``sweep_every`` seconds while the API runs (in each API process: a
    case is marked, and its office told, once). A sweep that fails is made again next time."""
    since: datetime | None = None
    while True:
        try:
            since = await sweep_ended(services, since)
        except Exception as exc:
            log.warning("could not sweep the cases whose workflow ended", error=str(exc)[:200])
        await asyncio.sleep(services.settings.sweep_every)


# How a case workflow ended, as the notice to the joint office says it (the statuses' names).
ENDED_ZH = {
    "terminated": "被终止",
    "canceled": "被取消",
    "cancelled": "被取消",
    "timed_out": "因超时结束",
    "failed": "因故障结束",
    "continued_as_new": "结束",
    "completed": "结束",
    "gone": "消失",
}


async def noticed_ended(
    services: Services, row: CaseRow, status: WorkflowExecutionStatus | None
) -> str:
    """Mark the case as ended and, the first time, tell the region's joint office."""
    ended = status.name.lower() if status is not None else "gone"
    if row.workflow_status is not None:
        return row.workflow_status
    now = datetime.now(UTC)
    first = await run_in_threadpool(mark_ended, services.engine, row.case_id, ended, now)
    row.workflow_status = ended
    if first:
        offices = [a.code for a in services.registry.in_region(AgencyKind.JOINT_OFFICE, row.region)]
        stage = STAGE_LABELS.get(Stage(row.stage), (row.stage, row.stage))
        said = Both(
            f"案件{row.case_id}在“{stage[0]}”阶段未归档即已{ENDED_ZH.get(ended, '结束')}，"
            "其期限不再计时",
            f"case {row.case_id} ended ({ended}) in stage '{row.stage}' without being archived; "
            "its clocks no longer run",
        )
        batch = NotificationBatch(
            row.case_id,
            step_key(row.case_id, "ended"),
            [notice(NoticeKind.CASE_ENDED, offices or [row.owner_agency], said)],
        )
        log.warning("case workflow ended without archiving", case_id=row.case_id, status=ended)
        with contextlib.suppress(WorkflowAlreadyStartedError, RPCError, TimeoutError):
            async with asyncio.timeout(services.settings.outage_bound):
                await services.temporal.start_workflow(
                    NoticeWorkflow.run,
                    batch,
                    id=step_key(row.case_id, "ended"),
                    task_queue=services.settings.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
    return ended


async def stored_view(
    services: Services, row: CaseRow, caller: Caller, now: datetime
) -> CaseView | None:
    """The case's view from its state as its last write stored it, decided with its own rules at
    ``now``: only while that state still holds and its context is one this process holds; None
    otherwise (the caller asks the case)."""
    if not services.settings.stored_views or _unsure_lately(row.case_id):
        return None
    stored = await point_read(services, stored_case, services.engine, row.case_id)
    if stored is None or not stored.holds_at(now, row.last_seq):
        return None
    ctx = services.contexts.context(stored.keys, now)
    return None if ctx is None else view_of_stored(stored, caller, ctx)


# Cases whose stored state could not be marked stale (the read model failed as their write did):
# this process asks them for a while, past the case's own retry of its write (``OUTBOX_RETRY``).
UNSURE_FOR = 180.0
UNSURE_KEPT = 100_000
_UNSURE: OrderedDict[str, float] = OrderedDict()


def unsure(case_id: str) -> None:
    _UNSURE[case_id] = time.monotonic()
    _UNSURE.move_to_end(case_id)
    while len(_UNSURE) > UNSURE_KEPT:
        _UNSURE.popitem(last=False)


def _unsure_lately(case_id: str) -> bool:
    marked = _UNSURE.get(case_id)
    return marked is not None and time.monotonic() - marked < UNSURE_FOR


@dataclass
class Running:
    """The engine's word that the case's run is open, and the calls it is still making."""

    calls: list[OutsideCallPublic]


async def running(services: Services, case_id: str) -> Running | None:
    """None when the case's run is not open or the engine cannot be asked in time."""
    try:
        async with asyncio.timeout(services.settings.outage_bound):
            described = await case_handle(services, case_id).describe(rpc_timeout=QUERY_TIMEOUT)
            if described.status is not WorkflowExecutionStatus.RUNNING:
                return None
            return Running(await _calls(services, described.raw_description.pending_activities))
    except (RPCError, TimeoutError, ValueError) as exc:
        log.warning("could not ask the engine about the case", error=str(exc))
        return None


async def outside_calls(services: Services, case_id: str) -> list[OutsideCallPublic]:
    """The case's calls to agency systems that the engine is still retrying (none when it cannot be
    asked: the page is not held up for them)."""
    found = await running(services, case_id)
    return [] if found is None else found.calls


async def _calls(
    services: Services, pending: Iterable[PendingActivityInfo]
) -> list[OutsideCallPublic]:
    calls = []
    for activity in pending:
        error = None
        if activity.HasField("last_failure"):
            failure = type(activity.last_failure)()
            failure.CopyFrom(activity.last_failure)
            error = str(await services.temporal.data_converter.decode_failure(failure))
        calls.append(
            OutsideCallPublic(
                call=activity.activity_type.name,
                attempts=activity.attempt,
                state=PENDING_STATES.get(activity.state, "pending"),
                last_error=error[:KEPT_ERROR] if error else None,
                last_attempt_at=_instant(activity, "last_attempt_complete_time"),
                next_attempt_at=_instant(activity, "next_attempt_schedule_time"),
            )
        )
    return calls


PENDING_STATES = {
    PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED: "scheduled",
    PendingActivityState.PENDING_ACTIVITY_STATE_STARTED: "started",
    PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED: "cancel_requested",
    PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED: "paused",
    PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED: "pause_requested",
}


def _instant(activity: PendingActivityInfo, name: str) -> datetime | None:
    if not activity.HasField(name):  # type: ignore[arg-type]
        return None
    value: datetime = getattr(activity, name).ToDatetime(tzinfo=UTC)
    return value
