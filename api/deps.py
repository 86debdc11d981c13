"""Typed dependency shortcuts: the app's services and the calling principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.errors import unauthorized
from cases.agencies import AgencyRegistry
from settings import Settings
from store.principals import Principal, authenticate


@dataclass
class Services:
    """Made once at start-up and shared: one Temporal client, one engine."""

    settings: Settings
    engine: Engine
    temporal: Client
    registry: AgencyRegistry


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


async def current_principal(
    services: ServicesDep,
    authorization: Annotated[str | None, Header(description="Bearer <api key>")] = None,
) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise unauthorized()
    key = authorization.removeprefix("Bearer ").strip()
    principal = await run_in_threadpool(authenticate, services.engine, key)
    if principal is None:
        raise unauthorized()
    structlog.contextvars.bind_contextvars(agency=principal.agency, role=principal.role)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
