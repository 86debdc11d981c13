"""``ReportWorkflow``: one public report, from its receipt by the first agency to its reply.

The report carries its mechanism, calendar and registry as a case does, so that its clock and its
steps are decided in its own context (``cases.reports``, ``cases.report_steps``). A step is the ``act``
Update, whose validator asks ``report_steps.refusal``. What a step sets off (the reporter's reply, the
agencies' notices, the case it opens) goes into an outbox the main loop works through, so that an
outage of the notifier or the read model delays it and loses nothing. A case opened from a report is
its own ``CaseWorkflow``, started as an abandoned child: it outlives the report, and a repeat of the
start finds it running. The reporter's identity is in the report only sealed (``store.sealed``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    import cases.effects as effects
    import cases.report_steps as report_steps
    import workflows.policies as policies
    from cases.agencies import AgencyRegistry, RegistrySnapshot
    from cases.calendar import CalendarSnapshot
    from cases.context import Reason
    from cases.effects import NotificationBatch
    from cases.ids import workflow_id as case_workflow_id
    from cases.intake import CaseIntake
    from cases.model import Actor
    from cases.phrases import Both
    from cases.profiles import profile_from_data
    from cases.reports import (
        ReporterReply,
        ReportIntake,
        ReportStage,
        ReportState,
        add_event,
        fire,
        next_wakeup,
        open_report,
        rules_of,
    )
    from workflows.messages import ACTION_REFUSED, CaseInput


@dataclass
class ReportAction:
    actor: Actor
    action: str
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportAnswer:
    """What a step answers: the report as it now stands, and the case it opened."""

    report: ReportState
    allowed: list[str]
    case_id: str | None = None


@dataclass
class OpenCase:
    intake: CaseIntake


@dataclass
class Outgoing:
    """One call the report still has to make, in order."""

    reply: ReporterReply | None = None
    notify: NotificationBatch | None = None
    open: OpenCase | None = None


RECORD_RETRY_CEILING = timedelta(minutes=30)


@dataclass
class ReportCarried:
    """Everything a run holds, for the next when the history grows long."""

    report: ReportState
    outbox: list[Outgoing]
    recorded: int
    calls: int


@dataclass
class ReportInput:
    intake: ReportIntake
    profile: dict[str, Any]  # the mechanism profile as data, as a case carries it
    calendar: CalendarSnapshot
    registry: RegistrySnapshot
    # When the API took it and wrote its opening (``open_report`` at that instant): the report
    # opens at the same instant, so that its first write repeats the API's.
    opened_at: datetime | None = None
    carried: ReportCarried | None = None  # what an earlier run hands on (a long read-model outage)


@dataclass
class ReportRun:
    """The whole state of the workflow, in one place."""

    input: ReportInput
    report: ReportState | None = None
    outbox: list[Outgoing] = field(default_factory=list)
    recorded: int = 0  # the last event sequence the read model has
    calls: int = 0  # outside calls made, for their idempotency keys


@workflow.defn(name="ReportWorkflow")
class ReportWorkflow:
    @workflow.init
    def __init__(self, input: ReportInput) -> None:
        self.wf = ReportRun(input)
        self._profile = profile_from_data(input.profile)
        self._rules = rules_of(self._profile)
        self._registry = AgencyRegistry(input.registry.regions, input.registry.agencies)
        self._calendar = input.calendar.calendar()
        self._changed = False
        # How long to wait before writing again while the read model is down: longer each time,
        # so that a long outage adds a few events an hour, not one a minute.
        self._record_wait = policies.OUTBOX_RETRY
        if input.carried is not None:
            carried = input.carried
            self.wf = ReportRun(replace(input, carried=None), carried.report, carried.outbox,
                                carried.recorded, carried.calls)  # fmt: skip

    @workflow.run
    async def run(self, input: ReportInput) -> str:
        report = self._report()
        if input.intake.ongoing:  # D6 §一(三): 立即告知
            self._tell(
                [report.owner_agency],
                Both(f"举报{report.report_id}反映违法行为正在进行,应立即责令停止并告知有管辖权的一方"
                     f"(D6 §一(三)):{input.intake.place}",
                     f"report {report.report_id}: an ongoing violation, to be stopped at once and the "
                     f"competent side told at once (D6 §一(三))"),
                effects.NoticeKind.INSTRUCTION,
            )  # fmt: skip
        while True:
            await self._work_outbox()
            await self._record()
            if report.stage is ReportStage.CLOSED and not self.wf.outbox:
                break
            wake = next_wakeup(report, self._rules)
            timeout = None if wake is None else wake - workflow.now()
            if self.wf.recorded < report.seq:  # the read model was down: try again later
                timeout = min(timeout or self._record_wait, self._record_wait)
            if timeout is None or timeout > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._changed, timeout=timeout)
            self._changed = False
            notices = fire(report, self._rules, self._registry, workflow.now())
            if notices:
                self.wf.outbox.append(Outgoing(notify=self._batch(notices)))
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                carried = ReportCarried(report, self.wf.outbox, self.wf.recorded, self.wf.calls)
                workflow.continue_as_new(replace(self.wf.input, carried=carried))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return report.stage.value

    # ----------------------------------------------------------------------------------------------
    # Steps

    @workflow.update(name="act")
    async def act(self, request: ReportAction) -> ReportAnswer:
        report = self._report()
        step = report_steps.STEPS[request.action]
        body = TypeAdapter(step.payload).validate_python(request.body)
        change = report_steps.apply(
            report, request.actor, request.action, body, self._profile, self._registry,
            workflow.now(),
        )  # fmt: skip
        for said in change.replies:
            self._reply(said)
        if change.notices:
            self.wf.outbox.append(Outgoing(notify=self._batch(change.notices)))
        if change.open_case is not None:
            self.wf.outbox.append(Outgoing(open=OpenCase(change.open_case)))
        self._changed = True
        return ReportAnswer(report, report_steps.allowed(report, request.actor), report.case_id)

    @act.validator
    def check(self, request: ReportAction) -> None:
        report = self._report()
        step = report_steps.STEPS.get(request.action)
        if step is None:
            raise _refused(Reason.UNKNOWN_ACTION, f"no report step '{request.action}'")
        try:
            body = TypeAdapter(step.payload).validate_python(request.body)
        except ValueError as exc:
            raise _refused(Reason.INVALID_PAYLOAD, str(exc)[:500]) from None
        refusal = report_steps.refusal(
            report, request.actor, request.action, body, self._profile, self._registry
        )
        if refusal is not None:
            raise _refused(refusal.reason, refusal.message)

    @workflow.query(name="report")
    def report(self) -> ReportState:
        return self._report()

    @workflow.query(name="allowed")
    def allowed(self, actor: Actor) -> list[str]:
        return report_steps.allowed(self._report(), actor)

    def _report(self) -> ReportState:
        if self.wf.report is None:  # an update before the first task: the run opens it first
            self.wf.report = open_report(
                self.wf.input.intake, self._profile, self._registry, self._calendar,
                self.wf.input.opened_at or workflow.now(),
            )  # fmt: skip
        return self.wf.report

    # ----------------------------------------------------------------------------------------------
    # What a step sets off

    def _key(self, what: str) -> str:
        self.wf.calls += 1
        return f"report-{self._report().report_id}-{what}-{self.wf.calls}"

    def _reply(self, said: Both) -> None:
        report = self._report()
        if not report.intake.can_reply:
            add_event(
                report, "reply", workflow.now(),
                Both("举报人未留联系方式,无法答复", "the reporter left no contact: no reply sent"),
            )  # fmt: skip
            return
        reply = ReporterReply(
            report.report_id, self._key("reply"), report.intake.reporter_sealed, said.zh, said.en
        )
        self.wf.outbox.append(Outgoing(reply=reply))

    def _tell(self, to: list[str], said: Both, kind: effects.NoticeKind) -> None:
        self.wf.outbox.append(Outgoing(notify=self._batch([effects.notice(kind, to, said)])))

    def _batch(self, notices: list[effects.Notice]) -> NotificationBatch:
        return NotificationBatch(self._report().report_id, self._key("notice"), notices)

    async def _work_outbox(self) -> None:
        report = self._report()
        while self.wf.outbox:
            item = self.wf.outbox[0]
            try:
                if item.reply is not None:
                    await workflow.execute_activity(
                        effects.REPLY_TO_REPORTER,
                        item.reply,
                        start_to_close_timeout=policies.AGENCY_CALL_ATTEMPT,
                        schedule_to_close_timeout=policies.NOTIFY_DEADLINE,
                        retry_policy=policies.NOTIFY,
                    )
                    report.replies_sent += 1
                    add_event(report, "reply", workflow.now(),
                              Both("已答复举报人", "the reporter was told"))  # fmt: skip
                elif item.notify is not None:
                    await policies.notify(item.notify)
                elif item.open is not None:
                    await self._open_case(item.open.intake)
            except ActivityError as exc:  # given up (refused, or a day of outage): said, not lost
                cause = exc.cause
                reason = cause.message if isinstance(cause, ApplicationError) else str(exc)
                add_event(report, "call_failed", workflow.now(),
                          Both(f"发送失败:{reason[:200]}", f"not sent: {reason[:200]}"))  # fmt: skip
            self.wf.outbox.pop(0)

    async def _open_case(self, intake: CaseIntake) -> None:
        data = self.wf.input
        try:
            await workflow.start_child_workflow(
                "CaseWorkflow",
                CaseInput(intake, data.profile, data.calendar, data.registry,
                          opened_at=workflow.now()),
                id=case_workflow_id(intake.case_id),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )  # fmt: skip
        except WorkflowAlreadyStartedError:
            workflow.logger.info("the report's case was already started")

    async def _record(self) -> None:
        report = self._report()
        if self.wf.recorded >= report.seq:
            return
        seq = report.seq
        try:
            await workflow.execute_local_activity(
                effects.RECORD_REPORT,
                report,
                start_to_close_timeout=policies.READ_MODEL_ATTEMPT,
                retry_policy=policies.READ_MODEL,
            )
            self.wf.recorded = seq
            self._record_wait = policies.OUTBOX_RETRY
        except (ActivityError, ApplicationError):
            workflow.logger.warning("report not recorded yet; tried again later")
            self._record_wait = min(self._record_wait * 2, RECORD_RETRY_CEILING)


def _refused(reason: Reason, message: str) -> ApplicationError:
    return ApplicationError(
        message,
        {"reason": reason.value, "message": message},
        type=ACTION_REFUSED,
        non_retryable=True,
    )
