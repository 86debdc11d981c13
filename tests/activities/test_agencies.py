"""The real activities against the real simulator over HTTP, under the workflow's retry policies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cases.vocabulary import DocumentKind
from settings import Settings
from store.db import make_engine, migrate
from tests.workflows.driver import (
    EPB_OFFICER,
    PSB_OFFICER,
    Case,
    delivered,
    eventually,
    running_case,
    settled,
    to_sending,
)
from worker import build_worker, http_client


@pytest.fixture
async def sim(simulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simulator_url, timeout=10) as client:
        (await client.post("/admin/reset")).raise_for_status()
        yield client


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@asynccontextmanager
async def real_agencies(
    env: WorkflowEnvironment, simulator_url: str, engine: Engine, **overrides: Any
) -> AsyncIterator[Callable[[str], Worker]]:
    settings = Settings(
        simulator_url=simulator_url,
        **{"http_timeout": 5.0, "heartbeat_every": 0.2, **overrides},  # roomy on a loaded machine
    )
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with http_client(settings) as http:
            yield lambda queue: build_worker(
                env.client, settings, http, engine, executor, task_queue=queue
            )


async def behave(sim: httpx.AsyncClient, agency: str, **behaviour: Any) -> None:
    (await sim.put(f"/admin/agencies/{agency}/behaviour", json=behaviour)).raise_for_status()


async def send(case: Case) -> None:
    await to_sending(case)
    await case.act("send_referral", EPB_OFFICER)
    await delivered(case)


async def test_two_503s_then_success_give_exactly_one_delivery(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    await behave(sim, "PSB-DEMO", mode="fail", times=2, status=503)
    async with (
        real_agencies(time_skipping, simulator_url, engine) as worker,
        running_case(time_skipping, worker=worker) as case,
    ):
        await send(case)
        state = (await case.view()).state
        assert state.referral.receipt is not None
        assert state.referral.receipt.reference.startswith("PSB-DEMO-REFERRAL-")
        calls = (await sim.get("/admin/received", params={"agency": "PSB-DEMO"})).json()
        assert [c["status"] for c in calls] == [503, 503, 201]
        assert len({c["key"] for c in calls}) == 1  # the same key on every retry of the step
        assert calls[0]["key"] == f"case-{case.case_id}-referral-1"
        summary = (await sim.get("/admin/agencies/PSB-DEMO")).json()
        assert summary["accepted"]["referral"] == 1  # exactly one delivery at the agency
        assert summary["accepted"]["referral_copy"] == 0  # env-police copies the procuratorate:
        procuratorate = (await sim.get("/admin/agencies/PROC-DEMO")).json()
        assert procuratorate["accepted"]["referral_copy"] == 1  # N2017 Art. 6
        assert state.stage.value == "filing_decision"  # the receipt is the acceptance


async def test_a_notice_reaches_the_agency_system_and_its_receipt_starts_the_clock(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    """The filing notice goes to the agency's system (one 503 first), copied to the procuratorate;
    the system's receipt is the moment of receipt (O310 Art. 12; N2017 Art. 9, 10)."""
    async with (
        real_agencies(time_skipping, simulator_url, engine) as worker,
        running_case(time_skipping, worker=worker) as case,
    ):
        await send(case)
        await behave(sim, "EPB-DEMO", mode="fail", times=1, status=503)
        await case.act("file_case", PSB_OFFICER, reference="立案-009")
        notice = await settled(case, DocumentKind.FILING_NOTICE)
        assert notice.reference is not None
        assert notice.reference.startswith("EPB-DEMO-DOCUMENT-")
        calls = (await sim.get("/admin/received", params={"kind": "document"})).json()
        assert [(c["agency"], c["status"]) for c in calls] == [("EPB-DEMO", 503), ("EPB-DEMO", 201)]
        assert calls[-1]["body"]["title_zh"] == "立案通知书"
        copies = (await sim.get("/admin/received", params={"kind": "document_copy"})).json()
        assert [c["agency"] for c in copies] == ["PROC-DEMO"]
        handover = await case.clock("handover")
        assert handover.started_at == notice.received_at


