"""``api/routes/cases.py``: intake, the list, a case and its timeline, in process.

Intake is admitted by the domain before anything starts, then one engine call starts the case or finds
it and answers once the opening is recorded; a repeat is the same case, a repeat with another body a
conflict, and a closed case is answered from its record.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select
from temporalio.client import WorkflowExecutionStatus

from api import reads as api_reads
from api.temporal import case_handle as _handle
from cases.ids import workflow_id
from store.records import case_row
from store.tables import CaseRow
from tests.api.conftest import InProcess
from tests.api.helpers import (
    HEAD,
    INTAKE,
    OFFICER,
    POLICE,
    act,
    detail,
    intake_body,
    ok,
    open_case,
    record_package,
    shape,
)
from tests.api.matrix import EVERYONE, ON_A, sees_east
from tests.polling import eventually
from tests.stack import PRINCIPALS

# --- Intake ------------------------------------------------------------------------------------------


async def test_a_repeated_intake_is_the_same_case(api: httpx.AsyncClient, stack: InProcess) -> None:
    body = intake_body()
    first = await api.post("/cases", json=body, headers=stack.auth(*INTAKE))
    assert first.status_code == 201, first.text
    assert first.json()["case_id"] == f"EPB-DEMO.{body['intake_ref']}"
    # Read your writes: the case is in the read model when intake answers.
    assert case_row(stack.engine, first.json()["case_id"]) is not None
    second = await api.post("/cases", json=body, headers=stack.auth(*INTAKE))
    assert second.status_code == 200, second.text
    assert second.json()["case_id"] == first.json()["case_id"]


async def test_concurrent_duplicates_start_one_case_and_write_one_row(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    body = intake_body(ref=f"SAME-{uuid.uuid4().hex[:8]}")
    responses = await asyncio.gather(
        *(api.post("/cases", json=body, headers=stack.auth(*INTAKE)) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    case_id = f"EPB-DEMO.{body['intake_ref']}"
    assert {r.json()["case_id"] for r in responses} == {case_id}
    with Session(stack.engine) as session:
        rows = session.exec(
            select(func.count()).select_from(CaseRow).where(CaseRow.case_id == case_id)
        ).one()
    assert rows == 1
    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    assert [e["action"] for e in timeline] == ["open"]  # one workflow, opened once


async def test_a_repeat_with_another_body_is_a_conflict_naming_the_fields(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    body = intake_body()
    await ok(api.post("/cases", json=body, headers=stack.auth(*INTAKE)))
    other = {**body, "subject": "另一家企业", "source": "complaint"}
    conflict = await api.post("/cases", json=other, headers=stack.auth(*INTAKE))
    assert conflict.status_code == 409, conflict.text
    error = shape(conflict)
    assert error["code"] == "intake_conflict"
    assert error["details"]["fields"] == ["source", "subject"]
    # The same instant written in another offset is the same body.
    same = {
        **body,
        "discovered_at": datetime.fromisoformat(body["discovered_at"]).astimezone(UTC).isoformat(),
    }
    assert (await api.post("/cases", json=same, headers=stack.auth(*INTAKE))).status_code == 200


async def test_two_agencies_may_use_one_intake_ref(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    ref = f"SHARED-{uuid.uuid4().hex[:8]}"
    demo = await api.post("/cases", json=intake_body(ref), headers=stack.auth(*INTAKE))
    east = await api.post(
        "/cases",
        json=intake_body(ref, discovering_agency="EPB-EAST"),
        headers=stack.auth("EPB-EAST", "intake"),
    )
    assert (demo.status_code, east.status_code) == (201, 201), (demo.text, east.text)
    assert demo.json()["case_id"] != east.json()["case_id"]
    for case, who in ((demo, OFFICER), (east, ("EPB-EAST", "officer"))):
        found = await api.get(f"/cases/{case.json()['case_id']}", headers=stack.auth(*who))
        assert found.status_code == 200, found.text
        assert found.json()["summary"]["intake_ref"] == ref


async def test_an_archived_case_is_answered_from_its_record(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    body = intake_body(facts={})
    created = await ok(api.post("/cases", json=body, headers=stack.auth(*INTAKE)))
    case_id = created["case_id"]
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
    await _handle_result(stack, case_id)
    again = await api.post("/cases", json=body, headers=stack.auth(*INTAKE))
    assert again.status_code == 200, again.text
    assert again.json()["stage"] == "archived"
    changed = await api.post(
        "/cases", json={**body, "subject": "改名企业"}, headers=stack.auth(*INTAKE)
    )
    assert changed.status_code == 409
    assert shape(changed)["details"]["fields"] == ["subject"]
    late = await act(api, stack, case_id, "direct", ("JLO-DEMO", "coordinator"), note="复查")
    assert late.status_code == 409, late.text
    assert shape(late)["code"] == "case_closed"
    case = await detail(api, stack, case_id)
    assert case["summary"]["stage"] == "archived"
    assert case["summary"]["workflow_status"] is None
    assert case["open_clocks"] == []
    assert case["allowed_actions"] == []


async def _handle_result(stack: InProcess, case_id: str) -> None:
    from temporalio.client import Client

    client: Client = stack.app.state.services.temporal
    await client.get_workflow_handle(workflow_id(case_id)).result()


BAD_INTAKE: list[tuple[str, Any, int, str]] = [
    ("not JSON", "{oops", 422, "invalid_input"),
    ("a list", [], 422, "invalid_input"),
    ("empty", {}, 422, "invalid_input"),
    ("unknown field", {**intake_body(), "colour": "red"}, 422, "invalid_input"),
    ("bad intake ref", intake_body(ref="has spaces/and slashes"), 422, "invalid_input"),
    ("no time zone", intake_body(discovered_at="2026-11-20T10:00:00"), 422, "invalid_input"),
    ("a number for a time", intake_body(discovered_at=1764000000), 422, "invalid_input"),
    ("digits for a time", intake_body(discovered_at="1764000000"), 422, "invalid_input"),
    ("a date for a time", intake_body(discovered_at="2026-11-20"), 422, "invalid_input"),
    (
        "in the future",
        intake_body(discovered_at="2099-01-01T00:00:00+08:00"),
        422,
        "invalid_intake",
    ),
    ("wrong type", intake_body(subject=12345), 422, "invalid_input"),
    ("subject too long", intake_body(subject="长" * 201), 422, "invalid_input"),
    ("unknown mechanism", intake_body(mechanism="teleport-police"), 422, "unknown_mechanism"),
    ("unknown source", intake_body(source="rumour"), 422, "invalid_input"),
    (
        "negative measurement",
        intake_body(
            facts={"measurements": [{"pollutant": "COD", "measured": -1, "standard": 0.5}]}
        ),
        422,
        "invalid_input",
    ),
    (
        "zero standard",
        intake_body(facts={"measurements": [{"pollutant": "COD", "measured": 1, "standard": 0}]}),
        422,
        "invalid_input",
    ),
    ("no discharges", intake_body(facts={"discharges_past_year": 0}), 422, "invalid_input"),
    ("summary too long", intake_body(facts={"summary": "x" * 2001}), 422, "invalid_input"),
    (
        "facts of the wrong type",
        intake_body(facts={"hazardous_into_water": "perhaps"}),
        422,
        "invalid_input",
    ),
    ("unknown fact", intake_body(facts={"colour": "red"}), 422, "invalid_input"),
    ("'yes' for true", intake_body(facts={"urgent": "yes"}), 422, "invalid_input"),
    ("0 for false", intake_body(outside_jurisdiction=0), 422, "invalid_input"),
    ("true for a count", intake_body(facts={"discharges_past_year": True}), 422, "invalid_input"),
    ("unknown police", intake_body(police_agency="PSB-NOWHERE"), 422, "invalid_intake"),
    ("a court as police", intake_body(police_agency="COURT-DEMO"), 422, "invalid_intake"),
]


@pytest.mark.parametrize(
    ("title", "body", "status", "code"), BAD_INTAKE, ids=[b[0] for b in BAD_INTAKE]
)
async def test_bad_intake(
    api: httpx.AsyncClient, stack: InProcess, title: str, body: Any, status: int, code: str
) -> None:
    headers = stack.auth(*INTAKE)
    if isinstance(body, str):
        response = await api.post(
            "/cases", content=body, headers={**headers, "Content-Type": "application/json"}
        )
    else:
        response = await api.post("/cases", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert shape(response)["code"] == code


@EVERYONE
async def test_who_may_open_cases(
    api: httpx.AsyncClient, stack: InProcess, agency: str, role: str
) -> None:
    response = await api.post(
        "/cases", json=intake_body(discovering_agency=agency), headers=stack.auth(agency, role)
    )
    opens = agency in ("EPB-DEMO", "EPB-EAST") and role in ("intake", "officer")
    if opens:
        assert response.status_code == 201, response.text
    elif role in ("intake", "officer"):
        # An officer of an agency that does not find env-police cases fails on the mechanism.
        assert response.status_code == 422, response.text
        assert shape(response)["code"] == "invalid_intake"
    else:
        assert response.status_code == 403, response.text
        assert shape(response)["code"] == "role_not_permitted"


async def test_an_agency_opens_cases_only_in_its_own_name(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    other = await api.post(
        "/cases", json=intake_body(discovering_agency="EPB-EAST"), headers=stack.auth(*INTAKE)
    )
    assert other.status_code == 403
    assert shape(other)["code"] == "not_your_agency"


# --- Reads --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def two_cases(api_module: httpx.AsyncClient, stack: InProcess) -> dict[str, str]:
    return {
        "A": await open_case(api_module, stack),
        "B": await open_case(api_module, stack, discovering_agency="EPB-EAST"),
    }


@pytest.fixture(scope="module")
async def api_module(stack: InProcess) -> Any:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as client:
        yield client


def test_the_matrix_covers_every_principal() -> None:
    assert set(ON_A) == set(PRINCIPALS)


@EVERYONE
async def test_each_principal_reads_what_it_may(
    api: httpx.AsyncClient, stack: InProcess, two_cases: dict[str, str], agency: str, role: str
) -> None:
    case_a, headers = two_cases["A"], stack.auth(agency, role)
    detail_status, timeline_status, _, _ = ON_A[(agency, role)]
    assert (await api.get(f"/cases/{case_a}", headers=headers)).status_code == detail_status
    timeline = await api.get(f"/cases/{case_a}/timeline", headers=headers)
    assert timeline.status_code == timeline_status
    listed = await ok(api.get("/cases", params={"limit": 200}, headers=headers))
    ids = {c["case_id"] for c in listed["items"]}
    assert (case_a in ids) == (detail_status == 200)
    assert (two_cases["B"] in ids) == sees_east(agency, role)


async def test_the_allowed_actions_are_the_callers_own_and_come_from_the_case(
    api: httpx.AsyncClient, stack: InProcess, two_cases: dict[str, str]
) -> None:
    case_id = two_cases["A"]
    officer = await detail(api, stack, case_id)
    assert officer["live"] is True
    assert officer["summary"]["stage"] == "discovery"
    assert officer["summary"]["key_case"] is True  # 4 times the chromium standard, into water
    assert officer["stages"][0] == "discovery"
    allowed = {a["action"]: a for a in officer["allowed_actions"]}
    assert {"classify", "record_evidence", "request_test"} <= set(allowed)
    assert "approve_referral" not in allowed  # an officer's key: the head approves
    # A form's choices are the case's: monitoring stations for a test, the classifications.
    fields = {f["name"]: f for f in allowed["request_test"]["fields"]}
    assert fields["agency"]["required"]
    assert "MON-DEMO" in fields["agency"]["choices"]
    assert "PSB-DEMO" not in fields["agency"]["choices"]
    classify = {f["name"]: f for f in allowed["classify"]["fields"]}
    assert classify["classification"]["choices"] == ["administrative", "public_security", "crime"]
    assert allowed["classify"]["source"]
    # A key linkage case: a joint consultation may be convened already (N2017 Art. 29), and the
    # case's agencies may ask each other in writing (Art. 24).
    police = await detail(api, stack, case_id, POLICE)
    assert {a["action"] for a in police["allowed_actions"]} == {
        "ask_in_writing",
        "convene_consultation",
    }
    coordinator = await detail(api, stack, case_id, ("JLO-DEMO", "coordinator"))
    assert {a["action"] for a in coordinator["allowed_actions"]} == {
        "supervise_case",
        "direct",
        "convene_consultation",
        "link_case",  # to a case of another region (D3 §3.2)
    }


async def test_listing_filters(api: httpx.AsyncClient, stack: InProcess) -> None:
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

    assert plain in await ids(stage="evidence")  # the step's write is read at once
    assert key in await ids(key_case="true")
    assert plain not in await ids(key_case="true")
    assert plain in await ids(q="食品")
    assert key not in await ids(q="食品")
    # '%' and '_' are searched for as typed, not as wildcards.
    assert not ({key, plain} & await ids(q="%"))
    assert not ({key, plain} & await ids(q="某_品"))
    assert {key, plain} <= await ids(agency="EPB-DEMO")
    assert not ({key, plain} & await ids(agency="EPB-EAST"))
    assert plain in await ids(overdue="false")
    assert key in await ids(escalated="false")
    assert key not in await ids(escalated="true")
    page = await ok(api.get("/cases", params={"limit": 1}, headers=stack.auth(*OFFICER)))
    assert len(page["items"]) == 1
    assert page["total"] >= 2
    second = await ok(
        api.get("/cases", params={"limit": 1, "offset": 1}, headers=stack.auth(*OFFICER))
    )
    assert second["items"][0]["case_id"] != page["items"][0]["case_id"]  # a stable order


async def test_a_list_pages_by_its_cursor_and_refuses_one_it_did_not_give(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    opened = {await open_case(api, stack, subject="游标分页企业") for _ in range(3)}
    headers = stack.auth(*OFFICER)
    params: dict[str, str | int] = {"q": "游标分页", "limit": 2}
    first = await ok(api.get("/cases", params=params, headers=headers))
    assert (first["total"], first["total_exact"]) == (3, True)
    assert first["next_cursor"]
    second = await ok(
        api.get("/cases", params={**params, "cursor": first["next_cursor"]}, headers=headers)
    )
    assert second["next_cursor"] is None
    assert {c["case_id"] for c in first["items"] + second["items"]} == opened
    both = await api.get(
        "/cases", params={**params, "cursor": first["next_cursor"], "offset": 2}, headers=headers
    )
    assert (both.status_code, both.json()["code"]) == (422, "cursor_with_offset")
    for forged in ("AAAA", "eyJ4IjoxfQ", "W10", "WyJub3QgYSBkYXRlIiwgIngiXQ"):
        refused = await api.get("/cases", params={"cursor": forged}, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_cursor"), forged
        assert "next_cursor" in refused.json()["fix"]


async def test_the_timeline_says_who_did_what(api: httpx.AsyncClient, stack: InProcess) -> None:
    case_id = await open_case(api, stack)
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await record_package(api, stack, case_id)
    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    assert [e["action"] for e in timeline] == ["open", "classify", "record_evidence"]
    assert [e["seq"] for e in timeline] == [1, 2, 3]
    assert timeline[1]["actor"] == {
        "agency": "EPB-DEMO",
        "role": "officer",
        "person": "EPB-DEMO officer",
    }
    assert timeline[1]["details"]["reasons"] == "暗管"
    assert timeline[0]["actor"] is None  # the case's own step


BAD_QUERIES = [
    {"limit": "0"},
    {"limit": "100000"},
    {"offset": "-1"},
    {"stage": "limbo"},
    {"overdue": "perhaps"},
    {"q": "x" * 500},
]


@pytest.mark.parametrize("params", BAD_QUERIES)
async def test_bad_queries_are_422(
    api: httpx.AsyncClient, stack: InProcess, params: dict[str, str]
) -> None:
    response = await api.get("/cases", params=params, headers=stack.auth(*OFFICER))
    assert response.status_code == 422, response.text
    assert shape(response)["code"] == "invalid_input"


@pytest.mark.parametrize(
    "path",
    [
        "/cases/nope",
        "/cases/EPB-DEMO.missing",
        "/cases/../../etc/passwd",
        "/cases/%00",
        "/cases/%2E%2E",
        "/cases/EPB-DEMO.x/timeline",
        "/cases/" + "A" * 300,
    ],
)
async def test_unknown_or_malformed_case_ids_are_404(
    api: httpx.AsyncClient, stack: InProcess, path: str
) -> None:
    response = await api.get(path, headers=stack.auth(*OFFICER))
    assert response.status_code in (404, 422), response.text
    shape(response)


# --- A case whose workflow ended without archiving ----------------------------------------------------


async def test_a_case_whose_workflow_was_terminated_shows_so_and_is_told_once(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    body = intake_body()
    case_id = (await ok(api.post("/cases", json=body, headers=stack.auth(*INTAKE))))["case_id"]
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await _handle(stack.app.state.services, case_id).terminate("an operator's mistake")

    repeat = await api.post("/cases", json=body, headers=stack.auth(*INTAKE))
    assert repeat.status_code == 200, repeat.text  # never started again
    assert repeat.json()["workflow_status"] == "terminated"
    described = await _handle(stack.app.state.services, case_id).describe()
    assert described.status is WorkflowExecutionStatus.TERMINATED
    case = await detail(api, stack, case_id)
    assert case["live"] is False
    assert case["summary"]["stage"] == "evidence"  # never "archived"
    assert case["summary"]["workflow_status"] == "terminated"
    listed = await ok(api.get("/cases", params={"q": case_id}, headers=stack.auth(*OFFICER)))
    assert listed["items"][0]["workflow_status"] == "terminated"
    refused = await act(
        api, stack, case_id, "request_approval", OFFICER, officers=["王执法", "张执法"]
    )
    assert refused.status_code == 409
    assert shape(refused)["code"] == "case_ended"
    await detail(api, stack, case_id, HEAD)  # seen again: told only once

    async with httpx.AsyncClient(base_url=stack.simulator) as sim:

        async def told() -> list[dict[str, Any]]:
            received = (await sim.get("/admin/received", params={"kind": "notify"})).json()
            return [
                r
                for r in received
                if r["body"].get("case_id") == case_id
                and any(n["kind"] == "case_ended" for n in r["body"]["notices"])
            ]

        async def once() -> bool:
            return len(await told()) == 1

        await eventually(once, "the joint office was never told", seconds=30)
        await asyncio.sleep(1)
        (notice,) = await told()
        assert notice["body"]["notices"][0]["to"] == ["JLO-DEMO"]
        told_of = notice["body"]["notices"][0]
        assert "被终止" in told_of["text"]  # what the joint office reads
        assert "terminated" in told_of["text_en"]


async def test_a_list_shows_a_case_whose_workflow_ended_once_the_sweep_found_it(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    """Nobody opened the case: the API's sweep finds its ended run (one visibility query for all
    cases, not one per page), marks the case and tells its office; lists read the mark."""
    services = stack.app.state.services
    case_id = await open_case(api, stack, subject="无人查看的企业")
    before = datetime.now(UTC)

    async def listed_status() -> str | None:
        page = await ok(api.get("/cases", params={"q": case_id}, headers=stack.auth(*OFFICER)))
        status: str | None = page["items"][0]["workflow_status"]
        return status

    await _handle(services, case_id).terminate("an operator's mistake")
    assert await listed_status() is None  # a list asks nothing of the engine

    async def swept() -> bool:
        await api_reads.sweep_ended(services, before)
        return await listed_status() == "terminated"

    await eventually(swept, "the sweep never found the ended run", seconds=30)
    timeline = await api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER))
    assert timeline.status_code == 200
