"""The whole stack as ``make run`` starts it (``devstack.Stack``: a Temporal dev server on its own data
file, the simulator, the worker, the API, each its own process), on free ports in a temporary folder,
so that a test can SIGKILL any part and start it again. One fleet serves the module."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack import Ports, Stack
from store.db import make_engine, migrate
from store.principals import create_key
from tests.services import PAYLOAD_ENV, free_port

FIGURES: list[str] = []  # what each scenario measured, printed at the end of the run
BOUND = 5.0  # LINKAGE_OUTAGE_BOUND: how long an API call may wait for the case service
PEOPLE = [
    ("EPB-DEMO", "intake"),
    ("EPB-DEMO", "officer"),
    ("EPB-DEMO", "approver"),
    ("PSB-DEMO", "officer"),
    ("JLO-DEMO", "coordinator"),
]


@dataclass
class Fleet:
    stack: Stack
    api: str
    simulator: str
    keys: dict[tuple[str, str], str] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)  # every API answer a scenario saw

    def auth(self, agency: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[(agency, role)]}"}

    def key(self, agency: str, role: str) -> str:
        return self.keys[(agency, role)]


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    data = Path(tempfile.mkdtemp(prefix="linkage-faults-"))
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    stack = Stack(data, ports)
    stack.env.update(
        {
            **PAYLOAD_ENV,
            "LINKAGE_LOG_JSON": "true",
            "LINKAGE_OUTAGE_BOUND": str(BOUND),
            "LINKAGE_HTTP_TIMEOUT": "2",  # a hanging agency is given up on after 2 s
            "LINKAGE_HEARTBEAT_EVERY": "0.5",
        }
    )
    engine = make_engine(f"sqlite:///{(data / 'linkage.db').as_posix()}")
    migrate(engine)
    running = Fleet(stack, f"http://127.0.0.1:{ports.api}", f"http://127.0.0.1:{ports.simulator}")
    for agency, role in PEOPLE:
        _, key = create_key(engine, name=f"{agency} {role}", agency=agency, role=role)
        running.keys[(agency, role)] = key
    engine.dispose()
    try:
        stack.up()
        yield running
    finally:
        stack.down()
        if os.environ.get("CI"):  # what the processes said, for a failure in CI
            for log in sorted((data / "logs").glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-5:]
                print(f"--- {log.name}\n" + "\n".join(tail))
        print(json.dumps({"fleet": str(data)}))


@pytest.fixture
async def api(fleet: Fleet) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fleet.api, timeout=30) as client:
        yield client


@pytest.fixture
async def sim(fleet: Fleet) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fleet.simulator, timeout=30) as client:
        await client.post("/admin/reset")
        yield client


def report(line: str) -> None:
    """A scenario's figures: printed now (with -s) and in the run's summary."""
    print(line)
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("fault scenarios")
        for line in FIGURES:
            terminalreporter.write_line(line)
