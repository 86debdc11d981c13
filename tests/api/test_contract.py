"""The public contract end to end: intake, lists, detail, actions, evidence and timeline, on the real
stack, with the simulator's agencies answering through the API as themselves."""

from __future__ import annotations

import hashlib

import httpx

from tests.api.conftest import Stack
from tests.api.helpers import (
    HEAD,
    OFFICER,
    POLICE,
    act,
    detail,
    eventually,
    ok,
    open_case,
    record_package,
    to_sent,
)


async def test_intake_detail_actions_evidence_and_timeline(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    case_id = await open_case(api, stack)
    case = await detail(api, stack, case_id)
    assert case["live"] is True
    assert case["summary"]["stage"] == "discovery"
    assert case["summary"]["key_case"] is True  # 4 times the chromium standard, into water
    allowed = {a["action"] for a in case["allowed_actions"]}
    assert {"classify", "record_evidence", "request_test"} <= allowed
    assert "approve_referral" not in allowed  # an officer's key: the head approves

    done = await ok(
        act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管排放")
    )
    assert done["stage"] == "evidence"

    refused = await act(api, stack, case_id, "request_approval", OFFICER)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "package_incomplete"
    assert "materials_list" in body["details"]["missing"]
    assert body["fix"]

    content = "采样记录: COD 420 mg/L".encode()
    upload = await api.post(
        f"/cases/{case_id}/evidence",
        data={"kind": "sampling_records", "title": "采样记录"},
        files={"file": ("sampling.txt", content, "text/plain")},
        headers=stack.auth(*OFFICER),
    )
    assert upload.status_code == 201, upload.text
    item = upload.json()
    assert item["sha256"] == hashlib.sha256(content).hexdigest()
    assert item["size"] == len(content)
    assert (stack.data_dir / item["reference"]).read_bytes() == content

    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    assert [e["action"] for e in timeline] == ["open", "classify", "record_evidence"]
    assert timeline[1]["actor"] == {
        "agency": "EPB-DEMO",
        "role": "officer",
        "person": "EPB-DEMO officer",
    }
    assert [e["seq"] for e in timeline] == [1, 2, 3]


async def test_listing_filters(api: httpx.AsyncClient, stack: Stack) -> None:
    key = await open_case(
        api, stack, facts={"hazardous_into_water": True, "discharges_past_year": 3}
    )
    plain = await open_case(api, stack, facts={}, subject="某食品厂")
    await ok(
        act(api, stack, plain, "classify", OFFICER, classification="public_security", reasons="x")
    )

    async def ids(**params: str) -> set[str]:
        page = await ok(
            api.get("/cases", params={**params, "limit": 200}, headers=stack.auth(*OFFICER))
        )
        return {c["case_id"] for c in page["items"]}

    async def evidence_stage() -> bool:
        return plain in await ids(stage="evidence")

    await eventually(evidence_stage, "the classification never reached the list")
    assert key in await ids(key_case="true")
    assert plain not in await ids(key_case="true")
    assert plain in await ids(q="食品")
    assert key not in await ids(q="食品")
    assert {key, plain} <= await ids(agency="EPB-DEMO")
    assert not ({key, plain} & await ids(agency="EPB-EAST"))
    assert plain in await ids(overdue="false")
    assert key in await ids(escalated="false")
    assert key not in await ids(escalated="true")
    page = await ok(
        api.get("/cases", params={"limit": 1, "offset": 0}, headers=stack.auth(*OFFICER))
    )
    assert len(page["items"]) == 1
    assert page["total"] >= 2
    second = await ok(
        api.get("/cases", params={"limit": 1, "offset": 1}, headers=stack.auth(*OFFICER))
    )
    assert second["items"][0]["case_id"] != page["items"][0]["case_id"]  # a stable order


async def test_overdue_and_escalated_filters_on_a_demo_fast_case(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    case_id = await open_case(api, stack, mechanism="demo-fast")
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="x"))
    await record_package(api, stack, case_id, "demo-fast")
    await ok(act(api, stack, case_id, "request_approval", OFFICER))

    async def escalated() -> bool:
        page = await ok(
            api.get(
                "/cases",
                params={"escalated": "true", "overdue": "true"},
                headers=stack.auth(*OFFICER),
            )
        )
        return case_id in {c["case_id"] for c in page["items"]}

    await eventually(escalated, "the demo-fast approval clock never escalated", seconds=120)
    case = await detail(api, stack, case_id, HEAD)
    (clock,) = [c for c in case["open_clocks"] if c["name"] == "approval"]
    assert clock["overdue"] is True, str(clock)
    assert clock["escalation_level"] >= 1
    assert "JLO-DEMO" in clock["escalated_to"]


