"""The API's calls to the case workflows: open a case, take a step, read a live case.

Every call goes to the case's own workflow, which decides; this module only turns the engine's
answers and failures into the API's error shape. No rule is decided here.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import QueryRejectCondition, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Services
from api.errors import ApiError
from api.metrics import ACTIONS, CASES_OPENED
from api.schemas import OutsideCallPublic
from cases.agencies import AgencyKind
from cases.calendar import CalendarSnapshot, default_calendar, snapshot
from cases.change import ActionResult
from cases.context import Reason
from cases.effects import ClueDelivery, Notice, NoticeKind, NotificationBatch, case_record
from cases.ids import step_key, workflow_id
from cases.intake import CaseIntake, IntakeError
from cases.limits import KEPT_ERROR
from cases.model import Actor
from cases.profiles import profile_data, profile_from_data
from cases.steps import Step
from cases.system import opening
from cases.view import Caller, CaseView
from store.records import INTAKE, archived_case, mark_ended, record_case_events
from store.tables import CaseRow
from workflows.case import CaseWorkflow
from workflows.clue import ClueWorkflow
from workflows.messages import (
    ACTION_REFUSED,
    INTAKE_CONFLICT,
    ActionRequest,
    Carried,
    CaseInput,
    Opening,
)
from workflows.notice import NoticeWorkflow

log = structlog.get_logger(__name__)
UPDATE_TIMEOUT = timedelta(seconds=30)
QUERY_TIMEOUT = timedelta(seconds=10)


class AlreadyClosed(Exception):
    """The case's workflow is closed (or gone): the read model holds its record."""


def _handle(services: Services, case_id: str) -> WorkflowHandle[CaseWorkflow, Any]:
    return services.temporal.get_workflow_handle_for(CaseWorkflow.run, workflow_id(case_id))


def unavailable(services: Services, detail: str, fix: str = "") -> ApiError:
    """503 with the time after which a repeat is worth trying (RFC 9110 §10.2.3)."""
    return ApiError(
        503,
        "case_service_unavailable",
        f"the case service is unavailable: {detail}",
        fix or "try again shortly; a repeat of the same request is safe",
        headers={"Retry-After": str(math.ceil(services.settings.outage_bound))},
    )


ADMITTED = (
    "an action the case service admitted may still be applied when it returns: repeat the request "
    "with the same Idempotency-Key to have it applied exactly once, or look at the timeline first"
)


@contextlib.asynccontextmanager
async def bounded(services: Services, fix: str = "") -> AsyncIterator[None]:
    """Wait for the engine (and the worker behind it) no longer than the configured bound: during an
    outage the SDK would otherwise keep retrying for as long as it lasts."""
    bound = services.settings.outage_bound
    try:
        async with asyncio.timeout(bound):
            yield
    except TimeoutError:
        raise unavailable(services, f"no answer within {bound:g} s", fix) from None


async def _settle(operation: WithStartWorkflowOperation[Any, Any]) -> None:
    """Collect the start's own outcome (it is in the update's), never waiting for one cut short."""
    waiting = asyncio.ensure_future(operation.workflow_handle())
    await asyncio.wait({waiting}, timeout=0.1)
    if not waiting.done():
        waiting.cancel()
    elif not waiting.cancelled():
        waiting.exception()  # retrieved: a start cut short by the bound is not an error here


# --------------------------------------------------------------------------------------------------
# Intake


def calendar_for(now: datetime) -> CalendarSnapshot:
    """The calendar a run starts with: this year's and next year's arrangements, as published."""
    return snapshot(default_calendar(), [now.year, now.year + 1])


