"""The agency registry travels with a case: a running case decides with the registry it started with,
whatever the files on the worker say, and a changed registry reaches it only through a signal."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cases.agencies import RegistrySnapshot, default_registry
from cases.model import Actor
from cases.vocabulary import Role
from tests.workflows.driver import (
    EPB_OFFICER,
    Case,
    case_input,
    classified,
    intake_for,
    open_by_update,
    package,
    soon,
)
from tests.workflows.fakes import FakeAgencies
from workflows.case import CaseWorkflow


def renamed(snapshot: RegistrySnapshot, old: str, new: str) -> RegistrySnapshot:
    return RegistrySnapshot(
        snapshot.regions,
        [replace(a, code=new) if a.code == old else a for a in snapshot.agencies],
    )


async def test_a_case_runs_on_the_registry_it_carries_until_a_new_one_is_signalled(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeAgencies()
    queue = f"registry-{uuid.uuid4()}"
    start = await time_skipping.get_current_time()
    intake = intake_for(start)
    carried = renamed(default_registry().snapshot(), "JLO-DEMO", "JLO-NEW")
    input = replace(case_input(intake, start), registry=carried)
    worker = Worker(
        time_skipping.client,
        task_queue=queue,
        workflows=[CaseWorkflow],
        activities=fakes.activities,
    )
    async with worker:
        handle, _ = await open_by_update(time_skipping, queue, input)
        case = Case(time_skipping, handle, fakes, intake.case_id)
        try:
            await classified(case)
            await package(case)
            await case.act("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
            approval = await case.clock("approval")
            await case.sleep_until(approval.due_at, timedelta(minutes=1))

            async def escalated() -> bool:
                return (await case.clock("approval")).escalation_level >= 1

            await soon(escalated, "the approval never escalated")
            # The joint office the case carries, not the one in the files.
            assert list((await case.clock("approval")).escalated_to) == ["JLO-NEW"]
            old = Actor("JLO-NEW", Role.COORDINATOR, "")
            files = Actor("JLO-DEMO", Role.COORDINATOR, "")
            assert [a.action for a in (await case.view(old)).allowed] == [
                "link_case",  # a case of another region (D3 §3.2)
                "supervise_case",
                "direct",
                "acknowledge_escalation",  # it reached that joint office
            ]
            assert (await case.view(files)).allowed == []

            await handle.signal(
                CaseWorkflow.publish_registry, renamed(carried, "JLO-NEW", "JLO-NEWER")
            )

            async def published() -> bool:
                view = await case.view()
                return view.state.timeline[-1].action == "registry_published"

            await soon(published, "the new registry never reached the case")
            newer = Actor("JLO-NEWER", Role.COORDINATOR, "")
            assert [a.action for a in (await case.view(newer)).allowed] == [
                "link_case",
                "supervise_case",
                "direct",
            ]
            assert (await case.view(old)).allowed == []
        finally:
            await handle.terminate("test over")
