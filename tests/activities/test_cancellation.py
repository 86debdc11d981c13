"""A long call heartbeats while it waits and stops when the activity is cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from activities.agencies import AgencyActivities
from cases.effects import PackageItem, ReferralDelivery
from settings import Settings
from worker import http_client


@pytest.fixture
async def hanging_police(simulator_url: str) -> AsyncIterator[str]:
    async with httpx.AsyncClient(base_url=simulator_url) as sim:
        await sim.post("/admin/reset")
        await sim.put(
            "/admin/agencies/PSB-DEMO/behaviour", json={"mode": "hang", "hang_seconds": 30}
        )
        yield simulator_url
        await sim.post("/admin/reset")


async def test_a_hanging_call_heartbeats_and_is_cancelled(hanging_police: str) -> None:
    settings = Settings(simulator_url=hanging_police, http_timeout=60, heartbeat_every=0.1)
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    delivery = ReferralDelivery(
        case_id="CANCEL-1",
        idempotency_key="case-CANCEL-1-referral-1",
        attempt=1,
        police_agency="PSB-DEMO",
        copy_to=[],
        mechanism="env-police",
        referring_agency="EPB-DEMO",
        classification="crime",
        items=[PackageItem("referral_letter", "移送书", "d" * 64)],
    )
    async with http_client(settings) as http:
        activities = AgencyActivities(http, settings)
        call = asyncio.create_task(env.run(activities.deliver_referral, delivery))
        await asyncio.sleep(1.0)
        assert len(beats) >= 3  # alive while the agency keeps it waiting
        assert beats[0] == ("case-CANCEL-1-referral-1",)
        env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(call, timeout=5)  # stops at once, not after the 30 s hang
