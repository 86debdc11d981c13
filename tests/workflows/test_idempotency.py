"""An action sent again with its Idempotency-Key (a client retrying after a 503) is applied once, in
the run that took it and in every later run: the engine remembers update ids for one run only, the
case remembers the keys it applied across continue-as-new."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cases.change import ActionResult
from cases.ids import action_key, action_update_id
from cases.limits import KEPT_ACTION_KEYS
from tests.workflows.driver import COORDINATOR, Case, running_case
from workflows.messages import ActionRequest, HistoryBudget


async def _direct(case: Case, update_id: str | None, note: str) -> ActionResult:
    result: ActionResult = await case.handle.execute_update(
        "direct",
        ActionRequest(COORDINATOR, {"note": note}),
        id=update_id,
        result_type=ActionResult,
    )
    return result


def _id(key: str, note: str) -> str:
    return action_update_id(7, key, "direct", f'{{"note":"{note}"}}'.encode())


async def test_a_retried_action_is_applied_once_across_continue_as_new(
    dev_server: WorkflowEnvironment,
) -> None:
    # On the dev server: the engine's own deduplication of update ids within a run is part of what
    # is tested, and the time-skipping test server is not the engine.
    async with running_case(dev_server, budget=HistoryBudget(events=120)) as case:
        first_run = await case.run_id()
        first = await _direct(case, _id("retry-1", "督办"), "督办")
        again = await _direct(case, _id("retry-1", "督办"), "督办")  # the same run: the engine
        assert (again.seq, again.stage) == (first.seq, first.stage)

        # Other steps until the history is long and the case continues as new.
        steps = 0
        while await case.run_id() == first_run:
            await _direct(case, None, f"第{steps}次")
            steps += 1
            assert steps < 200, "the case never continued as new"
        last_seq = (await case.view()).state.last_seq

        # The same key and request in the new run: answered as the first time, not taken again.
        later = await _direct(case, _id("retry-1", "督办"), "督办")
        assert (later.seq, later.stage, later.at) == (first.seq, first.stage, first.at)
        assert (await case.view()).state.last_seq == last_seq

        # The same key with another request: refused, and nothing is taken.
        with pytest.raises(WorkflowUpdateFailedError) as raised:
            await _direct(case, _id("retry-1", "另一次督办"), "另一次督办")
        cause = raised.value.cause
        assert isinstance(cause, ApplicationError)
        details: dict[str, Any] = cause.details[0]
        assert details["reason"] == "idempotency_conflict"
        assert (await case.view()).state.last_seq == last_seq

        # A new key is a new action.
        fresh = await _direct(case, _id("retry-2", "督办"), "督办")
        assert fresh.seq == last_seq + 1
        print(f"continued as new after {steps} steps; the retried action kept seq {first.seq}")
        await case.settle()


def test_update_ids_hide_the_key_and_tell_requests_apart() -> None:
    made = action_update_id(3, "张三的请求", "accept", b'{"note":""}')
    assert "张三" not in made
    key, fingerprint = action_key(made) or ("", "")
    assert action_update_id(3, "张三的请求", "accept", b'{"note":"x"}').split(":")[1] == key
    assert action_update_id(3, "张三的请求", "accept", b'{"note":"x"}').split(":")[2] != fingerprint
    assert action_update_id(4, "张三的请求", "accept", b'{"note":""}').split(":")[1] != key
    assert action_key("4f1c1b0e-uuid-of-the-sdk") is None
    assert KEPT_ACTION_KEYS >= 100
