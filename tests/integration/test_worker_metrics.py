"""The worker's Prometheus metrics (``LINKAGE_WORKER_METRICS_BIND``): the SDK's own, served by the
worker's runtime, with those that on-call alerts on there once work has gone through it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.effects import ClueDelivery, ClueOutcome
from settings import Settings
from store.db import make_engine, migrate
from telemetry import worker_runtime
from tests.api.conftest import stack_settings
from tests.polling import eventually
from tests.services import free_port
from worker import build_worker, http_client
from workflows.clue import ClueWorkflow
from workflows.engine import connect

# What the README's alerts read, by the SDK's names (latencies in milliseconds). Its failure
# counters (``temporal_request_failure``, ``temporal_workflow_task_execution_failed``) appear at their
# first failure; this run makes one of an activity.
ALERTED = (
    "temporal_workflow_task_schedule_to_start_latency_bucket",
    "temporal_activity_schedule_to_start_latency_bucket",
    "temporal_activity_execution_failed",
    "temporal_request",
    "temporal_worker_task_slots_available",
)


@pytest.fixture
async def measured(
    dev_server: WorkflowEnvironment, simulator_url: str
) -> AsyncIterator[tuple[Client, Settings]]:
    """A worker whose client has the metrics runtime, as ``python -m worker`` makes it."""
    settings = stack_settings(
        dev_server, simulator_url, "metrics", worker_metrics_bind=f"127.0.0.1:{free_port()}"
    )
    engine = make_engine(settings.database)
    migrate(engine)
    client = await connect(settings, runtime=worker_runtime(settings))
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with (
            http_client(settings) as http,
            build_worker(client, settings, http, engine, executor),
        ):
            yield client, settings
    engine.dispose()


def clue(to: str) -> ClueDelivery:
    clue_id = f"metrics-{uuid.uuid4()}"
    return ClueDelivery(clue_id, "EPB-DEMO.M-1", clue_id, "EPB-DEMO", to, ["shielding"], "线索")


async def test_the_worker_serves_the_sdk_metrics_on_call_alerts_on(
    measured: tuple[Client, Settings],
) -> None:
    client, settings = measured
    assert worker_runtime(Settings(worker_metrics_bind="")) is None  # off unless configured
    # One clue delivered through the simulator, one to an agency no endpoint is configured for: its
    # activity fails (not retryably) and the clue keeps the error.
    for to, delivered in (("SUP-DEMO", True), ("NOWHERE", False)):
        delivery = clue(to)
        outcome: ClueOutcome = await client.execute_workflow(
            ClueWorkflow.run, delivery, id=delivery.clue_id, task_queue=settings.task_queue
        )
        assert (outcome.error is None) is delivered, outcome

    url = f"http://{settings.worker_metrics_bind}/metrics"
    scraped: list[str] = []

    async def exported() -> bool:
        async with httpx.AsyncClient() as http:
            answer = await http.get(url, timeout=5)
        names = {line.split("{")[0].split(" ")[0] for line in answer.text.splitlines()}
        scraped[:] = [answer.text]
        return answer.status_code == 200 and all(name in names for name in ALERTED)

    await eventually(exported, f"{url} lacks some of {ALERTED}", seconds=20)
    text = scraped[0]
    failed = [
        line
        for line in text.splitlines()
        if line.startswith("temporal_activity_execution_failed{")
        and 'activity_type="deliver_clue"' in line
    ]
    assert failed, text
    assert float(failed[0].rsplit(" ", 1)[1]) >= 1, failed
    assert f'task_queue="{settings.task_queue}"' in text