async def test_a_4xx_is_not_retried_and_its_reason_lands_on_the_case(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    await behave(sim, "PSB-DEMO", mode="refuse", times=1, status=422, reason="移送书未加盖公章")
    async with (
        real_agencies(time_skipping, simulator_url, engine) as worker,
        running_case(time_skipping, worker=worker) as case,
    ):
        await send(case)
        state = (await case.view()).state
        assert state.referral.receipt is None
        assert state.referral.delivery_error == "422 移送书未加盖公章"
        assert len((await sim.get("/admin/received", params={"agency": "PSB-DEMO"})).json()) == 1

        # The coordinator sees it; the notifier was told; a person resends and it goes through.
        async def told() -> bool:
            notices = (await sim.get("/admin/received", params={"agency": "NOTIFIER"})).json()
            return any("delivery_failed" in str(n["body"]) for n in notices)

        await eventually(case, told, "the refusal was never notified")
        await case.act("resend_referral", EPB_OFFICER, note="已加盖公章")
        await delivered(case)

        async def received() -> bool:
            return (await case.view()).state.referral.receipt is not None

        await eventually(case, received, "the resent referral never arrived")
        keys = [
            c["key"]
            for c in (await sim.get("/admin/received", params={"agency": "PSB-DEMO"})).json()
        ]
        assert keys == [f"case-{case.case_id}-referral-1", f"case-{case.case_id}-referral-2"]


async def test_a_hanging_agency_hits_the_timeout_and_the_retry_goes_through(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    await behave(sim, "PSB-DEMO", mode="hang", times=1, hang_seconds=10)
    async with (
        real_agencies(time_skipping, simulator_url, engine, http_timeout=2.0) as worker,
        running_case(time_skipping, worker=worker) as case,
    ):
        await send(case)
        assert (await case.view()).state.referral.receipt is not None
        calls = (await sim.get("/admin/received", params={"agency": "PSB-DEMO"})).json()
        assert len(calls) == 2  # the first hung past the client's timeout; the retry answered
        assert calls[0]["key"] == calls[1]["key"]
        assert (await sim.get("/admin/agencies/PSB-DEMO")).json()["accepted"]["referral"] == 1


async def test_national_2017_copies_the_procuratorate_and_requests_reach_the_station(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    async with (
        real_agencies(time_skipping, simulator_url, engine) as worker,
        running_case(time_skipping, mechanism="national-2017", worker=worker) as case,
    ):
        await case.act("request_test", EPB_OFFICER, agency="MON-DEMO", subject="总磷")

        async def asked() -> bool:
            return bool((await sim.get("/admin/received", params={"agency": "MON-DEMO"})).json())

        await eventually(case, asked, "the monitoring station was never asked")
        request = (await sim.get("/admin/received", params={"agency": "MON-DEMO"})).json()[0]
        assert request["body"]["request_id"] == "test-1"
        await send(case)
        copies = (await sim.get("/admin/received", params={"agency": "PROC-DEMO"})).json()
        assert [c["kind"] for c in copies] == ["referral_copy"]
        assert copies[0]["key"] == f"case-{case.case_id}-referral-1-copy-PROC-DEMO"


async def test_a_request_for_assistance_reaches_the_other_regions_system_and_its_receipt_counts(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    """区域联动 (D3 §3.2): the request goes to the east county bureau's system; its receipt starts
    the answer's clock, held by that bureau."""
    async with (
        real_agencies(time_skipping, simulator_url, engine) as worker,
        running_case(time_skipping, worker=worker) as case,
    ):
        await case.act(
            "request_assistance",
            EPB_OFFICER,
            agency="EPB-EAST",
            assistance="joint_inspection",
            subject="联合检查交界处排污口",
        )

        async def received() -> bool:
            return any(c.name == "assistance" for c in (await case.view()).state.clocks)

        await eventually(case, received, "the request for assistance was never received")
        (call,) = (await sim.get("/admin/received", params={"agency": "EPB-EAST"})).json()
        assert call["kind"] == "request"
        assert call["body"]["kind"] == "assistance"
        assert call["body"]["assistance"] == "joint_inspection"
        assert call["body"]["requesting_agency"] == "EPB-DEMO"
        clock = await case.clock("assistance")
        assert (clock.owner_agency, clock.key) == ("EPB-EAST", "assistance:assistance-1")


async def test_an_agency_without_an_endpoint_is_refused_without_a_call(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    only_notifier = {"EPB-DEMO": {"base_url": f"{simulator_url}/agencies/EPB-DEMO"}}
    async with (
        real_agencies(
            time_skipping, simulator_url, engine, agency_endpoints=only_notifier
        ) as worker,
        running_case(time_skipping, worker=worker) as case,
    ):
        await send(case)
        error = (await case.view()).state.referral.delivery_error
        assert error == "no endpoint is configured for agency 'PSB-DEMO'"
        assert (await sim.get("/admin/received", params={"agency": "PSB-DEMO"})).json() == []


async def test_a_wrong_credential_is_a_refusal(
    time_skipping: WorkflowEnvironment, simulator_url: str, sim: httpx.AsyncClient, engine: Engine
) -> None:
    wrong = {
        code: {"base_url": f"{simulator_url}/agencies/{code}", "token": "stolen"}
        for code in ("PSB-DEMO", "EPB-DEMO")
    }
    async with (
        real_agencies(time_skipping, simulator_url, engine, agency_endpoints=wrong) as worker,
        running_case(time_skipping, worker=worker) as case,
    ):
        await send(case)
        assert (
            await case.view()
        ).state.referral.delivery_error == "401 invalid or missing credential"
