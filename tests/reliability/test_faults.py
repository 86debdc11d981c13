"""Faults injected into the running stack, as an operator would meet them: the worker, the Temporal
server and the API killed with SIGKILL, agency systems down, failing, hanging and refusing, actions
sent at once and sent again. Each scenario asserts that nothing was lost, nothing delivered twice,
and no request answered 500; each prints its figures."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.api.helpers import HEAD, OFFICER, intake_body, record_package
from tests.polling import eventually
from tests.reliability.conftest import BOUND, Fleet, report

COORDINATOR = ("JLO-DEMO", "coordinator")
MECHANISM = "demo-fast"  # clocks of seconds: they fall due while a part is down


async def _post(
    api: httpx.AsyncClient, fleet: Fleet, path: str, who: tuple[str, str], **kwargs: Any
) -> httpx.Response:
    """One request; its status is kept for the scenario's no-500 check."""
    headers = {**fleet.auth(*who), **kwargs.pop("headers", {})}
    response = await api.post(path, headers=headers, **kwargs)
    fleet.statuses.append(response.status_code)
    return response


async def _done(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _asking_approval(api: httpx.AsyncClient, fleet: Fleet) -> str:
    """A demo-fast case classified, its package recorded, and the head asked to approve."""
    opened = await _done(
        await _post(
            api, fleet, "/cases", ("EPB-DEMO", "intake"), json=intake_body(mechanism=MECHANISM)
        )
    )
    case_id = str(opened["case_id"])
    act = f"/cases/{case_id}/actions"
    crime = {"classification": "crime", "reasons": "暗管"}
    await _done(await _post(api, fleet, f"{act}/classify", OFFICER, json=crime))
    await record_package(api, fleet, case_id, MECHANISM)
    team = {"officers": ["王执法", "张执法"]}
    await _done(await _post(api, fleet, f"{act}/request_approval", OFFICER, json=team))
    return case_id


async def _approved_case(api: httpx.AsyncClient, fleet: Fleet) -> str:
    """A demo-fast case approved for referral: the next move is sending it."""
    case_id = await _asking_approval(api, fleet)
    await _done(
        await _post(api, fleet, f"/cases/{case_id}/actions/approve_referral", HEAD, json={})
    )
    return case_id


async def _timeline(api: httpx.AsyncClient, fleet: Fleet, case_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/cases/{case_id}/timeline", headers=fleet.auth(*OFFICER))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def _referrals(sim: httpx.AsyncClient, case_id: str) -> list[dict[str, Any]]:
    """The referral deliveries the police system received for the case (repeats marked)."""
    received = (
        await sim.get("/admin/received", params={"agency": "PSB-DEMO", "kind": "referral"})
    ).json()
    return [r for r in received if case_id in str(r.get("body", r))]


async def _delivered(api: httpx.AsyncClient, fleet: Fleet, case_id: str) -> None:
    async def receipt() -> bool:
        return any(
            e["action"] == "referral_delivered" for e in await _timeline(api, fleet, case_id)
        )

    await eventually(receipt, "the referral was never delivered", seconds=90, every=0.5)


async def test_worker_killed_mid_referral_while_clocks_fall_due(
    api: httpx.AsyncClient, sim: httpx.AsyncClient, fleet: Fleet
) -> None:
    case_id = await _approved_case(api, fleet)
    approved_at = time.monotonic()
    fleet.stack.kill("worker")

    # An action during the outage (the coordinator's direction to send): a 503 with Retry-After
    # within the bound, never a hang.
    key = {"Idempotency-Key": f"direct-{uuid.uuid4()}"}
    direct = f"/cases/{case_id}/actions/direct"
    body = {"note": "请于今日移送"}
    started = time.monotonic()
    refused = await _post(api, fleet, direct, COORDINATOR, json=body, headers=key)
    waited = time.monotonic() - started
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == str(int(BOUND))
    assert refused.json()["code"] == "case_service_unavailable"
    assert "Idempotency-Key" in refused.json()["fix"]
    assert waited < BOUND + 3, waited
    # Reads go on from the read model.
    read = await api.get(f"/cases/{case_id}", headers=fleet.auth(*OFFICER))
    fleet.statuses.append(read.status_code)
    assert read.status_code == 200
    assert read.json()["live"] is False

    # The sending clock's reminder (20 s before its 60 s) falls due while the worker is down.
    await asyncio.sleep(max(0.0, 42 - (time.monotonic() - approved_at)))
    down_for = time.monotonic() - started
    fleet.stack.restart("worker")

    # The coordinator's system retries with the same key until it is answered: applied once.
    async def answered() -> bool:
        response = await _post(api, fleet, direct, COORDINATOR, json=body, headers=key)
        assert response.status_code in (200, 503), response.text
        return response.status_code == 200

    await eventually(answered, "the retried action was never answered", seconds=60, every=1)
    again = await _done(await _post(api, fleet, direct, COORDINATOR, json=body, headers=key))
    send = f"/cases/{case_id}/actions/send_referral"
    await _done(await _post(api, fleet, send, OFFICER, json={}))
    await _delivered(api, fleet, case_id)

    timeline = await _timeline(api, fleet, case_id)
    actions = Counter(e["action"] for e in timeline)
    assert (actions["direct"], actions["send_referral"]) == (1, 1), actions
    assert again["seq"] == next(e["seq"] for e in timeline if e["action"] == "direct")
    reminders = [
        e
        for e in timeline
        if e["action"] == "reminder" and e["details"]["clock"].startswith("sending")
    ]
    assert len(reminders) == 1, [(e["action"], e["details"].get("clock")) for e in timeline]
    deliveries = await _referrals(sim, case_id)
    assert len([d for d in deliveries if not d["repeat"]]) == 1, deliveries
    assert 500 not in fleet.statuses
    report(
        f"worker down {down_for:.1f}s; the action answered 503 in {waited:.2f}s; "
        f"the retried direction applied once, 1 reminder recorded, {len(deliveries)} delivery call(s), "
        f"{len(fleet.statuses)} requests, none 500"
    )


@dataclass
class Intake:
    """Intake systems sending new cases, one after another each, until told to stop; what they sent
    and every answer they had."""

    tag: str
    sent: list[str] = field(default_factory=list)  # intake refs, in the order they were answered
    seen: Counter[int] = field(default_factory=Counter)  # 0: the connection was refused
    waits: list[float] = field(default_factory=list)  # how long each 503 took to come
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def system(self, api: httpx.AsyncClient, fleet: Fleet, number: int) -> None:
        """One system: each case is sent until it is answered (a 503 is retried after a moment,
        as a refused connection is), then the next, until ``stop``."""
        for i in itertools.count():
            if self.stop.is_set():
                return
            ref = f"{self.tag}-{number}-{i}"
            body = intake_body(ref, mechanism=MECHANISM)
            while True:
                started = time.monotonic()
                try:
                    response = await api.post(
                        "/cases", json=body, headers=fleet.auth("EPB-DEMO", "intake")
                    )
                except httpx.TransportError:  # the API itself is down
                    self.seen[0] += 1
                    await asyncio.sleep(0.3)
                    continue
                self.seen[response.status_code] += 1
                fleet.statuses.append(response.status_code)
                if response.status_code in (200, 201):
                    self.sent.append(ref)
                    break
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == str(int(BOUND))
                self.waits.append(time.monotonic() - started)
                await asyncio.sleep(0.5)

    async def through(
        self,
        api: httpx.AsyncClient,
        fleet: Fleet,
        systems: int,
        fault: Callable[[], Awaitable[float]],
    ) -> float:
        """The systems run before, during and after ``fault`` (which returns how long the outage
        lasted), and stop once each has had a case answered after it."""
        running = [asyncio.create_task(self.system(api, fleet, n)) for n in range(systems)]
        await asyncio.sleep(0.5)  # intake under way
        outage = await fault()
        after = len(self.sent)
        await eventually_for(lambda: len(self.sent) >= after + systems, seconds=120)
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*running), 120)
        return outage


