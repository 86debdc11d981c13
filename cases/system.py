"""The case's own steps, taken by the workflow rather than a person: the opening, the police system's
receipt or refusal, an institution's refusal, the clocks' reminders and escalations, and newly
published calendars and registries. Each is one timeline entry, like a person's step.

Also the inputs of the outside effects, built from the state.
"""

from __future__ import annotations

from datetime import datetime

from cases.agencies import AgencyRegistry
from cases.calendar import WorkingDayCalendar, beijing_time
from cases.change import (
    ActionResult,
    AskExpert,
    Change,
    Deliver,
    Effect,
    MakePaper,
    SendDocument,
    Transition,
    append_entry,
    letter_key,
)
from cases.checklists import CATALOGUE
from cases.clocks import Tick, TickKind, reassign, recount
from cases.context import Context
from cases.effects import (
    DocumentDelivery,
    ExpertRequestCall,
    NoticeKind,
    PackageItem,
    PaperFile,
    ReferralDelivery,
    notice,
)
from cases.ids import step_key
from cases.intake import CaseIntake, open_case
from cases.limits import KEPT_ERROR, KEPT_PAPERS
from cases.model import (
    Actor,
    CaseState,
    DeliveryReceipt,
    EvidenceItem,
    PaperRecord,
    TimelineEntry,
)
from cases.papers import (
    Paper,
    PaperKind,
    handover_list,
    not_filed_acknowledgement,
    referral_letter,
)
from cases.parties import holders
from cases.phrases import Both
from cases.profile import Profile
from cases.vocabulary import (
    DOCUMENT_LABELS,
    DocumentKind,
    Event,
    Party,
    RequestKind,
    Role,
    Stage,
)


def opening(
    intake: CaseIntake,
    profile: Profile,
    registry: AgencyRegistry,
    calendar: WorkingDayCalendar | None,
    now: datetime,
) -> tuple[CaseState, Transition]:
    """The case an intake opens at ``now``, and the transition that records its opening. The case
    makes it in its own context when it starts; the API makes the same from the same input, to write
    the opening to the read model as it starts the case (the case's own write then repeats it).
    Raises ``IntakeError`` for an intake the registry or the mechanism does not allow."""
    state = open_case(intake, profile, registry, now)
    ctx = Context(profile, registry, now, calendar)
    return state, record_opening(state, ctx, intake.outside_jurisdiction)


def record_opening(state: CaseState, ctx: Context, outside_jurisdiction: bool) -> Transition:
    c = Change(state, "open", None, ctx)
    c.note(
        mechanism=state.mechanism,
        suggested=state.triage.suggested.value,
        key_case=str(state.triage.key_case).lower(),
    )
    c.emit(Event.CASE_OPENED)
    if outside_jurisdiction:
        c.emit(Event.NOT_COMPETENT_FOUND)
    return c.finish()


def record_delivery(state: CaseState, receipt: DeliveryReceipt, ctx: Context) -> Transition:
    """The police system's receipt. Where the track follows N2017 Art. 7 (依法接受，并立即出具接受
    案件回执) the receipt is the acceptance: the filing decision's days run from it, and nothing gates
    or delays them. On the detention track the police accept under their own rules (P2014 Art. 12)."""
    c = Change(state, "referral_delivered", None, ctx)
    state.referral.receipt = receipt
    state.referral.delivery_error = None
    c.note(reference=receipt.reference, received_at=receipt.received_at.isoformat())
    c.emit(Event.REFERRAL_DELIVERED)
    if ctx.profile.rules_for(state.classification).acceptance_on_receipt:
        state.filing.accepted_at = ctx.now
        c.note(accepted="on receipt (N2017 Art. 7)")
        c.move(Stage.FILING_DECISION)
        c.emit(Event.ACCEPTED)
    return c.finish()


