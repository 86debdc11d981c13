"""What each action does to a case: the new stage, the events that drive the clocks, the outside effects.

:func:`apply_action` is called by the workflow's update handler after the validator (``cases.allowed``)
accepted the action; it changes the state in place and says what else must happen. The workflow's own
steps (a delivery receipt, a delivery refused, a clock's reminder or escalation) go through
:func:`apply_system` so that every change of a case is one timeline entry with one sequence number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cases.actions import Action, ActionPayload, Event
from cases.agencies import AgencyKind
from cases.allowed import Context, holders
from cases.clocks import (
    Happening,
    Tick,
    TickKind,
    close_all,
    escalation_level,
    next_deadline,
    on_events,
    reassign,
    recount,
)
from cases.effects import (
    CaseProjection,
    ExpertRequestCall,
    Notice,
    NoticeKind,
    PackageItem,
    ReferralDelivery,
)
from cases.model import (
    Actor,
    CaseState,
    DeliveryReceipt,
    EvidenceItem,
    ExpertRequest,
    FilingOutcome,
    Party,
    RequestKind,
    Stage,
    SupplementRequest,
    TimelineEntry,
    TransferState,
)
from cases.triage import triage


@dataclass
class Deliver:
    """Deliver the referral package (this attempt) to the police system."""

    attempt: int


@dataclass
class AskExpert:
    request_id: str


Effect = Deliver | AskExpert | Notice


@dataclass
class ActionResult:
    """What the caller of an action gets back."""

    seq: int
    stage: Stage
    refs: dict[str, str] = field(default_factory=dict)
    at: datetime | None = None  # when the case recorded it (workflow time)


@dataclass
class Transition:
    """One change of a case: its timeline entries (usually one), what drove the clocks, what to do."""

    entries: list[TimelineEntry]
    happenings: list[Happening]
    effects: list[Effect]
    result: ActionResult
    clocks_changed: bool = False  # the next wake-up may have moved


class _Change:
    """Collects what one action does, then writes its timeline entry."""

    def __init__(self, state: CaseState, action: str, actor: Actor | None, ctx: Context) -> None:
        self.state = state
        self.action = action
        self.actor = actor
        self.ctx = ctx
        self.stage_from = state.stage
        self.happenings: list[Happening] = []
        self.effects: list[Effect] = []
        self.details: dict[str, str] = {}
        self.refs: dict[str, str] = {}
        self.clocks_changed = False

    def emit(self, event: Event, ref: str | None = None, extension: str | None = None) -> None:
        self.happenings.append(Happening(event, ref, extension))

    def note(self, **details: str | None) -> None:
        self.details.update({k: v for k, v in details.items() if v})

    def move(self, stage: Stage) -> None:
        self.state.stage = stage

    def add_item(self, kind: str, title: str, payload: ActionPayload) -> EvidenceItem:
        assert self.actor is not None, "evidence is always recorded by someone"
        item = EvidenceItem(
            seq=len(self.state.evidence) + 1,
            kind=kind,
            title=title,
            recorded_by=self.actor,
            recorded_at=self.ctx.now,
            sha256=payload.sha256,
            reference=payload.reference,
            size=payload.size,
        )
        self.state.evidence.append(item)
        return item

    def finish(self) -> Transition:
        state = self.state
        entry = TimelineEntry(
            seq=len(state.timeline) + 1,
            at=self.ctx.now,
            action=self.action,
            actor=self.actor,
            stage_from=self.stage_from,
            stage_to=state.stage,
            details=self.details,
        )
        state.timeline.append(entry)
        if self.happenings:
            on_events(state, self.happenings, self.ctx)
        if state.stage.closed:
            state.closed_at = self.ctx.now
            close_all(state, self.ctx.now, "archived")
        return Transition(
            [entry],
            self.happenings,
            self.effects,
            ActionResult(entry.seq, state.stage, self.refs, entry.at),
            self.clocks_changed or bool(self.happenings),
        )


def _hand_to(state: CaseState, agency: str, ctx: Context) -> None:
    """The competent agency takes the case over: its region's police and procuratorate come with it."""
    new_owner = ctx.registry.get(agency)
    state.owner_agency = new_owner.code
    if new_owner.region != state.region:
        state.region = new_owner.region
        state.police_agency = ctx.registry.code_in_region(AgencyKind.POLICE, new_owner.region)
        state.procuratorate = ctx.registry.code_in_region(
            AgencyKind.PROCURATORATE, new_owner.region
        )
    state.transfer = None
    reassign(state, ctx)


