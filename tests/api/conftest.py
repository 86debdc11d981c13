"""The API in process, for the route tests: ``create_app`` over the session's dev server, served through
``httpx.ASGITransport``, with a worker running in this process (its agency calls going to the real
simulator) and the read model on SQLite in a temporary folder.

The simulator's own answers through the API (a delayed acceptance, a station's result) need the API on
a port: those are in ``tests/integration``, over the subprocess stack.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from store.db import make_engine, migrate
from store.principals import create_key
from telemetry import Tracing
from tests.services import TEST_PAYLOAD_KEY_ID, TEST_PAYLOAD_KEYS
from tests.stack import PRINCIPALS
from worker import build_worker, http_client

__all__ = ["PRINCIPALS", "UPLOAD_QUOTA", "InProcess", "in_process", "stack_settings"]

UPLOAD_QUOTA = 64 * 1024  # what one key may store in evidence files, small enough to reach


@dataclass
class InProcess:
    """The stack of the route tests; the same face as ``tests.stack.Stack``."""

    app: FastAPI
    engine: Engine
    data_dir: Path
    settings: Settings
    simulator: str
    keys: dict[tuple[str, str], str] = field(default_factory=dict)

    def key(self, agency: str, role: str) -> str:
        return self.keys[(agency, role)]

    def auth(self, agency: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key(agency, role)}"}


@pytest.fixture(scope="session")
async def stack(dev_server: WorkflowEnvironment, simulator_url: str) -> AsyncIterator[InProcess]:
    async with in_process(dev_server, simulator_url) as running:
        yield running


def stack_settings(
    dev_server: WorkflowEnvironment, simulator_url: str, name: str, **overrides: Any
) -> Settings:
    """Settings of a stack of its own over the session's dev server: its task queue, its data
    folder and read model, the session's payload keys (``overrides`` win)."""
    data = Path(tempfile.mkdtemp(prefix=f"linkage-{name}-"))
    return Settings(
        **{
            "temporal_address": dev_server.client.service_client.config.target_host,
            "task_queue": f"{name}-{uuid.uuid4()}",
            "data_dir": data,
            "database_url": f"sqlite:///{data / 'read.db'}",
            "simulator_url": simulator_url,
            "upload_quota_bytes": UPLOAD_QUOTA,
            "payload_keys": TEST_PAYLOAD_KEYS,
            "payload_key_id": TEST_PAYLOAD_KEY_ID,
            "log_json": True,
            "log_level": "WARNING",
            **overrides,
        }
    )


@asynccontextmanager
async def in_process(
    dev_server: WorkflowEnvironment,
    simulator_url: str,
    *,
    client: Client | None = None,
    traced: Tracing | None = None,
    **overrides: Any,
) -> AsyncIterator[InProcess]:
    """A stack of its own: its read model, its task queue and worker, its keys (same principals);
    ``overrides`` are settings of its own. ``client`` (the session's by default) serves the API and
    the worker; with ``traced``, the API and the agency calls are traced too."""
    settings = stack_settings(dev_server, simulator_url, "routes", **overrides)
    engine = make_engine(settings.database)
    migrate(engine)
    client = client or dev_server.client
    app = create_app(settings, client=client, traced=traced)
    built = InProcess(app, engine, settings.data_dir, settings, simulator_url)
    for agency, role in PRINCIPALS:
        _, key = create_key(engine, name=f"{agency} {role}", agency=agency, role=role)
        built.keys[(agency, role)] = key
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with http_client(settings) as http:
            if traced is not None:
                traced.instrument_http(http)
            worker = build_worker(client, settings, http, engine, executor)
            async with worker, app.router.lifespan_context(app):
                yield built
    engine.dispose()


@pytest.fixture
async def api(stack: InProcess) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as client:
        yield client