def record_document_receipt(
    state: CaseState, doc_id: str, receipt: DeliveryReceipt, ctx: Context
) -> Transition:
    """The receiving system acknowledged a notice: its receiver's periods start now."""
    doc = state.document(doc_id)
    assert doc is not None
    c = Change(state, "document_received", None, ctx)
    doc.received_at = ctx.now
    doc.reference = receipt.reference
    doc.error = None
    c.note(
        document=doc_id,
        kind=doc.kind.value,
        to=doc.to,
        reference=receipt.reference,
        received_at=receipt.received_at.isoformat(),
    )
    c.emit(doc.kind.received)
    if doc.kind is DocumentKind.NOT_FILED_NOTICE and state.received(doc.kind) is doc:
        # The agency's acknowledgement, stating the receipt its window to ask for reconsideration
        # runs from (O310 Art. 9 ¶1; N2017 Art. 11).
        c.effects.append(MakePaper(PaperKind.NOT_FILED_ACKNOWLEDGEMENT, doc_id))
    return c.finish()


# The requests whose receipt is recorded, with the entry and the event it raises: a written
# question's receiver's days run "自收到…后" (D6 §一(二)); an assistance's from its receiver's receipt,
# as every period of a receiver does (D3 §3.2 and D8 §三(二) set none of their own).
RECEIVED = {
    RequestKind.CONSULTATION: ("question_received", Event.QUESTION_RECEIVED),
    RequestKind.ASSISTANCE: ("assistance_received", Event.ASSISTANCE_RECEIVED),
}


def record_question_receipt(
    state: CaseState, request_id: str, receipt: DeliveryReceipt, ctx: Context
) -> Transition | None:
    """A written question's (or an assistance request's) receipt by its receiver's system: the
    receiver's days start now. A test or an appraisal request's receipt changes nothing."""
    request = next((r for r in state.requests if r.request_id == request_id), None)
    if request is None or request.kind not in RECEIVED:
        return None
    if request.received_at is not None or request.answered_at or request.failed_at:
        return None
    action, event = RECEIVED[request.kind]
    c = Change(state, action, None, ctx)
    request.received_at = ctx.now
    c.note(request_id=request_id, to=request.agency, reference=receipt.reference)
    c.emit(event, request_id)
    return c.finish()


def record_document_failure(state: CaseState, doc_id: str, reason: str, ctx: Context) -> Transition:
    """The receiving system refused a notice: it shows on the case, starts no clock of the receiver's,
    and its sender is told to resend it."""
    doc = state.document(doc_id)
    assert doc is not None
    c = Change(state, "document_failed", None, ctx)
    doc.error = reason[:KEPT_ERROR]
    c.note(document=doc_id, kind=doc.kind.value, to=doc.to, reason=reason[:KEPT_ERROR])
    c.emit(Event.DOCUMENT_FAILED)
    zh, en = DOCUMENT_LABELS[doc.kind]
    to = ctx.registry.named(doc.to)
    why = reason[:KEPT_ERROR]
    c.tell(
        notice(
            NoticeKind.DOCUMENT_FAILED,
            [doc.sender],
            Both(
                f"案件{state.case_id}的{zh}（{doc_id}）未能送达{to.zh}：{why}；请重新发送",
                f"{en} ({doc_id}) of case {state.case_id} was not delivered to {doc.to}: {why}; "
                "resend it",
            ),
        )
    )
    return c.finish()


def record_delivery_failure(state: CaseState, reason: str, ctx: Context) -> Transition:
    c = Change(state, "delivery_failed", None, ctx)
    state.referral.delivery_error = reason[:KEPT_ERROR]
    c.note(reason=reason[:KEPT_ERROR], attempt=str(state.referral.attempts))
    c.emit(Event.DELIVERY_FAILED)
    why = reason[:KEPT_ERROR]
    c.tell(
        notice(
            NoticeKind.DELIVERY_FAILED,
            [state.owner_agency],
            Both(
                f"案件{state.case_id}的移送未能送达：{why}；请重新发送或更正后发送",
                f"the referral of case {state.case_id} was not delivered: {why}; resend or "
                "correct it",
            ),
        )
    )
    return c.finish()