def apply_action(
    state: CaseState, action: Action, actor: Actor, payload: ActionPayload, ctx: Context
) -> Transition:
    """Carry out an action the validator accepted. Changes ``state`` in place."""
    c = _Change(state, action.value, actor, ctx)
    p = payload
    s = state
    now = ctx.now
    c.note(note=p.note, reasons=p.reasons)

    if action is Action.CLASSIFY:
        assert p.classification is not None
        s.classification = p.classification
        s.classified_by = actor
        c.note(classification=p.classification.value, suggested=s.triage.suggested.value)
        if s.stage is Stage.DISCOVERY:
            c.move(Stage.EVIDENCE)
        c.emit(Event.CLASSIFIED)
        if p.classification.referable:
            c.emit(Event.REFERABLE_FOUND)
    elif action is Action.UPDATE_FACTS:
        assert p.facts is not None
        s.facts = p.facts
        s.triage = triage(p.facts, ctx.profile.triage)
        c.note(suggested=s.triage.suggested.value, key_case=str(s.triage.key_case).lower())
    elif action is Action.RECORD_EVIDENCE:
        assert p.kind is not None
        item = c.add_item(p.kind, p.title, p)
        c.note(kind=p.kind, title=p.title, sha256=p.sha256, reference=p.reference)
        c.refs["evidence_seq"] = str(item.seq)
    elif action in (Action.REQUEST_TEST, Action.REQUEST_APPRAISAL):
        assert p.agency is not None
        kind = RequestKind.TEST if action is Action.REQUEST_TEST else RequestKind.APPRAISAL
        request_id = f"{kind.value}-{len(s.requests) + 1}"
        s.requests.append(ExpertRequest(request_id, kind, p.agency, now, actor, p.subject))
        c.note(request_id=request_id, agency=p.agency, subject=p.subject)
        c.refs["request_id"] = request_id
        c.emit(
            Event.TEST_REQUESTED if kind is RequestKind.TEST else Event.APPRAISAL_REQUESTED,
            request_id,
        )
        c.effects.append(AskExpert(request_id))
    elif action in (Action.RECORD_TEST_RESULT, Action.RECORD_APPRAISAL):
        request = next(r for r in s.requests if r.request_id == p.request_id)
        request.answered_at = now
        request.conclusion = p.conclusion
        is_test = request.kind is RequestKind.TEST
        item_kind = "monitoring_report" if is_test else "appraisal_report"
        reference = p.reference or (None if p.sha256 else f"request:{request.request_id}")
        item_payload = ActionPayload(sha256=p.sha256, reference=reference, size=p.size)
        c.add_item(item_kind, p.title or f"{request.subject}: {p.conclusion}", item_payload)
        if p.measurements:
            s.facts.measurements = [*s.facts.measurements, *p.measurements]
            s.triage = triage(s.facts, ctx.profile.triage)
            c.note(suggested=s.triage.suggested.value)
        c.note(request_id=request.request_id, conclusion=p.conclusion)
        c.emit(Event.TEST_ANSWERED if is_test else Event.APPRAISAL_ANSWERED, request.request_id)
    elif action is Action.REQUEST_EARLY_INTERVENTION:
        s.early_intervention_requested_at = now
        c.emit(Event.EARLY_INTERVENTION_REQUESTED)
        c.effects.append(
            Notice(
                NoticeKind.EARLY_INTERVENTION,
                [s.police_agency] if s.police_agency else [],
                f"{s.owner_agency} asks the police to intervene early in case {s.case_id}",
            )
        )
    elif action is Action.INTERVENE_EARLY:
        s.early_intervention_at = now
        c.emit(Event.EARLY_INTERVENTION_DONE)
    elif action is Action.FIND_NOT_COMPETENT:
        c.note(competent=p.agency)
        c.emit(Event.NOT_COMPETENT_FOUND)
    elif action is Action.TRANSFER_JURISDICTION:
        assert p.agency is not None
        s.transfer = TransferState(p.agency, now, p.reasons)
        c.note(target=p.agency)
        c.emit(Event.TRANSFER_SENT)
        c.effects.append(
            Notice(
                NoticeKind.TRANSFER,
                [p.agency],
                f"{s.owner_agency} transfers case {s.case_id} to you: {p.reasons}",
            )
        )
    elif action is Action.ACCEPT_TRANSFER:
        assert s.transfer is not None
        c.note(previous_owner=s.owner_agency, owner=s.transfer.target)
        c.emit(Event.TRANSFER_ACCEPTED)
        _hand_to(s, s.transfer.target, ctx)
    elif action is Action.DISPUTE_JURISDICTION:
        assert s.transfer is not None
        s.transfer.disputed_at = now
        c.emit(Event.JURISDICTION_DISPUTED)
    elif action is Action.DECIDE_JURISDICTION:
        assert p.agency is not None
        c.note(previous_owner=s.owner_agency, owner=p.agency)
        c.emit(Event.JURISDICTION_DECIDED)
        _hand_to(s, p.agency, ctx)
    elif action is Action.HANDLE_ADMINISTRATIVELY:
        classification = s.classification or s.triage.suggested
        if classification.referable and s.stage is not Stage.NOT_FILED:
            c.note(risk="referable case handled administratively (以罚代刑 risk)")
        c.move(Stage.ADMIN_PENALTY)
        c.emit(Event.ADMINISTRATIVE_HANDLING)
    elif action is Action.REQUEST_APPROVAL:
        s.referral.requested_at = now
        c.move(Stage.REFERRAL_APPROVAL)
        c.emit(Event.REFERRAL_REQUESTED)
    elif action is Action.APPROVE_REFERRAL:
        s.referral.approved_at = now
        s.referral.approved_by = actor
        c.move(Stage.REFERRAL_SENDING)
        c.emit(Event.REFERRAL_APPROVED)
    elif action is Action.REFUSE_REFERRAL:
        s.referral.refusals.append(p.reasons)
        s.referral.requested_at = None
        c.move(Stage.EVIDENCE)
        c.emit(Event.REFERRAL_REFUSED)
    elif action is Action.WITHDRAW_REFERRAL:
        s.referral.withdrawn_at = now
        s.referral.requested_at = None
        s.referral.approved_at = None
        s.referral.approved_by = None
        c.move(Stage.EVIDENCE)
        c.emit(Event.REFERRAL_WITHDRAWN)
    elif action in (Action.SEND_REFERRAL, Action.RESEND_REFERRAL):
        if p.agency:
            s.police_agency = p.agency
        s.referral.sent_at = now
        s.referral.attempts += 1
        s.referral.delivery_error = None
        c.note(police_agency=s.police_agency, attempt=str(s.referral.attempts))
        c.move(Stage.ACCEPTANCE)
        if action is Action.SEND_REFERRAL:
            c.emit(Event.REFERRAL_SENT)
        c.effects.append(Deliver(s.referral.attempts))
    elif action is Action.ACCEPT:
        s.filing.accepted_at = now
        c.note(reference=p.reference)
        c.move(Stage.FILING_DECISION)
        c.emit(Event.ACCEPTED)
    elif action is Action.REQUEST_SUPPLEMENTS:
        s.supplements.append(SupplementRequest(now, list(p.items)))
        c.note(items=", ".join(p.items))
        c.emit(Event.SUPPLEMENTS_REQUESTED)
    elif action is Action.SUPPLY_SUPPLEMENTS:
        pending = s.pending_supplements
        assert pending is not None
        pending.supplied_at = now
        c.emit(Event.SUPPLEMENTS_SUPPLIED)
    elif action is Action.APPROVE_EXTENSION:
        assert p.extension is not None
        extension = ctx.profile.extensions[p.extension]
        s.filing.extension_days = extension.period.length
        c.note(extension=p.extension, source=extension.source)
        c.emit(Event.EXTENSION_APPROVED, extension=p.extension)
    elif action is Action.FILE_CASE:
        _file(c, p)
    elif action is Action.DECLINE_FILING:
        _drop_supplements(c)
        s.filing.outcome = FilingOutcome.NOT_FILED
        s.filing.decided_at = now
        s.filing.reasons = p.reasons
        c.move(Stage.NOT_FILED)
        c.emit(Event.NOT_FILED)
    elif action is Action.REVERSE_REFER:
        _drop_supplements(c)
        if s.stage is Stage.FILING_DECISION:
            s.filing.outcome = FilingOutcome.REVERSE_REFERRED
            s.filing.decided_at = now
            s.filing.reasons = p.reasons
        c.move(Stage.ADMIN_PENALTY)
        c.emit(Event.REVERSE_REFERRED)
    elif action is Action.REQUEST_RECONSIDERATION:
        s.filing.reconsideration_requested_at = now
        c.move(Stage.RECONSIDERATION)
        c.emit(Event.RECONSIDERATION_REQUESTED)
    elif action is Action.DECIDE_RECONSIDERATION:
        s.filing.reconsideration_upheld = bool(p.upheld)
        c.note(upheld=str(bool(p.upheld)).lower())
        c.emit(Event.RECONSIDERATION_DECIDED)
        if p.upheld:
            c.move(Stage.NOT_FILED)
        else:
            _file(c, p)
    elif action is Action.PROPOSE_SUPERVISION:
        s.filing.supervision_proposed_at = now
        c.move(Stage.SUPERVISION)
        c.emit(Event.SUPERVISION_PROPOSED)
    elif action is Action.SUPERVISE_FILING:
        c.note(order_filing=str(bool(p.order_filing)).lower())
        c.emit(Event.SUPERVISION_DECIDED)
        if p.order_filing:
            s.filing.filing_ordered = True
            c.move(Stage.FILING_DECISION)
            c.emit(Event.FILING_ORDERED)
        else:
            c.move(Stage.NOT_FILED)
    elif action is Action.RECOMMEND_REFERRAL:
        if s.stage is Stage.ADMIN_PENALTY:
            c.move(Stage.EVIDENCE)
        c.emit(Event.REFERRAL_RECOMMENDED)
    elif action is Action.HAND_OVER:
        c.note(items=", ".join(p.items))
        c.move(Stage.INVESTIGATION)
        c.emit(Event.HANDED_OVER)
    elif action is Action.CONVENE_CONSULTATION:
        s.consultation_open = True
        c.emit(Event.CONSULTATION_CONVENED)
    elif action is Action.CONCLUDE_CONSULTATION:
        s.consultation_open = False
        c.note(conclusion=p.conclusion)
        c.emit(Event.CONSULTATION_CONCLUDED)
    elif action is Action.FEED_BACK:
        assert p.outcome is not None
        s.feedback = p.outcome
        c.note(outcome=p.outcome.value)
        c.move(Stage.ARCHIVING)
        c.emit(Event.FED_BACK)
    elif action is Action.IMPOSE_PENALTY:
        c.note(reference=p.reference)
        c.move(Stage.ARCHIVING)
        c.emit(Event.PENALTY_IMPOSED)
    elif action is Action.ARCHIVE:
        c.move(Stage.ARCHIVED)
        c.emit(Event.ARCHIVED)
    elif action is Action.SUPERVISE_CASE:
        s.supervised = True
        c.emit(Event.SUPERVISED_LISTED)
    elif action is Action.DIRECT:
        c.emit(Event.DIRECTED)
        owners = sorted({k.owner_agency for k in s.open_clocks() if k.owner_agency})
        c.effects.append(
            Notice(NoticeKind.INSTRUCTION, owners or [s.owner_agency], f"{actor.agency}: {p.note}")
        )
    else:  # pragma: no cover - every action has a branch above
        raise AssertionError(f"no transition for {action}")
    return c.finish()


