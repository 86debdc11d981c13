"""A case's page from its stored state (``cases.stored``, ``api.reads.stored_view``), in process.

The page is the same whether it comes from the case's state as its last write stored it or from the
case's workflow, for every caller and at every step; it comes from the store without asking the case
while that state holds; and the case is asked whenever it may have moved unseen: a clock come due, a
call whose answer it will take in, a write that failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, update

from api import engine as api_engine
from api import reads as api_reads
from api.reads import sweep_ended
from api.temporal import case_handle
from cases.profiles import get_profile
from cases.view import Caller
from store.records import case_row
from store.tables import CaseRow, CaseViewRow
from store.views import mark_stale, stored_case
from tests.api.conftest import InProcess
from tests.api.helpers import HEAD, OFFICER, POLICE, act, items, ok, open_case
from tests.polling import eventually

CALLERS = [
    OFFICER,
    HEAD,
    POLICE,
    ("PSB-DEMO", "approver"),
    ("PROC-DEMO", "procurator"),
    ("JLO-DEMO", "coordinator"),
    ("LG-DEMO", "leader"),
]


@contextmanager
def asking_the_case(stack: InProcess) -> Iterator[None]:
    services = stack.app.state.services
    services.settings.stored_views = False
    try:
        yield
    finally:
        services.settings.stored_views = True


def comparable(page: dict[str, Any]) -> dict[str, Any]:
    """The page without what only the instant it was computed at moves (time left on clocks)."""
    page = dict(page)
    page.pop("summary")
    page["open_clocks"] = [
        {k: v for k, v in c.items() if k != "seconds_left"} for c in page["open_clocks"]
    ]
    return page


async def pages(api: httpx.AsyncClient, stack: InProcess, case_id: str) -> list[dict[str, Any]]:
    return [await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*who))) for who in CALLERS]


async def same_either_way(api: httpx.AsyncClient, stack: InProcess, case_id: str) -> None:
    stored = await pages(api, stack, case_id)
    with asking_the_case(stack):
        asked = await pages(api, stack, case_id)
    for who, mine, theirs in zip(CALLERS, stored, asked, strict=True):
        assert comparable(mine) == comparable(theirs), who
        assert mine["live"]
        assert theirs["live"]


@pytest.fixture
def never_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the case's workflow is asked for its view, by case id."""
    asked: list[str] = []
    original = api_reads.view_case

    async def counting(services: Any, case_id: str, caller: Caller) -> Any:
        asked.append(case_id)
        return await original(services, case_id, caller)

    monkeypatch.setattr(api_reads, "view_case", counting)
    return asked


async def written(stack: InProcess, case_id: str) -> None:
    """The case's own write of where it stands is in, with no call under way whose answer it will
    take in (a step's answer waits for its write; a call's answer is written when taken in)."""

    async def done() -> bool:
        found = stored_case(stack.engine, case_id)
        return found is not None and found.answering_calls == 0

    await eventually(done, f"case {case_id} never stood still with its state written")


async def test_the_page_is_the_same_from_the_store_and_from_the_case_at_every_step(
    api: httpx.AsyncClient, stack: InProcess, never_asked: list[str]
) -> None:
    case_id = await open_case(api, stack)
    steps: list[tuple[str, tuple[str, str], dict[str, Any]]] = [
        ("classify", OFFICER, {"classification": "crime", "reasons": "暗管"}),
        (
            "record_evidence",
            OFFICER,
            {"items": items(*get_profile("env-police").referral_required)},
        ),
        ("request_approval", OFFICER, {"officers": ["王执法", "张执法"]}),
        ("approve_referral", HEAD, {}),
        ("send_referral", OFFICER, {}),  # a delivery the case takes in when the police answer
        ("file_case", POLICE, {"reference": "立案决定书 2026-001"}),  # a filing notice sent
    ]
    stages = []
    for action, who, body in [("", OFFICER, {}), *steps]:
        if action:
            await ok(act(api, stack, case_id, action, who, **body))
        await written(stack, case_id)
        found = stored_case(stack.engine, case_id)
        assert found is not None
        stages.append(found.state.stage.value)
        await same_either_way(api, stack, case_id)
    assert len(set(stages)) >= 4, stages  # the walk went through the lifecycle
    asked_before = len(never_asked)
    await pages(api, stack, case_id)
    assert len(never_asked) == asked_before, "the stored state held: the case was not asked"