async def eventually_for(check: Callable[[], bool], seconds: float) -> None:
    async def holds() -> bool:
        return check()

    await eventually(holds, "the intake systems were not answered after the fault", seconds=seconds)


async def _each_case_once(api: httpx.AsyncClient, fleet: Fleet, tag: str, count: int) -> None:
    """Every case the intake systems sent is recorded, once, and its workflow answers."""
    coordinator = fleet.auth(*COORDINATOR)
    listed = (await api.get("/cases", params={"q": tag, "limit": 200}, headers=coordinator)).json()
    assert listed["total"] == count, listed["total"]
    assert len({c["case_id"] for c in listed["items"]}) == count

    async def all_live() -> bool:
        for item in listed["items"]:
            case = await api.get(f"/cases/{item['case_id']}", headers=coordinator)
            if case.status_code != 200 or not case.json()["live"]:
                return False
        return True

    await eventually(all_live, "a case's workflow does not answer", seconds=90, every=1)


def _killed(fleet: Fleet, name: str, *, down_for: float) -> Callable[[], Awaitable[float]]:
    """A fault: SIGKILL one part, leave it down, start it again; how long it was gone."""

    async def fault() -> float:
        fleet.stack.kill(name)
        killed = time.monotonic()
        await asyncio.sleep(down_for)
        await asyncio.to_thread(fleet.stack.restart, name)
        return time.monotonic() - killed

    return fault


