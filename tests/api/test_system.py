"""``api/routes/system.py`` and what every route shares: health and metrics, keys, body limits, the
error shape for paths and methods that do not exist; in process."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs

from store.principals import create_key, revoke
from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, open_case, shape


async def test_health_and_metrics_need_no_key(api: httpx.AsyncClient) -> None:
    health = await api.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "temporal": "ok", "database": "ok"}
    metrics = await api.get("/metrics")
    assert metrics.status_code == 200
    assert "linkage_http_requests_total" in metrics.text
    assert "# TYPE linkage_escalations_open gauge" in metrics.text


async def test_no_key_is_401_everywhere(api: httpx.AsyncClient, stack: InProcess) -> None:
    case_id = await open_case(api, stack)
    for method, path in [
        ("POST", "/cases"),
        ("GET", "/cases"),
        ("GET", f"/cases/{case_id}"),
        ("GET", f"/cases/{case_id}/timeline"),
        ("POST", f"/cases/{case_id}/actions/classify"),
        ("POST", f"/cases/{case_id}/actions/teleport"),
        ("POST", f"/cases/{case_id}/evidence"),
    ]:
        for headers in (
            {},
            {"Authorization": "Bearer lk_deadbeef_not-a-key"},
            {"Authorization": "Basic x"},
        ):
            response = await api.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"  # RFC 6750 §3
            assert shape(response)["code"] == "unauthorized"


async def test_a_revoked_key_is_401(api: httpx.AsyncClient, stack: InProcess) -> None:
    _, key = create_key(stack.engine, name="temporary", agency="EPB-DEMO", role="officer")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await api.get("/cases", headers=headers)).status_code == 200
    assert revoke(stack.engine, key.split("_")[1])
    assert (await api.get("/cases", headers=headers)).status_code == 401


async def test_oversized_bodies_are_413(api: httpx.AsyncClient, stack: InProcess) -> None:
    case_id = await open_case(api, stack)
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


async def test_wrong_methods_and_paths(api: httpx.AsyncClient, stack: InProcess) -> None:
    assert (await api.delete("/cases", headers=stack.auth(*OFFICER))).status_code == 405
    # A 405's Allow names every method of the path, not only those of the route that matched it.
    for path, allowed in [
        ("/cases", "GET, POST"),
        ("/cases/EPB-DEMO.X-1/clues", "GET, POST"),
        ("/cases/EPB-DEMO.X-1/actions/classify", "POST"),
    ]:
        refused = await api.options(path, headers=stack.auth(*OFFICER))
        assert refused.status_code == 405
        assert refused.headers["allow"] == allowed, path
        assert shape(refused)["code"] == "method_not_allowed"
    missing = await api.get("/nowhere", headers=stack.auth(*OFFICER))
    assert missing.status_code == 404
    shape(missing)


async def test_the_openapi_document_and_docs(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    assert spec["paths"]["/cases"]["post"]["operationId"] == "open_case"
    intake = spec["components"]["schemas"]["CaseIntake"]
    assert intake["properties"]["discovered_at"]["format"] == "date-time"
    assert intake["additionalProperties"] is False
    evidence = spec["paths"]["/cases/{case_id}/evidence"]["post"]
    assert "415" in evidence["responses"]  # neither a form nor JSON
    form = evidence["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["kind", "title", "file"]
    assert "monitoring_report" in form["properties"]["kind"]["enum"]
    schemas = spec["components"]["schemas"]
    # What the reading refuses, the schema says: an item with neither fingerprint nor reference,
    # a required text of spaces only (read stripped, it is empty).
    assert schemas["NewItem"]["anyOf"] == [
        {"required": ["sha256"], "properties": {"sha256": {"type": "string"}}},
        {"required": ["reference"], "properties": {"reference": {"type": "string"}}},
    ]
    reasons = schemas["Reasoned"]["properties"]["reasons"]
    assert reasons["pattern"] == schemas["HandOver"]["properties"]["items"]["items"]["pattern"]
    # Read as JSON Schema (ECMA-262 regular expressions), the patterns refuse what the API refuses,
    # NEL (U+0085) included, which the API strips as a space and ECMA's \s does not match.
    published = jsonschema_rs.validator_for(reasons)
    assert not published.is_valid(" \u0085\u3000")
    assert published.is_valid(" 暗管 ")
    reference = schemas["NewItem"]["properties"]["reference"]["anyOf"][0]
    published = jsonschema_rs.validator_for(reference)
    assert not published.is_valid("http://e\u0085")
    assert published.is_valid("https://files.example/报告.pdf")
    assert (await api.get("/docs")).status_code == 200


async def test_the_docs_work_without_internet_and_authorize_sends_the_key(
    api: httpx.AsyncClient,
) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    assert all(a.startswith("/docs/assets/") for a in assets), assets  # nothing from a CDN
    for asset in assets:
        served = await api.get(asset)
        assert served.status_code == 200, asset
        assert served.content, asset
    assert "cdn" not in page.text.lower()
    for outside in ("/docs/assets/%2e%2e/%2e%2e/__init__.py", "/docs/assets/..%2f..%2fsetup.cfg"):
        assert (await api.get(outside)).status_code == 404, outside  # the folder, nothing else
    assert (await api.get("/redoc")).status_code == 404  # ReDoc would need a CDN
    spec = (await api.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["api_key"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["api_key"]["description"],
    }
    assert spec["paths"]["/cases"]["get"]["security"] == [{"api_key": []}]
    assert spec["paths"]["/cases/my-moves"]["get"]["security"] == [{"api_key": []}]


async def test_a_body_that_is_not_json_says_so(api: httpx.AsyncClient, stack: InProcess) -> None:
    for path in ("/cases", "/cases/EPB-DEMO.X-1/actions/classify"):
        response = await api.post(
            path,
            content=b"\x00",
            headers={**stack.auth(*OFFICER), "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        body = shape(response)
        assert body["code"] == "invalid_input"
        assert body["reason"] == "body: not valid JSON: Expecting value (at character 0)"
        assert body["fix"].startswith("send the body as JSON")
