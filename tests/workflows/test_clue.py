"""``ClueWorkflow`` on the time-skipping server: a clue is delivered with one idempotency key through
outages, a refusal is kept rather than retried, and an outcome the read model cannot take yet waits
for it (O310 Art. 19; N2017 Art. 32)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cases.effects import AGENCY_REFUSED, DELIVER_CLUE, RECORD_CLUE, ClueDelivery, ClueOutcome
from cases.model import DeliveryReceipt
from tests.workflows.histories import CLUE_HISTORIES, keep
from workflows.clue import ClueWorkflow


@dataclass
class Recipient:
    """The recipient's system and the read model, failing as told."""

    outages: int = 0  # 503s before it answers
    refuse: bool = False
    read_model_down: int = 0  # failed writes before the read model takes the outcome
    keys: list[str] = field(default_factory=list)
    outcomes: list[ClueOutcome] = field(default_factory=list)

    @activity.defn(name=DELIVER_CLUE)
    async def deliver(self, delivery: ClueDelivery) -> DeliveryReceipt:
        self.keys.append(delivery.idempotency_key)
        if self.refuse:
            raise ApplicationError("422 unknown case", type=AGENCY_REFUSED, non_retryable=True)
        if self.outages > 0:
            self.outages -= 1
            raise RuntimeError("503 from the recipient")
        return DeliveryReceipt("SUP-CLUE-1", datetime.now(UTC))

    @activity.defn(name=RECORD_CLUE)
    async def record(self, outcome: ClueOutcome) -> None:
        if self.read_model_down > 0:
            self.read_model_down -= 1
            raise RuntimeError("database is locked")
        self.outcomes.append(outcome)


async def run(env: WorkflowEnvironment, recipient: Recipient, history: str) -> ClueOutcome:
    queue = f"clues-{uuid.uuid4()}"
    delivery = ClueDelivery(
        clue_id=f"clue-{uuid.uuid4().hex}",
        case_id="EPB-DEMO.T-1",
        idempotency_key="case-EPB-DEMO.T-1-clue",
        sender="EPB-DEMO",
        to="SUP-DEMO",
        conduct=["shielding"],
        account="涉嫌包庇纵容",
    )
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[ClueWorkflow],
        activities=[recipient.deliver, recipient.record],
    ):
        handle = await env.client.start_workflow(
            ClueWorkflow.run, delivery, id=delivery.clue_id, task_queue=queue
        )
        outcome: ClueOutcome = await handle.result()
        await keep(handle, CLUE_HISTORIES, history)
    return outcome


async def test_o310_art_19_a_clue_goes_through_outages_with_one_key(
    time_skipping: WorkflowEnvironment,
) -> None:
    recipient = Recipient(outages=2)
    outcome = await run(time_skipping, recipient, "delivered_after_outages")
    assert (outcome.reference, outcome.error) == ("SUP-CLUE-1", None)
    assert outcome.delivered_at is not None
    assert len(recipient.keys) == 3
    assert len(set(recipient.keys)) == 1
    assert recipient.outcomes == [outcome]


async def test_a_refused_clue_is_kept_with_its_reason_not_retried(
    time_skipping: WorkflowEnvironment,
) -> None:
    recipient = Recipient(refuse=True)
    outcome = await run(time_skipping, recipient, "refused")
    assert outcome.delivered_at is None
    assert outcome.error is not None
    assert "422 unknown case" in outcome.error
    assert len(recipient.keys) == 1


async def test_the_outcome_waits_for_the_read_model(time_skipping: WorkflowEnvironment) -> None:
    recipient = Recipient(read_model_down=10)  # more than one round of the local retries
    outcome = await run(time_skipping, recipient, "read_model_waited")
    assert recipient.outcomes == [outcome]
