"""The operator's commands (``linkage``, ``ops/``) against running cases on the dev server: the
replay check before a build is promoted, a holiday year published to a running case, a case's read
model rebuilt from its workflow, and a case's record exported."""

from __future__ import annotations

import json
import stat
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete
from sqlmodel import Session, col
from temporalio.common import VersioningBehavior
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cases.ids import workflow_id
from ops.cases import export, publish_calendar, rebuild
from ops.cli import main
from ops.deploy import WrongBuild, promote, replay_check
from store.records import case_row, clocks, timeline
from store.tables import CaseRow, ClockRow, EvidenceRow, TimelineRow
from store.views import stored_case
from tests.api.conftest import InProcess, in_process
from tests.api.helpers import OFFICER, act, items, ok, open_case, to_sent
from tests.polling import eventually
from tests.workflows.reordered import ReorderedCaseWorkflow
from worker import build_worker, http_client
from workflows.case import CaseWorkflow


async def a_case(api: httpx.AsyncClient, stack: InProcess) -> str:
    case_id = await open_case(api, stack, subject="运维测试企业")
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await ok(act(api, stack, case_id, "record_evidence", OFFICER, items=items("site_sketch")))
    return case_id


async def test_the_replay_check_passes_this_code_and_fails_a_reordered_workflow(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack, subject="运维测试企业")
    await to_sent(api, stack, case_id)
    client = stack.app.state.services.temporal
    query = f"WorkflowId = '{workflow_id(case_id)}'"

    async def listed() -> bool:  # visibility follows the start by a moment
        found = await client.count_workflows(query)
        return bool(found.count == 1)

    await eventually(listed, "the case is not listed")
    passed = await replay_check(client, stack.settings, query)
    assert (passed.replayed, passed.failed) == (1, {})
    failed = await replay_check(client, stack.settings, query, workflows=[ReorderedCaseWorkflow])
    assert list(failed.failed) == [workflow_id(case_id)]
    assert "nondetermin" in failed.failed[workflow_id(case_id)].lower()


async def test_a_published_holiday_year_reaches_a_running_case(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await a_case(api, stack)
    client = stack.app.state.services.temporal
    outcome = await publish_calendar(client, stack.engine, [2027], [case_id])
    assert (outcome.done, outcome.failed) == ([case_id], {})

    async def published() -> bool:
        return any(e.action == "calendar_published" for e in timeline(stack.engine, case_id))

    await eventually(published, "the case did not take the calendar in")
    stored = stored_case(stack.engine, case_id)
    assert stored is not None


async def test_a_cases_read_model_is_rebuilt_from_its_workflow(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await a_case(api, stack)
    before = case_row(stack.engine, case_id)
    assert before is not None
    with Session(stack.engine) as session:  # lost: a restore from an older backup, say
        for table in (TimelineRow, ClockRow, EvidenceRow, CaseRow):
            session.execute(delete(table).where(col(table.case_id) == case_id))
        session.commit()
    assert case_row(stack.engine, case_id) is None
    client = stack.app.state.services.temporal
    outcome = await rebuild(client, stack.engine, [case_id])
    assert (outcome.done, outcome.failed) == ([case_id], {})
    after = case_row(stack.engine, case_id)
    assert after is not None
    assert (after.stage, after.subject, after.last_seq) == (
        before.stage,
        before.subject,
        before.last_seq,
    )
    assert after.stalled_at is not None  # by the case's own mechanism
    assert [e.seq for e in timeline(stack.engine, case_id)][-1] == before.last_seq
    view = await client.get_workflow_handle(workflow_id(case_id)).query(CaseWorkflow.view, None)
    assert len(clocks(stack.engine, case_id)) == len(view.state.clocks)
    exported = export(stack.engine, case_id)
    assert exported is not None
    assert [e["kind"] for e in exported["evidence"]] == ["site_sketch"]


async def test_the_command_exports_a_record_only_its_operator_can_read(
    api: httpx.AsyncClient,
    stack: InProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = await a_case(api, stack)
    monkeypatch.setenv("LINKAGE_DATABASE_URL", stack.settings.database)
    out = tmp_path / "record.json"
    assert main(["export", case_id, "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    record = json.loads(out.read_text())
    assert record["case"]["case_id"] == case_id
    assert [e["action"] for e in record["timeline"]][:2] == ["open", "classify"]
    assert main(["export", "EPB-DEMO.NO-SUCH", "--out", str(out)]) == 2
    assert main(["db", "current"]) == 0


async def test_a_release_moves_a_running_case_to_the_promoted_build(
    dev_server: WorkflowEnvironment, simulator_url: str
) -> None:
    """Worker versioning as a release runs it: workers of build b1 take nothing until b1 is
    promoted (``linkage promote``); a case opened then runs on b1. Build b2's workers start beside
    them; once b2 is promoted, the running case (auto-upgrading) takes its next step on b2."""
    deployment = f"linkage-test-{uuid.uuid4().hex[:8]}"
    async with in_process(
        dev_server, simulator_url, build_id="b1", deployment_name=deployment
    ) as stack:
        client = stack.app.state.services.temporal

        async def promoted(build: str) -> bool:
            try:
                await promote(client, stack.settings.model_copy(update={"build_id": build}), build)
            except RPCError:
                return False  # the server has not yet seen the build's pollers
            return True

        await eventually(lambda: promoted("b1"), "build b1 could not be made current")
        transport = httpx.ASGITransport(app=stack.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            case_id = await open_case(api, stack, subject="版本测试企业")
            handle = client.get_workflow_handle(workflow_id(case_id))

            async def on(build: str) -> bool:
                info = (await handle.describe()).raw_description.workflow_execution_info
                version = info.versioning_info.deployment_version
                return bool(version.build_id == build)

            await eventually(lambda: on("b1"), "the case did not start on b1")
            behaviour = (await handle.describe()).raw_description.workflow_execution_info
            assert behaviour.versioning_info.behavior == VersioningBehavior.AUTO_UPGRADE.value
            with pytest.raises(WrongBuild):  # only a process of that build may: its code replayed
                await promote(client, stack.settings, "b2")
            b2 = stack.settings.model_copy(update={"build_id": "b2"})
            with ThreadPoolExecutor(max_workers=2) as executor:
                async with (
                    http_client(b2) as http,
                    build_worker(client, b2, http, stack.engine, executor),
                ):
                    await eventually(lambda: promoted("b2"), "build b2 could not be made current")
                    await ok(
                        act(
                            api,
                            stack,
                            case_id,
                            "classify",
                            OFFICER,
                            classification="crime",
                            reasons="暗管",
                        )
                    )
                    await eventually(lambda: on("b2"), "the case did not move to b2")
