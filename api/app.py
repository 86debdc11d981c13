"""The FastAPI application: one Temporal client and one engine for its lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api import errors
from api.deps import Services
from api.limits import BodyLimit
from api.metrics import Metrics
from api.reads import sweeping
from api.routes import (
    actions,
    cases,
    clues,
    codec,
    event_bulletins,
    evidence,
    reports,
    routines,
    system,
)
from api.ui import case as case_pages
from api.ui import reports as report_pages
from api.ui import routes as ui
from api.ui import routines as routine_pages
from api.ui import work
from cases.agencies import default_registry
from settings import Settings
from store.db import make_engine, migrate
from telemetry import API_SERVICE, Tracing, tracing
from worker import load_domain
from workflows.engine import connect

# Swagger UI's own files (its bundle, stylesheet and icon), as the fastapi-swagger package ships and
# updates them; only the files are used.
SWAGGER_UI = str(files("fastapi_swagger") / "resources")

log = structlog.get_logger(__name__)

DESCRIPTION = """
Case orchestration for joint enforcement linkage (执法联动). Every case is a durable workflow; every
step is an action on it. Authenticate with `Authorization: Bearer <api key>`. Errors always have the
shape `{code, reason, fix, details}`; a refused action is a 409 whose `code` is the rule's reason.
Every instant in an answer is UTC, ISO 8601 to the microsecond, with `Z`: `2026-11-27T01:30:00.000000Z`.
"""


def create_app(
    settings: Settings | None = None, client: Client | None = None, traced: Tracing | None = None
) -> FastAPI:
    """The application. Traced (``telemetry``) when ``traced`` is given or the environment names an
    OTLP endpoint; a ``client`` given here is used as it is (traced by whoever made it)."""
    settings = settings or Settings()
    traced = traced or tracing(API_SERVICE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        load_domain()
        engine = make_engine(settings.database)
        await run_in_threadpool(migrate, engine)
        temporal = client or await connect(settings, tracing=traced)
        app.state.services = Services(settings, engine, temporal, default_registry())
        log.info(
            "api started",
            temporal=settings.temporal_address,
            database=engine.url.render_as_string(),
        )
        # What start-up made (profiles, registry, schemas, routes) lives as long as the process:
        # kept out of the collector's full passes, which walked it all and held requests up.
        gc.collect()
        gc.freeze()
        sweep = asyncio.create_task(sweeping(app.state.services))
        yield
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
        engine.dispose()

    app = FastAPI(
        title="执法联动 Joint enforcement linkage",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own pages load Swagger UI and ReDoc from a CDN: blank on an intranet. /docs is
        # served below from a packaged copy of Swagger UI 5 (4.x cannot read OpenAPI 3.1, which
        # FastAPI writes); ReDoc is not offered.
        docs_url=None,
        redoc_url=None,
    )
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_UI), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    errors.install(app)

    app.include_router(cases.router)
    app.include_router(actions.router)
    app.include_router(evidence.router)
    app.include_router(clues.router)
    app.include_router(reports.router)
    app.include_router(event_bulletins.router)  # before /bulletins/{id}
    app.include_router(routines.router)
    app.include_router(system.router)
    app.include_router(codec.router)
    app.include_router(ui.router)
    app.include_router(case_pages.router)
    app.include_router(work.router)
    app.include_router(report_pages.router)
    app.include_router(routine_pages.router)

    @app.exception_handler(ui.SignIn)
    async def sign_in_first(_request: Request, exc: ui.SignIn) -> RedirectResponse:
        return RedirectResponse(f"/login?{urlencode({'next': exc.path})}", status_code=303)

    @app.exception_handler(ui.Missing)
    async def missing(request: Request, exc: ui.Missing) -> HTMLResponse:
        return ui.missing_page(request, exc)

    app.add_middleware(BodyLimit)
    app.add_middleware(Metrics)
    if traced is not None:
        traced.instrument_api(app)
    return app
