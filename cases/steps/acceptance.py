"""Acceptance: the police system's receipt, the police's acceptance, and supplementary material
(O310 Art. 7; N2017 Art. 7, 8; D5 §三.3; on the detention track P2014 Art. 12, 13)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import MAX_SUPPLEMENT_REQUESTS, Lines, OptionalDocumentNumber, Summary
from cases.model import CaseState, SupplementRequest
from cases.payloads import Payload
from cases.steps.base import OFFICER, step
from cases.steps.conditions import window_closed, window_of
from cases.vocabulary import Branch, Event, Party, Stage, Track


@dataclass(kw_only=True)
class Accept(Payload):
    reference: OptionalDocumentNumber = ""  # the police's own case number (受案登记号)


def _delivered_and_complete(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if ctx.profile.rules_for(state.classification).acceptance_on_receipt:
        return Refusal(
            Reason.NOT_IN_MECHANISM,
            f"under mechanism '{ctx.profile.name}' the police system's receipt is the acceptance "
            "(O310 Art. 7; N2017 Art. 7): there is no separate step",
        )
    if state.referral.receipt is None:
        return Refusal(
            Reason.NOT_DELIVERED,
            "the police system has not confirmed receipt of the package yet; acceptance follows "
            "delivery",
        )
    if state.pending_supplements and ctx.profile.supplements_block_acceptance:
        return Refusal(
            Reason.AWAITING_SUPPLEMENTS,
            "supplementary material was asked for; acceptance waits until it arrives",
        )
    return None


@step(
    "accept",
    "受理",
    "Accept the case",
    source="O310 Art. 7 (the receipt is signed); D5 §三.3; N2017 Art. 7; P2014 Art. 12: the "
    "police accept a transfer for detention under their administrative-case rules",
    stages={Stage.ACCEPTANCE},
    movers={Party.RECEIVING: OFFICER},
    guard=_delivered_and_complete,
    example={"reference": "受案登记 2026-118"},
)
def accept(c: Change, p: Accept) -> None:
    """The police accept; the filing decision's days run from here, or on the detention track the
    days to ask for more (P2014 Art. 13) and to return the file (Art. 15)."""
    c.case.filing.accepted_at = c.now
    c.note(reference=p.reference)
    detention = c.ctx.profile.track_of(c.case.classification) is Track.DETENTION
    c.move(Stage.DETENTION_REVIEW if detention else Stage.FILING_DECISION)
    c.emit(Event.ACCEPTED)


@dataclass(kw_only=True)
class AskSupplements(Payload):
    items: Lines


def _supplements_may_be_asked(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """When the police may ask for more depends on the mechanism: before acceptance where the package
    is reviewed first (D1-rules §三(二)2), after it where the police must accept at once and ask
    within the window (N2017 Art. 7, 8: 24 hours; on the detention track P2014 Art. 13: 3 working
    days of accepting)."""
    if state.referral.receipt is None:
        return Refusal(
            Reason.NOT_DELIVERED,
            "the police system has not confirmed receipt of the package; there is nothing to "
            "supplement yet",
        )
    if state.pending_supplements:
        return Refusal(Reason.ALREADY_PENDING, "supplements are already asked for")
    if len(state.supplements) >= MAX_SUPPLEMENT_REQUESTS:
        return Refusal(
            Reason.LIMIT_REACHED,
            f"supplements were asked for {MAX_SUPPLEMENT_REQUESTS} times, the most a case may",
        )
    if ctx.profile.supplements_block_acceptance:
        if state.stage is not Stage.ACCEPTANCE:
            return Refusal(
                Reason.WRONG_STAGE,
                "under this mechanism supplements are asked for before acceptance",
            )
        return None
    if state.stage is Stage.ACCEPTANCE:
        return Refusal(
            Reason.ACCEPT_FIRST,
            "under this mechanism the police accept at once and may not refuse for incomplete "
            "materials: accept, then ask for supplements",
        )
    window = window_of(state, "supplement_request", ctx)
    if window is not None and window_closed(
        state, state.filing.accepted_at, "supplement_request", ctx
    ):
        source = window.source
        return Refusal(
            Reason.WINDOW_CLOSED,
            f"supplements must be asked for within the window after acceptance ({source})",
        )
    return None


@step(
    "request_supplements",
    "要求补正材料",
    "Ask for supplementary material",
    source="N2017 Art. 8: asked in writing within 24 hours of receiving the case; P2014 Art. 13: "
    "within 3 working days of accepting it",
    stages={Stage.ACCEPTANCE, Stage.FILING_DECISION, Stage.DETENTION_REVIEW},
    movers={Party.RECEIVING: OFFICER},
    guard=_supplements_may_be_asked,
    branch=Branch.SUPPLEMENTS,
    example={"items": ["原始采样记录", "环境损害鉴定评估报告"]},
)
def request_supplements(c: Change, p: AskSupplements) -> None:
    """The agency's supplement clock starts; the mechanism says what else it pauses."""
    c.case.supplements.append(SupplementRequest(c.now, list(p.items)))
    c.note(items=", ".join(p.items))
    c.emit(Event.SUPPLEMENTS_REQUESTED)


def _supplements_asked(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if not state.pending_supplements:
        return Refusal(Reason.NOTHING_PENDING, "no supplements are asked for")
    return None


@dataclass(kw_only=True)
class Supply(Payload):
    # 因客观条件所限,无法补正的,书面说明 (N2017 Art. 8): what cannot be supplied, and why.
    explanation: Summary = ""


@step(
    "supply_supplements",
    "补正材料",
    "Supply the supplementary material",
    source="N2017 Art. 8: supplied within 3 days, or explained in writing; P2014 Art. 13 sets no "
    "period for supplying",
    stages={Stage.ACCEPTANCE, Stage.FILING_DECISION, Stage.DETENTION_REVIEW},
    movers={Party.REFERRING: OFFICER},
    guard=_supplements_asked,
    branch=Branch.SUPPLEMENTS,
    example={"note": "已补充原始采样记录"},
)
def supply_supplements(c: Change, p: Supply) -> None:
    """The material (recorded as evidence) is supplied, or the explanation says in writing why it
    cannot be; either answers the request."""
    pending = c.case.pending_supplements
    assert pending is not None
    pending.supplied_at = c.now
    c.note(explanation=p.explanation)
    c.emit(Event.SUPPLEMENTS_SUPPLIED)
