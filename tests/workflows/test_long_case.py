"""No case can be killed by being used: one case takes more than 2,000 steps, continues as new when its
history grows long, and keeps every clock, every write and its whole state across the runs; each run's
history replays."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from cases.ids import workflow_id
from cases.limits import HISTORY_EVENTS, KEPT_CLOSED_CLOCKS, KEPT_REFUSALS, KEPT_TIMELINE
from cases.vocabulary import Stage
from tests.workflows.driver import (
    COORDINATOR,
    EPB_HEAD,
    EPB_OFFICER,
    classified,
    delivered,
    finish,
    package,
    running_case,
    soon,
    to_sending,
    until,
)
from tests.workflows.fakes import FakeAgencies
from workflows.case import CaseWorkflow
from workflows.engine import DATA_CONVERTER
from workflows.messages import HistoryBudget

CYCLES = 670  # three steps each: more than 2,000 steps in all


async def test_more_than_2000_steps_continue_as_new_without_losing_a_clock(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        first_run = await case.run_id()
        await classified(case)
        await package(case)
        await case.act("request_test", EPB_OFFICER, agency="MON-DEMO", subject="总排口COD")
        test_clock = await case.clock("test")
        steps = 3  # classify, the package, the test
        for cycle in range(CYCLES):
            await case.act("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
            await case.act("refuse_referral", EPB_HEAD, reasons=f"第{cycle}次:证据不足")
            await case.act("direct", COORDINATOR, note=f"第{cycle}次督办")
            steps += 3
        assert steps > 2000

        # The case moved to new runs on the way, carrying its whole state.
        view = await case.view()
        state = view.state
        assert state.stage is Stage.EVIDENCE
        assert state.last_seq == steps + 1  # the opening, then one entry per step
        assert len(state.timeline) == KEPT_TIMELINE
        assert state.timeline[-1].seq == state.last_seq
        assert len(state.referral.refusals) == KEPT_REFUSALS
        assert state.referral.refusals[-1] == f"第{CYCLES - 1}次:证据不足"
        closed = [c for c in state.clocks if c.closed_at is not None]
        assert len(closed) <= KEPT_CLOSED_CLOCKS + 3
        assert state.clocks_started == CYCLES + 1  # every approval clock, and the test's
        # The station's clock runs on, untouched, and still falls due when it should.
        kept = await case.clock("test")
        assert (kept.key, kept.started_at, kept.due_at) == (
            test_clock.key,
            test_clock.started_at,
            test_clock.due_at,
        )
        assert kept.closed_at is None
        # Every transition reached the read model, in order, across the runs (a local activity may
        # run again when a workflow task is retried on a loaded machine: the write is idempotent).
        assert list(dict.fromkeys(case.fakes.recorded_seqs())) == list(range(1, state.last_seq + 1))
        runs = await _runs(case.env, case.handle.id, first_run)
        assert len(runs) >= 2, "the case never continued as new"
        print(f"{steps} steps in {len(runs)} runs of {[len(h.events) for h in runs]} events")
        for history in runs[:-1]:
            assert len(history.events) <= HISTORY_EVENTS + 200
            assert (
                history.events[-1].event_type
                is EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            )
        await case.sleep_until(kept.due_at)

        async def breached() -> bool:
            return (await case.clock("test")).breached_at == kept.due_at

        await soon(breached, "the carried clock never fell due in the new run")

        # Each run's history replays against today's code.
        replayer = Replayer(workflows=[CaseWorkflow], data_converter=DATA_CONVERTER)
        for history in runs[:-1]:
            result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
            assert result.replay_failure is None, result.replay_failure


async def _runs(env: WorkflowEnvironment, workflow_id: str, first: str) -> list[WorkflowHistory]:
    """The histories of every run of a workflow, following its continue-as-new chain."""
    histories = []
    run_id: str | None = first
    while run_id:
        history = await env.client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
    return histories


async def test_a_call_in_flight_goes_on_in_the_new_run(dev_server: WorkflowEnvironment) -> None:
    """The police system hangs on the referral while the history grows past its budget: the case
    does not wait for the call (its clocks would stand still), it stops it and makes it again, with
    the same idempotency key, from the new run; the receipt lands once.

    On the dev server: the time-skipping server keeps a closed run's stopped call pending, which
    holds its clock still for every later test."""
    hold = asyncio.Event()
    fakes = FakeAgencies(hold_first_delivery=hold)
    budget = HistoryBudget(events=120)
    async with running_case(dev_server, fakes=fakes, budget=budget) as case:
        first_run = await case.run_id()
        await to_sending(case)
        await case.act("send_referral", EPB_OFFICER)
        await until(case, lambda: len(fakes.deliveries) == 1, "the police system was never called")
        while await case.run_id() == first_run:
            await case.act("direct", COORDINATOR, note="请尽快送达")
        await delivered(case)
        state = (await case.view()).state
        assert state.referral.receipt is not None
        assert len(fakes.deliveries) == 2
        assert {d.idempotency_key for d in fakes.deliveries} == {
            f"{workflow_id(case.case_id)}-referral-1"
        }
        assert [e.action for e in fakes.entries()].count("referral_delivered") == 1
        hold.set()  # the first call, long abandoned, returns: nothing changes
        await finish(case)
