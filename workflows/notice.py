"""``NoticeWorkflow``: a notice that must reach its agencies although no case workflow can send it
(the case's own workflow has ended). Its workflow id is the notice's idempotency key, so it is sent
once however often the API finds the same thing."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.policies as policies
    from cases.effects import NotificationBatch


@workflow.defn(name="NoticeWorkflow")
class NoticeWorkflow:
    @workflow.run
    async def run(self, batch: NotificationBatch) -> None:
        await policies.notify(batch)
