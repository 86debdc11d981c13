"""The bare engine, on the same server and machine in the same run: what the product is measured
against. A workflow that waits, one update with a validator, nothing else; the plain JSON converter
(no encryption, no domain)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from bench.harness import Measured, drive


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    def __init__(self) -> None:
        self.count = 0
        self.done = False

    @workflow.run
    async def run(self, name: str) -> int:
        await workflow.wait_condition(lambda: self.done, timeout=timedelta(hours=1))
        return self.count

    @workflow.update
    async def bump(self, by: int) -> int:
        self.count += by
        return self.count

    @bump.validator
    def check(self, by: int) -> None:
        if by < 0:
            raise ValueError("a bump is never negative")

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def current(self) -> int:
        return self.count


@dataclass
class Bare:
    start: Measured
    update: Measured
    update_with_start: Measured
    query: Measured  # what a read of a live case costs the engine, at the least


async def measure(address: str, count: int, concurrency: int) -> Bare:
    client = await Client.connect(address)
    queue = f"bare-{uuid.uuid4()}"
    run = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            client, task_queue=queue, workflows=[BareWorkflow], activity_executor=executor
        ):

            async def start(i: int) -> None:
                await client.start_workflow(
                    BareWorkflow.run, "x", id=f"bare-{run}-{i}", task_queue=queue
                )

            started = await drive("bare start", count, concurrency, start)

            async def update(i: int) -> None:
                handle = client.get_workflow_handle(f"bare-{run}-{i % count}")
                await handle.execute_update(BareWorkflow.bump, 1)

            updated = await drive("bare update", count, concurrency, update)

            async def update_with_start(i: int) -> None:
                operation = WithStartWorkflowOperation(
                    BareWorkflow.run,
                    "x",
                    id=f"bare-uws-{run}-{i}",
                    task_queue=queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                await client.execute_update_with_start_workflow(
                    BareWorkflow.bump, 1, start_workflow_operation=operation
                )

            with_start = await drive(
                "bare update-with-start", count, concurrency, update_with_start
            )

            async def query(i: int) -> None:
                await client.get_workflow_handle(f"bare-{run}-{i % count}").query(
                    BareWorkflow.current
                )

            queried = await drive("bare query", count, concurrency, query)
            for prefix, n in ((f"bare-{run}", count), (f"bare-uws-{run}", count)):
                for i in range(n):
                    await client.get_workflow_handle(f"{prefix}-{i}").signal(BareWorkflow.finish)
    return Bare(started, updated, with_start, queried)
