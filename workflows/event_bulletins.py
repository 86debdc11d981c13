"""D4 §5's bulletins that a person starts (``cases.event_bulletins``), one workflow each, started by
the API (``api.routes.event_bulletins``) under an id of the caller's own (a retried start finds the
workflow it started):

* ``TypicalCaseBulletinWorkflow`` (典型案件限时通报): the case is named typical when it starts; its
  time limit (counted by the calendar's one period function on the calendar it carries) reminds
  the joint office before it and tells the joint office and the leadership group when it passes,
  each on a durable timer; the ``issue`` Update (validated: the region's coordinator or leader,
  once) stops it, and the bulletin is rendered, kept and delivered, in time or late.
* ``EmergencyBulletinWorkflow`` (重大紧急情报“零时差”通报): rendered, kept and delivered at once, on a
  day off too: zero delay waits for no working day.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import cases.effects as effects
    import cases.event_bulletin_effects as event_effects
    import cases.event_bulletins as event_bulletins
    import cases.model  # noqa: F401  (Actor's annotations, resolved in its module)
    import cases.routine_effects as routine_effects
    import workflows.policies as policies
    from cases.agencies import AgencyRegistry
    from cases.calendar import beijing_time
    from cases.context import Reason, Refusal
    from cases.effects import NoticeKind, NotificationBatch
    from cases.event_bulletin_effects import (
        EventBulletinInput,
        EventOutcome,
        EventPublish,
        EventRecord,
        IssueAnswer,
        IssueRequest,
    )
    from cases.event_bulletins import EventBulletinSpec, EventKind
    from cases.phrases import Both
    from cases.routine_effects import BulletinDelivered, BulletinPublished
    from workflows.messages import ACTION_REFUSED

# How long ``issue`` waits for the bulletin to be kept before it answers anyway.
ISSUED_WAIT = timedelta(seconds=30)


def _refused(refusal: Refusal) -> ApplicationError:
    return ApplicationError(
        refusal.message,
        {"reason": refusal.reason.value, "message": refusal.message},
        type=ACTION_REFUSED,
        non_retryable=True,
    )


async def _store(activity: str, arg: object, result_type: type[Any] | None = None) -> Any:
    """A write of the read model (or a rendering), retried through outages for a day."""
    return await workflow.execute_activity(
        activity,
        arg,
        result_type=result_type,
        start_to_close_timeout=policies.ROUTINE_STORE_ATTEMPT,
        schedule_to_close_timeout=policies.ROUTINE_STORE_DEADLINE,
        retry_policy=policies.ROUTINE_STORE,
    )


async def _notify(input: EventBulletinInput, what: str, to: list[str], said: Both) -> str | None:
    """Send through the notifier; a notice that cannot be sent in a day is said, not lost."""
    if not to:
        return None
    key = f"{input.bulletin_id}-{what}"
    notice = effects.notice(NoticeKind.BULLETIN, to, said)
    try:
        await policies.notify(NotificationBatch(input.bulletin_id, key, [notice]))
        return None
    except ActivityError as exc:
        cause = exc.cause
        workflow.logger.warning("event bulletin notice not sent", extra={"key": key})
        return (cause.message if isinstance(cause, ApplicationError) else str(exc))[:500]


def spec_of(input: EventBulletinInput) -> EventBulletinSpec:
    """The mechanism's values the input carries, as the rules read them."""
    return EventBulletinSpec(
        kind=input.kind,
        title_zh=input.title_zh,
        title_en=input.title_en,
        to=tuple(input.issuer_kinds),
        within=input.within,
        unit=input.unit,
        remind_before=input.remind_before,
        statutory=input.statutory,
        source=input.source,
        source_zh=input.source_zh,
    )


async def _publish_and_deliver(
    input: EventBulletinInput, publish: EventPublish, said: Both
) -> tuple[dict[str, str], datetime | None, str | None]:
    published = await _store(event_effects.PUBLISH_EVENT_BULLETIN, publish, BulletinPublished)
    assert isinstance(published, BulletinPublished)
    error = await _notify(input, "delivery", input.to, said)
    if error is not None:
        return published.formats, None, error
    delivered = workflow.now()
    await _store(
        routine_effects.RECORD_BULLETIN_DELIVERY, BulletinDelivered(input.bulletin_id, delivered)
    )
    return published.formats, delivered, None


