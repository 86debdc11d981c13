"""The detention track: a 治安 transfer for administrative detention after the agency's own penalty
(P2014, in the mechanisms it governs: P2014 Art. 2). The referral steps carry the approval and sending
(P2014 Art. 10–12) and the acceptance steps the police's acceptance and request for more (Art. 12, 13);
here are the penalty decided first (Art. 2), the police's two answers (Art. 14, 15) and the superior
department's order to transfer (Art. 17). No filing decision, reconsideration or filing supervision
belongs to this track, and every period of P2014 is in working days (Art. 19)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import NUMBER, DocumentNumber
from cases.model import CaseState
from cases.payloads import Dated, Reasoned
from cases.steps.base import OFFICER_OR_APPROVER, step
from cases.steps.closing import Penalty
from cases.steps.conditions import PRE_REFERRAL, transfer_pending, window_closed, window_of
from cases.steps.filing import drop_supplements
from cases.vocabulary import (
    Classification,
    DocumentKind,
    Event,
    FeedbackOutcome,
    Party,
    Stage,
    Track,
)


def _on_detention_track(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if ctx.profile.detention is None:
        return Refusal(
            Reason.NOT_IN_MECHANISM,
            f"mechanism '{ctx.profile.name}' has no detention track (P2014 governs the environmental "
            "mechanisms); its 治安 transfers follow its own text",
        )
    if ctx.profile.track_of(state.classification) is not Track.DETENTION:
        return Refusal(
            Reason.CLASSIFICATION_REQUIRED,
            "only a case confirmed as a public-security case (治安) is transferred for detention; "
            "classify it as 'public_security' first",
        )
    return None


def _penalty_not_yet_decided(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if refusal := _on_detention_track(state, party, ctx):
        return refusal
    if state.penalty_decided_at is not None:
        return Refusal(Reason.ALREADY_DONE, "the penalty decision is already recorded")
    return transfer_pending(state)


@step(
    "decide_penalty",
    "作出行政处罚决定(移送拘留前)",
    "Record the penalty decided before the transfer",
    source="P2014 Art. 2: 依法作出行政处罚决定后,仍需要移送公安机关处以行政拘留的案件",
    stages=PRE_REFERRAL,
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=_penalty_not_yet_decided,
    example={"reference": "罚字〔2026〕9号"},
)
def decide_penalty(c: Change, p: Penalty) -> None:
    """The agency's own penalty comes first; the transfer for detention may be reported after it,
    and the decision (行政处罚决定书) joins the package (P2014 Art. 11(六))."""
    c.case.penalty_decided_at = c.now
    c.note(reference=p.reference)
    c.emit(Event.PENALTY_DECIDED)


# 环境保护法 Art. 63: 处十日以上十五日以下拘留;情节较轻的,处五日以上十日以下拘留.
DetentionDays = Annotated[int, Field(ge=5, le=15), NUMBER]


@dataclass(kw_only=True)
class Detention(Dated):
    reference: DocumentNumber  # the detention decision's number (行政拘留决定书)
    days: DetentionDays


@step(
    "decide_detention",
    "决定行政拘留",
    "Decide on administrative detention",
    source="P2014 Art. 14: 依法决定行政拘留的,应当在作出决定之日起3日内将决定书抄送案件移送部门 (Art. 19: "
    "working days)",
    stages={Stage.DETENTION_REVIEW},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    example={"reference": "拘决字〔2026〕3号", "days": 10},
)
def decide_detention(c: Change, p: Detention) -> None:
    """The decision is copied to the agency, whose days to file its copy run from the receipt; the
    police keep the original file (Art. 16)."""
    drop_supplements(c)
    c.case.feedback = FeedbackOutcome.DETENTION
    c.note(reference=p.reference, days=str(p.days))
    c.move(Stage.ARCHIVING)
    c.emit(Event.DETENTION_DECIDED)
    c.send(DocumentKind.DETENTION_DECISION, c.case.owner_agency)


@step(
    "return_referral",
    "不予拘留并退回案卷",
    "Return the file: detention not warranted",
    source="P2014 Art. 15: 不符合行政拘留条件的,应当在受案后5日内书面告知案件移送部门并说明理由,同时退回"
    "案卷材料 (Art. 19: working days)",
    stages={Stage.DETENTION_REVIEW},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    example={"reasons": "事实不清、证据不足,不符合行政拘留条件"},
    final=True,
)
def return_referral(c: Change, p: Reasoned) -> None:
    """The written reasons and the file go back; the agency closes the case on receiving them. A
    return after the window is still made, and flagged: the duty to tell does not lapse."""
    s = c.case
    drop_supplements(c)
    if window_closed(s, s.filing.accepted_at, "return", c.ctx):
        window = window_of(s, "return", c.ctx)
        assert window is not None
        c.note(late=f"returned after the {window.period.length} working days ({window.source})")
    c.move(Stage.ARCHIVING)
    c.emit(Event.REFERRAL_RETURNED)
    c.send(DocumentKind.RETURN_NOTICE, s.owner_agency, p.reasons)


def _not_transferred(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if ctx.profile.detention is None:
        return Refusal(
            Reason.NOT_IN_MECHANISM, f"mechanism '{ctx.profile.name}' has no detention track"
        )
    if state.referral.sent_at is not None:
        return Refusal(Reason.ALREADY_DONE, "the case was transferred to the police already")
    if state.classification is Classification.CRIME:
        return Refusal(
            Reason.NOT_REFERABLE,
            "the case is confirmed as a suspected crime: it is referred as one (O310 Art. 11: a "
            "penalty never replaces a referral), which the procuratorate may recommend (N2017 "
            "Art. 14); a transfer for detention is not ordered for it",
        )
    pending = any(d.kind is DocumentKind.REFERRAL_ORDER and d.pending for d in state.documents)
    if pending or any(c.name == "referral_order" for c in state.open_clocks()):
        return Refusal(Reason.ALREADY_PENDING, "an order to transfer is pending")
    return transfer_pending(state)


@step(
    "order_referral",
    "责令移送",
    "Order the transfer",
    source="P2014 Art. 17: 发现下级部门应当移送而未移送的,应当责令移送",
    stages=PRE_REFERRAL | {Stage.ADMIN_PENALTY, Stage.ARCHIVING, Stage.ARCHIVED},
    movers={Party.SUPERIOR: OFFICER_OR_APPROVER},
    guard=_not_transferred,
    example={"reasons": "当事人拒不执行停产整治决定,应当移送公安机关处以行政拘留"},
    reopens=True,
)
def order_referral(c: Change, p: Reasoned) -> None:
    """The superior department's inspection found a case that should have gone for detention: it is
    classified so by the order, comes back to evidence fixing (an archived one reopens from its
    record), and the order goes to the agency, whose days to transfer run from the receipt."""
    s = c.case
    s.classification = Classification.PUBLIC_SECURITY
    s.classified_by = c.by
    if s.stage in (Stage.ADMIN_PENALTY, Stage.ARCHIVING, Stage.ARCHIVED):
        c.move(Stage.EVIDENCE)
    c.note(classification=Classification.PUBLIC_SECURITY.value)
    c.emit(Event.REFERRAL_ORDERED)
    c.send(DocumentKind.REFERRAL_ORDER, s.owner_agency, p.reasons)