def _drop_supplements(c: _Change) -> None:
    """The police decide without the material they asked for: the request lapses."""
    pending = c.state.pending_supplements
    if pending is not None:
        pending.dropped_at = c.ctx.now
        c.note(supplements="dropped: decided without them")
        c.emit(Event.SUPPLEMENTS_DROPPED)


def _file(c: _Change, p: ActionPayload) -> None:
    s = c.state
    _drop_supplements(c)
    s.filing.outcome = FilingOutcome.FILED
    s.filing.decided_at = c.ctx.now
    s.filing.filing_ordered = False
    c.note(reference=p.reference)
    c.emit(Event.FILED)
    if c.ctx.profile.has_stage(Stage.HANDOVER):
        c.move(Stage.HANDOVER)
    else:
        c.move(Stage.INVESTIGATION)
        c.emit(Event.HANDED_OVER)


# --------------------------------------------------------------------------------------------------
# The workflow's own steps


def record_delivery(state: CaseState, receipt: DeliveryReceipt, ctx: Context) -> Transition:
    c = _Change(state, "referral_delivered", None, ctx)
    state.referral.receipt = receipt
    state.referral.delivery_error = None
    c.note(reference=receipt.reference, received_at=receipt.received_at.isoformat())
    c.emit(Event.REFERRAL_DELIVERED)
    return c.finish()


