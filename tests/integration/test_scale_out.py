"""Scale-out as production runs it (issue 14): two worker processes and two API processes against one
dev server, the read model on PostgreSQL, settings as ``LINKAGE_DEPLOYMENT=production`` demands.

Requests alternate between the API replicas, a dashboard session made on one is honoured by the
other, and one worker is killed (SIGKILL, mid-case); every case still finishes, each step recorded
once: nothing lost, nothing duplicated."""

from __future__ import annotations

import asyncio
import itertools
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from cases.ids import workflow_id
from store.db import drop_everything, make_engine
from store.principals import create_key
from store.records import timeline
from tests.api.helpers import intake_body
from tests.services import PAYLOAD_ENV, free_port, wait_http
from tests.stack import start_process, stop_processes

CASES = 8
STEPS = [  # an administrative case from classification to the archive, as the API takes it
    ("classify", {"classification": "administrative", "reasons": "一般违法"}),
    ("handle_administratively", {"reasons": "行政处罚"}),
    ("impose_penalty", {"reference": "罚字〔2026〕12号"}),
    ("archive", {}),
]


@dataclass
class Replicas:
    apis: list[str]
    workers: list[subprocess.Popen[bytes]]
    keys: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


@pytest.fixture
def replicas(
    dev_server: WorkflowEnvironment, simulator_url: str, postgres_url: str, tmp_path: Path
) -> Iterator[Replicas]:
    engine = make_engine(postgres_url)
    common = {
        "LINKAGE_DEPLOYMENT": "production",
        "LINKAGE_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "LINKAGE_TASK_QUEUE": f"scale-{uuid.uuid4()}",
        "LINKAGE_DATABASE_URL": postgres_url,
        "LINKAGE_SESSION_SECRET": uuid.uuid4().hex + uuid.uuid4().hex,
        "LINKAGE_SIMULATOR_URL": simulator_url,
        "LINKAGE_LOG_JSON": "true",
        **PAYLOAD_ENV,
    }
    ports = [free_port(), free_port()]
    apis = [f"http://127.0.0.1:{port}" for port in ports]
    running = Replicas(apis, [])
    try:
        # Every process migrates the empty database on start, all at once: one does, under its lock.
        for n in range(2):
            data = tmp_path / f"worker-{n}"  # nothing shared through a folder
            worker = start_process(
                [sys.executable, "-m", "worker"],
                {**common, "LINKAGE_DATA_DIR": str(data)},
                tmp_path / f"worker-{n}.log",
            )
            running.workers.append(worker)
            running.processes.append(worker)
        for n, port in enumerate(ports):
            env = {
                **common,
                "LINKAGE_DATA_DIR": str(tmp_path / f"api-{n}"),
                "LINKAGE_API_URL": apis[n],
            }
            running.processes.append(
                start_process(
                    [sys.executable, "-m", "api", "--port", str(port)],
                    env,
                    tmp_path / f"api-{n}.log",
                )
            )
        for api, process in zip(apis, running.processes[2:], strict=True):
            wait_http(f"{api}/healthz", process, timeout=90)
        for agency, role in [
            ("EPB-DEMO", "intake"),
            ("EPB-DEMO", "officer"),
            ("JLO-DEMO", "coordinator"),
        ]:
            _, running.keys[role] = create_key(
                engine, name=f"{agency} {role}", agency=agency, role=role
            )
        yield running
    finally:
        stop_processes(running.processes)
        drop_everything(engine)
        engine.dispose()


async def _send(
    client: httpx.AsyncClient, method: str, url: str, key: str, body: dict[str, Any], step: str
) -> httpx.Response:
    """As an agency system sends: the same Idempotency-Key on every retry of one step, retried while
    the service answers 503 (a worker gone: its tasks wait for the other) or the connection breaks
    before the answer (a reused connection the server had just closed): the answer may have been
    lost, not the step."""
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": step}
    for _ in range(60):
        try:
            response = await client.request(method, url, json=body, headers=headers)
        except httpx.TransportError:
            await asyncio.sleep(0.5)
            continue
        if response.status_code != 503:
            return response
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    raise AssertionError(f"{url}: still unavailable")


