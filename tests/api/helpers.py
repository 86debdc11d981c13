"""Small steps the API tests share."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cases.profiles import get_profile
from tests.api.conftest import Stack

SHA = "e" * 64


def intake_body(ref: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "intake_ref": ref or f"T-{uuid.uuid4().hex[:12]}",
        "discovering_agency": "EPB-DEMO",
        "mechanism": "env-police",
        "source": "inspection",
        "subject": "某化工有限公司",
        "discovered_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "facts": {
            "violation_type": "evasive_discharge",
            "hazardous_into_water": True,
            "measurements": [{"pollutant": "总铬", "measured": 6.0, "standard": 1.5}],
            "discharges_past_year": 1,
        },
    }
    body.update(overrides)
    return body


async def open_case(api: httpx.AsyncClient, stack: Stack, **overrides: Any) -> str:
    response = await api.post(
        "/cases", json=intake_body(**overrides), headers=stack.auth("EPB-DEMO", "intake")
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    await eventually(
        lambda: _listed(api, stack, case_id), f"{case_id} never reached the read model"
    )
    return case_id


async def _listed(api: httpx.AsyncClient, stack: Stack, case_id: str) -> bool:
    response = await api.get(
        f"/cases/{case_id}/timeline", headers=stack.auth("EPB-DEMO", "officer")
    )
    return response.status_code == 200 and bool(response.json())


async def act(
    api: httpx.AsyncClient,
    stack: Stack,
    case_id: str,
    action: str,
    who: tuple[str, str],
    **body: Any,
) -> httpx.Response:
    return await api.post(f"/cases/{case_id}/actions/{action}", json=body, headers=stack.auth(*who))


async def ok(response: Awaitable[httpx.Response]) -> Any:
    """The JSON of a successful response (a case, a page, a timeline…)."""
    done = await response
    assert done.status_code in (200, 201), done.text
    return done.json()


OFFICER = ("EPB-DEMO", "officer")
HEAD = ("EPB-DEMO", "approver")
POLICE = ("PSB-DEMO", "officer")


async def record_package(
    api: httpx.AsyncClient, stack: Stack, case_id: str, mechanism: str = "env-police"
) -> None:
    """Every item the mechanism's referral checklist asks for, by reference."""
    for kind in get_profile(mechanism).referral_required:
        await ok(
            api.post(
                f"/cases/{case_id}/evidence",
                json={
                    "kind": kind,
                    "title": kind,
                    "reference": f"https://files.example/{kind}",
                    "sha256": SHA,
                },
                headers=stack.auth(*OFFICER),
            )
        )


async def to_sent(api: httpx.AsyncClient, stack: Stack, case_id: str) -> None:
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await record_package(api, stack, case_id)
    await ok(act(api, stack, case_id, "request_approval", OFFICER))
    await ok(act(api, stack, case_id, "approve_referral", HEAD))
    await ok(act(api, stack, case_id, "send_referral", OFFICER))


async def eventually(
    check: Callable[[], Awaitable[bool]], failure: str, seconds: float = 60
) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(failure)


async def detail(
    api: httpx.AsyncClient, stack: Stack, case_id: str, who: tuple[str, str] = OFFICER
) -> dict[str, Any]:
    case: dict[str, Any] = await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*who)))
    return case
