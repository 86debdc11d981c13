"""The worker: CaseWorkflow and every activity, with one shared HTTP client and a graceful shutdown.

Run it as ``python -m worker`` (``make run`` does). On SIGINT/SIGTERM it stops polling, lets running
activities finish (or be cancelled at the graceful-shutdown timeout), then closes the HTTP client.
"""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import structlog
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.agencies import AgencyActivities
from activities.event_bulletins import EventBulletinActivities
from activities.papers import PaperActivities
from activities.records import RecordActivities
from cases.agencies import default_registry
from cases.calendar import default_calendar
from cases.profiles import default_profiles
from logs import configure_logging
from settings import Settings
from store.db import make_engine, migrate
from store.sealed import Sealer
from telemetry import WORKER_SERVICE, tracing, worker_runtime
from workflows.case import CaseWorkflow
from workflows.clue import ClueWorkflow
from workflows.engine import connect, payload_keys
from workflows.event_bulletins import EVENT_BULLETIN_WORKFLOWS
from workflows.notice import NoticeWorkflow
from workflows.report import ReportWorkflow
from workflows.routines import ROUTINE_WORKFLOWS
from workflows.runner import runner

log = structlog.get_logger(__name__)
GRACEFUL_SHUTDOWN = timedelta(seconds=30)


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The one client for agency calls. It never retries by itself: Temporal does."""
    return httpx.AsyncClient(
        timeout=settings.http_timeout,
        transport=httpx.AsyncHTTPTransport(retries=0),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        headers={"User-Agent": "linkage-worker"},
    )


def load_domain() -> None:
    """Read every data file now, so that a broken one stops start-up with its message."""
    default_registry()
    default_profiles()
    default_calendar()


def build_worker(
    client: Client,
    settings: Settings,
    http: httpx.AsyncClient,
    engine: Engine,
    executor: ThreadPoolExecutor,
    *,
    task_queue: str | None = None,
) -> Worker:
    keys = payload_keys(settings)
    agencies = AgencyActivities(http, settings, Sealer(keys.current, keys.keys))
    records = RecordActivities(engine)
    papers = PaperActivities(settings)
    routines = EventBulletinActivities(engine, settings)  # the routines' and D4 §5's two
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=[
            CaseWorkflow,
            NoticeWorkflow,
            ClueWorkflow,
            ReportWorkflow,
            *ROUTINE_WORKFLOWS,
            *EVENT_BULLETIN_WORKFLOWS,
        ],
        activities=[
            agencies.deliver_referral,
            agencies.deliver_document,
            agencies.deliver_clue,
            agencies.send_expert_request,
            agencies.notify,
            agencies.reply_to_reporter,
            records.record,
            records.record_clue,
            records.record_report,
            papers.make_paper,
            *routines.all(),
            *routines.event_activities(),
        ],
        activity_executor=executor,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        workflow_runner=runner(),
        deployment_config=deployment(settings),
    )


def deployment(settings: Settings) -> WorkerDeploymentConfig | None:
    """With a build id, the worker is that build of the ``linkage`` deployment (worker versioning):
    its tasks are its own build's, and ``linkage promote`` makes it current (``ops/deploy.py``).
    Without one (``make run``, tests) it takes any task of its queue."""
    if not settings.build_id:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(settings.deployment_name, settings.build_id),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )


async def main() -> None:
    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    load_domain()
    engine = make_engine(settings.database)
    migrate(engine)
    traced = tracing(WORKER_SERVICE)  # None unless an OTLP endpoint is configured
    client = await connect(settings, tracing=traced, runtime=worker_runtime(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="activity") as executor:
        async with http_client(settings) as http:
            if traced is not None:
                traced.instrument_http(http)
            worker = build_worker(client, settings, http, engine, executor)
            log.info(
                "worker started",
                task_queue=settings.task_queue,
                temporal=settings.temporal_address,
                metrics=settings.worker_metrics_bind or None,
                tracing=traced is not None,
            )
            async with worker:
                await stop.wait()
                log.info("worker stopping: letting running activities finish")
    engine.dispose()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
