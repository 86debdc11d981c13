"""The real worker process, the simulator process and the read model, on a real Temporal dev server."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.actions import Action, ActionPayload, ActionRequest
from cases.calendar import default_calendar, snapshot
from cases.lifecycle import CaseIntake
from cases.model import Actor, CaseFacts, CaseSource, Classification, ViolationType
from cases.profiles import get_profile, profile_data
from cases.transitions import ActionResult
from store.db import make_engine
from store.records import case_row, clocks, timeline
from tests.services import ROOT
from tests.workflows.driver import EPB_HEAD, EPB_OFFICER, PSB_OFFICER, SHA
from workflows.case import CaseInput, CaseWorkflow


@pytest.fixture
def worker_process(
    dev_server: WorkflowEnvironment, simulator_url: str, tmp_path: Path
) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """``python -m worker`` against the dev server; yields (task queue, database URL, process)."""
    queue = f"cases-{uuid.uuid4()}"
    database = f"sqlite:///{tmp_path / 'read.db'}"
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "worker"],
        cwd=ROOT,
        env={
            **os.environ,
            "LINKAGE_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
            "LINKAGE_TASK_QUEUE": queue,
            "LINKAGE_DATABASE_URL": database,
            "LINKAGE_SIMULATOR_URL": simulator_url,
            "LINKAGE_LOG_JSON": "true",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue, database, process
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


async def act(
    client: Client, case_id: str, action: Action, actor: Actor, **payload: Any
) -> ActionResult:
    result: ActionResult = await client.get_workflow_handle(f"case-{case_id}").execute_update(
        action.value, ActionRequest(actor, ActionPayload(**payload)), result_type=ActionResult
    )
    return result


async def wait_for(check: Callable[[], Awaitable[bool] | bool], seconds: float = 60) -> None:
    """The read model and visibility follow the workflow a moment later: poll for a while."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        outcome = check()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("it never showed")


async def test_a_case_from_intake_to_an_accepted_referral_through_the_real_stack(
    dev_server: WorkflowEnvironment,
    simulator_url: str,
    worker_process: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    queue, database, process = worker_process
    client = dev_server.client
    async with httpx.AsyncClient(base_url=simulator_url) as sim:
        await sim.post("/admin/reset")
    case_id = f"I{uuid.uuid4().hex[:10].upper()}"
    now = await dev_server.get_current_time()
    await client.start_workflow(
        CaseWorkflow.run,
        CaseInput(
            CaseIntake(
                case_id=case_id,
                intake_ref=f"INT-{case_id}",
                mechanism="env-police",
                discovering_agency="EPB-DEMO",
                source=CaseSource.COMPLAINT,
                subject="某电镀厂",
                discovered_at=now - timedelta(hours=3),
                facts=CaseFacts(
                    violation_type=ViolationType.HEAVY_METAL, hazardous_into_water=True
                ),
            ),
            profile_data("env-police"),
            snapshot(default_calendar(), [now.year, now.year + 1]),
        ),
        id=f"case-{case_id}",
        task_queue=queue,
    )
    await act(
        client,
        case_id,
        Action.CLASSIFY,
        EPB_OFFICER,
        classification=Classification.CRIME,
        reasons="涉重金属",
    )
    for kind in get_profile("env-police").referral_required:
        await act(
            client, case_id, Action.RECORD_EVIDENCE, EPB_OFFICER, kind=kind, title=kind, sha256=SHA
        )
    await act(client, case_id, Action.REQUEST_APPROVAL, EPB_OFFICER)
    await act(client, case_id, Action.APPROVE_REFERRAL, EPB_HEAD)
    await act(client, case_id, Action.SEND_REFERRAL, EPB_OFFICER)

    engine = make_engine(database)
    await wait_for(lambda: any(e.action == "referral_delivered" for e in timeline(engine, case_id)))
    delivered = next(e for e in timeline(engine, case_id) if e.action == "referral_delivered")
    async with httpx.AsyncClient(base_url=simulator_url) as sim:
        received = (await sim.get("/admin/received", params={"agency": "PSB-DEMO"})).json()
    assert len(received) == 1
    assert received[0]["body"]["case_id"] == case_id
    assert delivered.details["reference"].startswith("PSB-DEMO-REFERRAL-")

    await act(client, case_id, Action.ACCEPT, PSB_OFFICER, reference="受案-2026-01")
    await wait_for(
        lambda: (row := case_row(engine, case_id)) is not None and row.stage == "filing_decision"
    )
    acceptance = next(c for c in clocks(engine, case_id) if c.name == "acceptance")
    assert acceptance.closed_by == "accepted"
    assert acceptance.closed_at is not None
    filing = next(c for c in clocks(engine, case_id) if c.name == "filing_decision")
    assert filing.closed_at is None
    row = case_row(engine, case_id)
    assert row is not None
    assert row.next_deadline == filing.due_at
    seqs = [e.seq for e in timeline(engine, case_id)]
    assert seqs == list(range(1, len(seqs) + 1))
    # The search attributes reach the dev server's visibility store.
    query = f"CaseStage='filing_decision' AND CaseMechanism='env-police' AND WorkflowId='case-{case_id}'"

    async def visible() -> bool:
        return len([w async for w in client.list_workflows(query)]) == 1

    await wait_for(visible, 20)

    # A graceful stop: the worker finishes what it runs and exits cleanly.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    engine.dispose()