@workflow.defn(name="TypicalCaseBulletinWorkflow")
class TypicalCaseBulletinWorkflow:
    @workflow.init
    def __init__(self, input: EventBulletinInput) -> None:
        self._input = input
        self._spec = spec_of(input)
        self._registry = AgencyRegistry(input.registry.regions, input.registry.agencies)
        self._issue: IssueRequest | None = None
        self._issued_at: datetime | None = None
        self._due_at: datetime | None = None
        self._kept = False

    @workflow.run
    async def run(self, input: EventBulletinInput) -> EventOutcome:
        assert input.calendar is not None, "a typical case's limit is counted on its calendar"
        named_at = workflow.now()
        limit = event_bulletins.limit(self._spec, named_at, input.calendar.calendar())
        self._due_at = limit.due_at
        await _store(
            event_effects.RECORD_EVENT_BULLETIN, EventRecord(input, named_at, limit.due_at)
        )
        due = beijing_time(limit.due_at)
        reminded = escalated = None
        if not await self._issued_by(limit.remind_at):
            reminded = workflow.now()
            await _notify(
                input,
                "reminder",
                input.escalate_to[:1],
                Both(
                    f"提醒:案件{input.case_id}已确定为典型案件,{input.title_zh}应于{due}前发出"
                    f"(D4 §5 典型案件限时通报)",
                    f"reminder: case {input.case_id} was named typical; its {input.title_en} is "
                    f"due {due} (D4 §5)",
                ),
            )
        if not await self._issued_by(limit.due_at):
            escalated = workflow.now()
            await _notify(
                input,
                "overdue",
                input.escalate_to,
                Both(
                    f"案件{input.case_id}的{input.title_zh}已于{due}到期仍未发出(D4 §5 典型案件限时通报)",
                    f"the {input.title_en} of case {input.case_id} was due {due} and is not issued "
                    f"(D4 §5)",
                ),
            )
            await workflow.wait_condition(lambda: self._issue is not None)
        issue, issued_at = self._issue, self._issued_at
        assert issue is not None
        assert issued_at is not None
        late = event_bulletins.late(limit.due_at, issued_at)
        publish = EventPublish(input, issue.actor, issue.text, named_at, issued_at, limit.due_at)
        when = "逾期" if late else "按时"
        formats, delivered, error = await _publish_and_deliver(
            input,
            publish,
            Both(
                f"{input.title_zh}:案件{input.case_id}({when},时限{due})。"
                f"全文见 /bulletins/{input.bulletin_id}",
                f"{input.title_en}: case {input.case_id} ({'late' if late else 'in time'}, due "
                f"{due}). In full at /bulletins/{input.bulletin_id}",
            ),
        )
        self._kept = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return EventOutcome(
            input.bulletin_id, issued_at, late, formats, delivered, reminded, escalated, error
        )

    async def _issued_by(self, instant: datetime) -> bool:
        """Whether the bulletin is issued before ``instant``: a durable timer to it."""
        wait = instant - workflow.now()
        if wait > timedelta(0) and self._issue is None:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._issue is not None, timeout=wait)
        return self._issue is not None

    @workflow.update(name="issue")
    async def issue(self, request: IssueRequest) -> IssueAnswer:
        self._issue, self._issued_at = request, workflow.now()
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._kept, timeout=ISSUED_WAIT)
        late = event_bulletins.late(self._due_at, self._issued_at)
        return IssueAnswer(self._input.bulletin_id, self._issued_at, late)

    @issue.validator
    def _check_issue(self, request: IssueRequest) -> None:
        input = self._input
        refusal = event_bulletins.check_issuer(
            EventKind.TYPICAL_CASE, request.actor, self._registry, input.region, self._spec
        )
        if refusal is None and self._issue is not None:
            refusal = Refusal(Reason.ALREADY_DONE, "the bulletin is issued already")
        if refusal is None and not 0 < len(request.text.strip()) <= event_bulletins.TEXT_LIMIT:
            refusal = Refusal(
                Reason.INVALID_PAYLOAD,
                f"the bulletin's text is 1 to {event_bulletins.TEXT_LIMIT} characters",
            )
        if refusal is not None:
            raise _refused(refusal)

    @workflow.query(name="due_at")
    def due_at(self) -> datetime | None:
        return self._due_at


@workflow.defn(name="EmergencyBulletinWorkflow")
class EmergencyBulletinWorkflow:
    @workflow.run
    async def run(self, input: EventBulletinInput) -> EventOutcome:
        issued_at = workflow.now()
        publish = EventPublish(input, input.started_by, "", issued_at, issued_at)
        happened = beijing_time(input.happened_at) if input.happened_at else "—"
        formats, delivered, error = await _publish_and_deliver(
            input,
            publish,
            Both(
                f"【{input.title_zh}】{happened},{input.place}:{input.what}"
                f"(D4 §5 重大紧急情报“零时差”通报)全文见 /bulletins/{input.bulletin_id}",
                f"[{input.title_en}] {happened}, {input.place}: {input.what} (D4 §5). In full "
                f"at /bulletins/{input.bulletin_id}",
            ),
        )
        return EventOutcome(input.bulletin_id, issued_at, False, formats, delivered, error=error)


# What a worker runs of them (``worker.build_worker``).
EVENT_BULLETIN_WORKFLOWS = (TypicalCaseBulletinWorkflow, EmergencyBulletinWorkflow)
