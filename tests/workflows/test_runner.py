"""``workflows/runner.py``: the sandbox with serialization contexts read in place gives the codec
the same context for every payload as the SDK's own sandbox, and still refuses what a workflow must
not do."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Self

import pytest
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import (
    RestrictedWorkflowAccessError,
    SandboxedWorkflowRunner,
)

from workflows.runner import QuickContextRunner, fits, runner

Seen = tuple[str, str, str]  # the context's kind, its workflow, its activity type


class RecordingCodec(PayloadCodec, WithSerializationContext):
    """Leaves payloads as they are; notes the context each was encoded or decoded in."""

    def __init__(self, seen: list[Seen], context: SerializationContext | None = None) -> None:
        self.seen = seen
        self.context = context

    def with_context(self, context: SerializationContext) -> Self:
        return type(self)(self.seen, context)

    def _note(self, payloads: Sequence[Payload]) -> list[Payload]:
        c = self.context
        if isinstance(c, ActivitySerializationContext):
            self.seen.append(("activity", c.workflow_id or "", c.activity_type or ""))
        elif isinstance(c, WorkflowSerializationContext):
            self.seen.append(("workflow", c.workflow_id, ""))
        return list(payloads)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self._note(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self._note(payloads)


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@activity.defn
async def whisper(text: str) -> str:
    return text.lower()


@workflow.defn(sandboxed=True)
class Calling:
    @workflow.run
    async def run(self, text: str) -> str:
        loud = await workflow.execute_activity(
            shout, text, start_to_close_timeout=timedelta(seconds=10)
        )
        quiet = await workflow.execute_local_activity(
            whisper, text, start_to_close_timeout=timedelta(seconds=10)
        )
        return loud + quiet


@workflow.defn(sandboxed=True)
class Forbidden:
    @workflow.run
    async def run(self) -> str:
        with open("/etc/hostname") as f:  # noqa: ASYNC230 (I/O: the sandbox refuses it)
            return f.read()


async def _contexts(env: WorkflowEnvironment, chosen: WorkflowRunner) -> tuple[str, set[Seen]]:
    seen: list[Seen] = []
    converter = dataclasses.replace(DataConverter.default, payload_codec=RecordingCodec(seen))
    config = env.client.config()
    config["data_converter"] = converter
    client = Client(**config)
    queue = f"runner-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[Calling],
        activities=[shout, whisper],
        workflow_runner=chosen,
    ):
        result = await client.execute_workflow(
            Calling.run, "Mixed", id="runner-case", task_queue=queue
        )
    return result, set(seen)


async def test_this_sdk_is_the_one_the_quick_runner_was_made_for() -> None:
    # Fails after an SDK upgrade that changed the sandbox's insides: the worker then runs the SDK's
    # own runner, correct but slower, and this says so.
    assert fits()
    assert isinstance(runner(), QuickContextRunner)


async def test_each_payload_has_the_context_the_sdk_runner_gives_it(
    time_skipping: WorkflowEnvironment,
) -> None:
    stock = await _contexts(time_skipping, SandboxedWorkflowRunner())
    quick = await _contexts(time_skipping, runner())
    assert quick == stock
    result, seen = quick
    assert result == "MIXEDmixed"
    assert ("activity", "runner-case", "shout") in seen
    assert ("activity", "runner-case", "whisper") in seen
    assert ("workflow", "runner-case", "") in seen


async def test_the_sandbox_still_refuses_what_a_workflow_must_not_do(
    time_skipping: WorkflowEnvironment,
) -> None:
    queue = f"runner-{uuid.uuid4()}"
    async with Worker(
        time_skipping.client,
        task_queue=queue,
        workflows=[Forbidden],
        workflow_runner=runner(),
        workflow_failure_exception_types=[RestrictedWorkflowAccessError],
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await time_skipping.client.execute_workflow(
                Forbidden.run, id=f"forbidden-{uuid.uuid4()}", task_queue=queue
            )
    assert "open" in str(failed.value.cause)
