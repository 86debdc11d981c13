"""Reading a step's update and saying no: the update's name as a step, its argument as the actor and
the body, and a refusal the caller reads as a reason code first, then the sentence (workflow code)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from cases.change import ActionResult
    from cases.context import Decision, Reason, Refusal
    from cases.decide import resolve
    from cases.ids import action_key
    from cases.limits import KEPT_ACTION_KEYS
    from cases.model import CaseState
    from workflows.messages import ACTION_REFUSED, ActionRequest, Applied


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


def _sent_key() -> tuple[str, str] | None:
    """The Idempotency-Key (and request fingerprint) the running update was sent with, if any."""
    info = workflow.current_update_info()
    return None if info is None else action_key(info.id)


def applied_before(applied: dict[str, Applied], name: str) -> ActionResult | None:
    """The answer of the action this update repeats (the same Idempotency-Key and request), None for
    an action not applied before; a key applied with another request is refused."""
    found = _sent_key()
    if found is None or found[0] not in applied:
        return None
    key, fingerprint = found
    if applied[key].fingerprint != fingerprint:
        raise refusal(
            Decision.refused(
                name,
                Refusal(
                    Reason.IDEMPOTENCY_CONFLICT,
                    "this Idempotency-Key was used for another request on this case",
                ),
            )
        )
    return applied[key].result


def remember(applied: dict[str, Applied], result: ActionResult) -> None:
    """Keep the answer of an action sent with an Idempotency-Key (the newest keys only)."""
    found = _sent_key()
    if found is None:
        return
    key, fingerprint = found
    applied[key] = Applied(fingerprint, result)
    while len(applied) > KEPT_ACTION_KEYS:
        del applied[next(iter(applied))]
