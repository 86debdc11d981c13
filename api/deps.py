"""Typed dependency shortcuts: the app's services, the calling principal, and the case it may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.access import scope_for
from api.contexts import Contexts
from api.errors import not_found, unauthorized
from cases.agencies import AgencyRegistry
from cases.ids import is_case_id
from settings import Settings
from store.files import EvidenceFiles, evidence_files
from store.principals import Principal, authenticate
from store.queries import can_see
from store.sealed import Sealer
from store.tables import CaseRow
from workflows.engine import payload_keys

T = TypeVar("T")


@dataclass
class Services:
    """Made once at start-up and shared: one Temporal client, one engine, the agency registry new
    cases start with, and the contexts stored cases are shown in."""

    settings: Settings
    engine: Engine
    temporal: Client
    registry: AgencyRegistry
    contexts: Contexts = field(init=False)
    files: EvidenceFiles = field(init=False)  # where uploaded evidence is kept (store.files)
    sealer: Sealer = field(init=False)  # seals and opens reporters' identities (store.sealed)

    def __post_init__(self) -> None:
        self.contexts = Contexts(self.registry)
        self.files = evidence_files(self.settings)
        keys = payload_keys(self.settings)
        self.sealer = Sealer(keys.current, keys.keys)


async def point_read(services: Services, read: Callable[..., T], *args: Any) -> T:
    """A read of one row by its key: on SQLite, made where the request runs (a local file read of
    a tenth of a millisecond, less than the hand-over to a thread and back); on a database over
    the network, in a thread, never holding the event loop."""
    if services.engine.dialect.name == "sqlite":
        return read(*args)
    return await run_in_threadpool(read, *args)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


# Declared as the OpenAPI security scheme, so that "Authorize" on /docs sends the key; a missing or
# malformed header is answered with the API's own 401 (auto_error off), not FastAPI's 403.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="api_key",
    description="An API key (`python -m api.keys`): `Authorization: Bearer <api key>`.",
)


async def current_principal(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> Principal:
    key = credentials.credentials.strip() if credentials is not None else ""
    if not key:
        raise unauthorized()
    principal = await point_read(services, authenticate, services.engine, key)
    if principal is None:
        raise unauthorized()
    structlog.contextvars.bind_contextvars(agency=principal.agency, role=principal.role)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def find_visible(case_id: str, principal: Principal, services: Services) -> CaseRow:
    """The case's row if the caller may see it; otherwise 404, whether or not it exists."""
    if not is_case_id(case_id):
        raise not_found(case_id)
    scope = scope_for(principal, services.registry)
    row = await point_read(services, can_see, services.engine, scope, case_id)
    if row is None:
        raise not_found(case_id)
    structlog.contextvars.bind_contextvars(case_id=case_id)
    return row


async def visible_case(
    case_id: Annotated[str, Path(max_length=110, description="The case id.")],
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> CaseRow:
    return await find_visible(case_id, principal, services)


VisibleCase = Annotated[CaseRow, Depends(visible_case)]