async def test_a_call_under_way_or_a_failed_write_sends_the_page_to_the_case(
    api: httpx.AsyncClient, stack: InProcess, never_asked: list[str]
) -> None:
    case_id = await open_case(api, stack)
    await written(stack, case_id)
    # A write that may not have happened: the case is asked until its next write.
    mark_stale(stack.engine, case_id)
    assert stored_case(stack.engine, case_id) is None
    await pages(api, stack, case_id)
    assert never_asked.count(case_id) == len(CALLERS)
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    found = stored_case(stack.engine, case_id)
    assert found is not None
    assert found.answering_calls == 0
    before = never_asked.count(case_id)
    await pages(api, stack, case_id)
    assert never_asked.count(case_id) == before


@pytest.mark.parametrize(
    "moved",
    [
        {"wake": datetime.now(UTC) - timedelta(seconds=1)},  # a clock came due, not yet fired
        {"wake": datetime.now(UTC) + timedelta(seconds=2)},  # due by an engine's clock ahead
        {"last_seq": 99},  # a later write of the case came without its state
        {"answering_calls": 1, "calls_in_flight": 1},  # a delivery the case will take in
        {"profile_key": "0" * 32},  # rules this process does not hold (files changed since)
        {"calendar_key": "0" * 32},  # a calendar published to the case since
        {"registry_key": "0" * 32},  # a registry published to the case since
    ],
)
async def test_a_stored_state_that_may_not_hold_sends_the_page_to_the_case(
    api: httpx.AsyncClient, stack: InProcess, never_asked: list[str], moved: dict[str, Any]
) -> None:
    case_id = await open_case(api, stack)
    await written(stack, case_id)
    with Session(stack.engine) as session:
        if "last_seq" in moved:  # the case's row, not its stored state, moved on
            session.execute(update(CaseRow).where(col(CaseRow.case_id) == case_id).values(**moved))
        else:
            session.execute(
                update(CaseViewRow).where(col(CaseViewRow.case_id) == case_id).values(**moved)
            )
        session.commit()
    page = await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER)))
    assert never_asked == [case_id]
    assert page["live"]
    assert page["allowed_actions"]


async def test_a_run_an_operator_ended_is_found_by_the_sweep_and_its_page_says_so(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    services = stack.app.state.services
    case_id = await open_case(api, stack)
    await written(stack, case_id)
    before = datetime.now(UTC)
    await case_handle(services, case_id).terminate("an operator's mistake")
    # The stored page does not ask the engine: until the sweep, it shows the case as it stood.
    assert (await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER))))["live"]

    async def swept() -> bool:
        await sweep_ended(services, before)
        row = case_row(stack.engine, case_id)
        return row is not None and row.workflow_status == "terminated"

    await eventually(swept, "the sweep never found the ended run", seconds=30)
    page = await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER)))
    assert page["live"] is False
    assert page["allowed_actions"] == []
    assert page["summary"]["workflow_status"] == "terminated"


async def test_a_notification_that_ended_is_written_by_the_case_itself(
    api: httpx.AsyncClient, stack: InProcess, never_asked: list[str]
) -> None:
    """A notification's answer changes nothing, yet the case writes its stored state again when its
    last call ends: the page then needs neither the case nor the engine."""
    case_id = await open_case(api, stack)
    coordinator = ("JLO-DEMO", "coordinator")
    taken = await ok(act(api, stack, case_id, "direct", coordinator, note="督办"))
    assert taken["seq"] > 1

    async def settled() -> bool:
        done = stored_case(stack.engine, case_id)
        return done is not None and done.calls_in_flight == 0

    await eventually(settled, "the case never wrote that its notification ended", seconds=30)
    found = stored_case(stack.engine, case_id)
    assert found is not None
    assert found.state.last_seq == taken["seq"]
    page = await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*coordinator)))
    assert page["outside_calls"] == []
    assert never_asked == []


async def test_a_case_whose_stored_state_could_not_be_marked_is_asked_by_this_process(
    api: httpx.AsyncClient,
    stack: InProcess,
    never_asked: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read model failed the case's write and the mark alike: this process asks the case
    until the case has had time to write again."""
    case_id = await open_case(api, stack)
    await written(stack, case_id)

    def failing(*_: Any) -> None:
        raise OperationalError("UPDATE case_views", {}, Exception("database is locked"))

    monkeypatch.setattr(api_engine, "mark_stale", failing)
    await api_engine._unsure(stack.app.state.services, case_id)
    assert stored_case(stack.engine, case_id) is not None  # not marked in the read model
    await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER)))
    assert never_asked == [case_id]
    monkeypatch.setattr(api_reads, "UNSURE_FOR", 0.0)
    await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER)))
    assert never_asked == [case_id]
