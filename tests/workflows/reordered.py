"""A deliberately reordered CaseWorkflow, to prove that replay catches a change of order.

Its own module, importing only the workflow: the sandbox re-imports a workflow's module, and this one
must not drag test helpers (which import the domain outside the pass-through) in with it.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from cases.change import Transition
    from workflows import search
    from workflows.messages import CaseInput, CaseOutcome
from workflows.case import CaseWorkflow


@workflow.defn(name="CaseWorkflow")
class ReorderedCaseWorkflow(CaseWorkflow):
    """The same workflow with two steps of every transition swapped: read model first, then search
    attributes. Harmless-looking, and exactly what replay must catch."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        return await super().run(input)

    async def _commit(self, transition: Transition) -> None:
        self._held.outbox.extend(transition.entries)
        await self._flush()
        self._held.search = search.upsert(self.case, self._held.search)