def record_delivery_failure(state: CaseState, reason: str, ctx: Context) -> Transition:
    c = _Change(state, "delivery_failed", None, ctx)
    state.referral.delivery_error = reason
    c.note(reason=reason, attempt=str(state.referral.attempts))
    c.emit(Event.DELIVERY_FAILED)
    c.effects.append(
        Notice(
            NoticeKind.DELIVERY_FAILED,
            [state.owner_agency],
            f"the referral of case {state.case_id} was not delivered: {reason}; resend or correct it",
        )
    )
    return c.finish()


def record_request_failure(
    state: CaseState, request_id: str, reason: str, ctx: Context
) -> Transition:
    """The institution's system refused the request: it is closed, and the agency is told."""
    c = _Change(state, "request_failed", None, ctx)
    request = next(r for r in state.requests if r.request_id == request_id)
    request.failed_at = ctx.now
    request.error = reason
    c.note(request_id=request_id, reason=reason)
    c.emit(Event.REQUEST_FAILED, request_id)
    c.effects.append(
        Notice(
            NoticeKind.REQUEST_FAILED,
            [state.owner_agency],
            f"request {request_id} of case {state.case_id} was refused: {reason}; ask again or elsewhere",
        )
    )
    return c.finish()


def record_ticks(state: CaseState, ticks: list[Tick], ctx: Context) -> Transition:
    """Reminders, breaches and escalations found at one wake-up: one entry each, one transition."""
    entries: list[TimelineEntry] = []
    notices: list[Effect] = []
    for tick in ticks:
        clock = tick.clock
        spec = ctx.profile.clocks[clock.name]
        title = f"{spec.title_zh} ({spec.title_en})"
        details = {
            "clock": clock.key,
            "owner": clock.owner_agency,
            "due_at": clock.due_at.isoformat(),
        }
        if tick.kind is TickKind.REMINDER:
            text = f"reminder: {title} of case {state.case_id} is due at {clock.due_at.isoformat()}"
            kind, to = NoticeKind.REMINDER, [clock.owner_agency]
        elif tick.kind is TickKind.BREACH:
            text = f"overdue: {title} of case {state.case_id} was due at {clock.due_at.isoformat()}"
            kind, to = NoticeKind.BREACH, [clock.owner_agency]
        else:
            details["level"] = str(tick.level)
            details["to"] = ", ".join(tick.to)
            text = (
                f"escalated (level {tick.level}): {title} of case {state.case_id} is overdue; "
                f"the move is {clock.owner_agency}'s"
            )
            kind, to = NoticeKind.ESCALATION, [*tick.to, clock.owner_agency]
        entry = TimelineEntry(
            seq=len(state.timeline) + 1,
            at=tick.at,
            action=tick.kind.value,
            actor=None,
            stage_from=state.stage,
            stage_to=state.stage,
            details=details,
        )
        state.timeline.append(entry)
        entries.append(entry)
        notices.append(
            Notice(
                kind, [a for a in dict.fromkeys(to) if a], text, clock.key, tick.level, clock.due_at
            )
        )
    return Transition(
        entries, [], notices, ActionResult(entries[-1].seq, state.stage), clocks_changed=True
    )


