"""Case data in the engine is encrypted, and the Temporal Web UI reads it only through the API's codec
endpoint, as a coordinator, a leader or a procurator of the case's region.

The history is read as an operator would, with ``temporal workflow show``; the codec endpoint is
called over HTTP as the Web UI calls it: cross-origin, with the dashboard's session cookie."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.routes.codec import ui_origin
from cases.ids import workflow_id
from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, act, ok, open_case, record_package
from tests.conftest import venv_tool
from workflows.codec import ENCODING

SUBJECT = "清河县某某化工有限公司"
OFFICERS = ["王小明", "张三丰"]
ID_NUMBER = "110101199003077777"


async def _temporal(stack: InProcess, verb: str, case_id: str) -> dict[str, Any]:
    """``temporal workflow <verb>`` on the case, as an operator would run it, as JSON."""
    done = await asyncio.to_thread(
        subprocess.run,
        [
            venv_tool("temporal"), "workflow", verb, "--workflow-id", workflow_id(case_id),
            "--address", stack.settings.temporal_address, "--output", "json",
        ],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout)
    return found


@pytest.fixture(scope="module")
async def history(stack: InProcess) -> tuple[str, dict[str, Any]]:
    """A case with a subject, a named team and an ID number in its facts, and its raw history."""
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as api:
        case_id = await open_case(api, stack, subject=f"{SUBJECT}(法定代表人身份证 {ID_NUMBER})")
        await ok(
            act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons=ID_NUMBER)
        )
        await record_package(api, stack, case_id)
        await ok(act(api, stack, case_id, "request_approval", OFFICER, officers=OFFICERS))
    shown = await _temporal(stack, "show", case_id)
    return case_id, shown


def _payloads(value: Any) -> list[dict[str, Any]]:
    """Every payload in a history as the CLI prints it (``metadata`` and ``data`` in base64), but
    the search attributes'."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        if "metadata" in value and "data" in value and isinstance(value["metadata"], dict):
            found.append(value)
        for name, inner in value.items():
            if name != "searchAttributes":  # indexed in clear by design; tested below
                found.extend(_payloads(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(_payloads(inner))
    return found


def test_the_history_shows_no_case_data_in_clear(history: tuple[str, dict[str, Any]]) -> None:
    _, shown = history
    text = json.dumps(shown, ensure_ascii=False)
    for secret in (SUBJECT, *OFFICERS, ID_NUMBER, "某化工", "evasive_discharge"):
        assert secret not in text, secret
        assert json.dumps(secret)[1:-1] not in text  # nor escaped
    payloads = _payloads(shown)
    assert len(payloads) >= 3
    clear = [p for p in payloads if base64.b64decode(p["metadata"]["encoding"]) != ENCODING]
    # Only the engine's own bookkeeping of a local activity (its sequence, attempt and times) is
    # left in clear by the SDK; the activity's input and result are payloads of their own.
    marker = {"seq", "attempt", "activity_id", "activity_type", "complete_time", "backoff"}
    for payload in clear:
        fields = set(json.loads(base64.b64decode(payload["data"])))
        assert marker <= fields <= marker | {"original_schedule_time", "activation_index"}, fields
    assert len(clear) < len(payloads)
    print(f"{len(payloads)} payloads in the history, every one encrypted")


@pytest.fixture
async def ui(stack: InProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A client with the Web UI's origin, keeping the dashboard's cookie."""
    transport = httpx.ASGITransport(app=stack.app)
    origin = ui_origin(stack.settings)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", timeout=60, headers={"Origin": origin}
    ) as client:
        yield client


async def _sign_in(client: httpx.AsyncClient, stack: InProcess, who: tuple[str, str]) -> None:
    """Signed in on the dashboard's own page (its own origin), as a person would be."""
    response = await client.post(
        "/login", data={"key": stack.key(*who), "next": "/"}, headers={"Origin": "http://api"}
    )
    assert response.status_code == 303


async def test_the_web_ui_decodes_through_the_api_for_a_coordinator_only(
    history: tuple[str, dict[str, Any]], ui: httpx.AsyncClient, stack: InProcess
) -> None:
    _, shown = history
    body = {"payloads": _payloads(shown)}
    headers = {"X-Namespace": "default", "Content-Type": "application/json"}

    # The browser's preflight: the Web UI's origin is admitted with credentials, no other.
    preflight = await ui.options(
        "/codec/decode",
        headers={"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"},
    )  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ui_origin(stack.settings)
    assert preflight.headers["access-control-allow-credentials"] == "true"
    stranger = await ui.options("/codec/decode", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers

    # No session: 401.
    assert (await ui.post("/codec/decode", json=body, headers=headers)).status_code == 401

    # A coordinator of the case's region: the history in clear.
    await _sign_in(ui, stack, ("JLO-DEMO", "coordinator"))
    decoded = await ui.post("/codec/decode", json=body, headers=headers)
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == ui_origin(stack.settings)
    clear = " ".join(
        base64.b64decode(p["data"]).decode("utf-8", "replace") for p in decoded.json()["payloads"]
    )
    assert SUBJECT in clear
    assert OFFICERS[0] in clear

    # An officer may not decode, even of their own case; a coordinator of another region may not.
    ui.cookies.clear()
    await _sign_in(ui, stack, OFFICER)
    refused = await ui.post("/codec/decode", json=body, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_permitted")
    ui.cookies.clear()
    await _sign_in(ui, stack, ("JLO-EAST", "coordinator"))
    outside = await ui.post("/codec/decode", json=body, headers=headers)
    assert (outside.status_code, outside.json()["code"]) == (403, "payload_out_of_scope")

    # A procurator (who sees every case) may, with an API key as well.
    keyed = await ui.post(
        "/codec/decode", json=body, headers={**headers, **stack.auth("PROC-DEMO", "procurator")}
    )
    assert keyed.status_code == 200

    # A payload whose markers were rewritten does not decrypt (for a reader who may see both).
    forged = dict(body["payloads"][0])
    forged["metadata"] = {
        **forged["metadata"],
        "linkage-region": base64.b64encode(b"east-county").decode(),
    }
    ui.cookies.clear()
    tampered = await ui.post(
        "/codec/decode",
        json={"payloads": [forged]},
        headers={**headers, **stack.auth("PROC-DEMO", "procurator")},
    )
    assert (tampered.status_code, tampered.json()["code"]) == (422, "payload_unreadable")


async def test_a_transferred_case_is_decoded_by_its_new_region_only(
    api: httpx.AsyncClient, ui: httpx.AsyncClient, stack: InProcess
) -> None:
    """The payloads name their case; the endpoint applies the read model's rule, which follows the
    case to the region it was transferred to (its payloads still carry the first region)."""
    case_id = await open_case(api, stack)
    await ok(act(api, stack, case_id, "find_not_competent", OFFICER, reasons="排污口位于东邻县"))
    await ok(
        act(
            api,
            stack,
            case_id,
            "transfer_jurisdiction",
            OFFICER,
            agency="EPB-EAST",
            reasons="属地管辖",
        )
    )
    await ok(act(api, stack, case_id, "accept_transfer", ("EPB-EAST", "officer")))
    shown = await _temporal(stack, "show", case_id)
    body = {"payloads": [p for p in _payloads(shown) if p["metadata"].get("linkage-case")]}
    assert body["payloads"]
    headers = {"Content-Type": "application/json"}
    await _sign_in(ui, stack, ("JLO-EAST", "coordinator"))
    assert (await ui.post("/codec/decode", json=body, headers=headers)).status_code == 200
    ui.cookies.clear()
    await _sign_in(ui, stack, ("JLO-DEMO", "coordinator"))
    refused = await ui.post("/codec/decode", json=body, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "payload_out_of_scope")


async def test_search_attributes_carry_no_personal_data(
    history: tuple[str, dict[str, Any]], stack: InProcess
) -> None:
    case_id, _ = history
    shown = await _temporal(stack, "describe", case_id)
    described = shown
    attributes = json.dumps(
        described["workflowExecutionInfo"]["searchAttributes"], ensure_ascii=False
    )
    assert "CaseStage" in attributes
    decoded = attributes
    for blob in re.findall(r'"data": "([A-Za-z0-9+/=]+)"', attributes):
        decoded += base64.b64decode(blob).decode("utf-8", "replace")
    for secret in (SUBJECT, *OFFICERS, ID_NUMBER):
        assert secret not in decoded, secret