async def open_case(services: Services, intake: CaseIntake, now: datetime) -> Opening:
    """Start the case, write its opening to the read model, and answer: the caller may act on the
    case at once, and does not wait for the worker's first task. The opening is the case's own
    (``cases.system.opening``, made from the very input the case starts with, at the instant it
    carries), so the case's first write repeats this one.

    A case id already started is a repeat, asked of its workflow (``repeat_intake``). Raises
    ``AlreadyClosed`` when that workflow is closed: a case id is never started again, and the caller
    answers from the read model. (Only a start that failed may be made again.)
    """
    case_input = CaseInput(
        intake,
        profile_data(intake.mechanism),
        calendar_for(now),
        services.registry.snapshot(),
        opened_at=now,
    )
    try:
        state, transition = opening(
            intake,
            profile_from_data(case_input.profile),
            services.registry,
            case_input.calendar.calendar(),
            now,
        )
    except IntakeError as exc:
        raise ApiError(
            422, "invalid_intake", str(exc), "correct the facts or agencies named"
        ) from None
    try:
        async with bounded(services):
            await services.temporal.start_workflow(
                CaseWorkflow.run,
                case_input,
                id=workflow_id(intake.case_id),
                task_queue=services.settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                rpc_timeout=UPDATE_TIMEOUT,
            )
    except WorkflowAlreadyStartedError:  # sent twice at once, or started but not yet recorded
        return await repeat_intake(services, intake)
    except RPCError as exc:
        raise unavailable(services, exc.message) from None
    record = case_record(state, transition.entries, services.registry, now, intake=intake)
    try:
        await run_in_threadpool(record_case_events, services.engine, record)
    except SQLAlchemyError as exc:  # the case is open, and writes its opening itself
        log.warning("opening not written by the API", case_id=intake.case_id, error=str(exc)[:200])
    CASES_OPENED.labels(mechanism=intake.mechanism).inc()
    log.info("case opened", case_id=intake.case_id, mechanism=intake.mechanism)
    return Opening(True, record.projection)


async def repeat_intake(services: Services, intake: CaseIntake) -> Opening:
    """A repeat of a case already recorded: asked of its workflow, which is never started again.

    Raises ``AlreadyClosed`` when the workflow is closed or gone.
    """
    try:
        async with bounded(services):
            opening: Opening = await _handle(services, intake.case_id).execute_update(
                "open", intake, result_type=Opening, rpc_timeout=UPDATE_TIMEOUT
            )
    except WorkflowUpdateFailedError as exc:
        raise _intake_refused(exc) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise unavailable(services, "the case did not answer in time") from None
    except RPCError as exc:
        if _closed(exc):
            raise AlreadyClosed(intake.case_id) from None
        raise unavailable(services, exc.message) from None
    return opening


def _closed(exc: RPCError) -> bool:
    """The engine's way of saying the workflow is closed (or no longer kept)."""
    return exc.status is RPCStatusCode.NOT_FOUND or "already completed" in exc.message.lower()


def conflict(case_id: str, fields: list[str]) -> ApiError:
    return ApiError(
        409,
        "intake_conflict",
        f"case {case_id} was opened with other values of: {', '.join(fields)}",
        "send the same body as the first time, or a new intake_ref for a different case",
        fields=fields,
    )


def _intake_refused(exc: WorkflowUpdateFailedError) -> ApiError:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type == INTAKE_CONFLICT:
        details = cause.details[0] if cause.details else {}
        details = details if isinstance(details, dict) else {}
        return conflict(str(details.get("case_id", "")), list(details.get("fields", [])))
    message = cause.message if isinstance(cause, ApplicationError) else str(exc)
    return ApiError(422, "invalid_intake", message, "correct the facts or agencies named")


# --------------------------------------------------------------------------------------------------
# Steps


async def take_step(
    services: Services,
    row: CaseRow,
    actor: Actor,
    step: Step[Any],
    payload: object,
    update_id: str | None = None,
) -> ActionResult:
    """Send the step to the case, which validates and takes it, or refuses with its reason.
    ``update_id`` (from the caller's Idempotency-Key) makes a repeat the same update: the engine
    and the case answer it as the first time, and apply it once."""
    handle = _handle(services, row.case_id)
    request = ActionRequest(actor, payload)
    try:
        async with bounded(services, ADMITTED):
            result: ActionResult = await handle.execute_update(
                step.name, request, id=update_id, result_type=ActionResult,
                rpc_timeout=UPDATE_TIMEOUT,
            )  # fmt: skip
    except WorkflowUpdateFailedError as exc:
        raise refused(step.name, exc) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        ACTIONS.labels(step.name, "timeout").inc()
        raise unavailable(services, "the case did not answer in time", ADMITTED) from None
    except ApiError:
        ACTIONS.labels(step.name, "timeout").inc()
        raise
    except RPCError as exc:
        if not _closed(exc):
            raise unavailable(services, exc.message, ADMITTED) from None
        reopening = await _reopening(services, row) if step.reopens else None
        if reopening is None:
            ACTIONS.labels(step.name, "closed").inc()
            raise await closed_case(services, row) from None
        result = await _reopen(services, row, reopening, step, request, update_id)
    ACTIONS.labels(step.name, "done").inc()
    log.info("action taken", case_id=row.case_id, action=step.name, seq=result.seq)
    return result


