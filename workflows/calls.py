"""The case's calls to agency systems and to its read model, as workflow code: each with its step's
timeouts and retry policy (``policies``), and how their failures read. The workflow decides when to call and what an
answer changes; this module only makes the call."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    import workflows.policies as policies
    from cases.change import AskExpert, Deliver, SendDocument
    from cases.context import Context
    from cases.effects import (
        DELIVER_DOCUMENT,
        DELIVER_REFERRAL,
        MAKE_PAPER,
        RECORD_CASE_EVENTS,
        SEND_EXPERT_REQUEST,
        CaseRecord,
        NotificationBatch,
        PaperFile,
    )
    from cases.model import CaseState, DeliveryReceipt
    from cases.papers import Paper, PaperKind
    from cases.system import document_delivery, expert_call, referral_delivery


async def call(
    effect: Deliver | AskExpert | SendDocument | NotificationBatch, case: CaseState, ctx: Context
) -> DeliveryReceipt | None:
    """Make one call; the receiving system's receipt for a delivery (the referral, a notice, and a
    request where the system acknowledges it), nothing for the others."""
    if isinstance(effect, Deliver):
        receipt: DeliveryReceipt = await workflow.execute_activity(
            DELIVER_REFERRAL,
            referral_delivery(case, ctx, effect.attempt),
            result_type=DeliveryReceipt,
            start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
            schedule_to_close_timeout=policies.DELIVERY_DEADLINE,
            heartbeat_timeout=policies.AGENCY_CALL_HEARTBEAT,
            retry_policy=policies.AGENCY_CALL,
        )
        return receipt
    if isinstance(effect, SendDocument):
        receipt = await workflow.execute_activity(
            DELIVER_DOCUMENT,
            document_delivery(case, effect.doc_id, effect.attempt),
            result_type=DeliveryReceipt,
            start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
            schedule_to_close_timeout=policies.DELIVERY_DEADLINE,
            heartbeat_timeout=policies.AGENCY_CALL_HEARTBEAT,
            retry_policy=policies.AGENCY_CALL,
        )
        return receipt
    if isinstance(effect, AskExpert):
        acknowledged: DeliveryReceipt | None = await workflow.execute_activity(
            SEND_EXPERT_REQUEST,
            expert_call(case, effect.request_id),
            result_type=DeliveryReceipt | None,  # type: ignore[arg-type]
            start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
            schedule_to_close_timeout=policies.REQUEST_DEADLINE,
            heartbeat_timeout=policies.AGENCY_CALL_HEARTBEAT,
            retry_policy=policies.AGENCY_CALL,
        )
        return acknowledged
    await policies.notify(effect)
    return None


async def make_paper(paper: Paper) -> PaperFile:
    """Render the paper, fingerprint it and keep it with the case's evidence files. The referral
    waits for its letter, so the letter's deadline is short (``policies.LETTER_DEADLINE``)."""
    letter = paper.kind is PaperKind.REFERRAL_LETTER
    made: PaperFile = await workflow.execute_activity(
        MAKE_PAPER,
        paper,
        result_type=PaperFile,
        start_to_close_timeout=policies.PAPER_ATTEMPT,
        schedule_to_close_timeout=policies.LETTER_DEADLINE if letter else policies.PAPER_DEADLINE,
        retry_policy=policies.PAPER,
    )
    return made


async def record(record: CaseRecord) -> bool:
    """Write transitions to the read model (a local activity, retried briefly in place); False when
    it could not be written, for the entries to wait in the outbox."""
    try:
        await workflow.execute_local_activity(
            RECORD_CASE_EVENTS,
            record,
            start_to_close_timeout=policies.READ_MODEL_ATTEMPT,
            retry_policy=policies.READ_MODEL,
        )
    except (ActivityError, ApplicationError) as exc:
        # A local activity that ran out of attempts comes back as its own error, not wrapped in an
        # ActivityError as a remote one is (seen with temporalio 1.35): both mean "not written".
        cause = exc.cause if isinstance(exc, ActivityError) else None
        workflow.logger.warning(
            "read model not written; entries wait in the outbox",
            extra={"case_id": record.case_id, "error": str(cause or exc)},
        )
        return False
    return True


def stopped(exc: ActivityError) -> None:
    """A call the case stopped (for a new run, or because it closed) is not a failure of the agency:
    the calling task ends as cancelled."""
    if is_cancelled_exception(exc):
        raise asyncio.CancelledError() from exc


def reason(exc: ActivityError) -> str:
    """The agency's own words for a failed call, where it gave them."""
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or exc)