async def test_temporal_killed_and_restarted_on_its_data_under_intake_load(
    api: httpx.AsyncClient, fleet: Fleet
) -> None:
    intake = Intake(f"T{uuid.uuid4().hex[:8]}")

    # Down longer than the bound: a request in flight when it went is answered 503 however fast
    # the server comes back (a shorter outage could end within the bound, and be answered 201).
    down_for = BOUND + 1
    outage = await intake.through(api, fleet, 4, _killed(fleet, "temporal", down_for=down_for))
    await _each_case_once(api, fleet, intake.tag, len(intake.sent))
    assert intake.seen[503] > 0, intake.seen  # the outage was met, and answered
    assert intake.seen[500] == 0
    assert max(intake.waits) < BOUND + 3, intake.waits
    report(
        f"Temporal down {outage:.1f}s under 4 intake systems: answers {dict(intake.seen)}; "
        f"503s came within {max(intake.waits):.2f}s; {len(intake.sent)} cases, each recorded once"
    )


async def test_api_killed_mid_intake_while_the_intake_system_retries(
    api: httpx.AsyncClient, fleet: Fleet
) -> None:
    intake = Intake(f"A{uuid.uuid4().hex[:8]}")

    outage = await intake.through(api, fleet, 3, _killed(fleet, "api", down_for=1))
    await _each_case_once(api, fleet, intake.tag, len(intake.sent))
    assert intake.seen[0] > 0, intake.seen  # the API was down when asked
    assert intake.seen[500] == 0
    report(
        f"API down {outage:.1f}s mid-intake: answers {dict(intake.seen)} (0: connection refused); "
        f"{len(intake.sent)} cases, each recorded once"
    )


