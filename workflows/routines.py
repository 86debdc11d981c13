"""A mechanism's routines as workflows: the Schedule's start, the joint meeting, the report or
bulletin, and the daily referral scan (``cases.routines``).

A routine's Temporal Schedule (``workflows.schedules``) starts ``RoutineWorkflow`` at the nominal
instant of its calendar. The start reads the routine, the working-day calendar and the registry from
the worker's files once (an activity: they are then in its history), works out the occurrence it
stands for (``cases.routines.plan``: moved off a day off, its period named) and starts the
occurrence's own workflow (through an activity: it is nobody's child, and outlives the start) under
an id made of the mechanism, the region, the routine and the period: a Schedule that fires twice
for one period (a catch-up after an outage, a ``trigger`` by hand, a Saturday's scan that moves to
Monday like Monday's own) starts it once. The
occurrence's workflow waits on a durable timer until its working occurrence, then:

* ``MeetingWorkflow`` opens the meeting with its agenda, takes its decisions (Updates with
  validators: ``record_decision``, ``close_meeting``, ``decision_done``) and follows each up with a
  reminder before it is due and a notice to the joint office when it is overdue (N2017 Art. 23);
* ``BulletinWorkflow`` gathers the figures, renders and keeps the bulletin (HTML, PDF, CSV, XLSX) and
  delivers it through the notifier (D2 §一.4; D4 §5; D1-op §二(二));
* ``ReferralScanWorkflow`` lists for the procuratorate the cases handled administratively though
  triage suggested a crime (N2017 Art. 14), and takes its marks until the next day's scan.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
)

with workflow.unsafe.imports_passed_through():
    import cases.effects as effects
    import cases.meetings as meetings

    # Every module whose types cross this boundary is passed through here: pydantic resolves a
    # type's annotations in its module as the sandbox has it (Actor's, for a decision's owner).
    import cases.model  # noqa: F401
    import cases.routine_effects as routine_effects
    import cases.routines as routines
    import workflows.policies as policies
    from cases.agencies import AgencyKind, AgencyRegistry
    from cases.calendar import beijing_time
    from cases.context import Reason, Refusal
    from cases.effects import NoticeKind, NotificationBatch
    from cases.meetings import (
        CloseRequest,
        Decision,
        DecisionRequest,
        DoneRequest,
        FollowUpKind,
        MeetingState,
        MeetingStatus,
    )
    from cases.phrases import Both
    from cases.referral_watch import NAMED_IN_A_NOTICE, MarkRequest, check_mark
    from cases.routine_effects import (
        AgendaRead,
        AgendaRequest,
        BulletinDelivered,
        BulletinInput,
        BulletinOutcome,
        BulletinPublish,
        BulletinPublished,
        FiguresRequest,
        MeetingInput,
        OccurrenceStart,
        RoutineSetup,
        RoutineStart,
        RoutineStarted,
        ScanInput,
        ScanRequest,
        ScanResult,
        ScanSummary,
        WatchMark,
    )
    from cases.routines import Figures, Occurrence, RoutineKind, RoutineSpec
    from workflows.messages import ACTION_REFUSED

# How long a meeting's step waits for the read model before it answers anyway.
RECORDED_WAIT = timedelta(seconds=10)
# The instant a Schedule meant to start a workflow (set by the server on every scheduled start).
SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def _refused(refusal: Refusal) -> ApplicationError:
    """A refused step as the API reads it (``api.engine``): the reason code, then the sentence."""
    return ApplicationError(
        refusal.message,
        {"reason": refusal.reason.value, "message": refusal.message},
        type=ACTION_REFUSED,
        non_retryable=True,
    )


async def _store(activity: str, arg: object, result_type: type[Any] | None = None) -> Any:
    """A read or write of the read model (or a rendering), retried through outages for a day."""
    return await workflow.execute_activity(
        activity,
        arg,
        result_type=result_type,
        start_to_close_timeout=policies.ROUTINE_STORE_ATTEMPT,
        schedule_to_close_timeout=policies.ROUTINE_STORE_DEADLINE,
        retry_policy=policies.ROUTINE_STORE,
    )


async def _until(instant: datetime) -> None:
    """A durable timer to ``instant`` (nothing when it has passed)."""
    wait = instant - workflow.now()
    if wait > timedelta(0):
        await workflow.sleep(wait)


async def _notify(batch: NotificationBatch) -> str | None:
    """Send through the notifier; a notice that cannot be sent in a day is said, not lost."""
    try:
        await policies.notify(batch)
        return None
    except ActivityError as exc:
        cause = exc.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(exc)
        workflow.logger.warning("routine notice not sent", extra={"key": batch.idempotency_key})
        return reason[:500]


# --------------------------------------------------------------------------------------------------
# The Schedule's start


@workflow.defn(name="RoutineWorkflow")
class RoutineWorkflow:
    @workflow.run
    async def run(self, start: RoutineStart) -> RoutineStarted:
        setup = await _store(routine_effects.ROUTINE_SETUP, start, RoutineSetup)
        assert isinstance(setup, RoutineSetup)
        spec = setup.spec
        calendar = setup.calendar.calendar()
        fired = start.nominal or workflow.info().typed_search_attributes.get(SCHEDULED_AT)
        nominal = routines.latest_occurrence(spec, fired or workflow.now())
        occurrence = routines.plan(spec, nominal, calendar)
        child_id = routines.workflow_id(start.mechanism, start.region, spec.name, occurrence.period)
        registry = AgencyRegistry(setup.registry.regions, setup.registry.agencies)
        request = _occurrence(start, spec, occurrence, setup, registry, child_id)
        # Started by an activity, not as a child: the occurrence outlives this start by months (a
        # meeting's decisions), and is nobody's child.
        started = await _store(routine_effects.START_OCCURRENCE, request, bool)
        if not started:
            workflow.logger.info("routine occurrence already started", extra={"id": child_id})
        return RoutineStarted(child_id, bool(started), occurrence)


def _occurrence(
    start: RoutineStart,
    spec: RoutineSpec,
    occurrence: Occurrence,
    setup: RoutineSetup,
    registry: AgencyRegistry,
    child_id: str,
) -> OccurrenceStart:
    """The workflow that runs one occurrence of ``spec``, with its input."""
    to = routines.recipients(spec, registry, start.region)
    if spec.kind is RoutineKind.JOINT_MEETING:
        state = MeetingState(
            meeting_id=child_id,
            mechanism=start.mechanism,
            region=start.region,
            routine=spec.name,
            period=occurrence.period,
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            source=spec.source,
            source_zh=spec.source_zh,
            opens_at=occurrence.at,
            covers_from=occurrence.covers_from,
            covers_to=occurrence.covers_to,
            convener=registry.code_in_region(AgencyKind.JOINT_OFFICE, start.region),
            participants=to,
            remind_before=spec.remind_before or timedelta(days=1),
        )
        return OccurrenceStart(child_id, meeting=MeetingInput(state, setup.registry))
    if spec.kind is RoutineKind.REFERRAL_SCAN:
        scan = ScanInput(
            scan_id=child_id,
            mechanism=start.mechanism,
            region=start.region,
            routine=spec.name,
            period=occurrence.period,
            at=occurrence.at,
            follow_up=spec.follow_up or timedelta(days=7),
            to=to,
            registry=setup.registry,
        )
        return OccurrenceStart(child_id, scan=scan)
    bulletin = BulletinInput(
        bulletin_id=child_id,
        mechanism=start.mechanism,
        region=start.region,
        routine=spec.name,
        kind=spec.kind,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        source=spec.source,
        source_zh=spec.source_zh,
        statutory=spec.statutory,
        period=occurrence.period,
        covers_from=occurrence.covers_from,
        covers_to=occurrence.covers_to,
        at=occurrence.at,
        publish_at=occurrence.publish_at,
        to=to,
    )
    return OccurrenceStart(child_id, bulletin=bulletin)


# --------------------------------------------------------------------------------------------------
# The joint meeting


@dataclass
class MeetingRun:
    """The whole state of the workflow: the meeting, and what it still has to send or write."""

    state: MeetingState
    outbox: list[NotificationBatch] = field(default_factory=list)
    recorded: int = -1  # the meeting's last change the read model has
    calls: int = 0  # notices sent, for their idempotency keys
    errors: list[str] = field(default_factory=list)  # notices given up on


@workflow.defn(name="MeetingWorkflow")
class MeetingWorkflow:
    @workflow.init
    def __init__(self, input: MeetingInput) -> None:
        self.wf = MeetingRun(input.state)
        self._registry = AgencyRegistry(input.registry.regions, input.registry.agencies)
        self._changed = False

    @workflow.run
    async def run(self, input: MeetingInput) -> MeetingState:
        state = self.wf.state
        await self._record()
        if state.status is MeetingStatus.SCHEDULED:
            await _until(state.opens_at)
            request = AgendaRequest(state.meeting_id, state.mechanism, state.region, state.opens_at)
            read = await _store(routine_effects.READ_AGENDA, request, AgendaRead)
            assert isinstance(read, AgendaRead)
            meetings.open_meeting(state, read.agenda, read.carried_over, workflow.now())
            self._opened()
        while True:
            await self._send()
            await self._record()
            settled = not self.wf.outbox and self.wf.recorded >= state.seq
            if state.status is MeetingStatus.DONE and settled:
                break
            wake = meetings.next_follow_up(state)
            timeout = None if wake is None else max(wake - workflow.now(), timedelta(0))
            if self.wf.recorded < state.seq:  # the read model was down: try again soon
                timeout = min(timeout or policies.OUTBOX_RETRY, policies.OUTBOX_RETRY)
            if timeout is None or timeout > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._changed, timeout=timeout)
            self._changed = False
            for due in meetings.fire_follow_ups(state, workflow.now()):
                self._follow_up(due.decision_id, due.kind)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    @workflow.update(name="record_decision")
    async def record_decision(self, request: DecisionRequest) -> Decision:
        decision = meetings.record_decision(self.wf.state, request, workflow.now())
        self._tell(
            [decision.owner],
            Both(
                f"{self.wf.state.title_zh}议定事项({decision.decision_id}):{decision.title},"
                f"由贵单位负责,{beijing_time(decision.due_at)}前完成(N2017 第23条)",
                f"{self.wf.state.title_en}, decision {decision.decision_id}: {decision.title}; "
                f"yours, due {beijing_time(decision.due_at)} (N2017 Art. 23)",
            ),
            NoticeKind.DECISION,
        )
        await self._recorded()
        return decision

    @record_decision.validator
    def _check_record(self, request: DecisionRequest) -> None:
        refusal = meetings.check_record(self.wf.state, request, self._registry, workflow.now())
        if refusal is not None:
            raise _refused(refusal)

    @workflow.update(name="close_meeting")
    async def close_meeting(self, request: CloseRequest) -> MeetingState:
        meetings.close_meeting(self.wf.state, request, workflow.now())
        await self._recorded()
        return self.wf.state

    @close_meeting.validator
    def _check_close(self, request: CloseRequest) -> None:
        refusal = meetings.check_close(self.wf.state, request.actor, self._registry)
        if refusal is not None:
            raise _refused(refusal)

    @workflow.update(name="decision_done")
    async def decision_done(self, request: DoneRequest) -> Decision:
        decision = meetings.mark_done(self.wf.state, request, workflow.now())
        await self._recorded()
        return decision

    @decision_done.validator
    def _check_done(self, request: DoneRequest) -> None:
        refusal = meetings.check_done(self.wf.state, request, self._registry)
        if refusal is not None:
            raise _refused(refusal)

    @workflow.query(name="meeting")
    def meeting(self) -> MeetingState:
        return self.wf.state

    # ----------------------------------------------------------------------------------------------

    async def _recorded(self) -> None:
        """Wake the main loop, and answer once the read model has the change (the dashboard reads
        it next), or after ``RECORDED_WAIT`` when it is down (the loop writes it later)."""
        seq = self.wf.state.seq
        self._changed = True
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.wf.recorded >= seq, timeout=RECORDED_WAIT)

    def _opened(self) -> None:
        state = self.wf.state
        items = len(state.agenda.items) + state.agenda.more
        carried = len(state.carried_over)
        self._tell(
            state.participants,
            Both(
                f"{state.title_zh}({state.period})已召开:议程{items}件案件,"
                f"前次会议未办结的议定事项{carried}项(N2017 第23条)",
                f"{state.title_en} ({state.period}) is open: {items} cases on the agenda, "
                f"{carried} open decisions of earlier meetings (N2017 Art. 23)",
            ),
            NoticeKind.MEETING,
        )

    def _follow_up(self, decision_id: str, kind: FollowUpKind) -> None:
        state = self.wf.state
        decision = state.decision(decision_id)
        assert decision is not None
        due = beijing_time(decision.due_at)
        if kind is FollowUpKind.REMINDER:
            self._tell(
                [decision.owner],
                Both(
                    f"提醒:{state.title_zh}议定事项「{decision.title}」将于{due}到期",
                    f"reminder: the decision '{decision.title}' of the {state.title_en} is due {due}",
                ),
                NoticeKind.DECISION,
            )
            return
        to = [a for a in (state.convener, decision.owner) if a]
        self._tell(
            to,
            Both(
                f"{state.title_zh}议定事项「{decision.title}」已于{due}到期未办结,"
                f"责任单位:{self._registry.named(decision.owner).zh}",
                f"the decision '{decision.title}' of the {state.title_en} was due {due} and is "
                f"not done; its owner: {self._registry.named(decision.owner).en}",
            ),
            NoticeKind.DECISION,
        )

    def _tell(self, to: list[str], said: Both, kind: NoticeKind) -> None:
        if not to:
            return
        self.wf.calls += 1
        key = f"{self.wf.state.meeting_id}-notice-{self.wf.calls}"
        notice = effects.notice(kind, to, said)
        self.wf.outbox.append(NotificationBatch(self.wf.state.meeting_id, key, [notice]))

    async def _send(self) -> None:
        while self.wf.outbox:
            error = await _notify(self.wf.outbox[0])
            if error is not None:
                self.wf.errors.append(error)
            self.wf.outbox.pop(0)

    async def _record(self) -> None:
        state = self.wf.state
        if self.wf.recorded >= state.seq:
            return
        seq = state.seq
        try:
            await workflow.execute_activity(
                routine_effects.RECORD_MEETING,
                state,
                start_to_close_timeout=policies.READ_MODEL_ATTEMPT,
                retry_policy=policies.READ_MODEL,
            )
            self.wf.recorded = seq
        except ActivityError:
            workflow.logger.warning("meeting not recorded yet; tried again shortly")


# --------------------------------------------------------------------------------------------------
# Reports and bulletins


@workflow.defn(name="BulletinWorkflow")
class BulletinWorkflow:
    @workflow.run
    async def run(self, input: BulletinInput) -> BulletinOutcome:
        errors: list[str] = []
        if input.kind is RoutineKind.ENFORCEMENT_MONTH:
            await _until(input.at)
            opened = _bulletin_batch(input, "opening", _month_opens(input))
            errors += [e for e in [await _notify(opened)] if e]
        await _until(input.publish_at)
        request = FiguresRequest(
            input.mechanism, input.region, input.covers_from, input.covers_to, workflow.now()
        )
        figures = await _store(routine_effects.GATHER_FIGURES, request, Figures)
        assert isinstance(figures, Figures)
        published = await _store(
            routine_effects.PUBLISH_BULLETIN,
            BulletinPublish(input, figures, workflow.now()),
            BulletinPublished,
        )
        assert isinstance(published, BulletinPublished)
        error = await _notify(_bulletin_batch(input, "delivery", _published(input, figures)))
        delivered = None
        if error is None:
            delivered = workflow.now()
            await _store(
                routine_effects.RECORD_BULLETIN_DELIVERY,
                BulletinDelivered(input.bulletin_id, delivered),
            )
        else:
            errors.append(error)
        return BulletinOutcome(
            input.bulletin_id, published.formats, delivered, "; ".join(errors) or None
        )


def _bulletin_batch(input: BulletinInput, what: str, said: Both) -> NotificationBatch:
    key = f"{input.bulletin_id}-{what}"
    return NotificationBatch(
        input.bulletin_id, key, [effects.notice(NoticeKind.BULLETIN, input.to, said)]
    )


def _month_opens(input: BulletinInput) -> Both:
    return Both(
        f"{input.title_zh}开始:集中查处一批大案要案,结束后公布查处结果(D1-op §二(二))",
        f"the {input.title_en} begins: major cases are taken up together and the results "
        f"published when it ends (D1-op §二(二))",
    )


def _published(input: BulletinInput, figures: Figures) -> Both:
    since, until = beijing_time(input.covers_from), beijing_time(input.covers_to)
    return Both(
        f"{input.title_zh}({input.period},{since}至{until}):新发现案件{figures.opened}件,"
        f"其中已移送{figures.referred}件;在办{figures.open_cases}件,超期{figures.overdue}件,"
        f"升级督办{figures.escalated}件。全文见 /bulletins/{input.bulletin_id}",
        f"{input.title_en} ({input.period}, {since} to {until}): {figures.opened} cases opened, "
        f"{figures.referred} of them referred; {figures.open_cases} open, {figures.overdue} "
        f"overdue, {figures.escalated} escalated. In full at /bulletins/{input.bulletin_id}",
    )


# --------------------------------------------------------------------------------------------------
# The procuratorate's list


@workflow.defn(name="ReferralScanWorkflow")
class ReferralScanWorkflow:
    @workflow.init
    def __init__(self, input: ScanInput) -> None:
        self._input = input
        self._registry = AgencyRegistry(input.registry.regions, input.registry.agencies)
        self._standing: set[str] = set()
        self._marked: list[str] = []
        self._superseded = False
        self._scanned = False

    @workflow.run
    async def run(self, input: ScanInput) -> ScanSummary:
        await _until(input.at)
        request = ScanRequest(
            input.scan_id, input.mechanism, input.region, workflow.now(), input.follow_up
        )
        result = await _store(routine_effects.SCAN_REFERRALS, request, ScanResult)
        assert isinstance(result, ScanResult)
        scan = result.rescan
        self._standing = set(scan.standing)
        self._scanned = True
        if result.previous:  # its list lives on here: it takes no more marks
            with contextlib.suppress(FailureError):  # it already ended
                await workflow.get_external_workflow_handle(result.previous).signal(
                    routine_effects.SUPERSEDED
                )
        if scan.listed or scan.named_again:
            await _notify(self._notice(scan.listed, scan.named_again, len(scan.standing)))
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._superseded or not self._standing, timeout=input.open_for
            )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ScanSummary(
            input.scan_id,
            scan.listed,
            sorted(self._standing),
            self._marked,
            self._superseded,
        )

    @workflow.signal(name=routine_effects.SUPERSEDED)
    def superseded(self) -> None:
        self._superseded = True

    @workflow.update(name="mark")
    async def mark(self, request: MarkRequest) -> list[str]:
        # A mark may come as the list is written, before this run has taken the scan's answer:
        # it waits for it, and the case must then be on the list.
        await workflow.wait_condition(lambda: self._scanned)
        if request.case_id not in self._standing:
            raise _refused(
                Refusal(Reason.NOTHING_PENDING, f"case {request.case_id} is not on the list")
            )
        self._standing.discard(request.case_id)
        self._marked.append(request.case_id)
        mark = WatchMark(
            self._input.scan_id,
            request.case_id,
            request.outcome,
            request.note,
            request.actor,
            workflow.now(),
        )
        await _store(routine_effects.RECORD_WATCH_MARK, mark)
        return sorted(self._standing)

    @mark.validator
    def _check_mark(self, request: MarkRequest) -> None:
        # Who may mark first: the same answer whenever it is asked. Before the scan's answer is in,
        # whether the case is listed is the handler's to say.
        standing = self._standing if self._scanned else {request.case_id}
        refusal = check_mark(standing, request, self._registry, self._input.region)
        if refusal is not None:
            raise _refused(refusal)
        if self._superseded:
            raise ApplicationError(
                "this day's list is not the current one",
                {"reason": "wrong_stage", "message": "this day's list is not the current one"},
                type=ACTION_REFUSED,
                non_retryable=True,
            )

    @workflow.query(name="standing")
    def standing(self) -> list[str]:
        return sorted(self._standing)

    def _notice(self, listed: list[str], again: list[str], standing: int) -> NotificationBatch:
        input = self._input
        new = "、".join(listed[:NAMED_IN_A_NOTICE]) or "无"
        old = "、".join(again[:NAMED_IN_A_NOTICE]) or "无"
        said = Both(
            f"应移送未移送案件排查({input.period}):新列入{len(listed)}件({new});"
            f"列入已逾{input.follow_up.days}日仍未处理{len(again)}件({old});名单共{standing}件"
            f"(N2017 第14条)",
            f"cases that should have been referred ({input.period}): {len(listed)} listed "
            f"({', '.join(listed[:NAMED_IN_A_NOTICE]) or 'none'}), {len(again)} still listed "
            f"after {input.follow_up.days} days ({', '.join(again[:NAMED_IN_A_NOTICE]) or 'none'}); "
            f"{standing} on the list (N2017 Art. 14)",
        )
        notice = effects.notice(NoticeKind.REFERRAL_WATCH, input.to, said)
        return NotificationBatch(input.scan_id, f"{input.scan_id}-notice", [notice])


# What a worker runs of the routines (``worker.build_worker``).
ROUTINE_WORKFLOWS = (RoutineWorkflow, MeetingWorkflow, BulletinWorkflow, ReferralScanWorkflow)
