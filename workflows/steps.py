"""Reading a step's update and saying no: the update's name as a step, its argument as the actor and
the body, and a refusal the caller reads as a reason code first, then the sentence (workflow code)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from cases.context import Decision, Reason, Refusal
    from cases.decide import resolve
    from cases.model import CaseState
    from workflows.messages import ACTION_REFUSED, ActionRequest


def refusal(decision: Decision) -> ApplicationError:
    """A refused step as the caller sees it: the reason code first, then the sentence."""
    return ApplicationError(
        decision.message,
        {
            "action": decision.action,
            "reason": decision.reason.value if decision.reason else None,
            "message": decision.message,
            "missing": decision.missing,
        },
        type=ACTION_REFUSED,
        non_retryable=True,
    )


def _unreadable(name: str, message: str) -> ApplicationError:
    return ApplicationError(
        message,
        {"action": name, "reason": Reason.INVALID_PAYLOAD.value, "message": message},
        type=ACTION_REFUSED,
        non_retryable=True,
    )


def decode(name: str, args: Sequence[RawValue]) -> tuple[Any, ActionRequest]:
    """The step an update names, and who takes it with which body (read as the step's type later,
    by ``cases.decide.validate``)."""
    step = resolve(name)
    if isinstance(step, Decision):
        raise refusal(step)
    if len(args) != 1:
        raise _unreadable(name, "a step takes one argument: the actor and the body")
    try:
        request = workflow.payload_converter().from_payload(args[0].payload, ActionRequest)
    except Exception as exc:
        raise _unreadable(name, f"the body of '{name}' could not be read: {exc}") from None
    return step, request


def refuse_when_closing(case: CaseState, step: Any, *, reopenable: bool) -> None:
    """An archived case reopens from its record in a new run, never in the run closing it down:
    that run ends whatever a late step would do."""
    if case.stage.closed and not reopenable:
        raise refusal(
            Decision.refused(
                step.name,
                Refusal(Reason.CASE_CLOSED, "the case is archived; try again in a moment"),
            )
        )