async def _calls(api: httpx.AsyncClient, fleet: Fleet, case_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/cases/{case_id}", headers=fleet.auth(*COORDINATOR))
    fleet.statuses.append(response.status_code)
    calls: list[dict[str, Any]] = response.json()["outside_calls"]
    return calls


async def _failing_shown(
    api: httpx.AsyncClient, fleet: Fleet, case_id: str, words: tuple[str, ...]
) -> dict[str, Any]:
    """The case page shows the delivery being retried, its attempts and its last error."""
    shown: dict[str, Any] = {}
    seen: list[Any] = []

    async def failing() -> bool:
        seen[:] = await _calls(api, fleet, case_id)
        for call in seen:
            error = call.get("last_error") or ""
            if call["call"] == "deliver_referral" and all(w in error for w in words):
                shown.update(call)
                return True
        return False

    try:
        await eventually(failing, "the case never showed the failing call", seconds=60)
    except AssertionError:
        raise AssertionError(f"no call with {words} among {seen}") from None
    return shown


async def test_agency_down_failing_hanging_and_refusing(
    api: httpx.AsyncClient, sim: httpx.AsyncClient, fleet: Fleet
) -> None:
    figures: list[str] = []

    async def send(case_id: str) -> None:
        await _done(await _post(api, fleet, f"/cases/{case_id}/actions/send_referral", OFFICER))

    async def behave(**behaviour: Any) -> None:
        response = await sim.put("/admin/agencies/PSB-DEMO/behaviour", json=behaviour)
        assert response.status_code == 200, response.text

    # Failing: three 503s, then the receipt. Shown on the case while it is retried; delivered once.
    failing = await _approved_case(api, fleet)
    await behave(mode="fail", times=3, status=503)
    await send(failing)
    shown = await _failing_shown(api, fleet, failing, ("PSB-DEMO", "503"))
    await _delivered(api, fleet, failing)
    calls = await _referrals(sim, failing)
    assert [c["status"] for c in calls if not c["repeat"]][-1] in (200, 201)
    assert sum(1 for c in calls if c["status"] in (200, 201) and not c["repeat"]) == 1, calls
    assert await _calls(api, fleet, failing) == []  # nothing left to retry
    figures.append(f"failing: {len(calls)} calls, shown at attempt {shown['attempts']}")

    # Hanging: the first call never answers; given up on after the HTTP timeout, then delivered.
    hanging = await _approved_case(api, fleet)
    await behave(mode="hang", times=1, hang_seconds=30)
    await send(hanging)
    await _delivered(api, fleet, hanging)
    calls = await _referrals(sim, hanging)
    assert sum(1 for c in calls if c["status"] in (200, 201) and not c["repeat"]) == 1, calls
    figures.append(f"hanging: {len(calls)} calls recorded")

    # Refusing: a 4xx is the agency's answer, recorded on the case, never retried.
    refusing = await _approved_case(api, fleet)
    await behave(mode="refuse", status=422, reason="移送材料缺少签章")
    await send(refusing)

    async def refusal() -> bool:
        return any(e["action"] == "delivery_failed" for e in await _timeline(api, fleet, refusing))

    await eventually(refusal, "the refusal was not recorded", seconds=60)
    failed = [e for e in await _timeline(api, fleet, refusing) if e["action"] == "delivery_failed"]
    assert len(failed) == 1
    assert "移送材料缺少签章" in failed[0]["details"]["reason"]
    assert len(await _referrals(sim, refusing)) == 1  # not retried
    figures.append("refusing: 1 call, recorded once")

    # Down: the system is gone (connection refused), then back; delivered once.
    await behave(mode="ack")
    down = await _approved_case(api, fleet)
    fleet.stack.kill("simulator")
    await send(down)
    shown = await _failing_shown(api, fleet, down, ("PSB-DEMO", "unreachable"))
    await asyncio.to_thread(fleet.stack.restart, "simulator")
    await _delivered(api, fleet, down)
    calls = await _referrals(sim, down)  # the simulator's record since it came back
    assert sum(1 for c in calls if c["status"] in (200, 201) and not c["repeat"]) == 1, calls
    figures.append(f"down: shown unreachable at attempt {shown['attempts']}, then delivered once")

    assert 500 not in fleet.statuses
    report("agencies: " + "; ".join(figures))


async def test_concurrent_conflicting_and_retried_actions(
    api: httpx.AsyncClient, fleet: Fleet
) -> None:
    case_id = await _asking_approval(api, fleet)
    act = f"/cases/{case_id}/actions"

    # The head approves and refuses at the same moment (two sessions): one decision is taken.
    approve = _post(api, fleet, f"{act}/approve_referral", HEAD, json={})
    refuse = _post(api, fleet, f"{act}/refuse_referral", HEAD, json={"reasons": "证据不足"})
    decisions = await asyncio.gather(approve, refuse)
    codes = sorted(r.status_code for r in decisions)
    assert codes == [200, 409], [r.text for r in decisions]
    timeline = await _timeline(api, fleet, case_id)
    taken = [
        e["action"] for e in timeline if e["action"] in ("approve_referral", "refuse_referral")
    ]
    assert len(taken) == 1, taken

    if taken == ["refuse_referral"]:  # ask again, to go on to sending
        await _done(
            await _post(
                api,
                fleet,
                f"{act}/request_approval",
                OFFICER,
                json={"officers": ["王执法", "张执法"]},
            )
        )
        await _done(await _post(api, fleet, f"{act}/approve_referral", HEAD, json={}))

    # Six officers' systems send the referral at once, each with its own key: sent once.
    sends = await asyncio.gather(
        *(
            _post(
                api,
                fleet,
                f"{act}/send_referral",
                OFFICER,
                json={},
                headers={"Idempotency-Key": f"s-{i}"},
            )
            for i in range(6)
        )
    )
    assert sorted(r.status_code for r in sends) == [200, 409, 409, 409, 409, 409]

    # One system sends the same direction six times at once with one key: applied once, and every
    # answer is the first one's.
    same = {"Idempotency-Key": f"direct-{uuid.uuid4()}"}
    retried = await asyncio.gather(
        *(
            _post(api, fleet, f"{act}/direct", COORDINATOR, json={"note": "尽快受理"}, headers=same)
            for _ in range(6)
        )
    )
    assert [r.status_code for r in retried] == [200] * 6, [r.text for r in retried]
    assert len({r.json()["seq"] for r in retried}) == 1
    await _delivered(api, fleet, case_id)
    actions = Counter(e["action"] for e in await _timeline(api, fleet, case_id))
    assert (actions["send_referral"], actions["direct"], actions["referral_delivered"]) == (1, 1, 1)
    assert 500 not in fleet.statuses
    report(
        f"conflicting decisions: {codes}; 6 sends with 6 keys: "
        f"{sorted(r.status_code for r in sends)}; 6 sends with one key: 1 applied"
    )
