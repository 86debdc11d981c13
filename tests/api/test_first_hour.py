"""Issue 13, a person's first hour, through the API and the dashboard in process: whose move is
the same everywhere (the summary and the list name the holder of the next due clock); "my move"
(``GET /cases/my-moves`` and ``/mine``); the awaited steps first and the final ones confirmed; the
overview's stalled cases; corrections that keep what they correct."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from store import dashboard
from store.tables import CaseRow
from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, POLICE, act, detail, items, ok, open_case, to_sent
from tests.api.test_ui import browser_like, sign_in  # noqa: F401 (a fixture)
from tests.polling import eventually

COORDINATOR = ("JLO-DEMO", "coordinator")


async def filing_decision(api: httpx.AsyncClient, stack: InProcess) -> str:
    """A case sent to the police, whose system has received it: the filing decision is theirs."""
    case_id = await open_case(api, stack, subject="待公安立案企业")
    await to_sent(api, stack, case_id)

    async def received() -> bool:
        found = await detail(api, stack, case_id)
        return bool(found["summary"]["stage"] == "filing_decision")

    await eventually(received, f"{case_id} never reached the filing decision")
    return case_id


async def mine(api: httpx.AsyncClient, stack: InProcess, who: tuple[str, str]) -> list[str]:
    page: dict[str, Any] = await ok(
        api.get("/cases/my-moves", params={"limit": 200}, headers=stack.auth(*who))
    )
    return [item["case_id"] for item in page["items"]]


async def test_a_case_waiting_for_the_police_says_so_everywhere(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await filing_decision(api, stack)
    gathering = await open_case(api, stack, subject="取证中企业")
    summary = (await detail(api, stack, case_id, COORDINATOR))["summary"]
    assert summary["owner_agency"] == "EPB-DEMO"
    assert (summary["move_agency"], summary["move_role"]) == ("PSB-DEMO", "officer")
    listed = await ok(api.get("/cases", params={"limit": 200}, headers=stack.auth(*COORDINATOR)))
    row = next(item for item in listed["items"] if item["case_id"] == case_id)
    assert (row["move_agency"], row["move_role"]) == ("PSB-DEMO", "officer")
    other = next(item for item in listed["items"] if item["case_id"] == gathering)
    assert (other["move_agency"], other["move_role"]) == ("EPB-DEMO", "officer")

    police, bureau = await mine(api, stack, POLICE), await mine(api, stack, OFFICER)
    assert case_id in police
    assert gathering not in police
    assert gathering in bureau
    assert case_id not in bureau
    assert case_id not in await mine(api, stack, ("EPB-DEMO", "approver"))
    assert case_id not in await mine(api, stack, COORDINATOR)


async def test_the_steps_the_case_waits_for_come_first_and_the_final_ones_say_so(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await filing_decision(api, stack)
    police = await detail(api, stack, case_id, POLICE)
    awaited = police["awaited_actions"]
    assert {"file_case", "decline_filing"} <= set(awaited), awaited
    assert "request_supplements" not in awaited  # asking for more does not decide
    names = [a["action"] for a in police["allowed_actions"]]
    assert names[: len(awaited)] == awaited
    final = {a["action"] for a in police["allowed_actions"] if a["final"]}
    assert "decline_filing" in final
    assert "file_case" not in final
    # Nobody else is waited for: the coordinator may direct, but holds no clock here.
    assert (await detail(api, stack, case_id, COORDINATOR))["awaited_actions"] == []


async def test_the_dashboard_shows_my_move_and_asks_before_a_final_step(
    api: httpx.AsyncClient,
    browser_like: httpx.AsyncClient,  # noqa: F811
    stack: InProcess,
) -> None:
    case_id = await filing_decision(api, stack)
    await sign_in(browser_like, stack, "PSB-DEMO", "officer")
    queue = await browser_like.get("/mine")
    assert queue.status_code == 200
    assert f'data-case="{case_id}"' in queue.text
    page = (await browser_like.get(f"/case/{case_id}")).text
    assert re.search(r'class="action awaited"[^>]*data-action="file_case"', page)
    assert re.search(r'data-action="decline_filing" data-confirm="[^"]+"', page)
    assert not re.search(r'data-action="file_case" data-confirm', page)
    # Agencies by their names, the code on hover; whose move with the role.
    assert '<span class="agency" title="PSB-DEMO">' in page
    overview = await browser_like.get("/list")
    assert '<span class="agency" title="PSB-DEMO">' in overview.text


async def test_the_overview_flags_a_case_with_no_clock_and_no_step_for_too_long(
    api: httpx.AsyncClient,
    browser_like: httpx.AsyncClient,  # noqa: F811
    stack: InProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gathering = await open_case(api, stack, subject="停滞测试企业")
    await ok(
        act(api, stack, gathering, "classify", OFFICER, classification="crime", reasons="暗管")
    )
    waiting = await filing_decision(api, stack)  # a clock runs: not stalled, however quiet
    await sign_in(browser_like, stack, *COORDINATOR)
    page = (await browser_like.get("/")).text
    assert f'<tr data-case="{gathering}">' not in page  # quiet for seconds only
    # Each case says when it stalls, by its own mechanism (env-police: 15 days after its last step).
    with Session(stack.engine) as session:
        row = session.get(CaseRow, gathering)
        assert row is not None
        assert row.stalled_at is not None
        assert row.stalled_at - row.updated_at == timedelta(days=15)
        clocked = session.get(CaseRow, waiting)
        assert clocked is not None
        assert clocked.stalled_at is None
        # Fifteen days pass for the read model.
        row.stalled_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(row)
        session.commit()
    monkeypatch.setattr(dashboard, "SHOWN", 10_000)  # every stalled case of the suite is listed
    page = (await browser_like.get("/")).text
    stalled = page.split('id="stalled"', 1)[1].split("</table>", 1)[0]
    assert f'data-case="{gathering}"' in stalled
    assert f'data-case="{waiting}"' not in stalled
    assert "久无进展" in page


async def test_a_corrected_and_a_withdrawn_item_stay_on_the_page_struck_through(
    api: httpx.AsyncClient,
    browser_like: httpx.AsyncClient,  # noqa: F811
    stack: InProcess,
) -> None:
    case_id = await open_case(api, stack, subject="更正证据企业")
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await ok(
        act(
            api,
            stack,
            case_id,
            "record_evidence",
            OFFICER,
            items=items("site_sketch", "items_list"),
        )
    )
    await ok(
        act(
            api,
            stack,
            case_id,
            "correct_evidence",
            OFFICER,
            item=1,
            reasons="指纹抄录错误",
            sha256="b" * 64,
        )
    )
    await ok(act(api, stack, case_id, "withdraw_evidence", OFFICER, item=2, reasons="误登记"))
    await sign_in(browser_like, stack, *OFFICER)
    page = (await browser_like.get(f"/case/{case_id}")).text
    assert '<tr data-item="1" class="replaced" data-replaced-by="3">' in page
    assert '<tr data-item="2" class="replaced" data-replaced-by="4">' in page
    assert "已更正,见 #3" in page
    assert "已撤回 (#4)" in page
    assert "更正 #1: 指纹抄录错误" in page
    assert "撤回 #2: 误登记" in page
    case = await detail(api, stack, case_id)
    sketch = next(c for c in case["referral_checklist"] if c["key"] == "site_sketch")
    listed = next(c for c in case["referral_checklist"] if c["key"] == "items_list")
    assert sketch["met_by"] == [3]  # by the correction
    assert not listed["met"]  # withdrawn
