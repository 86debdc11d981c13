"""Public reports before they become cases (``cases.reports``): ``POST /reports`` from a hotline system
or a counter, ``GET /reports``, ``GET /reports/{id}``, one ``POST /reports/{id}/actions/<step>`` route
per step, and the reporter's identity behind its own route, written to the audit trail on every look.

The reporter's identity is sealed here, before anything starts (``store.sealed``): the workflow, its
history, the read model and the logs hold only the sealed text. The same visibility rule as cases
(``api.access.scope_for``): an agency sees the reports it held, coordinators and leaders their region,
procurators all; anything else is a 404, whether or not the report exists.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Body, Depends, Path, Query, Response
from fastapi.openapi.models import Example
from pydantic_core import to_json, to_jsonable_python
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import engine
from api.access import scope_for
from api.deps import CurrentPrincipal, Services, ServicesDep
from api.errors import RESPONSES, UNAVAILABLE, ApiError
from api.routes.actions import IdempotencyKey, actor_of
from api.schemas import Public
from api.temporal import QUERY_TIMEOUT, UPDATE_TIMEOUT, bounded, is_closed, unavailable
from cases.calendar import calendar_for
from cases.ids import action_update_id, is_case_id
from cases.profiles import default_profiles, shipped
from cases.report_steps import STEPS, ReportStep
from cases.reports import (
    Reporter,
    ReportFacts,
    ReportIntake,
    ReportState,
    audit_refusal,
    identity_refusal,
    intake_refusal,
    open_report,
    workflow_id,
)
from cases.vocabulary import Role
from store.principals import Principal
from store.reports import (
    ReportFilter,
    list_reports,
    record_report,
    record_view,
    report_events,
    report_seen,
    row_values,
    views_of,
)
from store.sealed import Identity, SealError
from store.tables import ReporterViewRow, ReportRow
from workflows.report import ReportAction, ReportAnswer, ReportInput, ReportWorkflow

router = APIRouter(prefix="/reports", tags=["reports"], responses=RESPONSES)
log = structlog.get_logger(__name__)

EXAMPLE: dict[str, Any] = {
    "intake_ref": "12369-20261127-0042",
    "channel": "12369",
    "received_at": "2026-11-27T10:05:00+08:00",
    "place": "西河村北侧排水渠",
    "seen": "夜间有槽罐车向排水渠倾倒黑色液体,气味刺鼻",
    "urgent": False,
    "ongoing": True,
    "anonymous": False,
    "reporter": {"name": "张某", "phone": "13800000000"},
}


@dataclass(kw_only=True)
class ReportBody(ReportFacts):
    """A report as a hotline system or a counter takes it. ``reporter`` is sealed at once."""

    reporter: Reporter | None = None


class ReportPublic(Public):
    report_id: str
    mechanism: str
    region: str
    channel: str
    received_at: datetime
    received_by: str
    holder: str
    about_agency: str | None
    urgent: bool
    ongoing: bool
    place: str
    seen: str
    stage: str
    outcome: str | None
    case_id: str | None
    due_at: datetime | None
    provisional: bool
    overdue: bool
    escalation_level: int
    reward: str
    reward_yuan: int
    replies_sent: int
    anonymous: bool
    reporter_given: bool  # who reported is behind GET /reports/{id}/reporter, for the roles allowed
    can_reply: bool


class ReportEventPublic(Public):
    seq: int
    at: datetime
    action: str
    agency: str
    role: str
    person: str
    text: str
    text_en: str


class ReportDetail(ReportPublic):
    events: list[ReportEventPublic]
    allowed: list[str]  # the steps the caller could take now


class ReportPage(Public):
    reports: list[ReportPublic]
    total: int


class ReportOutcome(Public):
    report_id: str
    action: str
    stage: str
    seq: int
    case_id: str | None


class ReporterPublic(Public):
    report_id: str
    name: str
    phone: str
    address: str
    logged_as: int  # the audit trail's entry for this look


class ReporterViewPublic(Public):
    at: datetime
    agency: str
    role: str
    person: str
    purpose: str


def public(row: ReportRow, now: datetime) -> ReportPublic:
    return ReportPublic(
        report_id=row.report_id,
        mechanism=row.mechanism,
        region=row.region,
        channel=row.channel,
        received_at=row.received_at,
        received_by=row.received_by,
        holder=row.owner_agency,
        about_agency=row.about_agency,
        urgent=row.urgent,
        ongoing=row.ongoing,
        place=row.place,
        seen=row.seen,
        stage=row.stage,
        outcome=row.outcome,
        case_id=row.case_id,
        due_at=row.due_at,
        provisional=row.provisional,
        overdue=row.stopped_at is None and row.due_at is not None and row.due_at < now,
        escalation_level=row.escalation_level,
        reward=row.reward,
        reward_yuan=row.reward_yuan,
        replies_sent=row.replies_sent,
        anonymous=row.anonymous,
        reporter_given=bool(row.reporter_sealed),
        can_reply=row.can_reply,
    )


def _not_found(report_id: str) -> ApiError:
    return ApiError(
        404, "report_not_found", f"no report '{report_id[:120]}' is visible to you",
        "check the report id",
    )  # fmt: skip


async def _visible(report_id: str, principal: Principal, services: Services) -> ReportRow:
    if not is_case_id(report_id):
        raise _not_found(report_id)
    scope = scope_for(principal, services.registry)
    row = await run_in_threadpool(report_seen, services.engine, scope, report_id)
    if row is None:
        raise _not_found(report_id)
    structlog.contextvars.bind_contextvars(report_id=report_id)
    return row


async def visible_report(
    report_id: Annotated[str, Path(max_length=110, description="The report id.")],
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> ReportRow:
    return await _visible(report_id, principal, services)


VisibleReport = Annotated[ReportRow, Depends(visible_report)]
FACTS = [f.name for f in fields(ReportFacts)]


@router.post(
    "",
    operation_id="take_report",
    status_code=201,
    response_model=ReportPublic,
    responses={
        200: {"model": ReportPublic, "description": "the report already exists (a repeat)"},
        **UNAVAILABLE,
    },
)
async def take_report(
    body: Annotated[ReportBody, Body(openapi_examples={"a report": {"value": EXAMPLE}})],
    principal: CurrentPrincipal,
    services: ServicesDep,
    response: Response,
) -> ReportPublic:
    """Take a public report (N2017 Art. 27; D3 §3.3; D7). The caller's agency received it and owns it
    until it hands it on (首问责任制, D6 §二(二)). Idempotent on the hotline system's own id
    (``intake_ref``): a repeat answers 200; a repeat with other facts is a 409 naming them. The
    reporter's identity is sealed before anything else happens."""
    now = datetime.now(UTC)
    refused = intake_refusal(
        body, body.reporter, agency=principal.agency, role=Role(principal.role),
        profiles=default_profiles(), registry=services.registry, now=now,
    )  # fmt: skip
    if refused is not None:
        status = 403 if refused.reason.value == "role_not_permitted" else 422
        raise ApiError(status, refused.reason.value, refused.message, "correct what is named")
    facts = {name: getattr(body, name) for name in FACTS}
    report_id = ReportIntake(**facts, received_by=principal.agency).report_id
    scope = scope_for(principal, services.registry)
    kept = await run_in_threadpool(report_seen, services.engine, scope, report_id)
    if kept is not None:
        return _repeat(kept, body, now, response)
    who = body.reporter or Reporter()
    identity = Identity(who.name, who.phone, who.address)
    intake = ReportIntake(
        **facts,
        received_by=principal.agency,
        reporter_sealed=services.sealer.seal(identity, report_id),
        can_reply=identity.reachable,
    )
    rules = shipped(intake.mechanism)
    calendar = calendar_for(now)
    state = open_report(
        intake, rules.profile, services.registry, services.contexts.calendar(calendar), now
    )
    try:
        async with bounded(services):
            await services.temporal.start_workflow(
                ReportWorkflow.run,
                ReportInput(intake, rules.data, calendar, services.contexts.registry_snapshot,
                            opened_at=now),
                id=workflow_id(report_id),
                task_queue=services.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                rpc_timeout=UPDATE_TIMEOUT,
            )  # fmt: skip
    except WorkflowAlreadyStartedError:  # sent twice at once: the first one's record answers
        kept = await run_in_threadpool(report_seen, services.engine, scope, report_id)
        if kept is None:
            raise unavailable(services, "the report is being taken; ask again") from None
        return _repeat(kept, body, now, response)
    except RPCError as exc:
        raise unavailable(services, exc.message) from None
    try:
        await run_in_threadpool(record_report, services.engine, state, now)
    except SQLAlchemyError as exc:  # the report writes itself at its first step
        log.warning("report not written by the API", report_id=report_id, error=str(exc)[:200])
    log.info("report taken", report_id=report_id, channel=intake.channel.value)
    return public(_row_of(state, now), now)


