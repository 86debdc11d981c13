"""The workflow sandbox, without its cost per payload.

With a payload codec, the SDK (temporalio 1.35) asks the workflow instance for the serialization
context of every payload sequence of an activation, six times over (decode: references, external
storage, codec; encode: the same three). The sandboxed instance answers each question by compiling
and running a line of code inside the sandbox with its import hooks applied: a fifth of the worker's
time under load (py-spy, ``bench``), for a lookup of the command's kind and sequence number in the
instance's own tables that neither imports nor touches anything outside it.

``runner()`` answers those questions (and the same for external storage) from the sandboxed
instance directly; the workflow's own code
still runs only inside the sandbox, with every restriction. Should a later SDK not have the shape
this relies on, it gives the SDK's own runner back (``tests/workflows/test_runner.py`` fails then,
so that the loss is seen).
"""

from __future__ import annotations

from typing import Any

import temporalio.converter
from temporalio.worker import WorkflowRunner
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker._workflow_instance import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import _runner as sandbox

_IN_SANDBOX = "__temporal_in_sandbox"


class _Instance(sandbox._Instance):
    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> temporalio.converter.SerializationContext | None:
        inside: Any = self.globals_and_locals.get(_IN_SANDBOX)
        if inside is None:  # not made yet (it is made before any activation): the SDK's way
            return super().get_serialization_context(command_info)
        context: temporalio.converter.SerializationContext | None = (
            inside.get_serialization_context(command_info)
        )
        return context

    def get_external_store_context(self, command_info: CommandInfo | None) -> Any:
        inside: Any = self.globals_and_locals.get(_IN_SANDBOX)
        if inside is None:
            return super().get_external_store_context(command_info)
        return inside.get_external_store_context(command_info)


class QuickContextRunner(SandboxedWorkflowRunner):
    """The SDK's sandbox; the serialization context is read from the instance in place."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _Instance(det, self.runner_class, self.restrictions)


def fits() -> bool:
    """Whether this SDK's sandbox has the shape ``QuickContextRunner`` relies on."""
    instance = getattr(sandbox, "_Instance", None)
    made = getattr(getattr(instance, "__init__", None), "__code__", None)
    creates = getattr(getattr(instance, "_create_instance", None), "__code__", None)
    return (
        made is not None
        and creates is not None
        and hasattr(instance, "get_serialization_context")
        and hasattr(instance, "get_external_store_context")
        and "globals_and_locals" in made.co_names
        and _IN_SANDBOX in repr(creates.co_consts)
    )


def runner() -> WorkflowRunner:
    return QuickContextRunner() if fits() else SandboxedWorkflowRunner()
