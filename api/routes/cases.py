"""Intake and reads: ``POST /cases``, ``GET /cases``, ``GET /cases/my-moves``, ``GET /cases/{id}``,
``GET /cases/{id}/timeline``."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from starlette.concurrency import run_in_threadpool

from api import engine, reads, temporal
from api.access import scope_for
from api.deps import CurrentPrincipal, Services, ServicesDep, VisibleCase
from api.errors import RESPONSES, UNAVAILABLE, ApiError, ErrorBody
from api.schemas import CaseDetail, CaseLinkPublic, CasePage, CaseSummary, TimelineEntryPublic
from api.views import detail_from_rows, detail_from_view, summary, timeline_public
from cases.intake import EXAMPLE, CaseIntake, IntakeCode, admit, differences
from cases.profiles import default_profiles
from cases.view import Caller
from cases.vocabulary import Role, Stage
from store.links import links_of
from store.principals import Principal
from store.queries import After, CaseFilter, list_cases, waiting_for
from store.records import case_row, clocks, stored_intake, timeline
from store.tables import CaseRow

router = APIRouter(prefix="/cases", tags=["cases"], responses=RESPONSES)

INTAKE_STATUS = {
    IntakeCode.ROLE_NOT_PERMITTED: 403,
    IntakeCode.NOT_YOUR_AGENCY: 403,
    IntakeCode.UNKNOWN_MECHANISM: 422,
    IntakeCode.INVALID_INTAKE: 422,
}
INTAKE_FIX = {
    IntakeCode.ROLE_NOT_PERMITTED: "open cases with an intake or officer key",
    IntakeCode.NOT_YOUR_AGENCY: "open cases in your own agency's name",
    IntakeCode.UNKNOWN_MECHANISM: "use a mechanism the message lists",
    IntakeCode.INVALID_INTAKE: "correct the facts or agencies named",
}


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    "",
    operation_id="open_case",
    status_code=201,
    response_model=CaseSummary,
    responses={
        200: {"model": CaseSummary, "description": "the case already exists (a repeat)"},
        409: {"model": ErrorBody, "description": "intake_conflict: a repeat with another body"},
        **UNAVAILABLE,
    },
)
async def open_case(
    body: Annotated[CaseIntake, Body(openapi_examples={"a case": {"value": EXAMPLE}})],
    principal: CurrentPrincipal,
    services: ServicesDep,
    response: Response,
) -> CaseSummary:
    """Open a case. Idempotent on the intake system's own id (``intake_ref``): a repeat with the same
    body answers 200 with the case as it stands; a repeat with another body is a 409 naming the
    fields that differ. It answers once the case is recorded, so the caller may act on it at once."""
    now = _now()
    refusal = admit(
        body,
        agency=principal.agency,
        role=Role(principal.role),
        profiles=default_profiles(),
        registry=services.registry,
        now=now,
    )
    if refusal is not None:
        raise ApiError(
            INTAKE_STATUS[refusal.code], refusal.code.value, refusal.message,
            INTAKE_FIX[refusal.code], problems=list(refusal.problems),
        )  # fmt: skip
    row = await run_in_threadpool(case_row, services.engine, body.case_id)
    if row is not None and (row.closed_at is not None or row.workflow_status is not None):
        return _repeat(row, body, now, response)
    try:
        if row is None:
            opening = await engine.open_case(services, body, now)
        else:  # a recorded case is asked, never started again
            opening = await engine.repeat_intake(services, body)
    except temporal.AlreadyClosed:
        row = await run_in_threadpool(case_row, services.engine, body.case_id)
        if row is None:
            raise temporal.unavailable(
                services, "the case exists but its record is not readable yet"
            ) from None
        if row.closed_at is None:
            await reads.ended_status(services, row)  # marked (and told) if it ended unarchived
        return _repeat(row, body, now, response)
    response.status_code = 201 if opening.created else 200
    return summary(opening.summary, now)


def _repeat(row: CaseRow, body: CaseIntake, now: datetime, response: Response) -> CaseSummary:
    """A repeat of a case the engine no longer runs, answered from its record."""
    stored = stored_intake(row)
    differ = differences(stored, body) if stored is not None else []
    if differ:
        raise engine.conflict(row.case_id, differ)
    response.status_code = 200
    return summary(row, now)


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
    cursor: Annotated[
        str | None,
        Query(
            max_length=400,
            pattern="^[A-Za-z0-9_-]+$",
            description="``next_cursor`` of the previous page: the page after it, however the "
            "list changed meanwhile (instead of ``offset``)",
        ),
    ] = None,
) -> CasePage:
    """The cases you may see, newest first, filtered. ``total`` counts them up to 10 000
    (``total_exact`` is false beyond); page with ``offset``, or with ``next_cursor``, which does not
    skip or repeat a case when cases are opened meanwhile and stays fast however deep."""
    now = _now()
    filters = CaseFilter(
        stage=stage.value if stage else None,
        agency=agency,
        overdue=overdue,
        escalated=escalated,
        key_case=key_case,
        text=q,
    )
    after = read_cursor(cursor, offset) if cursor is not None else None
    scope = scope_for(principal, services.registry)
    page = await run_in_threadpool(
        list_cases, services.engine, scope, filters, now, limit, offset, after
    )
    return CasePage(
        items=[summary(r, now) for r in page.rows],
        total=page.total,
        total_exact=page.exact,
        limit=limit,
        offset=offset,
        next_cursor=None if page.last is None else write_cursor(page.last),
    )


@router.get("/my-moves", operation_id="my_moves", response_model=CasePage)
async def my_moves_route(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    """The open cases waiting for your agency and role (``summary.move_agency`` and
    ``move_role``: who holds the next due clock), the earliest due first. A case with no clock
    running waits for its owning agency's officers."""
    now = _now()
    scope = scope_for(principal, services.registry)
    rows, total = await run_in_threadpool(
        waiting_for, services.engine, scope, principal.agency, Role(principal.role), limit, offset
    )
    return CasePage(
        items=[summary(r, now) for r in rows],
        total=total,
        total_exact=True,
        limit=limit,
        offset=offset,
        next_cursor=None,
    )