def _row_of(state: ReportState, now: datetime) -> ReportRow:
    """The row the report is written as: the answer does not wait for the read model."""
    return ReportRow(**row_values(state, now))


def _repeat(row: ReportRow, body: ReportBody, now: datetime, response: Response) -> ReportPublic:
    stored = {
        "intake_ref": row.intake_ref, "mechanism": row.mechanism, "channel": row.channel,
        "received_at": row.received_at, "place": row.place, "seen": row.seen,
        "urgent": row.urgent, "ongoing": row.ongoing, "about_agency": row.about_agency,
        "anonymous": row.anonymous,
    }  # fmt: skip
    # Compared as values: an instant given at another offset is the same instant.
    differ = [k for k, v in stored.items() if getattr(body, k) != v]
    if differ:
        raise ApiError(
            409, "intake_conflict", f"report {row.report_id} was taken with other values of: "
            f"{', '.join(differ)}", "send the same body again, or a new intake_ref",
            fields=differ,
        )  # fmt: skip
    response.status_code = 200
    return public(row, now)


@router.get("", operation_id="list_reports", response_model=ReportPage)
async def list_reports_route(
    principal: CurrentPrincipal,
    services: ServicesDep,
    stage: Annotated[
        Literal["received", "transferred", "handled", "closed"] | None, Query()
    ] = None,
    overdue: bool | None = None,
    holder: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ReportPage:
    """The reports the caller may see, newest first: an agency's own (those it held), a
    coordinator's or leader's region, all for a procurator. Never who reported them."""
    now = datetime.now(UTC)
    scope = scope_for(principal, services.registry)
    rows, total = await run_in_threadpool(
        list_reports, services.engine, scope, ReportFilter(stage, overdue, holder), now, limit,
        offset,
    )  # fmt: skip
    return ReportPage(reports=[public(r, now) for r in rows], total=total)


@router.get("/{report_id}", operation_id="get_report", response_model=ReportDetail)
async def get_report(
    row: VisibleReport, principal: CurrentPrincipal, services: ServicesDep
) -> ReportDetail:
    now = datetime.now(UTC)
    events = await run_in_threadpool(report_events, services.engine, row.report_id)
    allowed: list[str] = []
    if row.stage != "closed":
        try:
            async with bounded(services):
                handle = services.temporal.get_workflow_handle(workflow_id(row.report_id))
                allowed = await handle.query(
                    "allowed", actor_of(principal), result_type=list[str],
                    rpc_timeout=QUERY_TIMEOUT,
                )  # fmt: skip
        except (RPCError, ApiError) as exc:  # the page stands without its moves
            log.info("report's moves not asked", error=str(exc)[:200])
    return ReportDetail(
        **public(row, now).model_dump(),
        events=[ReportEventPublic.model_validate(e, from_attributes=True) for e in events],
        allowed=allowed,
    )


@router.get(
    "/{report_id}/reporter",
    operation_id="get_reporter",
    response_model=ReporterPublic,
    summary="Who reported: for the roles the mechanism allows, each look written down",
)
async def get_reporter(
    row: VisibleReport,
    principal: CurrentPrincipal,
    services: ServicesDep,
    purpose: Annotated[str, Query(min_length=2, max_length=500, description="Why you look.")],
) -> ReporterPublic:
    """D3 §3.3 (为举报提供案源者作好保密工作). The look is written to the audit trail before the
    identity is shown; a look that cannot be written down is not given."""
    refused = identity_refusal(
        row.owner_agency, row.region, row.anonymous, list(row.identity_roles),
        agency=principal.agency, role=Role(principal.role), registry=services.registry,
        about=row.about_agency,
    )  # fmt: skip
    if refused is not None:
        raise ApiError(403, refused.reason.value, refused.message, "ask one who may see it")
    try:
        identity = services.sealer.open(row.reporter_sealed, row.report_id)
    except SealError:
        raise ApiError(
            503, "reporter_unreadable", "the reporter's identity does not open with this "
            "service's keys", "ask the operator to restore the key it was sealed with",
        ) from None  # fmt: skip
    view = ReporterViewRow(
        report_id=row.report_id, region=row.region, at=datetime.now(UTC), principal=principal.id,
        agency=principal.agency, role=principal.role, person=principal.name,
        purpose=purpose.strip(),
    )  # fmt: skip
    try:
        entry = await run_in_threadpool(record_view, services.engine, view)
    except SQLAlchemyError:
        raise unavailable(services, "the look could not be written down") from None
    log.info("reporter identity viewed", report_id=row.report_id)
    return ReporterPublic(
        report_id=row.report_id, name=identity.name, phone=identity.phone,
        address=identity.address, logged_as=entry,
    )  # fmt: skip


@router.get(
    "/{report_id}/reporter-views",
    operation_id="list_reporter_views",
    response_model=list[ReporterViewPublic],
    summary="The trail of looks at who reported",
)
async def list_reporter_views(
    row: VisibleReport, principal: CurrentPrincipal, services: ServicesDep
) -> list[ReporterViewPublic]:
    refused = audit_refusal(
        row.region, agency=principal.agency, role=Role(principal.role),
        registry=services.registry,
    )  # fmt: skip
    if refused is not None:
        raise ApiError(403, refused.reason.value, refused.message, "ask a leader or a procurator")
    views = await run_in_threadpool(views_of, services.engine, row.report_id)
    return [ReporterViewPublic.model_validate(v, from_attributes=True) for v in views]


# --------------------------------------------------------------------------------------------------
# Steps: one route per step, its body typed


async def take_step(
    services: Services, principal: Principal, row: ReportRow, step: ReportStep, body: Any,
    key: str | None,
) -> ReportOutcome:  # fmt: skip
    data = to_jsonable_python(body)
    update_id = None
    if key is not None:
        update_id = action_update_id(principal.id, key, step.name, to_json(data))
    handle = services.temporal.get_workflow_handle(workflow_id(row.report_id))
    try:
        async with bounded(services, engine.ADMITTED):
            answer: ReportAnswer = await handle.execute_update(
                "act", ReportAction(actor_of(principal), step.name, data), id=update_id,
                result_type=ReportAnswer, rpc_timeout=UPDATE_TIMEOUT,
            )  # fmt: skip
    except WorkflowUpdateFailedError as exc:
        raise engine.refused(step.name, exc) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise unavailable(services, "the report did not answer in time", engine.ADMITTED) from None
    except RPCError as exc:
        if is_closed(exc):
            raise ApiError(
                409, "report_closed", f"report {row.report_id} is closed",
                "nothing more can be done on it",
            ) from None  # fmt: skip
        raise unavailable(services, exc.message, engine.ADMITTED) from None
    now = datetime.now(UTC)
    try:
        await run_in_threadpool(record_report, services.engine, answer.report, now)
    except SQLAlchemyError as exc:  # the report writes itself after the step
        log.warning("report step not written by the API", error=str(exc)[:200])
    log.info("report step taken", report_id=row.report_id, action=step.name)
    return ReportOutcome(
        report_id=row.report_id, action=step.name, stage=answer.report.stage.value,
        seq=answer.report.seq, case_id=answer.case_id,
    )  # fmt: skip


def _route(step: ReportStep) -> None:
    async def take(**arguments: Any) -> ReportOutcome:
        return await take_step(
            arguments["services"], arguments["principal"], arguments["row"], step,
            arguments["body"], arguments["idempotency_key"],
        )  # fmt: skip

    parameters = [
        inspect.Parameter("row", inspect.Parameter.KEYWORD_ONLY, annotation=VisibleReport),
        inspect.Parameter("principal", inspect.Parameter.KEYWORD_ONLY, annotation=CurrentPrincipal),
        inspect.Parameter("services", inspect.Parameter.KEYWORD_ONLY, annotation=ServicesDep),
        inspect.Parameter(
            "idempotency_key", inspect.Parameter.KEYWORD_ONLY, annotation=IdempotencyKey,
            default=None,
        ),
        inspect.Parameter(
            "body", inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[step.payload, Body(openapi_examples={
                "example": Example(summary=step.name, value=step.example)})],
        ),
    ]  # fmt: skip
    take.__signature__ = inspect.Signature(parameters, return_annotation=ReportOutcome)  # type: ignore[attr-defined]
    take.__name__ = f"report_{step.name}"
    roles = ", ".join(sorted(r.value for r in step.roles))
    router.add_api_route(
        f"/{{report_id}}/actions/{step.name}",
        take,
        methods=["POST"],
        operation_id=f"report_{step.name}",
        summary=f"Report: {step.name.replace('_', ' ')}",
        description=f"{(step.payload.__doc__ or '').strip()}\n\n**Who:** {roles}\n\n"
        f"**Stages:** {', '.join(step.stages)}\n\n**Source:** {step.source}",
        response_model=ReportOutcome,
        responses=UNAVAILABLE,
    )


for _step in STEPS.values():
    _route(_step)


@router.post("/{report_id}/actions/{action}", include_in_schema=False)
async def unknown_report_action(report_id: str, action: str, principal: CurrentPrincipal) -> None:
    raise ApiError(
        404, "unknown_action", f"unknown report action '{action[:60]}' (one of: "
        f"{', '.join(STEPS)})", "use an action /docs lists", actions=list(STEPS),
    )  # fmt: skip
