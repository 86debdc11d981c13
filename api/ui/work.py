"""The dashboard's pages of one person's work: what escalated to their agency, and the cases that
wait for their own move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.access import scope_for
from api.deps import ServicesDep
from api.ui.routes import SignedIn, render
from cases.vocabulary import Role
from store.dashboard import inbox
from store.queries import waiting_for

router = APIRouter(include_in_schema=False)
MINE = 100  # a person's queue, on one page
INBOX_HISTORY = timedelta(days=30)  # how far back the inbox shows what reached the agency


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(request: Request, principal: SignedIn, services: ServicesDep) -> HTMLResponse:
    since = datetime.now(UTC) - INBOX_HISTORY
    lines = await run_in_threadpool(
        inbox, services.engine, principal.agency, scope_for(principal, services.registry), since
    )
    # When the escalation reached this agency: the clock records it.
    reached = {
        f"{line.case_id}#{line.clock.ordinal}": line.clock.escalated_to.get(
            principal.agency, line.clock.due_at
        )
        for line in lines
    }
    return render(request, "inbox.html", principal, lines=lines, reached=reached)


@router.get("/mine", response_class=HTMLResponse)
async def my_moves_page(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """待我办理: the cases waiting for the signed-in agency and role, the earliest due first (the
    API's ``GET /cases/my-moves``)."""
    rows, total = await run_in_threadpool(
        waiting_for,
        services.engine,
        scope_for(principal, services.registry),
        principal.agency,
        Role(principal.role),
        MINE,
        (page - 1) * MINE,
    )
    return render(
        request, "mine.html", principal, rows=rows, total=total, page=page, pages=-(-total // MINE)
    )
