"""``GET /healthz`` (Temporal and the database) and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import ServicesDep
from api.metrics import REGISTRY, count_escalations
from api.schemas import Health
from store.dashboard import open_escalations

router = APIRouter(tags=["system"])
log = structlog.get_logger(__name__)


def _database(services: ServicesDep) -> str:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return f"down: {type(exc).__name__}"


@router.get(
    "/healthz", operation_id="health", response_model=Health, responses={503: {"model": Health}}
)
async def health(services: ServicesDep) -> JSONResponse:
    """Ready when both Temporal and the database answer."""
    try:
        await services.temporal.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=timedelta(seconds=3)
        )
        temporal = "ok"
    except Exception as exc:
        temporal = f"down: {type(exc).__name__}"
    database = await run_in_threadpool(_database, services)
    ok = temporal == "ok" and database == "ok"
    body = Health(status="ok" if ok else "degraded", temporal=temporal, database=database)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", operation_id="metrics", response_class=Response)
async def metrics(services: ServicesDep) -> Response:
    try:
        count_escalations(await run_in_threadpool(open_escalations, services.engine))
    except SQLAlchemyError as exc:  # the other metrics still answer; the gauge keeps its last value
        log.warning("escalations not counted", error=str(exc)[:200])
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