async def workers_of(dev_server: WorkflowEnvironment, ids: list[str]) -> set[str]:
    """The identities (pid@host) of the workers that completed the cases' workflow tasks."""
    found: set[str] = set()
    for case_id in ids:
        history = await dev_server.client.get_workflow_handle(workflow_id(case_id)).fetch_history()
        found |= {
            e.workflow_task_completed_event_attributes.identity
            for e in history.events
            if e.HasField("workflow_task_completed_event_attributes")
        }
    return found


async def test_two_apis_and_two_workers_lose_and_repeat_nothing_when_a_worker_dies(
    replicas: Replicas, postgres_url: str, dev_server: WorkflowEnvironment
) -> None:
    turn = itertools.cycle(replicas.apis)
    async with httpx.AsyncClient(timeout=60) as client:
        # A dashboard session made on one replica is honoured by the other.
        login = await client.post(
            f"{replicas.apis[0]}/login",
            data={"key": replicas.keys["coordinator"], "next": "/"},
            follow_redirects=False,
        )
        assert login.status_code == 303
        async with httpx.AsyncClient(cookies=login.cookies) as browser:
            page = await browser.get(f"{replicas.apis[1]}/", follow_redirects=False)
        assert page.status_code == 200, page.status_code
        assert 'id="stalled"' in page.text  # the overview, not the sign-in page

        ids = []
        for n in range(CASES):
            body = intake_body(
                f"SCALE-{uuid.uuid4().hex[:8]}", facts={}, subject=f"扩展测试企业{n}"
            )
            opened = await _send(
                client, "POST", f"{next(turn)}/cases", replicas.keys["intake"], body, f"open-{n}"
            )
            assert opened.status_code in (200, 201), opened.text  # 200: a repeat, answered again
            ids.append(opened.json()["case_id"])

        async def walk(case_id: str, steps: list[tuple[str, dict[str, Any]]]) -> None:
            for action, body in steps:
                done = await _send(
                    client,
                    "POST",
                    f"{next(turn)}/cases/{case_id}/actions/{action}",
                    replicas.keys["officer"],
                    body,
                    f"{case_id}-{action}",
                )
                assert done.status_code in (200, 201), (case_id, action, done.text)

        await asyncio.gather(*[walk(case_id, STEPS[:2]) for case_id in ids])
        # A worker that has run cases' tasks is killed while steps are in flight (no graceful
        # shutdown): what it held, the other takes.
        held = await workers_of(dev_server, ids)
        victim = next(w for w in replicas.workers if any(i.startswith(f"{w.pid}@") for i in held))
        moving = asyncio.gather(*[walk(case_id, STEPS[2:]) for case_id in ids])
        await asyncio.sleep(0.3)
        victim.send_signal(signal.SIGKILL)
        await moving
        survivor = next(w for w in replicas.workers if w is not victim)
        after = await workers_of(dev_server, ids)
        assert any(i.startswith(f"{survivor.pid}@") for i in after), (survivor.pid, after)
        # Sent again, as a client whose answer was lost sends it: the same answer, nothing new.
        await walk(ids[0], STEPS[3:])

        for case_id in ids:
            case = await client.get(
                f"{next(turn)}/cases/{case_id}",
                headers={"Authorization": f"Bearer {replicas.keys['officer']}"},
            )
            assert case.json()["summary"]["stage"] == "archived", case_id
    engine = make_engine(postgres_url)
    try:
        for case_id in ids:
            entries = timeline(engine, case_id)
            assert [e.seq for e in entries] == list(range(1, len(entries) + 1)), case_id
            actions = [e.action for e in entries]
            for action in ["open", *dict(STEPS)]:
                assert actions.count(action) == 1, (case_id, actions)
    finally:
        engine.dispose()
