"""What an operator does to running cases: publish a holiday year, rebuild their read model, export
one case's record. Each works from the cases' own workflows or the read model, never around them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic_core import to_jsonable_python
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from cases.calendar import default_calendar, snapshot
from cases.ids import case_id_of, workflow_id
from store.links import links_made
from store.queries import evidence
from store.records import case_row, clocks, record_case_events, timeline
from store.views import mark_stale
from workflows.case import CaseWorkflow

log = structlog.get_logger(__name__)
RUNNING = "WorkflowType = 'CaseWorkflow' AND ExecutionStatus = 'Running'"
AT_ONCE = 8  # cases asked or told at a time


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def running_cases(client: Client, only: Iterable[str] = ()) -> AsyncIterator[str]:
    """The ids of the named cases, or of every running case."""
    named = list(only)
    if named:
        for case_id in named:
            yield case_id
        return
    async for execution in client.list_workflows(RUNNING):
        yield case_id_of(execution.id)


async def _each(
    client: Client, only: Iterable[str], act: Callable[[str], Awaitable[None]], what: str
) -> Outcome:
    outcome = Outcome()
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(case_id: str) -> None:
        async with gate:
            try:
                await act(case_id)
            except Exception as exc:
                outcome.failed[case_id] = f"{type(exc).__name__}: {str(exc)[:300]}"
                log.warning(f"{what} failed", case_id=case_id, error=str(exc)[:300])
            else:
                outcome.done.append(case_id)

    await asyncio.gather(*[one(case_id) async for case_id in running_cases(client, only)])
    return outcome


async def publish_calendar(
    client: Client, engine: Engine, years: list[int], only: Iterable[str] = ()
) -> Outcome:
    """Send the published arrangement of ``years`` (``cases/data/calendar.toml``) to running cases:
    each counts its open clocks again (``CaseWorkflow.publish_calendar``). Each case's stored page
    is marked stale first, so that no page shows the deadlines of before should the case's own
    write fail."""
    arrangement = snapshot(default_calendar(), years)

    async def send(case_id: str) -> None:
        await run_in_threadpool(mark_stale, engine, case_id)
        await client.get_workflow_handle(workflow_id(case_id)).signal(
            CaseWorkflow.publish_calendar, arrangement
        )

    return await _each(client, only, send, "publishing the calendar")


async def rebuild(client: Client, engine: Engine, only: Iterable[str] = ()) -> Outcome:
    """Write each running case's read model again from its workflow (``CaseWorkflow.full_record``):
    the row, the clocks, the evidence, the stored page and the newest entries the case keeps.
    Writing is idempotent; the read model alone keeps the older entries (restore them from a
    backup)."""

    async def again(case_id: str) -> None:
        handle = client.get_workflow_handle(workflow_id(case_id))
        record = await handle.query(CaseWorkflow.full_record)
        await run_in_threadpool(record_case_events, engine, record)

    return await _each(client, only, again, "rebuilding")


def export(engine: Engine, case_id: str) -> dict[str, Any] | None:
    """A case's full record as the read model keeps it (the record of closed cases): its row, every
    timeline entry, every clock and every evidence item, and its links to cases of other regions,
    as JSON-ready data."""
    row = case_row(engine, case_id)
    if row is None:
        return None
    data: dict[str, Any] = to_jsonable_python(
        {
            "exported_at": datetime.now(UTC),
            "case": row.model_dump(),
            "timeline": [e.model_dump() for e in timeline(engine, case_id)],
            "clocks": [c.model_dump() for c in clocks(engine, case_id)],
            "evidence": [e.model_dump() for e in evidence(engine, case_id)],
            "links": [link.model_dump() for link in links_made(engine, case_id)],
        }
    )
    return data
