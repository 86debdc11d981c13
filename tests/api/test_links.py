"""Links between cases of two regions (区域联动, D3 §3.2: 一查到底) on ``GET /cases/{id}`` and the
case page, in process: both regions' coordinators see the link, each only their own case's details."""

from __future__ import annotations

from typing import Any

import httpx

from ops.cases import export
from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, detail, ok, open_case, shape
from tests.api.test_ui import browser_like, sign_in  # noqa: F401

DEMO_COORDINATOR = ("JLO-DEMO", "coordinator")
EAST_COORDINATOR = ("JLO-EAST", "coordinator")
EAST_OFFICER = ("EPB-EAST", "officer")
NOTE = "涉案危险废物来自东邻县某化工厂"


async def linked(api: httpx.AsyncClient, stack: InProcess) -> tuple[str, str]:
    """A demo-county case that names an east-county case as its source."""
    demo = await open_case(api, stack, subject="示范县某电镀厂")
    east = await open_case(api, stack, discovering_agency="EPB-EAST", subject="东邻县某化工厂")
    await ok(link(api, stack, demo, OFFICER, case_id=east, relation="source", note=NOTE))
    return demo, east


async def link(
    api: httpx.AsyncClient, stack: InProcess, case: str, who: tuple[str, str], **body: str
) -> httpx.Response:
    """``link_case`` (its body names a ``case_id``, which the shared ``act`` takes as the case's)."""
    return await api.post(f"/cases/{case}/actions/link_case", json=body, headers=stack.auth(*who))


def links(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in link.items() if k != "linked_at"} for link in case["links"]]


async def test_both_regions_see_the_link_and_only_their_own_case(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    demo, east = await linked(api, stack)
    # The demo county's coordinator: its own case with the link, the other case's id and region.
    mine = await detail(api, stack, demo, DEMO_COORDINATOR)
    assert links(mine) == [
        {
            "case_id": east,
            "region": "east-county",
            "relation": "source",
            "direction": "to",
            "visible": False,
            "note": NOTE,
        }
    ]
    assert [link["case_id"] for link in mine["state"]["links"]] == [east]
    assert (await api.get(f"/cases/{east}", headers=stack.auth(*DEMO_COORDINATOR))).status_code == (
        404
    )
    # The east county's coordinator: "linked from" on its own case, nothing of the other case.
    theirs = await detail(api, stack, east, EAST_COORDINATOR)
    assert links(theirs) == [
        {
            "case_id": demo,
            "region": "demo-county",
            "relation": "downstream",  # the other side of "source"
            "direction": "from",
            "visible": False,
            "note": "",  # the linking case's words stay with it
        }
    ]
    assert (await api.get(f"/cases/{demo}", headers=stack.auth(*EAST_COORDINATOR))).status_code == (
        404
    )
    # The east bureau, whose case it is, sees the same; a procurator, who reads every case, may open
    # both and reads the note.
    assert links(await detail(api, stack, east, EAST_OFFICER))[0]["visible"] is False
    procurator = await detail(api, stack, east, ("PROC-DEMO", "procurator"))
    assert links(procurator)[0] | {"visible": True, "note": NOTE} == links(procurator)[0]
    # The operator's export of the linking case keeps its links (the read model's record).
    exported = export(stack.engine, demo)
    assert exported is not None
    assert [(k["linked_case_id"], k["relation"]) for k in exported["links"]] == [(east, "source")]
    # A case with no links shows none.
    assert (await detail(api, stack, await open_case(api, stack)))["links"] == []


async def test_a_link_names_a_case_of_another_region(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    demo = await open_case(api, stack)
    other_demo = await open_case(api, stack)
    same_region = await link(api, stack, demo, OFFICER, case_id=other_demo, relation="related")
    assert same_region.status_code == 422
    assert "of this case's own region" in shape(same_region)["reason"]
    # The police have no part in linking it; the other region's coordinator cannot see the case.
    police = await link(
        api, stack, demo, ("PSB-DEMO", "officer"), case_id="EPB-EAST.X-1", relation="source"
    )
    assert police.status_code == 409
    east = await link(api, stack, demo, EAST_COORDINATOR, case_id="EPB-EAST.X-1", relation="source")
    assert east.status_code == 404
    # The demo coordinator may link its region's case.
    done = await link(
        api, stack, demo, DEMO_COORDINATOR, case_id="EPB-EAST.X-1", relation="related"
    )
    assert done.status_code == 200, done.text


async def test_the_case_pages_show_the_link_both_ways(
    api: httpx.AsyncClient,
    browser_like: httpx.AsyncClient,  # noqa: F811
    stack: InProcess,
) -> None:
    demo, east = await linked(api, stack)
    await sign_in(browser_like, stack, "JLO-EAST", "coordinator")
    page = (await browser_like.get(f"/case/{east}")).text
    assert "外区域关联案件" in page
    assert f"关联自 {demo} (示范县)" in page
    assert f'href="/case/{demo}"' not in page  # not a case this coordinator may open
    assert "下游案件" in page
    assert NOTE not in page
    assert (await browser_like.get(f"/case/{demo}")).status_code == 404