def record_request_failure(
    state: CaseState, request_id: str, reason: str, ctx: Context
) -> Transition:
    """The institution's system refused the request: it is closed, and the agency is told."""
    c = Change(state, "request_failed", None, ctx)
    request = next(r for r in state.requests if r.request_id == request_id)
    request.failed_at = ctx.now
    request.error = reason[:KEPT_ERROR]
    c.note(request_id=request_id, reason=reason[:KEPT_ERROR])
    c.emit(Event.REQUEST_FAILED, request_id)
    why = reason[:KEPT_ERROR]
    c.tell(
        notice(
            NoticeKind.REQUEST_FAILED,
            [state.owner_agency],
            Both(
                f"案件{state.case_id}的委托{request_id}被拒绝：{why}；请重新委托或委托其他机构",
                f"request {request_id} of case {state.case_id} was refused: {why}; ask again "
                "or elsewhere",
            ),
        )
    )
    return c.finish()


def record_ticks(state: CaseState, ticks: list[Tick], ctx: Context) -> Transition:
    """Reminders, breaches and escalations found at one wake-up: one entry each, one transition."""
    entries: list[TimelineEntry] = []
    notices: list[Effect] = []
    for tick in ticks:
        clock = tick.clock
        details = {
            "clock": clock.key,
            "owner": clock.owner_agency,
            "due_at": clock.due_at.isoformat(),
        }
        due = clock.due_at.isoformat()
        # People read the due time on the mechanism's clock (Beijing time); the record keeps ISO.
        local = beijing_time(clock.due_at)
        what = Both(
            f"案件{state.case_id}的“{clock.title_zh}”", f"{clock.title_en} of case {state.case_id}"
        )
        if tick.kind is TickKind.REMINDER:
            said = Both(
                f"提醒：{what.zh}将于{local}（北京时间）到期",
                f"reminder: {what.en} is due at {due}",
            )
            kind, to = NoticeKind.REMINDER, [clock.owner_agency]
        elif tick.kind is TickKind.BREACH:
            said = Both(
                f"已超期：{what.zh}应于{local}（北京时间）前完成",
                f"overdue: {what.en} was due at {due}",
            )
            kind, to = NoticeKind.BREACH, [clock.owner_agency]
        else:
            details["level"] = str(tick.level)
            details["to"] = ", ".join(tick.to)
            owner = ctx.registry.named(clock.owner_agency)
            said = Both(
                f"升级督办（第{tick.level}级）：{what.zh}已超期，应由{owner.zh}办理",
                f"escalated (level {tick.level}): {what.en} is overdue; "
                f"the move is {clock.owner_agency}'s",
            )
            kind, to = NoticeKind.ESCALATION, [*tick.to, clock.owner_agency]
        entry = TimelineEntry(
            seq=state.last_seq + 1,
            at=tick.at,
            action=tick.kind.value,
            actor=None,
            stage_from=state.stage,
            stage_to=state.stage,
            details=details,
        )
        append_entry(state, entry)
        entries.append(entry)
        recipients = [a for a in dict.fromkeys(to) if a]
        notices.append(
            notice(kind, recipients, said, clock=clock.key, level=tick.level, due_at=clock.due_at)
        )
    return Transition(
        entries, [], notices, ActionResult(entries[-1].seq, state.stage), clocks_changed=True
    )


def answered(
    state: CaseState,
    effect: Deliver | SendDocument | AskExpert,
    receipt: DeliveryReceipt,
    ctx: Context,
) -> Transition | None:
    """What a receiving system's receipt changes. An older attempt's answer, one for a case that has
    moved on or closed, changes nothing."""
    if state.stage.closed:
        return None
    if isinstance(effect, AskExpert):
        return record_question_receipt(state, effect.request_id, receipt, ctx)
    if isinstance(effect, Deliver):
        if state.referral.receipt is None and state.stage is Stage.ACCEPTANCE:
            return record_delivery(state, receipt, ctx)
        return None
    if _latest(state, effect):
        return record_document_receipt(state, effect.doc_id, receipt, ctx)
    return None


