"""Small steps the API tests share (in process and over the subprocess stack alike)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from cases.profiles import get_profile

SHA = "e" * 64
OFFICER = ("EPB-DEMO", "officer")
HEAD = ("EPB-DEMO", "approver")
POLICE = ("PSB-DEMO", "officer")
INTAKE = ("EPB-DEMO", "intake")


class Keyed(Protocol):
    """A stack whose principals hold keys: the in-process one or the subprocess one."""

    def key(self, agency: str, role: str) -> str: ...

    def auth(self, agency: str, role: str) -> dict[str, str]: ...


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


async def open_case(api: httpx.AsyncClient, stack: Keyed, **overrides: Any) -> str:
    """Open a case; intake answers once the case is recorded, so it is listed at once."""
    agency = overrides.get("discovering_agency", "EPB-DEMO")
    response = await api.post(
        "/cases", json=intake_body(**overrides), headers=stack.auth(agency, "intake")
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


async def act(
    api: httpx.AsyncClient,
    stack: Keyed,
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


def items(*kinds: str) -> list[dict[str, str]]:
    return [
        {"kind": k, "title": k, "reference": f"https://files.example/{k}", "sha256": SHA}
        for k in kinds
    ]


async def record_package(
    api: httpx.AsyncClient, stack: Keyed, case_id: str, mechanism: str = "env-police"
) -> None:
    """Every item the mechanism's referral checklist asks for, in one step."""
    kinds = get_profile(mechanism).referral_required
    await ok(act(api, stack, case_id, "record_evidence", OFFICER, items=items(*kinds)))


async def to_sent(api: httpx.AsyncClient, stack: Keyed, case_id: str) -> None:
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await record_package(api, stack, case_id)
    await ok(act(api, stack, case_id, "request_approval", OFFICER, officers=["王执法", "张执法"]))
    await ok(act(api, stack, case_id, "approve_referral", HEAD))
    await ok(act(api, stack, case_id, "send_referral", OFFICER))


async def detail(
    api: httpx.AsyncClient, stack: Keyed, case_id: str, who: tuple[str, str] = OFFICER
) -> dict[str, Any]:
    case: dict[str, Any] = await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*who)))
    return case


def shape(response: httpx.Response) -> dict[str, Any]:
    """The one error shape, with a reason and a fix."""
    assert response.headers.get("content-type", "").startswith("application/json"), (
        response.status_code,
        response.text[:200],
    )
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "reason", "fix", "details"}, body
    assert body["reason"]
    assert body["fix"]
    return body
