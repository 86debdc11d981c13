"""``CaseWorkflow``: one durable workflow per case, running its lifecycle under a mechanism profile.

Every human or agency step is an Update named after the step (``accept``, ``file_case``…) whose
validator asks ``cases.decide``, inside the case with its own profile, registry, calendar and time, and
refuses with a reason code what is not allowed now. Intake is a start: the API makes the case's opening
from the same input (``cases.system.opening``) and writes it to the read model as it starts the case,
and the case's own first write repeats it; a repeated intake asks the ``open`` update (which cases
started before came with: update-with-start). Clocks are one
durable timer (``workflow.wait_condition`` with a timeout), re-armed only when the next instant any
clock has something to do moves. Outside effects are activities called by name; every transition is
recorded in the read model by one local activity. When its history grows long, the case continues as
new with its whole state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError

# Passed through, and imported by their full names: ``from workflows import calls`` loads the module
# through the package, past the sandbox's pass-through, and ran it again for every case loaded.
with workflow.unsafe.imports_passed_through():
    # Every module whose types cross this boundary is passed through here: pydantic resolves a
    # type's annotations in its module as the sandbox has it (a paper's blocks, in a held effect).
    import cases.papers.model  # noqa: F401
    import workflows.calls as calls
    import workflows.policies as policies
    import workflows.search as search
    import workflows.steps as steps
    from cases.agencies import AgencyRegistry, RegistrySnapshot
    from cases.calendar import CalendarSnapshot, merge_snapshots
    from cases.change import (
        ActionResult,
        AskExpert,
        Deliver,
        MakePaper,
        SendDocument,
        Transition,
        letter_key,
    )
    from cases.clocks import fire, next_wakeup, trim
    from cases.context import Context, context_key
    from cases.decide import validate
    from cases.effects import ArchivedCase, CaseRecord, Notice, NotificationBatch, case_record
    from cases.errors import ConfigError
    from cases.ids import step_key
    from cases.intake import CaseIntake, IntakeError, differences
    from cases.limits import KEPT_CLOSED_CLOCKS
    from cases.model import CaseState, TimelineEntry
    from cases.profile import Profile
    from cases.profiles import profile_from_data
    from cases.projection import projection
    from cases.stored import ContextKeys, StoredCase
    from cases.system import (
        answered,
        opening,
        paper_for,
        paper_made,
        paper_not_made,
        record_calendar,
        record_registry,
        record_ticks,
        refused,
    )
    from cases.view import Caller, CaseView, view_of
    from workflows.messages import (
        INTAKE_CONFLICT,
        INVALID_INTAKE,
        Carried,
        CaseInput,
        CaseOutcome,
        HistoryBudget,
        Opening,
        Outside,
    )


# Behaviour changes, each behind its patch so that older histories replay as they ran.
# Written notices are delivered to the receiving system, and the receiver's periods start on its
# receipt (O310 Art. 9, 12; N2017 Art. 10, 11, 14). Before it, a case sent none.
NOTICES_DELIVERED = "notices-delivered"
# When the case's last call ends with nothing else to write (a notification's answer changes
# nothing), its stored state is written again saying so: its page need not ask the engine. Before
# it, the stored state kept counting the call.
CALLS_SETTLED = "calls-settled"
# The papers of what the case sends are made as PDF, fingerprinted and attached to it as evidence:
# the referral letter with its materials list as the package goes (O310 Art. 6; N2017 Art. 6(一)),
# the package naming it; the acknowledgement of a notice of not filing on its receipt (O310 Art. 9
# ¶1; N2017 Art. 11); the handover list at the handover (O310 Art. 12; N2017 Art. 10). Before it, a
# case made none.
PAPERS_ATTACHED = "papers-attached"


@dataclass
class WorkflowState:
    """The whole state of the workflow, in one place; ``carried`` is what a new run takes over."""

    intake: CaseIntake
    profile: dict[str, Any]
    calendar: CalendarSnapshot
    registry: RegistrySnapshot
    carried: Carried | None
    budget: HistoryBudget
    intake_error: str | None = None


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self.wf = WorkflowState(
            intake=input.intake,
            profile=input.profile,
            calendar=input.calendar,
            registry=input.registry,
            carried=input.carried,
            budget=input.budget,
        )
        self._profile: Profile | None = None
        # Built from the snapshot the case carries, again only when a new snapshot is published.
        self._registry = AgencyRegistry(input.registry.regions, input.registry.agencies)
        # The opening, made here and committed first thing in ``run``; steps wait for it.
        self._opening: Transition | None = None
        try:
            self._profile = profile_from_data(input.profile)
            if input.carried is None:
                case, self._opening = opening(
                    input.intake,
                    self._profile,
                    self._registry,
                    self.wf.calendar.calendar(),
                    input.opened_at or workflow.now(),
                )
                # Opened by the API's start: a later ``open`` update is a repeat.
                self.wf.carried = Carried(case, opened_by_update=input.opened_at is not None)
        except ConfigError as exc:
            self.wf.intake_error = f"the mechanism profile this case carries is broken: {exc}"
        except IntakeError as exc:
            self.wf.intake_error = str(exc)
        # The keys of the profile, calendar and registry the case holds, for its stored state: as
        # the API gave them, or computed at the first write (a run loaded only for a query needs
        # none), and again after a new calendar or registry is published to the case.
        self._keys: ContextKeys | None = input.keys
        self._armed: datetime | None = None  # the instant the main loop's timer is set for
        self._rearm = False
        self._move_on = False  # the history is long: continue as new
        # Outside calls in flight, in the order they started (a dict: replays iterate it the same).
        self._running: dict[asyncio.Task[None], Outside] = {}
        self._flush_lock = asyncio.Lock()
        # A run started on an archived case's record takes the step that reopens it, and only until
        # it has decided whether it has anything to do: a run closing down reopens nothing.
        self._reopenable = input.carried is not None and input.carried.case.stage.closed

    @property
    def _held(self) -> Carried:
        assert self.wf.carried is not None
        return self.wf.carried

    @property
    def case(self) -> CaseState:
        return self._held.case

    def _ctx(self) -> Context:
        assert self._profile is not None
        return Context(self._profile, self._registry, workflow.now(), self.wf.calendar.calendar())

    # ----------------------------------------------------------------------------------------------
    # The main loop: clocks, and continuing as new

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        if self.wf.intake_error is not None or self.wf.carried is None:
            raise ApplicationError(
                self.wf.intake_error or "no case", type=INVALID_INTAKE, non_retryable=True
            )
        case = self.case
        # The outside calls a previous run handed over, to go on with. A case the API opened has
        # none, and a step taken while its opening is written starts its own (a case opened before
        # took this list after its opening: its histories replay so).
        opened_by_api = input.carried is None and input.opened_at is not None
        handed_over: list[Outside] | None = [] if opened_by_api else None
        if self._opening is not None:
            # Into the outbox before any step's entries (at the commit's first await, a step
            # waiting for the opening goes on).
            transition, self._opening = self._opening, None
            await self._commit(transition)
        elif case.stage.closed:
            # Started again on an archived case's record, with the step that reopens it (update
            # with start): let that step move it on before deciding the run has nothing to do.
            await workflow.wait_condition(workflow.all_handlers_finished)
        self._reopenable = False
        for effect in list(self._held.effects) if handed_over is None else handed_over:
            self._spawn(effect)
        while not case.stage.closed:
            ticks = fire(case, self._ctx())
            if ticks:
                await self._commit(record_ticks(case, ticks, self._ctx()))
                continue
            if self._move_on or self._history_long():
                await self._continue_as_new()
            wake = self._next_wake()
            self._armed, self._rearm = wake, False
            timeout: timedelta | None = None
            if wake is not None:
                timeout = wake - workflow.now()
                if timeout <= timedelta(0):
                    continue
            with contextlib.suppress(TimeoutError):  # the timeout is a clock (or a retry) due
                await workflow.wait_condition(
                    lambda: self._rearm or case.stage.closed, timeout=timeout
                )
            if self._held.outbox:
                await self._flush()
        await self._close_down()
        return CaseOutcome(case.case_id, case.stage.value, self._held.runs)

    def _next_wake(self) -> datetime | None:
        wake = next_wakeup(self.case, self._ctx().profile)
        if self._held.outbox:  # a read-model write failed: try again soon, not at the next step
            retry = workflow.now() + policies.OUTBOX_RETRY
            wake = retry if wake is None else min(wake, retry)
        return wake

    def _history_long(self) -> bool:
        info, budget = workflow.info(), self.wf.budget
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= budget.events
            or info.get_current_history_size() >= budget.bytes
        )

    async def _continue_as_new(self) -> None:
        """Hand everything to a new run: the steps under way finish; the outside calls in flight stop
        and go on in the new run (their idempotency keys make them the same calls to the agencies);
        nothing is awaited between the last check and the hand-over, so no step slips in between."""
        while True:
            await workflow.wait_condition(workflow.all_handlers_finished)
            for task in list(self._running):
                task.cancel()
            await workflow.wait_condition(lambda: not self._running)
            if self._held.outbox:
                await self._flush()
            if workflow.all_handlers_finished() and not self._running:
                break
        held = self._held
        held.runs += 1
        workflow.logger.info(
            "continuing as new", extra={"case_id": held.case.case_id, "run": held.runs}
        )
        workflow.continue_as_new(
            CaseInput(
                self.wf.intake,
                self.wf.profile,
                self.wf.calendar,
                self.wf.registry,
                held,
                self.wf.budget,
                keys=self._keys,
            )
        )

    async def _close_down(self) -> None:
        """Archived: requests to institutions and written notices are moot; notifications still go; the read model catches up
        (through a new run if an outage of the read model makes the history long)."""
        for task, effect in list(self._running.items()):
            if isinstance(effect, AskExpert | SendDocument):
                task.cancel()
        await workflow.wait_condition(
            lambda: not self._running and workflow.all_handlers_finished()
        )
        while self._held.outbox:
            await self._flush()
            if self._held.outbox:
                if self._history_long():
                    await self._continue_as_new()
                await workflow.sleep(policies.OUTBOX_RETRY)

    # ----------------------------------------------------------------------------------------------
    # After every change: the read model, the search attributes, the outside effects

    async def _commit(self, transition: Transition) -> None:
        case = self.case
        self._held.outbox.extend(transition.entries)
        self._held.search = search.upsert(case, self._held.search)
        notices = [e for e in transition.effects if isinstance(e, Notice)]
        if notices:
            key = step_key(case.case_id, "notice", transition.entries[-1].seq)
            self._start(NotificationBatch(case.case_id, key, notices))
        for effect in transition.effects:
            if isinstance(effect, SendDocument) and not workflow.patched(NOTICES_DELIVERED):
                continue  # a history from before notices were delivered: it never sent them
            if isinstance(effect, MakePaper):
                if not workflow.patched(PAPERS_ATTACHED):
                    continue  # a history from before papers were made: it made none
                effect = self._drafted(effect)
            if isinstance(effect, Deliver | AskExpert | SendDocument | MakePaper):
                self._start(effect)
        await self._flush()
        if self._history_long():
            self._move_on = True
        if self._move_on or self._next_wake() != self._armed:
            self._rearm = True

    async def _flush(self) -> None:
        """Write the outbox to the read model, one write at a time so that writes stay in order."""
        async with self._flush_lock:
            await self._write_outbox()

    async def _write_outbox(self) -> None:
        held, case = self._held, self.case
        entries = list(held.outbox)
        if not entries:
            return
        first = held.evidence_recorded
        record = self._record(entries, first, None if held.intake_recorded else self.wf.intake)
        if not await calls.record(record):
            return  # the entries wait in the outbox
        sent = {e.seq for e in entries}
        held.outbox = [e for e in held.outbox if e.seq not in sent]
        held.evidence_recorded = max(held.evidence_recorded, first + len(record.evidence))
        held.intake_recorded = True
        if not held.outbox:
            trim(case, KEPT_CLOSED_CLOCKS)

    def _record(
        self, entries: list[TimelineEntry], evidence_from: int, intake: CaseIntake | None
    ) -> CaseRecord:
        case = self.case
        return case_record(
            case,
            entries,
            self._registry,
            workflow.now(),
            evidence_from=evidence_from,
            intake=intake,
            # Archived: what it may be reopened from once its history is gone (a recommendation
            # to refer, an order to transfer).
            archived=ArchivedCase(self.wf.profile, case) if case.stage.closed else None,
            stored=self._stored(),
            profile=self._profile,
        )

    def _stored(self) -> StoredCase:
        """The case as it stands, for its page: what could change it unseen is said with it (a
        notification's answer changes nothing; every other call's answer is taken in as a step)."""
        if self._keys is None:
            wf = self.wf
            self._keys = ContextKeys(
                context_key(wf.profile), context_key(wf.calendar), context_key(wf.registry)
            )
        effects = self._held.effects
        # The live state, not a copy: the record is encoded when its activity is scheduled, in
        # this same step (and a retry of the activity sends those same bytes).
        return StoredCase(
            self.case,
            self._keys,
            calls_in_flight=len(effects),
            answering_calls=sum(not isinstance(e, NotificationBatch) for e in effects),
            wake=next_wakeup(self.case, self._ctx().profile),
        )

    async def _calls_settled(self) -> None:
        """The case's last call under way is done and changed nothing: the stored state says so
        (a write of the state alone, after any write before it; none while entries wait)."""
        held = self._held
        if held.effects or held.outbox or not workflow.patched(CALLS_SETTLED):
            return
        async with self._flush_lock:
            if held.effects or held.outbox:
                return
            case = self.case
            await calls.record(
                CaseRecord(
                    case.case_id,
                    projection(case, workflow.now(), self._profile),
                    [],
                    stored=self._stored(),
                )
            )

    def _answer(self, result: ActionResult) -> ActionResult:
        """A step's answer says whether the read model has it yet (see ``ActionResult.recorded``)."""
        return replace(result, recorded=False) if self._held.outbox else result

    def _start(self, effect: Outside) -> None:
        """An outside call: held (and carried into a new run) until it is done."""
        self._held.effects.append(effect)
        self._spawn(effect)

    def _spawn(self, effect: Outside) -> None:
        task = asyncio.create_task(self._run_effect(effect))
        self._running[task] = effect
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task)

    def _done(self, effect: Outside) -> None:
        """The call has its answer: it is no longer handed to a new run (a call stopped for a new
        run never gets here, and goes on there)."""
        self._held.effects = [e for e in self._held.effects if e is not effect]

    def _drafted(self, effect: MakePaper) -> MakePaper:
        """The paper, built now from the case as this step left it (a retry, and a new run,
        render these same bytes), or why it cannot be. A paper never holds the case up: a fault
        of its builder is recorded as its reason, where it would otherwise fail every task of
        the case until a fix is deployed."""
        try:
            return replace(effect, paper=paper_for(self.case, effect, self._ctx()))
        except ValueError as exc:  # the case lacks what the paper states
            return replace(effect, problem=str(exc))
        except Exception as exc:
            return replace(effect, problem=f"{type(exc).__name__}: {exc}")

    async def _make_paper(self, effect: MakePaper) -> None:
        """Render and keep the paper, then attach it to the case; one that cannot be made is
        recorded as such, and the case goes on."""
        case = self.case
        problem = effect.problem
        if effect.paper is not None:
            try:
                made = await calls.make_paper(effect.paper)
            except ActivityError as exc:
                calls.stopped(exc)
                problem = calls.reason(exc)
            else:
                self._done(effect)
                await self._commit(paper_made(case, effect, effect.paper, made, self._ctx()))
                return
        self._done(effect)
        workflow.logger.warning(
            "paper not made",
            extra={"case_id": case.case_id, "paper": effect.kind.value, "error": problem},
        )
        await self._commit(paper_not_made(case, effect, problem, self._ctx()))

    async def _letter_settled(self, effect: Deliver) -> None:
        """The package goes once its letter is on the case (or could not be made), so that it
        names the letter. A case that makes no letter (a history from before) does not wait."""
        key = letter_key(effect.attempt)

        def making() -> bool:
            return any(isinstance(e, MakePaper) and e.key == key for e in self._held.effects)

        if making():
            await workflow.wait_condition(lambda: not making())

    async def _run_effect(self, effect: Outside) -> None:
        """Make the call; what its answer (or the agency's refusal) changes, the case decides."""
        if isinstance(effect, MakePaper):
            await self._make_paper(effect)
            return
        if isinstance(effect, Deliver):
            await self._letter_settled(effect)
        case = self.case
        try:
            receipt = await calls.call(effect, case, self._ctx())
        except ActivityError as exc:
            calls.stopped(exc)
            self._done(effect)
            reason = calls.reason(exc)
            if isinstance(effect, NotificationBatch):
                workflow.logger.warning(
                    "notification not delivered", extra={"case_id": case.case_id, "error": reason}
                )
                await self._calls_settled()
                return
            change = refused(case, effect, reason, self._ctx())
        else:
            self._done(effect)
            if receipt is None or isinstance(effect, NotificationBatch):
                await self._calls_settled()
                return
            change = answered(case, effect, receipt, self._ctx())
        if change is not None:
            await self._commit(change)

    # ----------------------------------------------------------------------------------------------
    # Intake: the update that comes with the start

    @workflow.update(name="open")
    async def open(self, intake: CaseIntake) -> Opening:
        """Return once the opening is in the read model, so the caller can act on the case at once."""
        held = self._held
        created = not held.opened_by_update
        held.opened_by_update = True
        await workflow.wait_condition(lambda: held.intake_recorded)
        return Opening(created, projection(self.case, workflow.now(), self._profile))

    @open.validator
    def validate_open(self, intake: CaseIntake) -> None:
        if self.wf.intake_error is not None or self.wf.carried is None:
            raise ApplicationError(
                self.wf.intake_error or "the case did not open", type=INVALID_INTAKE
            )
        differ = differences(self.wf.intake, intake)
        if differ:
            raise ApplicationError(
                f"case {self.case.case_id} was opened with other values of: {', '.join(differ)}",
                {"reason": "intake_conflict", "case_id": self.case.case_id, "fields": differ},
                type=INTAKE_CONFLICT,
                non_retryable=True,
            )

    # ----------------------------------------------------------------------------------------------
    # Steps: one Update per step name

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> ActionResult:
        step, request = steps.decode(name, args)
        if self._opening is not None:  # a step sent as the case starts: after its opening
            await workflow.wait_condition(lambda: self._opening is None)
        repeat = steps.applied_before(self._held.applied, name)
        if repeat is not None:  # sent again (by a client retrying): answered, not taken twice
            return self._answer(repeat)
        steps.refuse_when_closing(self.case, step, reopenable=self._reopenable)
        # The state may have moved since validation (another update ran first): ask again.
        decision, payload = validate(self.case, step, request.actor, request.body, self._ctx())
        if not decision.allowed:
            raise steps.refusal(decision)
        transition: Transition = step.carry_out(self.case, request.actor, payload, self._ctx())
        steps.remember(self._held.applied, transition.result)
        await self._commit(transition)
        return self._answer(transition.result)

    @act.validator
    def validate_act(self, name: str, args: Sequence[RawValue]) -> None:
        if self.wf.carried is None:
            raise ApplicationError(
                self.wf.intake_error or "the case did not open", type=INVALID_INTAKE
            )
        step, request = steps.decode(name, args)
        if steps.applied_before(self._held.applied, name) is not None:
            return  # a repeat: its handler answers as the first time
        steps.refuse_when_closing(self.case, step, reopenable=self._reopenable)
        decision, _ = validate(self.case, step, request.actor, request.body, self._ctx())
        if not decision.allowed:
            raise steps.refusal(decision)

    # ----------------------------------------------------------------------------------------------
    # What reaches a running case from outside its steps

    @workflow.signal
    async def publish_calendar(self, snapshot: CalendarSnapshot) -> None:
        """A newly published holiday arrangement reaches this case: open clocks are counted again.
        (Its sender marks the case's stored state stale first, ``store.views.mark_stale``: should
        this write fail, the page must not show the deadlines of before.)"""
        self.wf.calendar = merge_snapshots(self.wf.calendar, snapshot)
        self._keys = None
        known = self.wf.calendar.known_years
        if self.wf.carried is not None and not self.case.stage.closed:
            await self._commit(record_calendar(self.case, known, self._ctx()))

    @workflow.signal
    async def publish_registry(self, snapshot: RegistrySnapshot) -> None:
        """A changed agency registry reaches this case; until then it keeps the one it started with.
        (Its sender marks the case's stored state stale first, as for a calendar.)"""
        self.wf.registry = snapshot
        self._keys = None
        self._registry = AgencyRegistry(snapshot.regions, snapshot.agencies)
        if self.wf.carried is not None and not self.case.stage.closed:
            await self._commit(record_registry(self.case, self._ctx()))

    @workflow.query
    def view(self, caller: Caller | None = None) -> CaseView:
        """The case for ``caller``: its allowed steps are decided here, by the case's own rules."""
        if self.wf.carried is None:
            raise ApplicationError(self.wf.intake_error or "the case did not open")
        view = view_of(self.case, caller, self._ctx())
        view.calls_in_flight = len(self._held.effects)
        return view

    @workflow.query
    def full_record(self) -> CaseRecord:
        """What the case holds for its read model, for an operator's rebuild (``linkage rebuild``):
        its row, clocks, evidence and stored state, and the newest entries it keeps (the read
        model alone keeps the older ones)."""
        if self.wf.carried is None:
            raise ApplicationError(self.wf.intake_error or "the case did not open")
        return self._record(list(self.case.timeline), 0, self.wf.intake)
