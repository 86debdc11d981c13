"""What every call from the API to the case workflows shares: the case's handle, the bound on how
long a call may wait for the engine, and how an outage and a closed workflow read."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import (
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Services
from api.errors import ApiError
from cases.ids import workflow_id
from workflows.case import CaseWorkflow

log = structlog.get_logger(__name__)
UPDATE_TIMEOUT = timedelta(seconds=30)
QUERY_TIMEOUT = timedelta(seconds=10)


class AlreadyClosed(Exception):
    """The case's workflow is closed (or gone): the read model holds its record."""


def case_handle(services: Services, case_id: str) -> WorkflowHandle[CaseWorkflow, Any]:
    return services.temporal.get_workflow_handle_for(CaseWorkflow.run, workflow_id(case_id))


def unavailable(services: Services, detail: str, fix: str = "") -> ApiError:
    """503 with the time after which a repeat is worth trying (RFC 9110 §10.2.3)."""
    return ApiError(
        503,
        "case_service_unavailable",
        f"the case service is unavailable: {detail}",
        fix or "try again shortly; a repeat of the same request is safe",
        headers={"Retry-After": str(math.ceil(services.settings.outage_bound))},
    )


def is_closed(exc: RPCError) -> bool:
    """The engine's way of saying the workflow is closed (or no longer kept)."""
    return exc.status is RPCStatusCode.NOT_FOUND or "already completed" in exc.message.lower()


@contextlib.asynccontextmanager
async def bounded(services: Services, fix: str = "") -> AsyncIterator[None]:
    """Wait for the engine (and the worker behind it) no longer than the configured bound: during an
    outage the SDK would otherwise keep retrying for as long as it lasts."""
    bound = services.settings.outage_bound
    try:
        async with asyncio.timeout(bound):
            yield
    except TimeoutError:
        raise unavailable(services, f"no answer within {bound:g} s", fix) from None
