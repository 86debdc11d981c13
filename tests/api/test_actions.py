"""``api/routes/actions.py``: one route per step, each with its own body type, in process."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cases.limits import MAX_EVIDENCE, MAX_EVIDENCE_PER_ACTION
from cases.steps import STEPS
from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, POLICE, act, detail, ok, open_case, shape
from tests.api.matrix import ACTION, EVERYONE, ON_A


@pytest.fixture(scope="module")
async def openapi(stack: InProcess) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        spec: dict[str, Any] = (await client.get("/openapi.json")).json()
        return spec


def _schema(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref (and the nullable wrapper of an optional body) resolved."""
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize("name", list(STEPS))
def test_every_step_has_its_own_route_and_body(openapi: dict[str, Any], name: str) -> None:
    step = STEPS[name]
    operation = openapi["paths"][f"/cases/{{case_id}}/actions/{name}"]["post"]
    assert operation["operationId"] == f"act_{name}"
    assert step.source in operation["description"]
    body = operation["requestBody"]["content"]["application/json"]
    schema = _schema(openapi, body["schema"])
    assert schema["title"] == step.payload.__name__
    assert schema["additionalProperties"] is False
    assert set(schema.get("required", [])) == set(step.required)
    assert operation["requestBody"].get("required", False) == bool(step.required)
    assert "example" in body["examples"]
    assert set(body["examples"]["example"]["value"]) <= set(schema["properties"])
    for field in schema["properties"].values():  # every text field documents its limit
        if field.get("type") == "string" and "enum" not in field and "pattern" not in field:
            assert "maxLength" in field, (name, field)


def test_the_bodies_document_their_limits(openapi: dict[str, Any]) -> None:
    record = _schema(openapi, {"$ref": "#/components/schemas/RecordEvidence"})
    assert record["properties"]["items"]["maxItems"] == MAX_EVIDENCE_PER_ACTION
    item = _schema(openapi, record["properties"]["items"]["items"])
    assert item["properties"]["title"]["maxLength"] == 200
    assert item["properties"]["kind"]["enum"]
    reference = _schema(openapi, item["properties"]["reference"])
    assert "https?" in reference["pattern"]
    assert reference["maxLength"] == 500