def record_calendar(state: CaseState, known_years: list[int], ctx: Context) -> Transition:
    """A newly published arrangement: open calendar clocks are counted again on it."""
    c = _Change(state, "calendar_published", None, ctx)
    before = {k.key: k.due_at for k in state.open_clocks()}
    recount(state, ctx)
    moved = [k.key for k in state.open_clocks() if before.get(k.key) != k.due_at]
    c.note(known_years=", ".join(map(str, known_years)), moved=", ".join(moved))
    c.clocks_changed = bool(moved)
    return c.finish()


def record_opening(state: CaseState, ctx: Context, outside_jurisdiction: bool) -> Transition:
    c = _Change(state, "open", None, ctx)
    c.note(
        mechanism=state.mechanism,
        suggested=state.triage.suggested.value,
        key_case=str(state.triage.key_case).lower(),
    )
    c.emit(Event.CASE_OPENED)
    if outside_jurisdiction:
        c.emit(Event.NOT_COMPETENT_FOUND)
    return c.finish()


# --------------------------------------------------------------------------------------------------
# Inputs of the outside effects, built from the state


def referral_delivery(state: CaseState, ctx: Context, attempt: int) -> ReferralDelivery:
    copy_to = (
        holders(state, Party.PROCURATORATE, ctx.registry) if ctx.profile.copy_procuratorate else []
    )
    return ReferralDelivery(
        case_id=state.case_id,
        idempotency_key=f"case-{state.case_id}-referral-{attempt}",
        attempt=attempt,
        police_agency=state.police_agency or "",
        copy_to=copy_to,
        mechanism=state.mechanism,
        referring_agency=state.owner_agency,
        classification=(state.classification or state.triage.suggested).value,
        items=[PackageItem(i.kind, i.title, i.sha256, i.reference) for i in state.evidence],
    )


