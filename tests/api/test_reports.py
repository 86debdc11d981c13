"""Public reports through the API, the report's workflow on the dev server and the simulated SMS
gateway: a 12369 report taken by the bureau (首问责任制, D6 §二(二)), turned into a case found at the
receipt, the reporter told; who reported stays sealed everywhere but behind its own route, for the
roles the mechanism allows, each look in the audit trail (D3 §3.3); a report of an agency goes to its
supervisors only (O310 Art. 14)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
from temporalio.api.common.v1 import Payload

from tests.api.conftest import InProcess
from tests.api.helpers import HEAD, INTAKE, OFFICER, POLICE, ok, shape
from tests.conftest import venv_tool
from tests.polling import eventually
from workflows.engine import converter_for

NAME, PHONE = "举报人林某某", "13700001234"
COORDINATOR = ("JLO-DEMO", "coordinator")
LEADER = ("LG-DEMO", "leader")
EAST = ("JLO-EAST", "coordinator")


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "intake_ref": f"12369-{uuid.uuid4().hex[:10]}",
        "channel": "12369",
        "received_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "place": "西河村北侧排水渠",
        "seen": "夜间有槽罐车向排水渠倾倒黑色液体",
        "reporter": {"name": NAME, "phone": PHONE},
    }
    body.update(overrides)
    return body


async def take(api: httpx.AsyncClient, stack: InProcess, **overrides: Any) -> dict[str, Any]:
    taken = await api.post("/reports", json=report(**overrides), headers=stack.auth(*INTAKE))
    assert taken.status_code == 201, taken.text
    body: dict[str, Any] = taken.json()
    return body


async def test_a_12369_report_becomes_a_case_and_the_reporter_is_told(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    body = report()
    taken = await api.post("/reports", json=body, headers=stack.auth(*INTAKE))
    assert taken.status_code == 201, taken.text
    first = taken.json()
    rid = first["report_id"]
    assert (first["holder"], first["stage"], first["reporter_given"]) == (
        "EPB-DEMO",
        "received",
        True,
    )
    assert NAME not in taken.text
    assert PHONE not in taken.text
    again = await api.post("/reports", json=body, headers=stack.auth(*INTAKE))
    assert (again.status_code, again.json()["report_id"]) == (200, rid)
    beijing = datetime.fromisoformat(body["received_at"]).astimezone(timezone(timedelta(hours=8)))
    same = await api.post(
        "/reports", json={**body, "received_at": beijing.isoformat()}, headers=stack.auth(*INTAKE)
    )
    assert same.status_code == 200  # the same instant, written at +08:00
    other = await api.post("/reports", json={**body, "place": "别处"}, headers=stack.auth(*INTAKE))
    assert (other.status_code, shape(other)["code"]) == (409, "intake_conflict")

    # Who sees it: the bureau and its region's coordinator; not the police, not another region.
    for who in (OFFICER, COORDINATOR, ("PROC-DEMO", "procurator")):
        assert (await api.get(f"/reports/{rid}", headers=stack.auth(*who))).status_code == 200
    for who in (POLICE, EAST):
        hidden = await api.get(f"/reports/{rid}", headers=stack.auth(*who))
        assert (hidden.status_code, shape(hidden)["code"]) == (404, "report_not_found")
        listed = await api.get("/reports", headers=stack.auth(*who))
        assert rid not in listed.text

    async def moves() -> bool:
        shown = await ok(api.get(f"/reports/{rid}", headers=stack.auth(*OFFICER)))
        return "open_case" in shown["allowed"]

    await eventually(moves, "the report never offered its steps", seconds=30)
    opened = await api.post(
        f"/reports/{rid}/actions/open_case",
        json={"subject": "某化工有限公司", "facts": {"violation_type": "evasive_discharge"}},
        headers={**stack.auth(*OFFICER), "Idempotency-Key": f"open-{rid}"},
    )
    assert opened.status_code == 200, opened.text
    case_id = opened.json()["case_id"]
    assert opened.json()["stage"] == "handled"

    async def case_listed() -> bool:
        return (await api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER))).status_code == 200

    await eventually(case_listed, "the case opened from the report never appeared", seconds=30)
    case = await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER)))
    assert case["state"]["source"] == "complaint"
    found = datetime.fromisoformat(case["state"]["discovered_at"])
    assert found == datetime.fromisoformat(body["received_at"])  # 首问: discovered at the receipt

    async def told() -> bool:
        async with httpx.AsyncClient(base_url=stack.simulator) as sim:
            got = (await sim.get("/admin/received", params={"kind": "reporter_reply"})).json()
        return any(r["body"].get("report_id") == rid and "立案" in r["body"]["text"] for r in got)

    await eventually(told, "the reporter was never told of the case", seconds=30)

    # The head decides the reward (D3 §3.3); the report is closed.
    reward = await api.post(
        f"/reports/{rid}/actions/decide_reward",
        json={"granted": True, "form": "material", "amount_yuan": 2000, "note": "属实"},
        headers=stack.auth(*HEAD),
    )
    assert (reward.status_code, reward.json()["stage"]) == (200, "closed"), reward.text
    shown = await ok(api.get(f"/reports/{rid}", headers=stack.auth(*OFFICER)))
    assert (shown["reward"], shown["reward_yuan"]) == ("granted", 2000)


async def test_who_reported_is_sealed_everywhere_but_its_own_route(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    rid = (await take(api, stack))["report_id"]
    # An officer sees the report, never who made it.
    for path in (f"/reports/{rid}", "/reports"):
        shown = await api.get(path, headers=stack.auth(*OFFICER))
        assert shown.status_code == 200
        assert NAME not in shown.text
        assert PHONE not in shown.text
    refused = await api.get(
        f"/reports/{rid}/reporter", params={"purpose": "核实"}, headers=stack.auth(*OFFICER)
    )
    assert (refused.status_code, shape(refused)["code"]) == (403, "role_not_permitted")
    no_purpose = await api.get(f"/reports/{rid}/reporter", headers=stack.auth(*HEAD))
    assert no_purpose.status_code == 422
    # The head of the bureau holding it may, and the look is written down.
    seen = await api.get(
        f"/reports/{rid}/reporter",
        params={"purpose": "联系举报人补充情况"},
        headers=stack.auth(*HEAD),
    )
    assert seen.status_code == 200, seen.text
    assert (seen.json()["name"], seen.json()["phone"]) == (NAME, PHONE)
    trail = await api.get(f"/reports/{rid}/reporter-views", headers=stack.auth(*LEADER))
    assert [(v["agency"], v["role"], v["purpose"]) for v in trail.json()] == [
        ("EPB-DEMO", "approver", "联系举报人补充情况")
    ]
    procurator = await api.get(
        f"/reports/{rid}/reporter-views", headers=stack.auth("PROC-DEMO", "procurator")
    )
    assert procurator.status_code == 200
    assert len(procurator.json()) == 1
    officer_trail = await api.get(f"/reports/{rid}/reporter-views", headers=stack.auth(*OFFICER))
    assert officer_trail.status_code == 403
    # The read model holds it sealed only.
    with stack.engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT * FROM reports WHERE report_id = ?", (rid,)
        ).fetchone()
    assert row is not None
    assert NAME not in str(tuple(row))
    assert PHONE not in str(tuple(row))

    # The engine's history: neither `temporal workflow show` nor the payloads decrypted with the
    # service's own keys show who reported.
    target = stack.settings.temporal_address
    shown_cli = (
        await asyncio.to_thread(
            subprocess.run,
            [venv_tool("temporal"), "workflow", "show", "--workflow-id", f"report-{rid}",
             "--address", target, "--output", "json"],
            capture_output=True, text=True, timeout=60, check=True,
        )
    ).stdout  # fmt: skip
    assert f"report-{rid}" in shown_cli or "WorkflowExecutionStarted" in shown_cli
    assert NAME not in shown_cli
    assert PHONE not in shown_cli
    codec = converter_for(stack.settings).payload_codec
    assert codec is not None
    decoded = []
    for payload in _payloads(json.loads(shown_cli)):
        decoded.extend(await codec.decode([payload]))
    text = " ".join(p.data.decode(errors="replace") for p in decoded)
    assert "西河村" in text  # decrypted: the facts are there, as case facts
    assert NAME not in text
    assert PHONE not in text


def _payloads(history: Any) -> list[Payload]:
    """Every payload of a history as the CLI prints it (JSON, data base64)."""
    import base64

    found: list[Payload] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "data" in node and "metadata" in node and isinstance(node["data"], str):
                found.append(
                    Payload(
                        metadata={k: base64.b64decode(v) for k, v in node["metadata"].items()},
                        data=base64.b64decode(node["data"]),
                    )
                )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(history)
    return found


async def test_an_anonymous_report_names_nobody_and_nobody_opens_it(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    named = await api.post("/reports", json=report(anonymous=True), headers=stack.auth(*INTAKE))
    assert (named.status_code, shape(named)["code"]) == (422, "invalid_payload")
    unnamed = await api.post("/reports", json=report(reporter=None), headers=stack.auth(*INTAKE))
    assert unnamed.status_code == 422
    taken = await take(api, stack, anonymous=True, reporter={"phone": PHONE})
    assert taken["can_reply"] is True
    refused = await api.get(
        f"/reports/{taken['report_id']}/reporter", params={"purpose": "核实"},
        headers=stack.auth(*LEADER),
    )  # fmt: skip
    assert refused.status_code == 403
    assert "anonymous" in shape(refused)["reason"]


async def test_o310_art_14_a_report_of_an_agency_goes_to_its_supervisors(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    taken = await take(api, stack, about_agency="PSB-DEMO")
    rid = taken["report_id"]

    async def ready() -> bool:
        shown = await ok(api.get(f"/reports/{rid}", headers=stack.auth(*OFFICER)))
        return "transfer" in shown["allowed"]

    await eventually(ready, "the report never offered its steps", seconds=30)
    wrong = await api.post(
        f"/reports/{rid}/actions/transfer", json={"to": "PSB-DEMO", "reason": "转交"},
        headers=stack.auth(*OFFICER),
    )  # fmt: skip
    assert (wrong.status_code, shape(wrong)["code"]) == (422, "invalid_payload")
    assert "O310 Art. 14" in wrong.json()["reason"]
    right = await api.post(
        f"/reports/{rid}/actions/transfer", json={"to": "PROC-DEMO", "reason": "检察监督"},
        headers=stack.auth(*OFFICER),
    )  # fmt: skip
    assert right.status_code == 200, right.text
    gone = await api.post(
        f"/reports/{rid}/actions/answer", json={"finding": "no_violation", "reply": "无"},
        headers=stack.auth(*OFFICER),
    )  # fmt: skip
    assert (gone.status_code, shape(gone)["code"]) == (409, "not_your_move")


async def test_bad_report_bodies_get_clear_errors(api: httpx.AsyncClient, stack: InProcess) -> None:
    for bad in (
        report(channel="pigeon"),
        report(seen="x" * 5001),
        report(received_at="yesterday"),
        report(intake_ref="has spaces"),
        report(about_agency="NOPE"),
        report(mechanism="nope"),
        {"place": "only"},
    ):
        answer = await api.post("/reports", json=bad, headers=stack.auth(*INTAKE))
        assert answer.status_code == 422, (bad, answer.text)
        shape(answer)
    police_key = await api.post("/reports", json=report(), headers=stack.auth(*POLICE))
    assert police_key.status_code == 201  # 110 is a hotline too: the police take reports
    wrong_role = await api.post("/reports", json=report(), headers=stack.auth(*HEAD))
    assert (wrong_role.status_code, shape(wrong_role)["code"]) == (403, "role_not_permitted")
    rid = (await take(api, stack))["report_id"]
    unknown = await api.post(f"/reports/{rid}/actions/fly", json={}, headers=stack.auth(*OFFICER))
    assert (unknown.status_code, shape(unknown)["code"]) == (404, "unknown_action")
    nobody = await api.get("/reports/NOPE.x", headers=stack.auth(*OFFICER))
    assert nobody.status_code == 404
