"""The whole stack for API and browser tests: a dev server, the worker, the simulator and the API,
each its own process, sharing one read-model database in a temporary data folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from store.db import make_engine, migrate
from store.principals import create_key
from tests.services import PAYLOAD_ENV, ROOT, free_port, wait_http

# Who holds keys in the API tests: (agency, role).
PRINCIPALS = [
    ("EPB-DEMO", "intake"),
    ("EPB-DEMO", "officer"),
    ("EPB-DEMO", "approver"),
    ("PSB-DEMO", "officer"),
    ("PSB-DEMO", "approver"),
    ("PROC-DEMO", "procurator"),
    ("JLO-DEMO", "coordinator"),
    ("LG-DEMO", "leader"),
    ("MON-DEMO", "officer"),
    ("APR-DEMO", "officer"),
    ("EPB-EAST", "intake"),
    ("EPB-EAST", "officer"),
    ("PSB-EAST", "officer"),
    ("JLO-EAST", "coordinator"),
    ("LG-EAST", "leader"),
    ("PROC-EAST", "procurator"),
    ("EPB-CITY", "officer"),  # EPB-DEMO's superior department (P2014 Art. 17)
    ("EPB-CITY", "approver"),
    ("SUP-DEMO", "officer"),  # the supervisory commission: duty-crime clues (O310 Art. 19)
]


@dataclass
class Stack:
    api: str
    simulator: str
    engine: Engine
    data_dir: Path
    keys: dict[tuple[str, str], str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    task_queue: str = ""  # the worker's: a test may start a workflow there (a routine)

    def key(self, agency: str, role: str) -> str:
        return self.keys[(agency, role)]

    def auth(self, agency: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key(agency, role)}"}


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )


@contextmanager
def running_stack(dev_server: WorkflowEnvironment) -> Iterator[Stack]:
    data = Path(tempfile.mkdtemp(prefix="linkage-api-"))
    database = f"sqlite:///{data / 'read.db'}"
    engine = make_engine(database)
    migrate(engine)
    api_port, sim_port = free_port(), free_port()
    api, simulator = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sim_port}"
    common = {
        "LINKAGE_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "LINKAGE_TASK_QUEUE": f"api-{uuid.uuid4()}",
        "LINKAGE_DATABASE_URL": database,
        "LINKAGE_DATA_DIR": str(data),
        "LINKAGE_SIMULATOR_URL": simulator,
        "LINKAGE_API_URL": api,
        "LINKAGE_LOG_JSON": "true",
        **PAYLOAD_ENV,
    }
    stack = Stack(api, simulator, engine, data, task_queue=common["LINKAGE_TASK_QUEUE"])
    try:
        stack.processes.append(
            start_process(
                [sys.executable, "-m", "simulator", "--port", str(sim_port)],
                common,
                data / "simulator.log",
            )
        )
        stack.processes.append(
            start_process([sys.executable, "-m", "worker"], common, data / "worker.log")
        )
        stack.processes.append(
            start_process(
                [sys.executable, "-m", "api", "--port", str(api_port)], common, data / "api.log"
            )
        )
        wait_http(f"{simulator}/healthz", stack.processes[0])
        wait_http(f"{api}/healthz", stack.processes[2], timeout=60)
        for agency, role in PRINCIPALS:
            _, key = create_key(engine, name=f"{agency} {role}", agency=agency, role=role)
            stack.keys[(agency, role)] = key
        yield stack
    finally:
        stop_processes(stack.processes)
        engine.dispose()


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate, last started first; kill what has not stopped within 15 seconds."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
