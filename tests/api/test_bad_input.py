"""Malformed, oversized and wrongly typed input on every endpoint: the documented status with the one
error shape, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Stack
from tests.api.helpers import OFFICER, intake_body, open_case


@pytest.fixture(scope="module")
def case_ids() -> dict[str, str]:
    return {}


async def test_open_a_case_for_the_bad_inputs(
    api: httpx.AsyncClient, stack: Stack, case_ids: dict[str, str]
) -> None:
    case_ids["case"] = await open_case(api, stack)


def shape(response: httpx.Response) -> dict[str, Any]:
    assert response.headers.get("content-type", "").startswith("application/json"), (
        response.status_code,
        response.text[:200],
    )
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "reason", "fix", "details"}, body
    assert body["reason"]
    assert body["fix"]
    return body


BAD_INTAKE: list[tuple[str, Any, int, str]] = [
    ("not JSON", "{oops", 422, "invalid_input"),
    ("a list", [], 422, "invalid_input"),
    ("empty", {}, 422, "invalid_input"),
    ("unknown field", {**intake_body(), "colour": "red"}, 422, "invalid_input"),
    ("bad intake ref", intake_body(ref="has spaces/and slashes"), 422, "invalid_input"),
    ("no time zone", intake_body(discovered_at="2026-11-20T10:00:00"), 422, "invalid_input"),
    ("in the future", intake_body(discovered_at="2099-01-01T00:00:00+08:00"), 422, "invalid_input"),
    ("wrong type", intake_body(subject=12345), 422, "invalid_input"),
    ("unknown mechanism", intake_body(mechanism="teleport-police"), 422, "unknown_mechanism"),
    ("unknown source", intake_body(source="rumour"), 422, "invalid_input"),
    (
        "negative measurement",
        intake_body(
            facts={"measurements": [{"pollutant": "COD", "measured": -1, "standard": 0.5}]}
        ),
        422,
        "invalid_intake",
    ),
    (
        "zero standard",
        intake_body(facts={"measurements": [{"pollutant": "COD", "measured": 1, "standard": 0}]}),
        422,
        "invalid_intake",
    ),
    ("no discharges", intake_body(facts={"discharges_past_year": 0}), 422, "invalid_intake"),
    (
        "facts of the wrong type",
        intake_body(facts={"hazardous_into_water": "perhaps"}),
        422,
        "invalid_input",
    ),
    ("unknown fact", intake_body(facts={"colour": "red"}), 422, "invalid_input"),
    ("unknown police", intake_body(police_agency="PSB-NOWHERE"), 422, "invalid_intake"),
    ("a court as police", intake_body(police_agency="COURT-DEMO"), 422, "invalid_intake"),
]


@pytest.mark.parametrize(
    ("title", "body", "status", "code"), BAD_INTAKE, ids=[b[0] for b in BAD_INTAKE]
)
async def test_bad_intake(
    api: httpx.AsyncClient, stack: Stack, title: str, body: Any, status: int, code: str
) -> None:
    headers = stack.auth("EPB-DEMO", "intake")
    if isinstance(body, str):
        response = await api.post(
            "/cases", content=body, headers={**headers, "Content-Type": "application/json"}
        )
    else:
        response = await api.post("/cases", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert shape(response)["code"] == code


BAD_ACTIONS: list[tuple[str, str, Any, int, str]] = [
    ("unknown action", "teleport", {}, 404, "unknown_action"),
    ("not JSON", "classify", "{oops", 422, "invalid_input"),
    ("a list", "classify", [1, 2], 422, "invalid_input"),
    (
        "unknown field",
        "classify",
        {"classification": "crime", "colour": "red"},
        422,
        "invalid_input",
    ),
    ("wrong enum", "classify", {"classification": "heresy"}, 422, "invalid_input"),
    ("wrong type", "request_supplements", {"items": "one"}, 422, "invalid_input"),
    ("missing required", "handle_administratively", {}, 422, "invalid_payload"),
    (
        "bad fingerprint",
        "record_evidence",
        {"kind": "complaint", "title": "x", "sha256": "XYZ"},
        422,
        "invalid_payload",
    ),
    (
        "unknown agency",
        "request_test",
        {"agency": "MON-NOWHERE", "subject": "COD"},
        422,
        "invalid_payload",
    ),
    (
        "nested wrong type",
        "update_facts",
        {"facts": {"measurements": [{"pollutant": "COD", "measured": "lots", "standard": 1}]}},
        422,
        "invalid_input",
    ),
]


@pytest.mark.parametrize(
    ("title", "action", "body", "status", "code"), BAD_ACTIONS, ids=[b[0] for b in BAD_ACTIONS]
)
async def test_bad_actions(
    api: httpx.AsyncClient,
    stack: Stack,
    case_ids: dict[str, str],
    title: str,
    action: str,
    body: Any,
    status: int,
    code: str,
) -> None:
    path = f"/cases/{case_ids['case']}/actions/{action}"
    headers = stack.auth(*OFFICER)
    if isinstance(body, str):
        response = await api.post(
            path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    else:
        response = await api.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert shape(response)["code"] == code


BAD_EVIDENCE: list[tuple[str, dict[str, Any], int, str]] = [
    ("no content type", {"content": b"raw"}, 415, "unsupported_media_type"),
    (
        "plain text",
        {"content": b"raw", "headers": {"Content-Type": "text/plain"}},
        415,
        "unsupported_media_type",
    ),
    (
        "not JSON",
        {"content": b"{oops", "headers": {"Content-Type": "application/json"}},
        422,
        "invalid_input",
    ),
    (
        "missing fingerprint",
        {"json": {"kind": "complaint", "title": "x", "reference": "https://f.example/a"}},
        422,
        "invalid_input",
    ),
    (
        "not a URL",
        {
            "json": {
                "kind": "complaint",
                "title": "x",
                "reference": "file:///etc/passwd",
                "sha256": "a" * 64,
            }
        },
        422,
        "invalid_input",
    ),
    (
        "unknown kind",
        {
            "json": {
                "kind": "rumour",
                "title": "x",
                "reference": "https://f.example/a",
                "sha256": "a" * 64,
            }
        },
        422,
        "invalid_input",
    ),
    (
        "upload without file",
        {"data": {"kind": "complaint", "title": "x"}, "files": {"other": ("a", b"a")}},
        422,
        "invalid_input",
    ),
    (
        "upload of unknown kind",
        {"data": {"kind": "rumour", "title": "x"}, "files": {"file": ("a.txt", b"a")}},
        422,
        "invalid_input",
    ),
]


@pytest.mark.parametrize(
    ("title", "request_args", "status", "code"), BAD_EVIDENCE, ids=[b[0] for b in BAD_EVIDENCE]
)
async def test_bad_evidence(
    api: httpx.AsyncClient,
    stack: Stack,
    case_ids: dict[str, str],
    title: str,
    request_args: dict[str, Any],
    status: int,
    code: str,
) -> None:
    args = dict(request_args)
    args["headers"] = {**args.get("headers", {}), **stack.auth(*OFFICER)}
    response = await api.post(f"/cases/{case_ids['case']}/evidence", **args)
    assert response.status_code == status, response.text
    assert shape(response)["code"] == code


async def test_oversized_bodies_are_413(
    api: httpx.AsyncClient, stack: Stack, case_ids: dict[str, str]
) -> None:
    case_id = case_ids["case"]
    big = {"note": "x" * (300 * 1024)}
    for path in ("/cases", f"/cases/{case_id}/actions/direct"):
        response = await api.post(path, json=big, headers=stack.auth(*OFFICER))
        assert response.status_code == 413, response.text
        assert shape(response)["code"] == "payload_too_large"

    async def stream() -> Any:  # no Content-Length: the limit holds while the body streams in
        for _ in range(400):
            yield b"x" * 1024

    response = await api.post(
        f"/cases/{case_id}/actions/direct",
        content=stream(),
        headers={**stack.auth(*OFFICER), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    upload = await api.post(
        f"/cases/{case_id}/evidence",
        data={"kind": "complaint", "title": "大文件"},
        files={"file": ("big.bin", b"\0" * (21 * 1024 * 1024))},
        headers=stack.auth(*OFFICER),
    )
    assert upload.status_code == 413


BAD_QUERIES = [
    ("/cases", {"limit": "0"}),
    ("/cases", {"limit": "100000"}),
    ("/cases", {"offset": "-1"}),
    ("/cases", {"stage": "limbo"}),
    ("/cases", {"overdue": "perhaps"}),
    ("/cases", {"q": "x" * 500}),
]


@pytest.mark.parametrize(("path", "params"), BAD_QUERIES)
async def test_bad_queries_are_422(
    api: httpx.AsyncClient, stack: Stack, path: str, params: dict[str, str]
) -> None:
    response = await api.get(path, params=params, headers=stack.auth(*OFFICER))
    assert response.status_code == 422, response.text
    assert shape(response)["code"] == "invalid_input"


@pytest.mark.parametrize(
    "path",
    [
        "/cases/nope",
        "/cases/EPB-DEMO-missing",
        "/cases/../../etc/passwd",
        "/cases/%00",
        "/cases/EPB-DEMO-x/timeline",
    ],
)
async def test_unknown_or_malformed_case_ids_are_404(
    api: httpx.AsyncClient, stack: Stack, path: str
) -> None:
    response = await api.get(path, headers=stack.auth(*OFFICER))
    assert response.status_code == 404, response.text
    shape(response)


async def test_wrong_methods_and_paths(api: httpx.AsyncClient, stack: Stack) -> None:
    assert (await api.delete("/cases", headers=stack.auth(*OFFICER))).status_code == 405
    missing = await api.get("/nowhere", headers=stack.auth(*OFFICER))
    assert missing.status_code == 404
    shape(missing)