def write_cursor(last: After) -> str:
    """An opaque cursor: where a page ended (the keyset of the list's order)."""
    raw = json.dumps([last.opened_at.isoformat(), last.case_id], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(cursor: str, offset: int) -> After:
    fix = "pass next_cursor from the previous page as it came, without offset"
    if offset:
        raise ApiError(
            422, "cursor_with_offset", "a cursor already says where the page starts", fix
        )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        opened, case_id = json.loads(raw)
        after = After(datetime.fromisoformat(opened), str(case_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid_cursor", "the cursor is not one this list gave", fix) from exc
    if after.opened_at.tzinfo is None or not isinstance(case_id, str):
        raise ApiError(422, "invalid_cursor", "the cursor is not one this list gave", fix)
    return after


@router.get("/{case_id}", operation_id="get_case", response_model=CaseDetail)
async def get_case(
    row: VisibleCase, principal: CurrentPrincipal, services: ServicesDep
) -> CaseDetail:
    """The case as it stands: state, open clocks, and the actions you may take now (decided by the
    case itself, with its own rules and time)."""
    return await case_detail(services, principal, row)


async def case_detail(services: Services, principal: Principal, row: CaseRow) -> CaseDetail:
    """The live case for this caller (the API and the dashboard both show this), with its links to
    cases of other regions from the read model, both ways (D3 §3.2)."""
    detail = await _detail(services, principal, row)
    scope = scope_for(principal, services.registry)
    lines = await run_in_threadpool(links_of, services.engine, row.case_id, scope)
    detail.links = [
        CaseLinkPublic(
            case_id=line.case_id,
            region=line.region,
            relation=line.relation,
            direction="to" if line.outgoing else "from",
            linked_at=line.linked_at,
            visible=line.visible,
            note=line.note,
        )
        for line in lines
    ]
    return detail


async def _detail(services: Services, principal: Principal, row: CaseRow) -> CaseDetail:
    caller = Caller(principal.agency, Role(principal.role))
    now = _now()
    view = None
    if row.workflow_status is None:  # not a case whose workflow ended without archiving
        view = await reads.stored_view(services, row, caller, now)
    if view is not None:
        if view.state.stage.closed:  # archived: nothing is under way, and only a step reopens it
            view.calls_in_flight = 0
            return detail_from_view(view, now)
        if not view.calls_in_flight:
            # A run an operator ended is found by the API's sweep within a minute (its case is
            # then marked, and shown from its rows); a step on it is refused with the reason.
            return detail_from_view(view, now)
        # The engine says the run is open (one that ended is told as below), and how the calls
        # under way are going.
        run = await reads.running(services, row.case_id)
        if run is not None:
            detail = detail_from_view(view, now)
            detail.outside_calls = run.calls
            return detail
    found = await reads.view_case(services, row.case_id, caller)
    if isinstance(found, reads.Live):
        detail = detail_from_view(found.view, now)
        if found.view.calls_in_flight:  # the engine says how each is going
            detail.outside_calls = await reads.outside_calls(services, row.case_id)
        return detail
    if isinstance(found, reads.Closed):
        if found.status is not None and found.status.name == "COMPLETED":
            archived = await reads.archived_view(services, row.case_id, caller)
            if archived is not None:
                return detail_from_view(archived, now)
        elif row.closed_at is None:
            await reads.noticed_ended(services, row, found.status)
    rows = await run_in_threadpool(clocks, services.engine, row.case_id)
    return detail_from_rows(row, list(rows), now)


@router.get(
    "/{case_id}/timeline", operation_id="get_timeline", response_model=list[TimelineEntryPublic]
)
async def get_timeline(row: VisibleCase, services: ServicesDep) -> list[TimelineEntryPublic]:
    """Every event of the case in order: who did what, when, and what it changed."""
    return timeline_public(await run_in_threadpool(timeline, services.engine, row.case_id))
