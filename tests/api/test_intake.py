"""Intake is idempotent on the intake system's own id, sequentially and under concurrency."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlmodel import Session, func, select

from store.tables import CaseRow
from tests.api.conftest import Stack
from tests.api.helpers import eventually, intake_body


async def test_a_repeated_intake_returns_the_existing_case(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    body = intake_body()
    first = await api.post("/cases", json=body, headers=stack.auth("EPB-DEMO", "intake"))
    assert first.status_code == 201, first.text
    second = await api.post("/cases", json=body, headers=stack.auth("EPB-DEMO", "intake"))
    assert second.status_code == 200, second.text
    assert second.json()["case_id"] == first.json()["case_id"] == f"EPB-DEMO-{body['intake_ref']}"


async def test_concurrent_duplicates_start_one_workflow_and_write_one_row(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    body = intake_body(ref=f"SAME-{uuid.uuid4().hex[:8]}")
    responses = await asyncio.gather(
        *(api.post("/cases", json=body, headers=stack.auth("EPB-DEMO", "intake")) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [201]
    case_id = f"EPB-DEMO-{body['intake_ref']}"
    assert {r.json()["case_id"] for r in responses} == {case_id}

    def rows() -> int:
        with Session(stack.engine) as session:
            return session.exec(
                select(func.count()).select_from(CaseRow).where(CaseRow.case_id == case_id)
            ).one()

    async def recorded() -> bool:
        return rows() == 1

    await eventually(recorded, "the case never reached the read model")
    timeline = await api.get(
        f"/cases/{case_id}/timeline", headers=stack.auth("EPB-DEMO", "officer")
    )
    assert [e["action"] for e in timeline.json()] == ["open"]  # one workflow, opened once
    assert rows() == 1
