"""The API's calls to the case workflows: open a case, take a step, and send a clue.

Every call goes to the case's own workflow, which decides; this module only turns the engine's
answers and failures into the API's error shape. No rule is decided here.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import reads
from api.deps import Services
from api.errors import FIXES, ApiError
from api.metrics import ACTIONS, CASES_OPENED
from api.reads import closed_case
from api.temporal import (
    UPDATE_TIMEOUT,
    AlreadyClosed,
    bounded,
    case_handle,
    is_closed,
    unavailable,
)
from cases.calendar import calendar_for
from cases.change import ActionResult
from cases.context import Reason
from cases.effects import ClueDelivery, case_record
from cases.ids import workflow_id
from cases.intake import CaseIntake, IntakeError
from cases.model import Actor
from cases.profiles import shipped
from cases.steps import Step
from cases.system import opening
from store.records import INTAKE, archived_case, record_case_events
from store.tables import CaseRow
from store.views import mark_stale
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

log = structlog.get_logger(__name__)


ADMITTED = (
    "an action the case service admitted may still be applied when it returns: repeat the request "
    "with the same Idempotency-Key to have it applied exactly once, or look at the timeline first"
)


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


async def open_case(services: Services, intake: CaseIntake, now: datetime) -> Opening:
    """Start the case, write its opening to the read model, and answer: the caller may act on the
    case at once, and does not wait for the worker's first task. The opening is the case's own
    (``cases.system.opening``, made from the very input the case starts with, at the instant it
    carries), so the case's first write repeats this one.

    A case id already started is a repeat, asked of its workflow (``repeat_intake``). Raises
    ``AlreadyClosed`` when that workflow is closed: a case id is never started again, and the caller
    answers from the read model. (Only a start that failed may be made again.)
    """
    rules = shipped(intake.mechanism)
    calendar = calendar_for(now)
    case_input = CaseInput(
        intake,
        rules.data,
        calendar,
        services.contexts.registry_snapshot,
        opened_at=now,
        keys=services.contexts.keys(rules.key, calendar),
    )
    try:
        state, transition = opening(
            intake, rules.profile, services.registry, services.contexts.calendar(calendar), now
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
    record = case_record(
        state, transition.entries, services.registry, now, intake=intake, profile=rules.profile
    )
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
            opening: Opening = await case_handle(services, intake.case_id).execute_update(
                "open", intake, result_type=Opening, rpc_timeout=UPDATE_TIMEOUT
            )
    except WorkflowUpdateFailedError as exc:
        raise _intake_refused(exc) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise unavailable(services, "the case did not answer in time") from None
    except RPCError as exc:
        if is_closed(exc):
            raise AlreadyClosed(intake.case_id) from None
        raise unavailable(services, exc.message) from None
    return opening


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
    handle = case_handle(services, row.case_id)
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
        await _unsure(services, row.case_id)
        raise unavailable(services, "the case did not answer in time", ADMITTED) from None
    except ApiError:
        ACTIONS.labels(step.name, "timeout").inc()
        await _unsure(services, row.case_id)
        raise
    except RPCError as exc:
        if not is_closed(exc):
            await _unsure(services, row.case_id)
            raise unavailable(services, exc.message, ADMITTED) from None
        reopening = await _reopening(services, row) if step.reopens else None
        if reopening is None:
            ACTIONS.labels(step.name, "closed").inc()
            raise await closed_case(services, row) from None
        result = await _reopen(services, row, reopening, step, request, update_id)
    if not result.recorded:
        await _unsure(services, row.case_id)
    ACTIONS.labels(step.name, "done").inc()
    log.info("action taken", case_id=row.case_id, action=step.name, seq=result.seq)
    return result


async def _unsure(services: Services, case_id: str) -> None:
    """The case may have changed without writing it (its write failed, or the step's outcome is
    unknown): its page asks the case until its next write (``cases.stored``)."""
    try:
        await run_in_threadpool(mark_stale, services.engine, case_id)
    except SQLAlchemyError as exc:  # the read model failed: this process remembers it instead
        reads.unsure(case_id)
        log.warning("could not mark the case's stored state", case_id=case_id, error=str(exc)[:200])


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
        services.contexts.registry_snapshot,
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
        await _unsure(services, row.case_id)
        raise unavailable(services, "the case did not answer in time", ADMITTED) from None
    except RPCError as exc:
        await _unsure(services, row.case_id)
        raise unavailable(services, exc.message, ADMITTED) from None
    except ApiError:
        await _unsure(services, row.case_id)
        raise
    finally:
        await _settle(operation)
    log.info("archived case reopened", case_id=row.case_id, action=step.name)
    return result


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
