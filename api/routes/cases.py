"""Intake and reads: ``POST /cases``, ``GET /cases``, ``GET /cases/{id}``, ``GET /cases/{id}/timeline``."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowHandle, WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.access import OPENERS, scope_for
from api.deps import CurrentPrincipal, Services, ServicesDep
from api.errors import RESPONSES, ApiError, not_found
from api.metrics import CASES_OPENED
from api.schemas import (
    CASE_ID,
    ActorPublic,
    CaseCreate,
    CaseDetail,
    CasePage,
    CaseSummary,
    TimelineEntryPublic,
)
from api.views import (
    actor_of,
    detail_from_rows,
    detail_from_view,
    summary_from_row,
    summary_from_state,
)
from cases.allowed import Context, facts_problems
from cases.calendar import default_calendar, snapshot
from cases.lifecycle import CaseIntake, intake_problems, open_case
from cases.model import Role, Stage
from cases.profiles import Profile, UnknownMechanism, get_profile, profile_data
from store.principals import Principal
from store.queries import CaseFilter, can_see, list_cases
from store.records import case_row, clocks, timeline
from store.tables import CaseRow
from workflows.case import CaseInput, CaseView, CaseWorkflow

router = APIRouter(prefix="/cases", tags=["cases"], responses=RESPONSES)
log = structlog.get_logger(__name__)
QUERY_TIMEOUT = timedelta(seconds=10)
FIRST_RECORD_WAIT = 10.0  # seconds; a worker that is down makes intake slow, not lost
CASE_ID_PATTERN = re.compile(CASE_ID)


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    "",
    operation_id="open_case",
    status_code=201,
    response_model=CaseSummary,
    responses={200: {"model": CaseSummary, "description": "the case already exists (a repeat)"}},
)
async def open_case_route(
    body: CaseCreate, principal: CurrentPrincipal, services: ServicesDep, response: Response
) -> CaseSummary:
    """Open a case. Idempotent on the intake system's own id: a repeat returns the existing case."""
    if Role(principal.role) not in OPENERS:
        raise ApiError(
            403, "role_not_permitted", f"the role '{principal.role}' may not open cases",
            "open cases with an intake or officer key",
        )  # fmt: skip
    if body.discovering_agency != principal.agency:
        raise ApiError(
            403, "not_your_agency",
            f"your key belongs to '{principal.agency}', the case names '{body.discovering_agency}'",
            "open cases in your own agency's name",
        )  # fmt: skip
    try:
        profile = get_profile(body.mechanism)
    except UnknownMechanism:
        raise ApiError(
            422, "unknown_mechanism", f"no mechanism '{body.mechanism}'",
            "use one of: env-police, urban-police, animal-health-police, township-county, "
            "national-2017, demo-fast",
        ) from None  # fmt: skip
    case_id = f"{body.discovering_agency}-{body.intake_ref}"
    intake = CaseIntake(
        case_id=case_id,
        intake_ref=body.intake_ref,
        mechanism=body.mechanism,
        discovering_agency=body.discovering_agency,
        source=body.source,
        subject=body.subject,
        discovered_at=body.discovered_at,
        facts=body.facts,
        police_agency=body.police_agency,
        outside_jurisdiction=body.outside_jurisdiction,
    )
    problems = intake_problems(intake, profile, services.registry) + facts_problems(body.facts)
    if problems:
        raise ApiError(
            422, "invalid_intake", "; ".join(problems), "correct the facts or agencies named",
            problems=problems,
        )  # fmt: skip
    now = _now()
    try:
        await services.temporal.start_workflow(
            CaseWorkflow.run,
            CaseInput(
                intake,
                profile_data(profile.name),
                snapshot(default_calendar(), [now.year, now.year + 1]),
            ),
            id=f"case-{case_id}",
            task_queue=services.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        response.status_code = 200
        existing = await run_in_threadpool(case_row, services.engine, case_id)
        if existing is not None:
            return summary_from_row(existing, now)
        log.info("repeat intake before the first record", case_id=case_id)
    else:
        CASES_OPENED.labels(mechanism=profile.name).inc()
        log.info("case opened", case_id=case_id, mechanism=profile.name)
        # Read your writes: the caller may act on the case at once, and the API finds cases in
        # the read model, which the workflow's first step writes a moment from now.
        row = await _first_record(services, case_id)
        if row is not None:
            return summary_from_row(row, now)
    state = open_case(intake, profile, services.registry, now)
    return summary_from_state(state, now, now)


async def _first_record(services: Services, case_id: str) -> CaseRow | None:
    deadline = asyncio.get_running_loop().time() + FIRST_RECORD_WAIT
    while asyncio.get_running_loop().time() < deadline:
        row = await run_in_threadpool(case_row, services.engine, case_id)
        if row is not None:
            return row
        await asyncio.sleep(0.05)
    log.warning("the read model has not caught up with a new case", case_id=case_id)
    return None


@router.get("", operation_id="list_cases", response_model=CasePage)
async def list_cases_route(
    principal: CurrentPrincipal,
    services: ServicesDep,
    stage: Stage | None = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    overdue: bool | None = None,
    escalated: bool | None = None,
    key_case: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="text in the subject or ids")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    """The cases you may see, newest first, filtered; ``total`` counts them all."""
    now = _now()
    filters = CaseFilter(
        stage=stage.value if stage else None,
        agency=agency,
        overdue=overdue,
        escalated=escalated,
        key_case=key_case,
        text=q,
    )
    scope = scope_for(principal, services.registry)
    rows, total = await run_in_threadpool(
        list_cases, services.engine, scope, filters, now, limit, offset
    )
    return CasePage(
        items=[summary_from_row(r, now) for r in rows], total=total, limit=limit, offset=offset
    )


async def visible_case(case_id: str, principal: Principal, services: Services) -> CaseRow:
    """The case's row if the caller may see it; otherwise 404, whether or not it exists."""
    if not CASE_ID_PATTERN.match(case_id):
        raise not_found(case_id)
    row = await run_in_threadpool(
        can_see, services.engine, scope_for(principal, services.registry), case_id
    )
    if row is None:
        raise not_found(case_id)
    structlog.contextvars.bind_contextvars(case_id=case_id)
    return row


@router.get("/{case_id}", operation_id="get_case", response_model=CaseDetail)
async def get_case(case_id: str, principal: CurrentPrincipal, services: ServicesDep) -> CaseDetail:
    """The case as it stands: state, open clocks, and the actions you may take now."""
    return await case_detail(services, principal, case_id)


async def case_detail(services: Services, principal: Principal, case_id: str) -> CaseDetail:
    """The live case for this caller (the API and the dashboard both show this)."""
    row = await visible_case(case_id, principal, services)
    now = _now()
    handle: WorkflowHandle[CaseWorkflow, object] = services.temporal.get_workflow_handle_for(
        CaseWorkflow.run, f"case-{case_id}"
    )
    try:
        profile: Profile | None = get_profile(row.mechanism)
    except UnknownMechanism:
        profile = None
    try:
        view: CaseView = await handle.query(CaseWorkflow.view, rpc_timeout=QUERY_TIMEOUT)
    except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError) as exc:
        # The worker or the server is away: say so, and show what the read model knows.
        log.warning(
            "case query failed; answering from the read model", case_id=case_id, error=str(exc)
        )
        rows = await run_in_threadpool(clocks, services.engine, case_id)
        return detail_from_rows(row, rows, profile, now)
    actor = actor_of(principal.agency, principal.role, principal.name)
    return detail_from_view(
        view, actor, Context(profile or get_profile("env-police"), services.registry, now)
    )


@router.get(
    "/{case_id}/timeline", operation_id="get_timeline", response_model=list[TimelineEntryPublic]
)
async def get_timeline(
    case_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> list[TimelineEntryPublic]:
    """Every event of the case in order: who did what, when, and what it changed."""
    await visible_case(case_id, principal, services)
    rows = await run_in_threadpool(timeline, services.engine, case_id)
    return [
        TimelineEntryPublic(
            seq=r.seq,
            at=r.at,
            action=r.action,
            actor=ActorPublic(
                agency=r.actor_agency, role=r.actor_role or "", person=r.actor_person or ""
            )
            if r.actor_agency
            else None,
            stage_from=r.stage_from,
            stage_to=r.stage_to,
            details=r.details,
        )
        for r in rows
    ]