async def test_simulated_agencies_answer_through_the_api(
    api: httpx.AsyncClient, sim: httpx.AsyncClient, stack: Stack
) -> None:
    """The police accept and decide on filing later, and a station sends its result, each calling the
    API's action endpoint with its own key."""
    await sim.put(
        "/admin/agencies/PSB-DEMO/behaviour",
        json={
            "mode": "ack",
            "answer": {
                "api_key": stack.key(*POLICE),
                "steps": [
                    {"action": "accept", "after_seconds": 1, "payload": {"reference": "受案-88"}},
                    {
                        "action": "file_case",
                        "after_seconds": 1,
                        "payload": {"reference": "立案-88"},
                    },
                ],
            },
        },
    )
    await sim.put(
        "/admin/agencies/MON-DEMO/behaviour",
        json={
            "mode": "ack",
            "answer": {
                "api_key": stack.key("MON-DEMO", "officer"),
                "steps": [
                    {
                        "action": "record_test_result",
                        "after_seconds": 1,
                        "payload": {
                            "conclusion": "总铬超标3.1倍",
                            "measurements": [
                                {"pollutant": "总铬", "measured": 6.2, "standard": 1.5}
                            ],
                            "sha256": "f" * 64,
                        },
                    }
                ],
            },
        },
    )
    case_id = await open_case(api, stack)
    await ok(act(api, stack, case_id, "request_test", OFFICER, agency="MON-DEMO", subject="总铬"))

    async def tested() -> bool:
        state = (await detail(api, stack, case_id))["state"]
        return any(bool(r["answered_at"]) for r in state["requests"])

    await eventually(tested, "the station's result never arrived")
    state = (await detail(api, stack, case_id))["state"]
    assert state["evidence"][-1]["recorded_by"]["agency"] == "MON-DEMO"
    assert state["triage"]["key_case"] is True

    await to_sent(api, stack, case_id)

    async def filed() -> bool:
        stage: str = (await detail(api, stack, case_id))["summary"]["stage"]
        return stage == "handover"

    await eventually(filed, "the police's delayed acceptance and filing never moved the case")
    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    by_action = {e["action"]: e for e in timeline}
    assert by_action["accept"]["actor"]["agency"] == "PSB-DEMO"
    assert by_action["file_case"]["actor"]["agency"] == "PSB-DEMO"
    assert by_action["record_test_result"]["actor"]["agency"] == "MON-DEMO"
    callbacks = (await sim.get("/admin/callbacks")).json()
    mine = [c for c in callbacks if c["case_id"] == case_id]
    assert {c["action"]: c["status"] for c in mine} == {
        "record_test_result": 200,
        "accept": 200,
        "file_case": 200,
    }
    await sim.put("/admin/agencies/PSB-DEMO/behaviour", json={"mode": "ack"})
    await sim.put("/admin/agencies/MON-DEMO/behaviour", json={"mode": "ack"})


async def test_a_refused_action_is_a_409_with_the_workflows_reason(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    case_id = await open_case(api, stack)
    wrong_stage = await act(api, stack, case_id, "accept", POLICE)
    assert wrong_stage.status_code == 409
    assert wrong_stage.json()["code"] == "wrong_stage"
    not_yours = await act(
        api,
        stack,
        case_id,
        "update_facts",
        ("EPB-DEMO", "officer"),
        facts={"discharges_past_year": 0},
    )
    assert not_yours.status_code == 422  # the body first: discharges count this one too
    assert not_yours.json()["code"] == "invalid_payload"


async def test_an_archived_case_refuses_further_actions(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    case_id = await open_case(api, stack, facts={})
    await ok(
        act(
            api,
            stack,
            case_id,
            "classify",
            OFFICER,
            classification="administrative",
            reasons="一般违法",
        )
    )
    await ok(act(api, stack, case_id, "handle_administratively", OFFICER, reasons="行政处罚"))
    await ok(act(api, stack, case_id, "impose_penalty", OFFICER, reference="罚字〔2026〕12号"))
    await ok(act(api, stack, case_id, "archive", OFFICER))

    async def closed() -> bool:
        return (await detail(api, stack, case_id))["summary"]["closed_at"] is not None

    await eventually(closed, "the case never closed")
    late = await act(api, stack, case_id, "direct", ("JLO-DEMO", "coordinator"), note="复查")
    assert late.status_code == 409, late.text
    assert late.json()["code"] == "case_closed"
    case = await detail(api, stack, case_id)
    assert case["summary"]["stage"] == "archived"
    assert case["open_clocks"] == []
    assert case["allowed_actions"] == []