def refused(
    state: CaseState, effect: Deliver | SendDocument | AskExpert, reason: str, ctx: Context
) -> Transition | None:
    """An agency's system refused a call (or never answered within the step's deadline): the case
    records it for a person to act on, unless the call was already superseded."""
    if isinstance(effect, Deliver):
        if effect.attempt == state.referral.attempts and state.referral.receipt is None:
            return record_delivery_failure(state, reason, ctx)
        return None
    if state.stage.closed:
        return None
    if isinstance(effect, SendDocument):
        return (
            record_document_failure(state, effect.doc_id, reason, ctx)
            if _latest(state, effect)
            else None
        )
    return record_request_failure(state, effect.request_id, reason, ctx)


def _latest(state: CaseState, effect: SendDocument) -> bool:
    """The newest attempt of a notice not yet received."""
    doc = state.document(effect.doc_id)
    return doc is not None and doc.pending and doc.attempts == effect.attempt


def record_calendar(state: CaseState, known_years: list[int], ctx: Context) -> Transition:
    """A newly published arrangement: open calendar clocks are counted again on it."""
    c = Change(state, "calendar_published", None, ctx)
    before = {k.key: k.due_at for k in state.open_clocks()}
    recount(state, ctx)
    moved = [k.key for k in state.open_clocks() if before.get(k.key) != k.due_at]
    c.note(known_years=", ".join(map(str, known_years)), moved=", ".join(moved))
    c.clocks_changed = bool(moved)
    return c.finish()


def record_registry(state: CaseState, ctx: Context) -> Transition:
    """A changed agency registry reaches the case: a move whose holder changed goes to the new
    holder, with a fresh period."""
    c = Change(state, "registry_published", None, ctx)
    before = {k.key: k.owner_agency for k in state.open_clocks()}
    reassign(state, ctx)
    moved = [k.key for k in state.open_clocks() if before.get(k.key) != k.owner_agency]
    c.note(agencies=str(sum(1 for _ in ctx.registry)), moved=", ".join(moved))
    c.clocks_changed = bool(moved)
    return c.finish()


# --------------------------------------------------------------------------------------------------
# The papers of what the case sent (cases.papers), attached as evidence

# Who records a paper the case made on its own (the acknowledgement of a notice's receipt).
SYSTEM_PERSON = "系统生成"


def paper_for(state: CaseState, make: MakePaper, ctx: Context) -> Paper:
    """The paper ``make`` asks for, built from the case as the step left it, in the case's own
    context (its registry, mechanism, calendar and time). ``ValueError`` when the case lacks what
    the paper must state (a handover before the filing notice reached the agency)."""
    kind = make.kind
    if kind is PaperKind.REFERRAL_LETTER:
        return referral_letter(
            state, ctx.registry, ctx.profile, ctx.now, officers=state.referral.officers
        )
    if kind is PaperKind.NOT_FILED_ACKNOWLEDGEMENT:
        return not_filed_acknowledgement(
            state, ctx.registry, ctx.profile, ctx.now, calendar=ctx.calendar
        )
    if kind is PaperKind.HANDOVER_LIST:
        return handover_list(
            state, ctx.registry, ctx.profile, ctx.now, make.things, calendar=ctx.calendar
        )
    raise ValueError(f"a case makes no {kind.value} of its own")


def _issuer(state: CaseState, make: MakePaper) -> Actor:
    return make.by or Actor(state.owner_agency, Role.OFFICER, SYSTEM_PERSON)


def _remember(state: CaseState, record: PaperRecord) -> None:
    state.papers = [*state.papers, record][-KEPT_PAPERS:]


def _standing_letter(state: CaseState) -> EvidenceItem | None:
    """The letter the case made for an earlier attempt at sending, while it stands."""
    made = {p.evidence for p in state.papers if p.kind == PaperKind.REFERRAL_LETTER}
    return next((i for i in reversed(state.current_evidence()) if i.seq in made), None)


