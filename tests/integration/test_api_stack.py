"""The whole stack as separate processes (dev server, worker, simulator, API on a port): what only it
can show. The simulated agencies answer through the API as themselves, and demo-fast clocks escalate
in real time into the list's filters. (Every route's behaviour is tested in process, ``tests/api``.)"""

from __future__ import annotations

import httpx

from tests.api.helpers import (
    HEAD,
    OFFICER,
    POLICE,
    act,
    detail,
    ok,
    open_case,
    record_package,
    to_sent,
)
from tests.polling import eventually
from tests.stack import Stack


async def test_simulated_agencies_answer_through_the_api(
    api: httpx.AsyncClient, sim: httpx.AsyncClient, stack: Stack
) -> None:
    """The police decide on filing later (their system's receipt was the acceptance), and a station
    sends its result, each calling the API's action route with its own key."""
    await sim.put(
        "/admin/agencies/PSB-DEMO/behaviour",
        json={
            "mode": "ack",
            "answer": {
                "api_key": stack.key(*POLICE),
                "steps": [
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

    await eventually(filed, "the police's delayed filing never moved the case")
    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    by_action = {e["action"]: e for e in timeline}
    assert by_action["referral_delivered"]["actor"] is None  # the receipt is the acceptance
    assert by_action["file_case"]["actor"]["agency"] == "PSB-DEMO"
    assert by_action["record_test_result"]["actor"]["agency"] == "MON-DEMO"
    callbacks = (await sim.get("/admin/callbacks")).json()
    mine = [c for c in callbacks if c["case_id"] == case_id]
    assert {c["action"]: c["status"] for c in mine} == {
        "record_test_result": 200,
        "file_case": 200,
    }
    await sim.put("/admin/agencies/PSB-DEMO/behaviour", json={"mode": "ack"})
    await sim.put("/admin/agencies/MON-DEMO/behaviour", json={"mode": "ack"})


async def test_a_demo_fast_clock_escalates_into_the_lists_filters(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    case_id = await open_case(api, stack, mechanism="demo-fast")
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="x"))
    await record_package(api, stack, case_id, "demo-fast")
    await ok(act(api, stack, case_id, "request_approval", OFFICER, officers=["王执法", "张执法"]))

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


async def test_access_logs_carry_no_search_text(api: httpx.AsyncClient, stack: Stack) -> None:
    """A coordinator's search for a company is answered, and the API's log (uvicorn's access lines
    included) keeps the path, never the text searched for."""
    searched = "某某化工有限公司法定代表人"
    response = await api.get(
        "/cases", params={"q": searched}, headers=stack.auth("JLO-DEMO", "coordinator")
    )
    assert response.status_code == 200

    async def logged() -> bool:
        return "GET /cases HTTP/1.1" in (stack.data_dir / "api.log").read_text()

    await eventually(logged, "the access line was not written")
    text = (stack.data_dir / "api.log").read_text()
    assert searched not in text
    assert "%E6%9F%90" not in text  # nor percent-encoded
