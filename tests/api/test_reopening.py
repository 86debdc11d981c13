"""An archived case reopens from its record in the read model when the procuratorate recommends a
referral (N2017 Art. 14): a new run of the same case id, with the state it was archived in, through
the API, the dev server and the worker."""

from __future__ import annotations

import httpx
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from cases.ids import workflow_id
from tests.api.conftest import InProcess
from tests.api.helpers import HEAD, OFFICER, act, detail, ok, open_case
from tests.polling import eventually

PROCURATOR = ("PROC-DEMO", "procurator")


async def archived_after_a_penalty(
    api: httpx.AsyncClient, stack: InProcess, engine: WorkflowEnvironment
) -> str:
    case_id = await open_case(api, stack)
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await ok(act(api, stack, case_id, "handle_administratively", HEAD, reasons="先行处罚"))
    await ok(act(api, stack, case_id, "impose_penalty", OFFICER, reference="罚字〔2026〕5号"))
    await ok(act(api, stack, case_id, "archive", OFFICER))

    outcome = await engine.client.get_workflow_handle(workflow_id(case_id)).result()
    assert (
        outcome["stage"] == "archived"
    )  # the run is over: what remains is the read model's record
    return case_id


async def test_n2017_art_14_a_recommendation_reopens_an_archived_case_under_its_own_id(
    api: httpx.AsyncClient, stack: InProcess, dev_server: WorkflowEnvironment
) -> None:
    case_id = await archived_after_a_penalty(api, stack, dev_server)
    before = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    # A refused step does not reopen it: the role may never recommend.
    officer = await act(api, stack, case_id, "recommend_referral", OFFICER, reasons="x")
    assert officer.status_code == 403
    assert (await detail(api, stack, case_id))["summary"]["stage"] == "archived"

    done = await act(
        api, stack, case_id, "recommend_referral", PROCURATOR, reasons="涉嫌污染环境罪,建议移送"
    )
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "evidence"
    assert done.json()["seq"] == before[-1]["seq"] + 1  # the same record goes on

    description = await dev_server.client.get_workflow_handle(workflow_id(case_id)).describe()
    assert description.status is WorkflowExecutionStatus.RUNNING  # a new run of the same id
    case = await detail(api, stack, case_id)
    assert case["summary"]["stage"] == "evidence"
    assert case["summary"]["closed_at"] is None
    assert case["state"]["penalty_decided_at"] is not None  # the state it was archived in

    async def recommended() -> bool:
        clocks = (await detail(api, stack, case_id))["open_clocks"]
        return any(c["name"] == "referral_recommendation" for c in clocks)

    await eventually(recommended, "the recommendation's clock never started", seconds=30)
    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    reopened = next(e for e in timeline if e["action"] == "recommend_referral")
    assert (reopened["stage_from"], reopened["details"]["reopened"]) == (
        "archived",
        "from archived",
    )
    # The agency takes it up as any case in evidence fixing: the same id, its next step.
    again = await act(api, stack, case_id, "request_early_intervention", OFFICER, reasons="补充")
    assert again.status_code == 200, again.text