async def _reopening(services: Services, row: CaseRow) -> CaseInput | None:
    """The input of a new run of an archived case, from the record it left in the read model: its
    own rules, today's calendar and registry. None for a case that did not archive (it ended)."""
    if row.closed_at is None or row.intake is None:
        return None
    archived = await run_in_threadpool(archived_case, services.engine, row.case_id)
    if archived is None:
        return None
    now = datetime.now(UTC)
    state = archived.state
    return CaseInput(
        INTAKE.validate_python(row.intake),
        archived.profile,
        calendar_for(now),
        services.registry.snapshot(),
        Carried(
            state,
            evidence_recorded=len(state.evidence),
            intake_recorded=True,
            opened_by_update=True,
        ),
    )


async def _reopen(
    services: Services,
    row: CaseRow,
    input: CaseInput,
    step: Step[Any],
    request: ActionRequest,
    update_id: str | None,
) -> ActionResult:
    """Start the archived case again under its own id with the step that reopens it, in one call
    (update with start): a refused step leaves the new run nothing to do, and it ends at once."""
    operation = WithStartWorkflowOperation(
        CaseWorkflow.run,
        input,
        id=workflow_id(row.case_id),
        task_queue=services.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    try:
        async with bounded(services, ADMITTED):
            result: ActionResult = await services.temporal.execute_update_with_start_workflow(
                step.name,
                request,
                id=update_id,
                result_type=ActionResult,
                start_workflow_operation=operation,
                rpc_timeout=UPDATE_TIMEOUT,
            )
    except WorkflowUpdateFailedError as exc:
        raise refused(step.name, exc) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise unavailable(services, "the case did not answer in time", ADMITTED) from None
    except RPCError as exc:
        raise unavailable(services, exc.message, ADMITTED) from None
    finally:
        await _settle(operation)
    log.info("archived case reopened", case_id=row.case_id, action=step.name)
    return result


FIXES = {
    Reason.WRONG_STAGE.value: "wait until the case reaches the stage the action belongs to",
    Reason.NOT_YOUR_MOVE.value: "this move belongs to another agency; see 'moves' in GET /cases/{id}",
    Reason.PACKAGE_INCOMPLETE.value: "record the missing items with POST /cases/{id}/evidence",
    Reason.CLASSIFICATION_REQUIRED.value: "confirm the classification with the 'classify' action",
    Reason.AWAITING_SUPPLEMENTS.value: "wait for the supplementary material",
    Reason.NOT_DELIVERED.value: "wait for the police system's delivery receipt",
    Reason.WINDOW_CLOSED.value: "the period for this step has passed",
    Reason.INVALID_PAYLOAD.value: "correct the body as the reason says",
    Reason.CASE_CLOSED.value: "nothing more can be done to an archived case",
    Reason.LIMIT_REACHED.value: "the case holds the most it may; bundle material into fewer items",
}
STATUS = {
    Reason.ROLE_NOT_PERMITTED.value: 403,
    Reason.UNKNOWN_AGENCY.value: 403,
    Reason.INVALID_PAYLOAD.value: 422,
    Reason.UNKNOWN_ACTION.value: 404,
}


def refusal_error(reason: str, message: str) -> ApiError:
    """A rule's refusal decided outside a case (a clue): the same statuses and fixes as a step's."""
    return ApiError(
        STATUS.get(reason, 409),
        reason,
        message,
        FIXES.get(reason, "see the reason"),
    )


async def send_clue(services: Services, delivery: ClueDelivery) -> None:
    """Start the clue's own workflow (its id is the clue's: a repeat starts nothing new)."""
    try:
        async with bounded(services):
            await services.temporal.start_workflow(
                ClueWorkflow.run,
                delivery,
                id=delivery.clue_id,
                task_queue=services.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
    except WorkflowAlreadyStartedError:
        return
    except RPCError as exc:
        raise unavailable(services, str(exc)) from exc


def refused(action: str, exc: WorkflowUpdateFailedError) -> ApiError:
    """The case's refusal as the API's error: 403 for a role that may never, 422 for a body that
    does not fit, 409 with the rule's reason code for everything the case refuses now."""
    cause = exc.cause
    details: dict[str, Any] = {}
    if isinstance(cause, ApplicationError) and cause.type == ACTION_REFUSED and cause.details:
        first = cause.details[0]
        details = first if isinstance(first, dict) else {}
    reason = str(details.get("reason") or "refused")
    message = str(
        details.get("message") or (cause.message if isinstance(cause, ApplicationError) else exc)
    )
    ACTIONS.labels(action, reason).inc()
    return ApiError(
        STATUS.get(reason, 409), reason, message,
        FIXES.get(reason, "see the reason; the case's allowed actions are at GET /cases/{id}"),
        missing=details.get("missing") or [],
    )  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Reading a live case, and a case whose workflow ended


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
    handle = _handle(services, case_id)
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
            view: CaseView = await _handle(services, case_id).query(
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
            status = (await _handle(services, row.case_id).describe()).status
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


# Lists ask the engine about a case that may have ended at most once a minute per process: the
# visibility query cost every page 30 ms on the embedded server, for the rare case an operator ended.
# A case's own page asks every time (its query fails at once when the workflow is gone).
ASK_AGAIN_AFTER = 60.0
_ASKED: OrderedDict[str, float] = OrderedDict()
_ASKED_KEPT = 100_000


def _asked_lately(case_id: str, now: float) -> bool:
    asked = _ASKED.get(case_id)
    if asked is not None and now - asked < ASK_AGAIN_AFTER:
        return True
    _ASKED[case_id] = now
    _ASKED.move_to_end(case_id)
    while len(_ASKED) > _ASKED_KEPT:
        _ASKED.popitem(last=False)
    return False


async def notice_ended_among(services: Services, rows: list[CaseRow]) -> None:
    """Cases on a page whose workflow ended without archiving are marked (and told) as the case page
    would: one visibility query for the page, then each one found asked in full (a start that failed
    and was made again leaves a failed run under the same id)."""
    now = time.monotonic()
    candidates = {
        workflow_id(r.case_id): r
        for r in rows
        if r.closed_at is None and r.workflow_status is None and not _asked_lately(r.case_id, now)
    }
    if not candidates:
        return
    ids = ", ".join(f"'{i}'" for i in candidates)  # case ids hold no quotes (cases.ids)
    query = (
        f"WorkflowType = 'CaseWorkflow' AND WorkflowId IN ({ids}) AND ExecutionStatus IN {ENDED}"
    )
    try:
        async with bounded(services):
            found = [execution.id async for execution in services.temporal.list_workflows(query)]
        for wid in dict.fromkeys(found):
            await ended_status(services, candidates[wid])
    except (RPCError, ApiError) as exc:  # the page is still the read model's
        log.warning("could not ask the engine which cases ended", error=str(exc))


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
        text = (
            f"case {row.case_id} ended ({ended}) in stage '{row.stage}' without being archived; "
            "its clocks no longer run"
        )
        batch = NotificationBatch(
            row.case_id,
            step_key(row.case_id, "ended"),
            [Notice(NoticeKind.CASE_ENDED, offices or [row.owner_agency], text)],
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


async def outside_calls(services: Services, case_id: str) -> list[OutsideCallPublic]:
    """The case's calls to agency systems that the engine is still retrying (none when it cannot be
    asked: the page is not held up for them)."""
    try:
        async with asyncio.timeout(services.settings.outage_bound):
            described = await _handle(services, case_id).describe(rpc_timeout=QUERY_TIMEOUT)
            pending = list(described.raw_description.pending_activities)
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
    except (RPCError, TimeoutError, ValueError) as exc:
        log.warning("could not ask the engine for the case's calls", error=str(exc))
        return []
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