def expert_call(state: CaseState, request_id: str) -> ExpertRequestCall:
    request = next(r for r in state.requests if r.request_id == request_id)
    return ExpertRequestCall(
        case_id=state.case_id,
        idempotency_key=f"case-{state.case_id}-{request_id}",
        request_id=request_id,
        kind=request.kind.value,
        agency=request.agency,
        requesting_agency=state.owner_agency,
        subject=request.subject,
    )


def projection(state: CaseState, now: datetime) -> CaseProjection:
    return CaseProjection(
        case_id=state.case_id,
        intake_ref=state.intake_ref,
        mechanism=state.mechanism,
        region=state.region,
        stage=state.stage,
        subject=state.subject,
        discovering_agency=state.discovering_agency,
        owner_agency=state.owner_agency,
        police_agency=state.police_agency,
        classification=state.classification.value if state.classification else None,
        suggested=state.triage.suggested.value,
        key_case=state.triage.key_case,
        supervised=state.supervised,
        next_deadline=next_deadline(state),
        escalation_level=escalation_level(state),
        opened_at=state.opened_at,
        updated_at=now,
        closed_at=state.closed_at,
        delivery_error=state.referral.delivery_error,
        referred=state.referral.sent_at is not None,
        agencies=participants(state),
    )


def participants(state: CaseState) -> list[str]:
    """Every agency that has had a part in the case, in a stable order."""
    found = [
        state.discovering_agency,
        state.owner_agency,
        state.police_agency,
        state.procuratorate,
        state.transfer.target if state.transfer else None,
        *(r.agency for r in state.requests),
        *(e.actor.agency for e in state.timeline if e.actor is not None),
    ]
    return sorted({a for a in found if a})
