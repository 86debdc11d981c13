"""D4 §5's typical case and emergency bulletins through the API (``api.routes.event_bulletins``), in
process over the session's dev server with the worker of ``build_worker``: who may start them, the
4xx for bad input, a repeat that finds the one started, and both listed with the other bulletins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session

from cases.projection import CaseProjection
from cases.vocabulary import Classification, Stage
from store.principals import create_key
from store.tables import CaseRow
from tests.api.conftest import InProcess
from tests.polling import eventually

COORD = ("JLO-DEMO", "coordinator")
ANIMAL_HEALTH = ("AHS-DEMO", "officer")
BUREAU = ("EPB-DEMO", "officer")  # not a member agency of the animal-health mechanism
EAST_COORD = ("JLO-EAST", "coordinator")


def animal_health_key(stack: InProcess) -> None:
    """The session's keys have none of the animal health institute's: one is made here."""
    if ANIMAL_HEALTH not in stack.keys:
        _, key = create_key(
            stack.engine, name="AHS-DEMO officer", agency="AHS-DEMO", role="officer"
        )
        stack.keys[ANIMAL_HEALTH] = key


def add_case(stack: InProcess) -> str:
    animal_health_key(stack)
    now = datetime.now(UTC)
    case = CaseProjection(
        case_id=f"AHS-DEMO.EV-{uuid.uuid4().hex[:10]}",
        intake_ref="EV",
        mechanism="animal-health-police",
        region="demo-county",
        stage=Stage.INVESTIGATION,
        subject="某屠宰场",
        discovering_agency="AHS-DEMO",
        owner_agency="PSB-DEMO",
        suggested=Classification.CRIME,
        opened_at=now - timedelta(days=2),
        updated_at=now,
    )
    with Session(stack.engine) as session:
        session.add(CaseRow.model_validate(case.model_dump()))
        session.commit()
    return case.case_id


async def listed(api: httpx.AsyncClient, stack: InProcess, who: tuple[str, str]) -> dict[str, Any]:
    answer = await api.get("/bulletins", headers=stack.auth(*who))
    assert answer.status_code == 200, answer.text
    return {b["bulletin_id"]: b for b in answer.json()}


async def test_d4_5_a_typical_case_is_named_issued_and_listed(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = add_case(stack)
    body = {"case_id": case_id, "reason": "病死猪肉流入市场"}
    # Only the region's coordinators and leaders name a case typical.
    refused = await api.post(
        "/event-bulletins/typical-case", json=body, headers=stack.auth(*ANIMAL_HEALTH)
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_permitted")
    other = await api.post(
        "/event-bulletins/typical-case", json=body, headers=stack.auth(*EAST_COORD)
    )
    assert (other.status_code, other.json()["code"]) == (404, "case_not_found")
    bad = await api.post(
        "/event-bulletins/typical-case",
        json={**body, "mechanism": "env-police"},
        headers=stack.auth(*COORD),
    )
    assert (bad.status_code, bad.json()["code"]) == (409, "not_in_mechanism")
    blank = await api.post(
        "/event-bulletins/typical-case", json={**body, "reason": " "}, headers=stack.auth(*COORD)
    )
    assert blank.status_code == 422

    named = await api.post("/event-bulletins/typical-case", json=body, headers=stack.auth(*COORD))
    assert named.status_code == 201, named.text
    bulletin_id = named.json()["bulletin_id"]
    again = await api.post("/event-bulletins/typical-case", json=body, headers=stack.auth(*COORD))
    assert (again.status_code, again.json()["bulletin_id"]) == (200, bulletin_id)

    async def pending() -> bool:
        return bulletin_id in await listed(api, stack, COORD)

    await eventually(pending, "the typical case was not listed", seconds=60)
    assert (await listed(api, stack, COORD))[bulletin_id]["formats"] == []

    issue = f"/bulletins/{bulletin_id}/actions/issue"
    police = await api.post(issue, json={"text": "x"}, headers=stack.auth("PSB-DEMO", "officer"))
    assert (police.status_code, police.json()["code"]) == (403, "role_not_permitted")
    issued = await api.post(issue, json={"text": "请引以为戒"}, headers=stack.auth(*COORD))
    assert issued.status_code == 200, issued.text
    assert issued.json()["late"] is False

    async def delivered() -> bool:
        found = (await listed(api, stack, ANIMAL_HEALTH)).get(bulletin_id)
        return found is not None and found["delivered_at"] is not None

    await eventually(delivered, "the bulletin was not delivered", seconds=60)
    shown = (await listed(api, stack, COORD))[bulletin_id]
    assert (shown["late"], shown["kind"], shown["formats"]) == (
        False,
        "typical_case",
        ["html", "pdf"],
    )
    assert shown["due_at"] is not None
    html = await api.get(f"/bulletins/{bulletin_id}/html", headers=stack.auth(*ANIMAL_HEALTH))
    assert "请引以为戒" in html.text
    assert "某屠宰场" in html.text
    missing = await api.post(
        "/bulletins/routine.event_bulletin.x.y.typical_case.nothere/actions/issue",
        json={"text": "x"},
        headers=stack.auth(*COORD),
    )
    assert missing.status_code == 404


async def test_d4_5_an_emergency_is_delivered_at_once_to_every_member_agency(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    animal_health_key(stack)
    body = {
        "what": "发现大批病死猪被运往屠宰场",
        "place": "示范县某镇",
        "happened_at": datetime.now(UTC).isoformat(),
    }
    no_key = await api.post(
        "/event-bulletins/emergency", json=body, headers=stack.auth(*ANIMAL_HEALTH)
    )
    assert (no_key.status_code, no_key.json()["code"]) == (422, "invalid_payload")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    bureau = await api.post(
        "/event-bulletins/emergency", json=body, headers={**stack.auth(*BUREAU), **key}
    )
    assert (bureau.status_code, bureau.json()["code"]) == (403, "role_not_permitted")
    started = await api.post(
        "/event-bulletins/emergency", json=body, headers={**stack.auth(*ANIMAL_HEALTH), **key}
    )
    assert started.status_code == 201, started.text
    bulletin_id = started.json()["bulletin_id"]
    assert {"AHS-DEMO", "PSB-DEMO", "JLO-DEMO", "LG-DEMO"} <= set(started.json()["recipients"])
    repeat = await api.post(
        "/event-bulletins/emergency", json=body, headers={**stack.auth(*ANIMAL_HEALTH), **key}
    )
    assert (repeat.status_code, repeat.json()["bulletin_id"]) == (200, bulletin_id)

    async def delivered() -> bool:
        found = (await listed(api, stack, COORD)).get(bulletin_id)
        return found is not None and found["delivered_at"] is not None

    await eventually(delivered, "the emergency was not delivered", seconds=60)
    assert bulletin_id not in await listed(api, stack, EAST_COORD)
