"""The real worker process, the simulator process and the read model, on a real Temporal dev server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.change import ActionResult
from cases.ids import workflow_id
from cases.model import Actor, CaseFacts
from cases.profiles import get_profile
from cases.vocabulary import Classification, Stage, ViolationType
from store.db import make_engine
from store.records import case_row, clocks, timeline
from tests.polling import eventually
from tests.services import PAYLOAD_ENV, ROOT
from tests.workflows.driver import (
    EPB_HEAD,
    EPB_OFFICER,
    case_input,
    intake_for,
    items,
    open_by_update,
)
from workflows.messages import ActionRequest


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
            **PAYLOAD_ENV,
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


async def act(client: Client, case_id: str, action: str, actor: Actor, **body: Any) -> ActionResult:
    result: ActionResult = await client.get_workflow_handle(workflow_id(case_id)).execute_update(
        action, ActionRequest(actor, body), result_type=ActionResult
    )
    return result


def wait_for(check: Callable[[], bool], seconds: float = 60) -> Awaitable[None]:
    """The read model and visibility follow the workflow a moment later: poll for a while."""

    async def holds() -> bool:
        return check()

    return eventually(holds, "it never showed", seconds=seconds, every=0.2)


async def test_a_case_from_intake_to_an_accepted_referral_through_the_real_stack(
    dev_server: WorkflowEnvironment,
    simulator_url: str,
    worker_process: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    queue, database, process = worker_process
    client = dev_server.client
    async with httpx.AsyncClient(base_url=simulator_url) as sim:
        await sim.post("/admin/reset")
    now = await dev_server.get_current_time()
    intake = intake_for(
        now,
        facts=CaseFacts(violation_type=ViolationType.HEAVY_METAL, hazardous_into_water=True),
    )
    case_id = intake.case_id
    _, opening = await open_by_update(dev_server, queue, case_input(intake, now))
    assert opening.created
    assert opening.summary.stage is Stage.DISCOVERY
    engine = make_engine(database)
    assert case_row(engine, case_id) is not None  # the opening is recorded when intake returns
    await act(
        client,
        case_id,
        "classify",
        EPB_OFFICER,
        classification=Classification.CRIME,
        reasons="涉重金属",
    )
    kinds = get_profile("env-police").referral_required
    await act(client, case_id, "record_evidence", EPB_OFFICER, items=items(*kinds))
    await act(client, case_id, "request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
    await act(client, case_id, "approve_referral", EPB_HEAD)
    await act(client, case_id, "send_referral", EPB_OFFICER)

    await wait_for(lambda: any(e.action == "referral_delivered" for e in timeline(engine, case_id)))
    delivered = next(e for e in timeline(engine, case_id) if e.action == "referral_delivered")
    async with httpx.AsyncClient(base_url=simulator_url) as sim:
        received = (await sim.get("/admin/received", params={"agency": "PSB-DEMO"})).json()
    assert len(received) == 1
    assert received[0]["body"]["case_id"] == case_id
    assert delivered.details["reference"].startswith("PSB-DEMO-REFERRAL-")

    # The receipt is the acceptance (N2017 Art. 7): the case is at the filing decision without a step.
    await wait_for(
        lambda: (
            (row := case_row(engine, case_id)) is not None and row.stage is Stage.FILING_DECISION
        )
    )
    assert "acceptance" not in {c.name for c in clocks(engine, case_id)}
    filing = next(c for c in clocks(engine, case_id) if c.name == "filing_decision")
    assert filing.closed_at is None
    row = case_row(engine, case_id)
    assert row is not None
    assert row.next_deadline == filing.due_at
    seqs = [e.seq for e in timeline(engine, case_id)]
    assert seqs == list(range(1, len(seqs) + 1))
    # The search attributes reach the dev server's visibility store.
    query = (
        "CaseStage='filing_decision' AND CaseMechanism='env-police' "
        f"AND WorkflowId='{workflow_id(case_id)}'"
    )

    async def visible() -> bool:
        return len([w async for w in client.list_workflows(query)]) == 1

    await eventually(visible, "never visible", seconds=20)

    # A graceful stop: the worker finishes what it runs and exits cleanly.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    engine.dispose()