async def test_an_unknown_action_is_404_with_the_list(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    response = await act(api, stack, case_id, "teleport", OFFICER)
    assert response.status_code == 404
    body = shape(response)
    assert body["code"] == "unknown_action"
    assert body["details"]["actions"] == list(STEPS)
    anonymous = await api.post(f"/cases/{case_id}/actions/teleport", json={})
    assert anonymous.status_code == 401


@pytest.fixture(scope="module")
async def case_a(stack: InProcess) -> str:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as client:
        return await open_case(client, stack)


@EVERYONE
async def test_each_principal_acts_where_it_may(
    api: httpx.AsyncClient, stack: InProcess, case_a: str, agency: str, role: str
) -> None:
    name, body = ACTION[role]
    response = await act(api, stack, case_a, name, (agency, role), **body)
    assert response.status_code == ON_A[(agency, role)][2], response.text


async def test_the_case_refuses_with_its_reason(api: httpx.AsyncClient, stack: InProcess) -> None:
    case_id = await open_case(api, stack)
    wrong_stage = await act(api, stack, case_id, "accept", POLICE)
    assert wrong_stage.status_code == 409
    assert shape(wrong_stage)["code"] == "wrong_stage"
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    incomplete = await act(
        api, stack, case_id, "request_approval", OFFICER, officers=["王执法", "张执法"]
    )
    assert incomplete.status_code == 409
    body = shape(incomplete)
    assert body["code"] == "package_incomplete"
    assert "materials_list" in body["details"]["missing"]
    role = await act(api, stack, case_id, "approve_referral", OFFICER)
    assert role.status_code == 403
    assert shape(role)["code"] == "role_not_permitted"
    against_the_case = await act(
        api, stack, case_id, "request_test", OFFICER, agency="PSB-DEMO", subject="COD"
    )
    assert against_the_case.status_code == 422
    assert shape(against_the_case)["code"] == "invalid_payload"
    assert "not a monitoring_station" in shape(against_the_case)["reason"]


BAD_BODIES: list[tuple[str, str, Any, int, str]] = [
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
    ("missing required", "handle_administratively", {}, 422, "invalid_input"),
    ("no body where one is required", "handle_administratively", None, 422, "invalid_input"),
    ("reasons of spaces", "handle_administratively", {"reasons": "   "}, 422, "invalid_input"),
    ("a note too long", "direct", {"note": "长" * 2001}, 422, "invalid_input"),
    ("an instruction without its note", "direct", {}, 422, "invalid_input"),
    (
        "a title too long",
        "record_evidence",
        {"items": [{"kind": "complaint", "title": "x" * 80_000, "sha256": "a" * 64}]},
        422,
        "invalid_input",
    ),
    (
        "bad fingerprint",
        "record_evidence",
        {"items": [{"kind": "complaint", "title": "x", "sha256": "XYZ"}]},
        422,
        "invalid_input",
    ),
    (
        "a file: reference",
        "record_evidence",
        {"items": [{"kind": "complaint", "title": "x", "reference": "file:///etc/passwd"}]},
        422,
        "invalid_input",
    ),
    (
        "a javascript: reference",
        "record_evidence",
        {"items": [{"kind": "complaint", "title": "x", "reference": "javascript:alert(1)"}]},
        422,
        "invalid_input",
    ),
    (
        "a control character in a reference",  # NEL (U+0085)
        "record_evidence",
        {"items": [{"kind": "complaint", "title": "x", "reference": "http://e\u0085"}]},
        422,
        "invalid_input",
    ),
    (
        "too many items",
        "record_evidence",
        {"items": [{"kind": "complaint", "title": "x", "sha256": "a" * 64}] * 51},
        422,
        "invalid_input",
    ),
    (
        "nested wrong type",
        "update_facts",
        {"facts": {"measurements": [{"pollutant": "COD", "measured": "lots", "standard": 1}]}},
        422,
        "invalid_input",
    ),
    (
        "an infinite measurement",
        "update_facts",
        '{"facts": {"measurements": [{"pollutant": "COD", "measured": 1e400, "standard": 1}]}}',
        422,
        "invalid_input",
    ),
    # JSON's types as OpenAPI gives them: false is no size, 0 no yes/no (found by Schemathesis).
    (
        "false for a number",
        "record_evidence",
        {"items": [{"kind": "complaint", "title": "x", "sha256": "a" * 64, "size": False}]},
        422,
        "invalid_input",
    ),
    (
        "false for a measurement",
        "update_facts",
        {"facts": {"hazardous_waste_tonnes": False}},
        422,
        "invalid_input",
    ),
    (
        "1 for true",
        "update_facts",
        {"facts": {"hazardous_into_water": 1}},
        422,
        "invalid_input",
    ),
    (
        "unknown agency",
        "request_test",
        {"agency": "MON-NOWHERE", "subject": "COD"},
        422,
        "invalid_payload",
    ),
]


@pytest.mark.parametrize(
    ("title", "action", "body", "status", "code"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
async def test_bad_bodies(
    api: httpx.AsyncClient,
    stack: InProcess,
    case_a: str,
    title: str,
    action: str,
    body: Any,
    status: int,
    code: str,
) -> None:
    path = f"/cases/{case_a}/actions/{action}"
    headers = stack.auth(*OFFICER) if action != "direct" else stack.auth("JLO-DEMO", "coordinator")
    if isinstance(body, str):
        response = await api.post(
            path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    elif body is None:
        response = await api.post(path, headers=headers)
    else:
        response = await api.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert shape(response)["code"] == code


async def test_a_flood_of_the_largest_legal_bodies_does_not_end_a_case(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    """The most a case may hold, in the largest batches a body may carry: the case refuses the rest
    with a reason and goes on."""
    case_id = await open_case(api, stack)
    item = {
        "kind": "complaint",
        "title": "长" * 200,
        "reference": "https://files.example/" + "a" * 470,
        "sha256": "a" * 64,
    }
    for _ in range(MAX_EVIDENCE // MAX_EVIDENCE_PER_ACTION):
        await ok(
            act(
                api, stack, case_id, "record_evidence", OFFICER,
                items=[item] * MAX_EVIDENCE_PER_ACTION, note="注" * 2000,
            )
        )  # fmt: skip
    full = await act(api, stack, case_id, "record_evidence", OFFICER, items=[item])
    assert full.status_code == 409
    assert shape(full)["code"] == "limit_reached"
    for _ in range(20):
        await ok(act(api, stack, case_id, "direct", ("JLO-DEMO", "coordinator"), note="督" * 2000))
    case = await detail(api, stack, case_id)
    assert case["live"] is True
    assert len(case["state"]["evidence"]) == MAX_EVIDENCE
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))


async def test_an_idempotency_key_applies_an_action_once(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    body = {"classification": "crime", "reasons": "暗管"}
    path = f"/cases/{case_id}/actions/classify"
    headers = {**stack.auth(*OFFICER), "Idempotency-Key": "intake-system/42:classify"}
    first = await ok(api.post(path, json=body, headers=headers))
    again = await ok(api.post(path, json=body, headers=headers))
    assert (again["seq"], again["at"]) == (first["seq"], first["at"])
    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    assert [e["action"] for e in timeline].count("classify") == 1

    # The same key for another request: 409, and nothing taken.
    other = await api.post(path, json={**body, "reasons": "另一理由"}, headers=headers)
    assert other.status_code == 409
    assert shape(other)["code"] == "idempotency_conflict"
    # The key is the caller's own: another principal's same key is another action.
    police = {**stack.auth(*POLICE), "Idempotency-Key": "intake-system/42:classify"}
    theirs = await api.post(path, json=body, headers=police)
    assert shape(theirs)["code"] == "not_your_move", theirs.text

    # A key that is not a header value a client should send is a 422 naming the header.
    for bad in ("", "has space", "x" * 201):
        response = await api.post(path, json=body, headers={**headers, "Idempotency-Key": bad})
        assert response.status_code == 422, bad
        assert "Idempotency-Key" in shape(response)["reason"], response.text
