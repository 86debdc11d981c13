"""``CaseWorkflow``: one durable workflow per case, running its lifecycle under a mechanism profile.

Every human or agency step is an Update named after its action (``accept``, ``file_case``…) whose
validator asks ``cases.allowed`` and refuses, with a reason code, what is not allowed now. Clocks are one
durable timer (``workflow.wait_condition`` with a timeout) set to the next instant any clock has something
to do; the rules of what that is live in ``cases.clocks``. Outside effects are activities called by
name; every transition is recorded in the read model by one local activity.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from cases.actions import Action, ActionRequest
    from cases.agencies import default_registry
    from cases.allowed import (
        Context,
        Decision,
        Move,
        Reason,
        evidence_lines,
        moves,
        referral_lines,
        resolve,
    )
    from cases.allowed import validate as validate_action
    from cases.calendar import CalendarSnapshot, merge_snapshots
    from cases.checklists import ChecklistLine
    from cases.clocks import escalation_level, fire, next_deadline, next_wakeup
    from cases.effects import (
        DELIVER_REFERRAL,
        NOTIFY,
        RECORD_CASE_EVENTS,
        SEND_EXPERT_REQUEST,
        CaseRecord,
        Notice,
        NotificationBatch,
    )
    from cases.errors import ConfigError
    from cases.lifecycle import CaseIntake, IntakeError, open_case
    from cases.model import CaseState, DeliveryReceipt, Stage, TimelineEntry
    from cases.profiles import Profile, profile_from_data
    from cases.transitions import (
        ActionResult,
        AskExpert,
        Deliver,
        Transition,
        apply_action,
        expert_call,
        projection,
        record_calendar,
        record_delivery,
        record_delivery_failure,
        record_opening,
        record_request_failure,
        record_ticks,
        referral_delivery,
    )
    from workflows import policies, search

ACTION_REFUSED = "ActionRefused"
INVALID_INTAKE = "InvalidIntake"


@dataclass
class CaseInput:
    """What a case starts with: the intake, and the rules and calendar it will run under."""

    intake: CaseIntake
    profile: dict[str, Any]  # the mechanism profile as data (cases.profiles.profile_data)
    calendar: CalendarSnapshot


@dataclass
class CaseView:
    """What the query returns: the state, whose moves are open, and the checklists."""

    state: CaseState
    moves: list[Move]
    referral_checklist: list[ChecklistLine]
    evidence_checklist: list[ChecklistLine]
    next_deadline: datetime | None
    escalation_level: int
    now: datetime


@dataclass
class CaseOutcome:
    case_id: str
    stage: Stage
    closed_at: datetime | None


@dataclass
class WorkflowState:
    """The whole state of the workflow, in one place."""

    case: CaseState | None
    calendar: CalendarSnapshot
    intake_error: str | None = None
    outbox: list[TimelineEntry] = field(default_factory=list)  # entries not yet in the read model
    evidence_recorded: int = 0  # evidence items already in the read model
    pending: list[Deliver | AskExpert | NotificationBatch] = field(default_factory=list)
    search: dict[str, Any] = field(default_factory=dict)  # what was last upserted


def refusal(decision: Decision) -> ApplicationError:
    """A refused action as the caller sees it: the reason code first, then the sentence."""
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


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        case: CaseState | None = None
        error: str | None = None
        self._profile: Profile | None = None
        try:
            self._profile = profile_from_data(input.profile)
            case = open_case(input.intake, self._profile, default_registry(), workflow.now())
        except ConfigError as exc:
            error = f"the mechanism profile this case carries is broken: {exc}"
        except IntakeError as exc:
            error = str(exc)
        self.wf = WorkflowState(case=case, calendar=input.calendar, intake_error=error)
        self._dirty = False
        self._running: set[asyncio.Task[None]] = set()
        self._requests: set[asyncio.Task[None]] = set()
        self._flush_lock = asyncio.Lock()
        self._outside_jurisdiction = input.intake.outside_jurisdiction

    # ----------------------------------------------------------------------------------------------
    # The main loop: clocks and outside effects

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        if self.wf.intake_error is not None or self.wf.case is None:
            raise ApplicationError(
                self.wf.intake_error or "no case", type=INVALID_INTAKE, non_retryable=True
            )
        case = self.wf.case
        await self._commit(record_opening(case, self._ctx(), self._outside_jurisdiction))
        while not case.stage.closed:
            self._start_pending()
            ticks = fire(case, self._ctx())
            if ticks:
                await self._commit(record_ticks(case, ticks, self._ctx()))
                continue
            wake = next_wakeup(case, self._ctx().profile)
            if self.wf.outbox:  # a read-model write failed: try again soon, not at the next step
                retry = workflow.now() + policies.OUTBOX_RETRY
                wake = retry if wake is None else min(wake, retry)
            self._dirty = False
            timeout: timedelta | None = None
            if wake is not None:
                timeout = wake - workflow.now()
                if timeout <= timedelta(0):
                    continue
            with contextlib.suppress(TimeoutError):  # the timeout is a clock (or a retry) due
                await workflow.wait_condition(
                    lambda: self._dirty or bool(self.wf.pending), timeout=timeout
                )
            if self.wf.outbox:
                await self._flush()
        await self._close_down()
        return CaseOutcome(case.case_id, case.stage, case.closed_at)

    async def _close_down(self) -> None:
        """Archived: requests to institutions are moot; notices still go; the read model catches up."""
        for task in self._requests:
            task.cancel()
        while True:
            self._start_pending()
            await workflow.wait_condition(
                lambda: (
                    bool(self.wf.pending)
                    or (not self._running and workflow.all_handlers_finished())
                )
            )
            if self.wf.pending:
                continue
            if not self.wf.outbox:
                return
            await self._flush()
            if self.wf.outbox:
                await workflow.sleep(policies.OUTBOX_RETRY)

    def _ctx(self) -> Context:
        assert self._profile is not None
        return Context(
            self._profile, default_registry(), workflow.now(), self.wf.calendar.calendar()
        )

    async def _commit(self, transition: Transition) -> None:
        """After every change: the read model, the search attributes, and what must happen outside."""
        case = self.wf.case
        assert case is not None
        self.wf.outbox.extend(transition.entries)
        self._upsert_search_attributes(case)
        notices = [e for e in transition.effects if isinstance(e, Notice)]
        if notices:
            key = f"case-{case.case_id}-notice-{transition.entries[-1].seq}"
            self.wf.pending.append(NotificationBatch(case.case_id, key, notices))
        for effect in transition.effects:
            if isinstance(effect, Deliver | AskExpert):
                self.wf.pending.append(effect)
        if transition.clocks_changed or transition.effects:
            self._dirty = True
        await self._flush()

    async def _flush(self) -> None:
        """Write the outbox to the read model, one write at a time so that writes stay in order."""
        async with self._flush_lock:
            await self._write_outbox()

    async def _write_outbox(self) -> None:
        case = self.wf.case
        assert case is not None
        entries = list(self.wf.outbox)
        if not entries:
            return
        first = self.wf.evidence_recorded
        record = CaseRecord(
            case_id=case.case_id,
            projection=projection(case, workflow.now()),
            entries=entries,
            clocks=list(case.clocks),
            evidence=case.evidence[first:],
        )
        try:
            await workflow.execute_local_activity(
                RECORD_CASE_EVENTS,
                record,
                start_to_close_timeout=policies.READ_MODEL_ATTEMPT,
                retry_policy=policies.READ_MODEL,
            )
        except ActivityError as exc:
            workflow.logger.warning(
                "read model not written; entries wait in the outbox",
                extra={"case_id": case.case_id, "error": str(exc.cause or exc)},
            )
            return
        sent = {e.seq for e in entries}
        self.wf.outbox = [e for e in self.wf.outbox if e.seq not in sent]
        self.wf.evidence_recorded = max(self.wf.evidence_recorded, first + len(record.evidence))

    def _upsert_search_attributes(self, case: CaseState) -> None:
        deadline = next_deadline(case)
        wanted: dict[str, Any] = {
            search.CASE_STAGE.name: case.stage.value,
            search.CASE_MECHANISM.name: case.mechanism,
            search.OWNING_AGENCY.name: case.owner_agency,
            search.NEXT_DEADLINE.name: deadline,
            search.ESCALATION_LEVEL.name: escalation_level(case),
            search.KEY_CASE.name: case.triage.key_case,
        }
        if wanted == self.wf.search:
            return
        self.wf.search = wanted
        workflow.upsert_search_attributes(
            [
                search.CASE_STAGE.value_set(case.stage.value),
                search.CASE_MECHANISM.value_set(case.mechanism),
                search.OWNING_AGENCY.value_set(case.owner_agency),
                search.NEXT_DEADLINE.value_set(deadline)
                if deadline is not None
                else search.NEXT_DEADLINE.value_unset(),
                search.ESCALATION_LEVEL.value_set(escalation_level(case)),
                search.KEY_CASE.value_set(case.triage.key_case),
            ]
        )

    def _start_pending(self) -> None:
        while self.wf.pending:
            effect = self.wf.pending.pop(0)
            task = asyncio.create_task(self._run_effect(effect))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            if isinstance(effect, AskExpert):
                self._requests.add(task)
                task.add_done_callback(self._requests.discard)

    async def _run_effect(self, effect: Deliver | AskExpert | NotificationBatch) -> None:
        case = self.wf.case
        assert case is not None
        if isinstance(effect, Deliver):
            try:
                receipt = await workflow.execute_activity(
                    DELIVER_REFERRAL,
                    referral_delivery(case, self._ctx(), effect.attempt),
                    result_type=DeliveryReceipt,
                    start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
                    schedule_to_close_timeout=policies.DELIVERY_DEADLINE,
                    heartbeat_timeout=policies.AGENCY_CALL_HEARTBEAT,
                    retry_policy=policies.AGENCY_CALL,
                )
            except ActivityError as exc:
                if effect.attempt == case.referral.attempts and case.referral.receipt is None:
                    await self._commit(record_delivery_failure(case, _reason(exc), self._ctx()))
                return
            if case.referral.receipt is None and case.stage is Stage.ACCEPTANCE:
                await self._commit(record_delivery(case, receipt, self._ctx()))
        elif isinstance(effect, AskExpert):
            try:
                await workflow.execute_activity(
                    SEND_EXPERT_REQUEST,
                    expert_call(case, effect.request_id),
                    start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
                    schedule_to_close_timeout=policies.REQUEST_DEADLINE,
                    heartbeat_timeout=policies.AGENCY_CALL_HEARTBEAT,
                    retry_policy=policies.AGENCY_CALL,
                )
            except ActivityError as exc:
                if not case.stage.closed:
                    await self._commit(
                        record_request_failure(case, effect.request_id, _reason(exc), self._ctx())
                    )
        elif isinstance(effect, NotificationBatch):
            try:
                await workflow.execute_activity(
                    NOTIFY,
                    effect,
                    start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
                    schedule_to_close_timeout=policies.NOTIFY_DEADLINE,
                    retry_policy=policies.NOTIFY,
                )
            except ActivityError as exc:
                workflow.logger.warning(
                    "notification not delivered",
                    extra={"case_id": case.case_id, "error": _reason(exc)},
                )

    # ----------------------------------------------------------------------------------------------
    # Actions: one Update per action name

    def _decode(self, name: str, args: Sequence[RawValue]) -> tuple[Action, ActionRequest]:
        action = resolve(name)
        if isinstance(action, Decision):
            raise refusal(action)
        if len(args) != 1:
            raise ApplicationError(
                "an action takes one argument: the actor and the payload",
                {"action": name, "reason": Reason.INVALID_PAYLOAD.value},
                type=ACTION_REFUSED,
                non_retryable=True,
            )
        try:
            request = workflow.payload_converter().from_payload(args[0].payload, ActionRequest)
        except Exception as exc:
            raise ApplicationError(
                f"the body of '{name}' could not be read: {exc}",
                {"action": name, "reason": Reason.INVALID_PAYLOAD.value},
                type=ACTION_REFUSED,
                non_retryable=True,
            ) from None
        return action, request

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> ActionResult:
        case = self.wf.case
        assert case is not None
        action, request = self._decode(name, args)
        # The state may have moved since validation (another update ran first): ask again.
        decision = validate_action(case, action, request.actor, request.payload, self._ctx())
        if not decision.allowed:
            raise refusal(decision)
        transition = apply_action(case, action, request.actor, request.payload, self._ctx())
        await self._commit(transition)
        return transition.result

    @act.validator
    def validate_act(self, name: str, args: Sequence[RawValue]) -> None:
        if self.wf.case is None:
            raise ApplicationError(
                self.wf.intake_error or "the case did not open", type=INVALID_INTAKE
            )
        action, request = self._decode(name, args)
        decision = validate_action(
            self.wf.case, action, request.actor, request.payload, self._ctx()
        )
        if not decision.allowed:
            raise refusal(decision)

    @workflow.signal
    async def publish_calendar(self, snapshot: CalendarSnapshot) -> None:
        """A newly published holiday arrangement reaches this case: open clocks are counted again."""
        self.wf.calendar = merge_snapshots(self.wf.calendar, snapshot)
        known = self.wf.calendar.known_years
        if self.wf.case is not None and not self.wf.case.stage.closed:
            await self._commit(record_calendar(self.wf.case, known, self._ctx()))

    @workflow.query
    def view(self) -> CaseView:
        case = self.wf.case
        if case is None:
            raise ApplicationError(self.wf.intake_error or "the case did not open")
        ctx = self._ctx()
        return CaseView(
            state=case,
            moves=moves(case, ctx),
            referral_checklist=referral_lines(case, ctx.profile),
            evidence_checklist=evidence_lines(case, ctx.profile),
            next_deadline=next_deadline(case),
            escalation_level=escalation_level(case),
            now=workflow.now(),
        )


def _reason(exc: ActivityError) -> str:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or exc)