def paper_made(
    state: CaseState, make: MakePaper, paper: Paper, made: PaperFile, ctx: Context
) -> Transition:
    """The paper goes on the case as an item of its kind with its fingerprint: the record of what
    was sent, even on a case archived meanwhile. A new attempt's letter replaces the letter of the
    attempt the police system refused (which stays on the record, as any corrected item does)."""
    c = Change(state, "paper_made", None, ctx)
    earlier = _standing_letter(state) if make.kind is PaperKind.REFERRAL_LETTER else None
    item = c.add_item(
        make.kind.value,
        paper.title,
        sha256=made.sha256,
        reference=made.reference,
        size=made.size,
        corrects=earlier.seq if earlier else None,
        reasons=f"{paper.number}：重新移送时出具，取代前次未送达的移送书" if earlier else "",
        by=_issuer(state, make),
    )
    _remember(state, PaperRecord(make.kind.value, make.key, ctx.now, evidence=item.seq))
    c.note(
        paper=make.kind.value,
        key=make.key,
        number=paper.number,
        title=item.title,
        sha256=made.sha256,
        evidence_seq=str(item.seq),
    )
    c.refs["evidence_seq"] = str(item.seq)
    return c.finish()


def paper_not_made(state: CaseState, make: MakePaper, reason: str, ctx: Context) -> Transition:
    """The paper could not be made (no font on the worker, the evidence store down past the
    paper's deadline): the case says so and goes on. What the paper records was still sent (a
    referral goes with the letter the agency recorded, which its package requires), and the
    statutory days are not held for a rendering."""
    c = Change(state, "paper_not_made", None, ctx)
    why = reason[:KEPT_ERROR]
    _remember(state, PaperRecord(make.kind.value, make.key, ctx.now, error=why))
    c.note(paper=make.kind.value, key=make.key, reason=why)
    kind = CATALOGUE[make.kind.value]
    c.tell(
        notice(
            NoticeKind.PAPER_FAILED,
            [_issuer(state, make).agency],
            Both(
                f"案件{state.case_id}的{kind.label_zh}未能生成：{why}；案件照常办理，请另行制作该文书",
                f"the {kind.label_en.lower()} of case {state.case_id} could not be made: {why}; "
                "the case goes on: make the paper by other means",
            ),
        )
    )
    return c.finish()


# --------------------------------------------------------------------------------------------------
# Inputs of the outside effects, built from the state


def referral_delivery(state: CaseState, ctx: Context, attempt: int) -> ReferralDelivery:
    rules = ctx.profile.rules_for(state.classification)
    copy_to = holders(state, Party.PROCURATORATE, ctx.registry) if rules.copy_procuratorate else []
    return ReferralDelivery(
        case_id=state.case_id,
        idempotency_key=step_key(state.case_id, "referral", attempt),
        attempt=attempt,
        police_agency=state.police_agency or "",
        copy_to=copy_to,
        mechanism=state.mechanism,
        referring_agency=state.owner_agency,
        classification=(state.classification or state.triage.suggested).value,
        items=[
            PackageItem(i.kind, i.title, i.sha256, i.reference) for i in state.current_evidence()
        ],
        letter=_letter_of(state, attempt),
    )


def _letter_of(state: CaseState, attempt: int) -> PackageItem | None:
    """The letter the case made for this attempt, as the package names it."""
    made = state.paper(letter_key(attempt))
    item = next((i for i in state.evidence if made and i.seq == made.evidence), None)
    return PackageItem(item.kind, item.title, item.sha256, item.reference) if item else None


def document_delivery(state: CaseState, doc_id: str, attempt: int) -> DocumentDelivery:
    doc = state.document(doc_id)
    assert doc is not None
    return DocumentDelivery(
        case_id=state.case_id,
        idempotency_key=step_key(state.case_id, "document", f"{doc_id}-{attempt}"),
        doc_id=doc_id,
        attempt=attempt,
        kind=doc.kind.value,
        title_zh=DOCUMENT_LABELS[doc.kind][0],
        sender=doc.sender,
        to=doc.to,
        copy_to=list(doc.copy_to),
        reasons=doc.reasons,
    )


def expert_call(state: CaseState, request_id: str) -> ExpertRequestCall:
    request = next(r for r in state.requests if r.request_id == request_id)
    return ExpertRequestCall(
        case_id=state.case_id,
        idempotency_key=step_key(state.case_id, request_id),
        request_id=request_id,
        kind=request.kind.value,
        agency=request.agency,
        requesting_agency=state.owner_agency,
        subject=request.subject,
        assistance=request.assistance.value if request.assistance else "",
    )
