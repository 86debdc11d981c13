"""The product, through its HTTP API, on the same server in the same run as the bare engine."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType

from bench.harness import Bench, Measured, drive, rss_mib, settled
from cases.ids import workflow_id
from cases.profiles import get_profile
from settings import Settings
from workflows.engine import connect

OFFICER = ("EPB-DEMO", "officer")
HEAD = ("EPB-DEMO", "approver")
POLICE = ("PSB-DEMO", "officer")
PROCURATOR = ("PROC-DEMO", "procurator")
COORDINATOR = ("JLO-DEMO", "coordinator")


def intake(ref: str, mechanism: str = "env-police", key: bool = True) -> dict[str, Any]:
    return {
        "intake_ref": ref,
        "discovering_agency": "EPB-DEMO",
        "mechanism": mechanism,
        "source": "inspection",
        "subject": f"基准测试企业 {ref}",
        "discovered_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "facts": {
            "violation_type": "evasive_discharge",
            "hazardous_into_water": key,  # with the measurement below: a key case
            "measurements": [{"pollutant": "总铬", "measured": 6.0, "standard": 1.5}],
        },
    }


@dataclass
class Product:
    intake: Measured
    action: Measured  # a step with no outside call (classify)
    noticed: Measured  # a step that notifies an agency (direct): an activity and a second task
    detail: Measured  # from the case's stored state, while it holds
    again: Measured  # the same cases again: what the first look learnt from the engine is kept
    asked: Measured  # always asking the case's workflow (a second API, stored views off)
    listing: Measured
    case_ids: list[str]


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response


async def _ok(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = _checked(response).json()
    return body


Around = Callable[[str], AbstractContextManager[Any]]


async def measure(
    bench: Bench, count: int, concurrency: int, around: Around = lambda _: nullcontext()
) -> Product:
    """Intake, two kinds of action, reads and lists, each phase inside ``around(phase)`` (a
    profiler, with ``--profile``)."""
    run = uuid.uuid4().hex[:8]
    case_ids: list[str] = [""] * count
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=bench.api, timeout=60, limits=limits) as api:
        intake_key = bench.auth("EPB-DEMO", "intake")

        async def open_one(i: int) -> None:
            body = await _ok(
                await api.post("/cases", json=intake(f"B{run}-{i}"), headers=intake_key)
            )
            case_ids[i] = str(body["case_id"])

        with around("intake"):
            opened = await drive("intake", count, concurrency, open_one)
        await settled(bench)
        coordinator = bench.auth(*COORDINATOR)
        officer = bench.auth(*OFFICER)

        async def act_one(i: int) -> None:
            path = f"/cases/{case_ids[i % count]}/actions/classify"
            body = {"classification": "crime", "reasons": "暗管"}
            await _ok(await api.post(path, json=body, headers=officer))

        with around("action"):
            acted = await drive("action", count, concurrency, act_one)
        await settled(bench)

        async def direct_one(i: int) -> None:
            path = f"/cases/{case_ids[i % count]}/actions/direct"
            await _ok(await api.post(path, json={"note": f"督办 {i}"}, headers=coordinator))

        with around("action with a notice"):
            directed = await drive("action with a notice", count, concurrency, direct_one)
        await settled(bench)

        async def read_one(i: int) -> None:
            await _ok(await api.get(f"/cases/{case_ids[i % count]}", headers=coordinator))

        with around("GET /cases/{id}"):
            read = await drive("GET /cases/{id}", count, concurrency, read_one)
        again = await drive("GET /cases/{id}, seen before", count, concurrency, read_one)
        async with httpx.AsyncClient(base_url=bench.asking, timeout=60, limits=limits) as other:

            async def ask_one(i: int) -> None:
                url = f"/cases/{case_ids[i % count]}"
                await _ok(await other.get(url, headers=coordinator))

            asked = await drive("GET /cases/{id} asking the case", count, concurrency, ask_one)

        async def list_one(i: int) -> None:
            params = [{"stage": "evidence"}, {"overdue": "true"}, {"key_case": "true"}, {}][i % 4]
            await _ok(await api.get("/cases", params=params, headers=coordinator))

        listed = await drive("GET /cases", count, concurrency, list_one)
    return Product(opened, acted, directed, read, again, asked, listed, case_ids)


# --------------------------------------------------------------------------------------------------
# Whole lifecycles: demo-fast cases from intake to the archive, through the API


async def _stage(api: httpx.AsyncClient, bench: Bench, case_id: str) -> str:
    body = await _ok(await api.get(f"/cases/{case_id}", headers=bench.auth(*OFFICER)))
    return str(body["summary"]["stage"])


NEXT: dict[str, tuple[tuple[str, str], str, dict[str, Any]]] = {
    "filing_decision": (POLICE, "file_case", {}),
    "handover": (OFFICER, "hand_over", {"items": ["水样"]}),
    "investigation": (POLICE, "feed_back", {"outcome": "prosecution"}),
    "prosecution": (PROCURATOR, "charge", {"reference": "检诉〔2026〕1号"}),
    "trial": (PROCURATOR, "record_judgment", {"judgment": "convicted"}),
    "archiving": (OFFICER, "archive", {}),
}


async def lifecycle(
    api: httpx.AsyncClient,
    bench: Bench,
    ref: str,
    mechanism: str = "demo-fast",
    stop_at: str = "archived",
    key: bool = True,
) -> str:
    """One case from intake to ``stop_at`` (the archive unless told); a step that waits for a
    delivery is asked again until the case takes it."""
    body = await _ok(
        await api.post(
            "/cases", json=intake(ref, mechanism, key), headers=bench.auth("EPB-DEMO", "intake")
        )
    )
    case_id = str(body["case_id"])
    act = f"/cases/{case_id}/actions"
    kinds = get_profile(mechanism).referral_required
    items = [{"kind": k, "title": k, "sha256": "e" * 64} for k in kinds]
    opening: list[tuple[tuple[str, str], str, dict[str, Any]]] = [
        (OFFICER, "classify", {"classification": "crime", "reasons": "暗管"}),
        (OFFICER, "record_evidence", {"items": items}),
        (OFFICER, "request_approval", {"officers": ["王执法", "张执法"]}),
        (HEAD, "approve_referral", {}),
        (OFFICER, "send_referral", {}),
    ]
    for who, action, payload in opening:
        if await _stage(api, bench, case_id) == stop_at:
            return case_id
        await _ok(await api.post(f"{act}/{action}", json=payload, headers=bench.auth(*who)))
    for _ in range(400):
        stage = await _stage(api, bench, case_id)
        if stage == stop_at:
            return case_id
        step = NEXT.get(stage)
        if step is None:  # waiting for a delivery (acceptance on the police system's receipt)
            await asyncio.sleep(0.1)
            continue
        who, action, payload = step
        response = await api.post(f"{act}/{action}", json=payload, headers=bench.auth(*who))
        if response.status_code == 409:  # a notice not yet received: ask again
            await asyncio.sleep(0.1)
            continue
        await _ok(response)
    raise RuntimeError(f"{case_id} never reached the archive")


@dataclass
class Lifecycles:
    measured: Measured
    events: float  # history events per lifecycle (all runs)
    tasks: float  # workflow tasks per lifecycle
    case_ids: list[str]
    entries: float = 0.0  # timeline entries per lifecycle: steps, clocks' doings, answers taken in


async def lifecycles(bench: Bench, count: int, concurrency: int) -> Lifecycles:
    run = uuid.uuid4().hex[:8]
    done: list[str] = []
    async with httpx.AsyncClient(base_url=bench.api, timeout=60) as api:

        async def one(i: int) -> None:
            done.append(await lifecycle(api, bench, f"L{run}-{i}"))

        measured = await drive("lifecycle", count, concurrency, one)
        entries = 0
        for case_id in done:
            timeline = await api.get(f"/cases/{case_id}/timeline", headers=bench.auth(*OFFICER))
            entries += len(_checked(timeline).json())
    client = await connect(Settings(temporal_address=bench.temporal, data_dir=bench.data))
    events = tasks = 0
    for case_id in done:
        async for event in client.get_workflow_handle(workflow_id(case_id)).fetch_history_events():
            events += 1
            tasks += event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    n = len(done)
    return Lifecycles(measured, events / n, tasks / n, done, entries / n)


# Where the read model's templates stop: every stage a case waits in, on a mechanism of statutory
# days (clocks that run for days) and on demo-fast (clocks already overdue and escalated).
STOPS = (
    "discovery", "evidence", "referral_approval", "referral_sending", "filing_decision",
    "handover", "investigation", "prosecution", "trial", "archiving",
)  # fmt: skip


async def staged(bench: Bench, concurrency: int) -> list[str]:
    """Cases left at each stage of ``STOPS``, one per mechanism: templates of a varied read model."""
    run = uuid.uuid4().hex[:8]
    plan = [(m, stop) for stop in STOPS for m in ("env-police", "demo-fast")]
    done: list[str] = []
    async with httpx.AsyncClient(base_url=bench.api, timeout=60) as api:

        async def one(i: int) -> None:
            mechanism, stop = plan[i]
            case = await lifecycle(api, bench, f"T{run}-{i}", mechanism, stop, key=i % 3 == 0)
            done.append(case)

        await drive("staged cases", len(plan), concurrency, one)
    return done


async def open_cases(bench: Bench, count: int, concurrency: int) -> tuple[Measured, float]:
    """``count`` more open cases through the API; the worker's memory after them (MiB)."""
    run = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=bench.api, timeout=60) as api:
        key = bench.auth("EPB-DEMO", "intake")

        async def one(i: int) -> None:
            await _ok(await api.post("/cases", json=intake(f"M{run}-{i}"), headers=key))

        measured = await drive(f"open {count} cases", count, concurrency, one)
    await asyncio.sleep(2)
    return measured, rss_mib(bench.pid("worker"))
