"""Clues of officials' duty crimes (O310 Art. 19; N2017 Art. 32) through the API, the clue's own
workflow and the simulated recipient: delivered once, seen by the sender and the recipient only, and
never on the case."""

from __future__ import annotations

import httpx

from tests.api.conftest import InProcess
from tests.api.helpers import HEAD, OFFICER, POLICE, open_case
from tests.polling import eventually

SUP = ("SUP-DEMO", "officer")
ACCOUNT = "某所工作人员多次事先通知企业检查时间,涉嫌包庇纵容"


def clue(to: str = "SUP-DEMO") -> dict[str, object]:
    return {"to": to, "conduct": ["shielding", "dereliction"], "account": ACCOUNT}


async def test_o310_art_19_a_clue_reaches_the_supervisory_commission_and_no_one_else(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    headers = {**stack.auth(*OFFICER), "Idempotency-Key": "clue-test-1"}
    sent = await api.post(f"/cases/{case_id}/clues", json=clue(), headers=headers)
    assert sent.status_code == 201, sent.text
    first = sent.json()
    assert (first["recipient"], first["sender_agency"]) == ("SUP-DEMO", "EPB-DEMO")
    again = await api.post(f"/cases/{case_id}/clues", json=clue(), headers=headers)
    assert again.status_code == 201
    assert again.json()["clue_id"] == first["clue_id"]  # a retried request sends it once
    other = await api.post(
        f"/cases/{case_id}/clues", json={**clue(), "account": "另一条线索"}, headers=headers
    )
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")

    async def delivered() -> bool:
        found = await api.get(f"/cases/{case_id}/clues", headers=stack.auth(*OFFICER))
        return [c["status"] for c in found.json()] == ["delivered"]

    await eventually(delivered, "the clue was never delivered", seconds=30)
    async with httpx.AsyncClient(base_url=stack.simulator) as sim:
        received = (await sim.get("/admin/received", params={"kind": "clue"})).json()
    mine = [r for r in received if r["body"].get("clue_id") == first["clue_id"]]
    assert {r["agency"] for r in mine} == {"SUP-DEMO"}
    assert len({r["key"] for r in mine}) == 1  # one idempotency key on every attempt

    inbox = await api.get("/clues", headers=stack.auth(*SUP))
    assert [c["clue_id"] for c in inbox.json()] == [first["clue_id"]]
    assert inbox.json()[0]["account"] == ACCOUNT
    # Nobody else sees it, not even the sender's own head (the officials it names may be there).
    for who in (HEAD, POLICE, ("PROC-DEMO", "procurator"), ("JLO-DEMO", "coordinator"),
                ("LG-DEMO", "leader"), ("EPB-CITY", "approver")):  # fmt: skip
        assert (await api.get(f"/cases/{case_id}/clues", headers=stack.auth(*who))).json() == []
        assert first["clue_id"] not in (await api.get("/clues", headers=stack.auth(*who))).text
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/timeline"):
        shown = await api.get(path, headers=stack.auth(*OFFICER))
        assert shown.status_code == 200
        assert ACCOUNT not in shown.text
        assert first["clue_id"] not in shown.text


async def test_n2017_art_32_who_may_send_a_clue_and_to_whom(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    url = f"/cases/{case_id}/clues"
    to_court = await api.post(url, json=clue("COURT-DEMO"), headers=stack.auth(*OFFICER))
    assert (to_court.status_code, to_court.json()["code"]) == (422, "invalid_payload")
    assert "SUP-DEMO" in to_court.json()["reason"]
    to_proc = await api.post(url, json=clue("PROC-DEMO"), headers=stack.auth(*OFFICER))
    assert to_proc.status_code == 201  # N2017 Art. 32: the procuratorate
    coordinator = await api.post(url, json=clue(), headers=stack.auth("JLO-DEMO", "coordinator"))
    assert (coordinator.status_code, coordinator.json()["code"]) == (403, "role_not_permitted")
    procurator = await api.post(url, json=clue(), headers=stack.auth("PROC-DEMO", "procurator"))
    assert procurator.status_code == 403
    superior = await api.post(url, json=clue(), headers=stack.auth("EPB-CITY", "officer"))
    assert (superior.status_code, superior.json()["code"]) == (409, "not_your_move")
    stranger = await api.post(url, json=clue(), headers=stack.auth("EPB-EAST", "officer"))
    assert stranger.status_code == 404  # the case is not visible: its existence is not told
    empty = await api.post(url, json={**clue(), "account": " "}, headers=stack.auth(*OFFICER))
    assert empty.status_code == 422
    extra = await api.post(url, json={**clue(), "names": "张三"}, headers=stack.auth(*OFFICER))
    assert extra.status_code == 422


async def test_a_clue_the_recipient_refuses_shows_its_reason_to_the_sender(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    """A passing outage is retried (the same key); a refusal is kept on the clue, not retried."""
    case_id = await open_case(api, stack)
    async with httpx.AsyncClient(base_url=stack.simulator) as sim:
        await sim.put(
            "/admin/agencies/PROC-DEMO/behaviour",
            json={"mode": "refuse", "times": 1, "status": 422, "reason": "unknown case number"},
        )
        try:
            sent = await api.post(
                f"/cases/{case_id}/clues", json=clue("PROC-DEMO"), headers=stack.auth(*POLICE)
            )
            assert sent.status_code == 201, sent.text

            async def refused() -> bool:
                found = await api.get(f"/cases/{case_id}/clues", headers=stack.auth(*POLICE))
                return [c["status"] for c in found.json()] == ["refused"]

            await eventually(refused, "the refusal was never kept", seconds=30)
        finally:
            await sim.put("/admin/agencies/PROC-DEMO/behaviour", json={"mode": "ack"})
    (kept,) = (await api.get(f"/cases/{case_id}/clues", headers=stack.auth(*POLICE))).json()
    assert "unknown case number" in kept["error"]
    seen = await api.get("/clues", headers=stack.auth("PROC-DEMO", "procurator"))
    assert kept["clue_id"] in seen.text  # the recipient sees what was addressed to it
