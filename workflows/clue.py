"""``ClueWorkflow``: one clue of an official's duty crime, delivered to the supervisory commission or
the procuratorate (O310 Art. 19; N2017 Art. 32) and its outcome kept in the read model.

It runs apart from the case's workflow on purpose (``cases.clues``): nothing of it reaches the case's
state, timeline or notices. Its id is the clue's, so a retried request sends the clue once; the agency
call carries the clue's idempotency key on every attempt and is retried through outages; a refusal by
the recipient's system is kept on the clue for its sender to see.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import cases.effects as effects
    import workflows.policies as policies
    from cases.effects import ClueDelivery, ClueOutcome
    from cases.limits import KEPT_ERROR
    from cases.model import DeliveryReceipt


CLUE_RETRY_CEILING = timedelta(minutes=30)


@workflow.defn(name="ClueWorkflow")
class ClueWorkflow:
    @workflow.run
    async def run(self, delivery: ClueDelivery) -> ClueOutcome:
        outcome = await self._deliver(delivery)
        wait = policies.OUTBOX_RETRY
        while True:  # the read model is down: the outcome waits, as a case's outbox does
            try:
                await workflow.execute_local_activity(
                    effects.RECORD_CLUE,
                    outcome,
                    start_to_close_timeout=policies.READ_MODEL_ATTEMPT,
                    retry_policy=policies.READ_MODEL,
                )
                return outcome
            except (ActivityError, ApplicationError):  # a local activity's own error: see calls
                # Longer waits through a long outage, so that the history stays short (a few
                # events an hour at most) without handing the outcome to a new run.
                await workflow.sleep(wait)
                wait = min(wait * 2, CLUE_RETRY_CEILING)

    async def _deliver(self, delivery: ClueDelivery) -> ClueOutcome:
        try:
            receipt = await workflow.execute_activity(
                effects.DELIVER_CLUE,
                delivery,
                result_type=DeliveryReceipt,
                start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
                heartbeat_timeout=policies.AGENCY_CALL_HEARTBEAT,
                schedule_to_close_timeout=policies.DELIVERY_DEADLINE,
                retry_policy=policies.AGENCY_CALL,
            )
            return ClueOutcome(delivery.clue_id, workflow.now(), receipt.reference)
        except ActivityError as exc:
            cause = exc.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(exc)
            workflow.logger.warning("clue not delivered", extra={"clue_id": delivery.clue_id})
            return ClueOutcome(delivery.clue_id, error=reason[:KEPT_ERROR])
