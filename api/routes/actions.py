"""Every human or agency step: ``POST /cases/{id}/actions/<action>``, one route per step.

The routes are generated from the steps (``cases.steps``): each publishes its step's own body type in
OpenAPI, with its limits and an example, so a body can never be paired with the wrong action. The
case decides whether the step may be taken; a name that is no step answers 404 with the list.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body, Header
from fastapi.openapi.models import Example
from pydantic_core import to_json

from api import engine
from api.deps import CurrentPrincipal, Services, ServicesDep, VisibleCase
from api.errors import RESPONSES, UNAVAILABLE, ApiError, invalid_payload
from api.schemas import ActionOutcome
from cases.context import Reason
from cases.ids import IDEMPOTENCY_KEY_RE, action_update_id
from cases.model import Actor
from cases.payloads import PayloadError
from cases.steps import STEPS, Step
from cases.vocabulary import Role, Stage
from store.principals import Principal
from store.tables import CaseRow

router = APIRouter(prefix="/cases", tags=["actions"], responses=RESPONSES)
log = structlog.get_logger(__name__)


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.agency, Role(principal.role), principal.name)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_RE.pattern,
        description=(
            "Your own id for this request (up to 200 visible ASCII characters, e.g. a UUID). A "
            "repeat with the same key and body is applied once and answered as the first time, "
            "even after a 503; the same key with another body is a 409 `idempotency_conflict`."
        ),
    ),
]


async def send_step(
    services: Services,
    principal: Principal,
    row: CaseRow,
    step: Step[Any],
    payload: object,
    key: str | None = None,
) -> ActionOutcome:
    """The one way a step reaches a case: the action routes, the evidence route and the dashboard."""
    update_id = None
    if key is not None:
        update_id = action_update_id(principal.id, key, step.name, to_json(payload))
    result = await engine.take_step(services, row, actor_of(principal), step, payload, update_id)
    return ActionOutcome(
        case_id=row.case_id,
        action=step.name,
        seq=result.seq,
        stage=result.stage.value,
        at=result.at or datetime.now(UTC),
        refs=result.refs,
    )


def _describe(step: Step[Any]) -> str:
    who = "; ".join(
        f"{party.value}: {', '.join(sorted(r.value for r in roles))}"
        for party, roles in step.movers.items()
    )
    stages = ", ".join(s.value for s in Stage if s in step.stages)
    branch = f"\n\nOnly in mechanisms with the `{step.branch}` path." if step.branch else ""
    return (
        f"{step.label_zh}. {step.doc}\n\n**Source:** {step.source}\n\n"
        f"**Who:** {who}\n\n**Stages:** {stages}{branch}"
    )


def _route(step: Step[Any]) -> None:
    """Add the route of one step, its body typed as the step's payload."""

    async def take(**arguments: Any) -> ActionOutcome:
        body = arguments["body"]
        payload = step.payload() if body is None else body
        return await send_step(
            arguments["services"],
            arguments["principal"],
            arguments["row"],
            step,
            payload,
            arguments["idempotency_key"],
        )

    required = bool(step.required)
    examples = {"example": Example(summary=step.label_en, value=dict(step.example))}
    body_type: Any = step.payload if required else step.payload | None
    parameters = [
        inspect.Parameter("row", inspect.Parameter.KEYWORD_ONLY, annotation=VisibleCase),
        inspect.Parameter("principal", inspect.Parameter.KEYWORD_ONLY, annotation=CurrentPrincipal),
        inspect.Parameter("services", inspect.Parameter.KEYWORD_ONLY, annotation=ServicesDep),
        inspect.Parameter(
            "idempotency_key",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=IdempotencyKey,
            default=None,
        ),
        inspect.Parameter(
            "body",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[body_type, Body(openapi_examples=examples)],
            default=inspect.Parameter.empty if required else None,
        ),
    ]
    take.__signature__ = inspect.Signature(parameters, return_annotation=ActionOutcome)  # type: ignore[attr-defined]
    take.__name__ = f"act_{step.name}"
    router.add_api_route(
        f"/{{case_id}}/actions/{step.name}",
        take,
        methods=["POST"],
        operation_id=f"act_{step.name}",
        summary=step.label_en,
        description=_describe(step),
        response_model=ActionOutcome,
        responses=UNAVAILABLE,
    )


for _step in STEPS.values():
    _route(_step)


@router.post("/{case_id}/actions/{action}", include_in_schema=False)
async def unknown_action(case_id: str, action: str, principal: CurrentPrincipal) -> None:
    """A name that is no step: 404 with the list of steps (after the key is checked)."""
    known = ", ".join(STEPS)
    raise ApiError(
        404,
        Reason.UNKNOWN_ACTION.value,
        f"unknown action '{action[:60]}' (one of: {known})",
        "use an action /docs lists",
        actions=list(STEPS),
    )


def read_body(step: Step[Any], data: object) -> Any:
    """A body from a form (the dashboard) read as the step's type; 422 naming each problem."""
    try:
        return step.read(data)
    except PayloadError as exc:
        raise invalid_payload(exc, "correct the fields named") from None
