"""D4 §5's two bulletins started by a person (``cases.event_bulletins``): a typical case named for its
time-limited bulletin, and a zero-delay emergency notice. Each starts its workflow
(``workflows.event_bulletins``) under an id made of the caller's own id for it (the
``Idempotency-Key`` header, the body's ``reference``, or for a typical case the case): a repeat
answers the bulletin already started (200) instead of a new one (201).

Who may start one is the rule's (``check_issuer``: the region's coordinators and leaders; for an
emergency also an officer of a member agency); the bulletins are then listed, seen and fetched
with the others (``GET /bulletins``, the same visibility).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.deps import CurrentPrincipal, Services, ServicesDep
from api.engine import refused
from api.errors import RESPONSES, UNAVAILABLE, ApiError
from api.routes.routines import ROUTINE_ID, _visible_bulletin
from api.schemas import Plain, Public
from api.temporal import bounded, unavailable
from cases.agencies import AgencyKind
from cases.calendar import default_calendar, snapshot
from cases.event_bulletin_effects import EventBulletinInput, IssueAnswer, IssueRequest
from cases.event_bulletins import (
    EventBulletinSpec,
    EventKind,
    bulletin_id,
    check_issuer,
    is_event_bulletin,
    recipients,
)
from cases.limits import Reasons
from cases.model import Actor
from cases.profiles import UnknownMechanism, get_profile
from cases.vocabulary import Role
from store import event_bulletins as store
from store import routines as routine_store
from store.principals import Principal

router = APIRouter(tags=["routines"], responses=RESPONSES)
OLDEST_EMERGENCY = timedelta(days=30)  # 零时差: an emergency is told when it happens, not later

# The mechanism whose source (D4 §5) sets these bulletins; another may list them in its file.
DEFAULT_MECHANISM = "animal-health-police"
Mechanism = Annotated[str, Field(max_length=40, pattern=r"^[a-z][a-z0-9-]{1,39}$")]
Reference = Annotated[str | None, Field(default=None, min_length=1, max_length=100)]
IdempotencyKey = Annotated[str | None, Header(max_length=100)]


class TypicalCaseBody(Plain):
    mechanism: Mechanism = DEFAULT_MECHANISM
    case_id: Annotated[str, Field(min_length=1, max_length=110)]
    reason: Reasons  # why it is typical (典型意义)
    reference: Reference = None  # the caller's own id for this bulletin


class EmergencyBody(Public):
    mechanism: Mechanism = DEFAULT_MECHANISM
    what: Reasons  # what happened
    place: Annotated[str, Field(min_length=1, max_length=200)]
    happened_at: datetime
    reference: Reference = None


class IssueBody(Plain):
    text: Reasons  # the coordinator's words


class EventStarted(Public):
    bulletin_id: str
    kind: str
    created: bool
    recipients: list[str]


class IssuedPublic(Public):
    bulletin_id: str
    issued_at: datetime
    late: bool


def _actor(principal: Principal) -> Actor:
    return Actor(principal.agency, Role(principal.role), principal.name)


def _allowed(
    kind: EventKind, mechanism: str, principal: Principal, services: Services
) -> tuple[EventBulletinSpec, str]:
    """The mechanism's values for ``kind`` and the caller's region, or the 4xx saying why not."""
    try:
        spec = get_profile(mechanism).event_bulletins.get(kind)
    except UnknownMechanism:
        spec = None
    if spec is None:
        raise ApiError(  # a rule of the mechanism, as a case's step it lacks is refused: 409
            409,
            "not_in_mechanism",
            f"mechanism '{mechanism}' has no {kind.value} bulletin",
            f"use a mechanism that lists [event_bulletins.{kind.value}], e.g. {DEFAULT_MECHANISM}",
        )
    agency = services.registry.find(principal.agency)
    region = agency.region if agency is not None else "-"
    refusal = check_issuer(kind, _actor(principal), services.registry, region, spec)
    if refusal is not None:
        raise ApiError(403, refusal.reason.value, refusal.message, "sign in with a key that may")
    return spec, region


def _input(
    kind: EventKind,
    spec: EventBulletinSpec,
    mechanism: str,
    region: str,
    principal: Principal,
    services: Services,
    given: str,
) -> EventBulletinInput:
    registry = services.registry
    offices = (AgencyKind.JOINT_OFFICE, AgencyKind.LEADERSHIP_GROUP)
    escalate = [c for c in (registry.code_in_region(k, region) for k in offices) if c]
    return EventBulletinInput(
        bulletin_id=bulletin_id(kind, mechanism, region, principal.agency, given),
        kind=kind,
        mechanism=mechanism,
        region=region,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        source=spec.source,
        source_zh=spec.source_zh,
        statutory=spec.statutory,
        to=recipients(spec, registry, region),
        escalate_to=escalate,
        started_by=_actor(principal),
        registry=registry.snapshot(),
        issuer_kinds=list(spec.to),
        within=spec.within,
        unit=spec.unit,
        remind_before=spec.remind_before,
    )


async def _start(
    workflow: str, input: EventBulletinInput, services: Services, response: Response
) -> EventStarted:
    created = True
    try:
        async with bounded(services):
            await services.temporal.start_workflow(
                workflow,
                input,
                id=input.bulletin_id,
                task_queue=services.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
    except WorkflowAlreadyStartedError:
        created = False
    except RPCError as exc:
        raise unavailable(services, exc.message) from None
    response.status_code = 201 if created else 200
    return EventStarted(
        bulletin_id=input.bulletin_id, kind=input.kind.value, created=created, recipients=input.to
    )


@router.post(
    "/event-bulletins/typical-case",
    operation_id="name_typical_case",
    response_model=EventStarted,
    status_code=201,
    summary="Name a case typical: its bulletin is due within the mechanism's time limit",
    responses=UNAVAILABLE,
)
async def name_typical_case(
    body: TypicalCaseBody,
    principal: CurrentPrincipal,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EventStarted:
    """D4 §5 (典型案件限时通报). The region's coordinators and leaders name a case of the region
    typical; from then the time limit runs: the joint office is reminded before it, and the joint
    office and the leadership group are told when it passes. `POST /bulletins/{id}/actions/issue`
    issues the bulletin (the case's summary and the issuer's words), in time or late."""
    kind = EventKind.TYPICAL_CASE
    spec, region = _allowed(kind, body.mechanism, principal, services)
    case = await run_in_threadpool(store.case_row, services.engine, body.case_id)
    if case is None or case.region != region or case.mechanism != body.mechanism:
        raise ApiError(
            404,
            "case_not_found",
            f"no case '{body.case_id}' of {body.mechanism} in your region",
            "name a case of your region and of the mechanism",
        )
    given = idempotency_key or body.reference or body.case_id
    input = _input(kind, spec, body.mechanism, region, principal, services, given)
    year = datetime.now(UTC).year
    input.calendar = await run_in_threadpool(
        lambda: snapshot(default_calendar(), [year - 1, year, year + 1])
    )
    input.case_id, input.reason = case.case_id, body.reason
    return await _start("TypicalCaseBulletinWorkflow", input, services, response)


@router.post(
    "/event-bulletins/emergency",
    operation_id="issue_emergency",
    response_model=EventStarted,
    status_code=201,
    summary="A zero-delay notice of a major emergency, delivered at once to every member agency",
    responses=UNAVAILABLE,
)
async def issue_emergency(
    body: EmergencyBody,
    principal: CurrentPrincipal,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EventStarted:
    """D4 §5 (重大紧急情报“零时差”通报). A coordinator, a leader or an officer of a member agency of
    the region tells what happened, where and when; it is delivered at once, on a day off too.
    An `Idempotency-Key` header (or the body's `reference`) makes a repeat deliver it once."""
    kind = EventKind.EMERGENCY
    given = idempotency_key or body.reference
    if not given:
        raise ApiError(
            422,
            "invalid_payload",
            "an emergency notice needs your own id for it",
            "send an Idempotency-Key header or a 'reference' in the body",
        )
    if body.happened_at.tzinfo is None:
        raise ApiError(
            422, "invalid_payload", "'happened_at' has no time zone", "add one, e.g. +08:00"
        )
    now = datetime.now(UTC)
    if not now - OLDEST_EMERGENCY <= body.happened_at <= now + timedelta(minutes=10):
        raise ApiError(
            422, "invalid_payload", "'happened_at' is not within the last 30 days",
            "an emergency is told as it happens: give when it happened, with its offset",
        )  # fmt: skip
    spec, region = _allowed(kind, body.mechanism, principal, services)
    input = _input(kind, spec, body.mechanism, region, principal, services, given)
    input.what, input.place, input.happened_at = body.what, body.place, body.happened_at
    return await _start("EmergencyBulletinWorkflow", input, services, response)


@router.post(
    "/bulletins/{bulletin_id}/actions/issue",
    operation_id="issue_typical_case",
    response_model=IssuedPublic,
    summary="Issue a typical case's bulletin with the issuer's words",
    responses=UNAVAILABLE,
)
async def issue_typical_case(
    bulletin_id: Annotated[str, Path(max_length=160, pattern=ROUTINE_ID)],
    body: IssueBody,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> IssuedPublic:
    """Refused as a case's step is: 403 for a key that may not, 409 once it is issued."""
    if not is_event_bulletin(bulletin_id) or f".{EventKind.TYPICAL_CASE.value}." not in bulletin_id:
        raise ApiError(
            404,
            "bulletin_not_found",
            f"no typical case bulletin '{bulletin_id}'",
            "see GET /bulletins",
        )
    await _visible_bulletin(bulletin_id, principal, services)  # hidden answers as missing
    handle = services.temporal.get_workflow_handle(bulletin_id)
    try:
        async with bounded(services):
            answer = await handle.execute_update(
                "issue", IssueRequest(_actor(principal), body.text), result_type=IssueAnswer
            )
    except WorkflowUpdateFailedError as exc:
        raise refused("issue", exc) from None
    except RPCError as exc:
        if exc.status.name == "NOT_FOUND":
            row = await run_in_threadpool(routine_store.bulletin, services.engine, bulletin_id)
            if row is not None and row.formats:  # its workflow ended: it was issued
                raise ApiError(
                    409, "already_done", "the bulletin is issued already", "see GET /bulletins"
                ) from None
            raise ApiError(
                404, "bulletin_not_found", "no such bulletin is waiting", "see GET /bulletins"
            ) from None
        raise unavailable(services, exc.message) from None
    return IssuedPublic(
        bulletin_id=answer.bulletin_id, issued_at=answer.issued_at, late=answer.late
    )
