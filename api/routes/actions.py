"""Every human or agency step: ``POST /cases/{id}/actions/{action}`` sends the workflow update."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body
from pydantic import TypeAdapter, ValidationError
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import CurrentPrincipal, Services, ServicesDep
from api.errors import RESPONSES, ApiError
from api.metrics import ACTIONS as ACTION_COUNTER
from api.routes.cases import visible_case
from api.schemas import ActionOutcome
from api.views import actor_of
from cases.actions import ACTIONS, Action, ActionPayload, ActionRequest
from cases.allowed import Reason, resolve, role_refusal
from cases.model import Actor, Role
from cases.transitions import ActionResult
from store.principals import Principal

router = APIRouter(prefix="/cases", tags=["actions"], responses=RESPONSES)
log = structlog.get_logger(__name__)
PAYLOAD = TypeAdapter(ActionPayload)
FIELDS = {f.name for f in fields(ActionPayload)}
UPDATE_TIMEOUT = timedelta(seconds=30)

EXAMPLES: dict[str, dict[str, Any]] = {
    "accept": {"summary": "police accept", "value": {"reference": "受案登记 2026-118"}},
    "classify": {
        "summary": "confirm a classification",
        "value": {"classification": "crime", "reasons": "暗管排放"},
    },
    "request_supplements": {"summary": "ask for supplements", "value": {"items": ["原始采样记录"]}},
    "decline_filing": {"summary": "decline to file", "value": {"reasons": "证据不足"}},
    "record_test_result": {
        "summary": "a monitoring station answers",
        "value": {
            "request_id": "test-1",
            "conclusion": "总铬超标",
            "measurements": [{"pollutant": "总铬", "measured": 6.2, "standard": 1.5}],
        },
    },
    "feed_back": {"summary": "police feed the result back", "value": {"outcome": "prosecution"}},
}


def parse_payload(body: dict[str, Any]) -> ActionPayload:
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ApiError(
            422, "invalid_input", f"unknown fields: {', '.join(unknown)}",
            f"send only these fields: {', '.join(sorted(FIELDS))}", unknown=unknown,
        )  # fmt: skip
    try:
        return PAYLOAD.validate_python(body)
    except ValidationError as exc:
        problems = [
            {"at": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        raise ApiError(
            422, "invalid_input", "; ".join(f"{p['at']}: {p['problem']}" for p in problems),
            "correct the fields named", problems=problems,
        ) from None  # fmt: skip


async def send_action(
    services: Services, principal: Principal, case_id: str, action: Action, payload: ActionPayload
) -> ActionOutcome:
    """The one way an action reaches a case, from the action endpoint and the evidence endpoint."""
    forbidden = role_refusal(action, Role(principal.role))
    if forbidden is not None:
        ACTION_COUNTER.labels(action.value, "forbidden").inc()
        raise ApiError(
            403, Reason.ROLE_NOT_PERMITTED.value, forbidden.message,
            "use a key whose role takes this action",
        )  # fmt: skip
    actor: Actor = actor_of(principal.agency, principal.role, principal.name)
    handle = services.temporal.get_workflow_handle(f"case-{case_id}")
    try:
        result: ActionResult = await handle.execute_update(
            action.value,
            ActionRequest(actor, payload),
            result_type=ActionResult,
            rpc_timeout=UPDATE_TIMEOUT,
        )
    except WorkflowUpdateFailedError as exc:
        raise refused(action, exc) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        ACTION_COUNTER.labels(action.value, "timeout").inc()
        raise ApiError(
            503, "case_service_unavailable", "the case did not answer in time",
            "try again shortly; the action may or may not have been taken, check the timeline",
        ) from None  # fmt: skip
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND or "already completed" in str(exc).lower():
            ACTION_COUNTER.labels(action.value, "refused").inc()
            raise ApiError(
                409,
                Reason.CASE_CLOSED.value,
                "the case is archived",
                "nothing more can be done to it",
            ) from None
        raise ApiError(
            503, "case_service_unavailable", f"the case service is unavailable: {exc.message}",
            "try again shortly",
        ) from None  # fmt: skip
    ACTION_COUNTER.labels(action.value, "done").inc()
    log.info("action taken", case_id=case_id, action=action.value, seq=result.seq)
    return ActionOutcome(
        case_id=case_id,
        action=action.value,
        seq=result.seq,
        stage=result.stage.value,
        at=result.at or datetime.now(UTC),
        refs=result.refs,
    )


def refused(action: Action, exc: WorkflowUpdateFailedError) -> ApiError:
    cause = exc.cause
    details: dict[str, Any] = {}
    if isinstance(cause, ApplicationError) and cause.details:
        first = cause.details[0]
        details = first if isinstance(first, dict) else {}
    reason = str(details.get("reason") or "refused")
    message = str(
        details.get("message") or (cause.message if isinstance(cause, ApplicationError) else exc)
    )
    ACTION_COUNTER.labels(action.value, reason).inc()
    status = {
        Reason.ROLE_NOT_PERMITTED.value: 403,
        Reason.INVALID_PAYLOAD.value: 422,
        Reason.UNKNOWN_ACTION.value: 404,
    }.get(reason, 409)
    return ApiError(
        status, reason, message, FIXES.get(reason, "see the reason; the case's allowed actions are at GET /cases/{id}"),
        missing=details.get("missing") or [],
    )  # fmt: skip


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
}


@router.post(
    "/{case_id}/actions/{action}",
    operation_id="take_action",
    response_model=ActionOutcome,
    description="Every human or agency step. The body depends on the action; "
    + "; ".join(
        f"**{a.value}** needs {', '.join(s.required) or 'nothing'}" for a, s in ACTIONS.items()
    ),
)
async def take_action(
    case_id: str,
    action: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    body: Annotated[dict[str, Any] | None, Body(openapi_examples=EXAMPLES)] = None,
) -> ActionOutcome:
    resolved = resolve(action)
    if not isinstance(resolved, Action):
        raise ApiError(
            404, Reason.UNKNOWN_ACTION.value, resolved.message, "use an action /docs lists"
        )
    await visible_case(case_id, principal, services)
    payload = parse_payload(body or {})
    return await send_action(services, principal, case_id, resolved, payload)
