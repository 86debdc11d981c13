"""The procuratorate's supervision: of the police's filing (立案监督) and of the agency's referral
(建议移送) (O310 Art. 9 ¶2, Art. 14; N2017 Art. 12–15)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import Flag, Reasons
from cases.model import CaseState
from cases.payloads import Dated, Reasoned
from cases.steps.base import OFFICER_OR_APPROVER, PROCURATOR, step
from cases.steps.conditions import open_clock
from cases.vocabulary import (
    Branch,
    Classification,
    DocumentKind,
    Event,
    FilingOutcome,
    Party,
    Stage,
)


def _may_propose(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """Against a refusal, an upheld refusal or a withdrawal after filing (the not-filed stage), or
    when the police are overdue with their decision (N2017 Art. 12)."""
    if state.filing.supervision_proposed_at is not None:
        return Refusal(Reason.ALREADY_DONE, "supervision was already proposed")
    if state.stage is Stage.ADMIN_PENALTY and state.filing.outcome is not (
        FilingOutcome.REVERSE_REFERRED
    ):
        return Refusal(
            Reason.NOT_A_REFUSAL,
            "supervision is proposed against the police's decision; this case was not handed back "
            "by one",
        )
    if state.stage is Stage.FILING_DECISION:
        if state.filing.filing_ordered:
            return Refusal(
                Reason.ALREADY_DONE, "the procuratorate has already ordered the case filed"
            )
        clock = open_clock(state, "filing_decision")
        if clock is None or clock.breached_at is None:
            return Refusal(
                Reason.NOT_OVERDUE,
                "the police are not yet overdue with the filing decision; supervision of a pending "
                "decision may be proposed once it is (N2017 Art. 12)",
            )
    return None


@step(
    "propose_supervision",
    "建议检察院立案监督",
    "Propose procuratorate supervision",
    source="O310 Art. 9; N2017 Art. 12 (overdue decision, refusal, reconsideration, withdrawal), "
    "Art. 13 (立案监督建议书, the case materials, the police's decision and reasons)",
    stages={Stage.NOT_FILED, Stage.FILING_DECISION, Stage.ADMIN_PENALTY},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=_may_propose,
    branch=Branch.PROCURATORATE_SUPERVISION,
    example={"reasons": "公安机关不予立案决定不当,建议立案监督"},
)
def propose_supervision(c: Change, p: Reasoned) -> None:
    """The case goes before the procuratorate, which must decide within the mechanism's period; a
    decision still pending stays with the police meanwhile."""
    c.case.filing.supervision_proposed_at = c.now
    if c.case.stage in (Stage.NOT_FILED, Stage.ADMIN_PENALTY):
        c.move(Stage.SUPERVISION)
    c.emit(Event.SUPERVISION_PROPOSED)


@dataclass(kw_only=True)
class Supervised(Dated):
    order_filing: Flag  # True: the police are told to file
    reasons: Reasons


def _supervision_due(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """At the filing decision the procuratorate steps in only on an overdue decision (N2017 Art. 12,
    15) and only once; a refusal or withdrawal it may take up at any time (Art. 15)."""
    if state.stage is not Stage.FILING_DECISION:
        return None
    if state.filing.filing_ordered:
        return Refusal(Reason.ALREADY_DONE, "the procuratorate has already ordered the case filed")
    if state.filing.supervision_proposed_at is not None:
        return None  # the agency's proposal is before it (N2017 Art. 12)
    clock = open_clock(state, "filing_decision")
    if clock is None or clock.breached_at is None:
        return Refusal(
            Reason.NOT_OVERDUE, "the police's filing decision is not overdue (N2017 Art. 15)"
        )
    return None


@step(
    "supervise_filing",
    "立案监督决定",
    "Decide on filing supervision",
    source="N2017 Art. 12, 15; O310 Art. 9 ¶3: the police accept the procuratorate's supervision",
    stages={Stage.NOT_FILED, Stage.SUPERVISION, Stage.FILING_DECISION},
    movers={Party.PROCURATORATE: PROCURATOR},
    guard=_supervision_due,
    branch=Branch.PROCURATORATE_SUPERVISION,
    example={"order_filing": True, "reasons": "应当立案"},
)
def supervise_filing(c: Change, p: Supervised) -> None:
    """Ordered filed, the case returns to the police's filing decision, which may not decline. The
    procuratorate may act on its own, without a proposal (N2017 Art. 15)."""
    c.note(order_filing=str(p.order_filing).lower())
    c.emit(Event.SUPERVISION_DECIDED)
    if p.order_filing:
        c.case.filing.filing_ordered = True
        c.move(Stage.FILING_DECISION)
        c.emit(Event.FILING_ORDERED)
    elif c.case.stage is Stage.SUPERVISION:
        c.move(Stage.NOT_FILED)


def _none_pending(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.stage.closed and state.referral.sent_at is not None:
        return Refusal(
            Reason.ALREADY_DONE,
            "the archived case went to the police already; it is not recommended again",
        )
    pending = any(
        d.kind is DocumentKind.REFERRAL_RECOMMENDATION and d.pending for d in state.documents
    )
    if pending or open_clock(state, "referral_recommendation") is not None:
        return Refusal(Reason.ALREADY_PENDING, "a recommendation to refer is pending")
    return None


@step(
    "recommend_referral",
    "建议移送",
    "Recommend a referral",
    source="N2017 Art. 14: the agency refers within 3 days of receiving the recommendation",
    stages={Stage.EVIDENCE, Stage.ADMIN_PENALTY, Stage.ARCHIVED},
    movers={Party.PROCURATORATE: PROCURATOR},
    guard=_none_pending,
    branch=Branch.PROCURATORATE_SUPERVISION,
    example={"reasons": "涉嫌污染环境罪,建议移送"},
    reopens=True,
)
def recommend_referral(c: Change, p: Reasoned) -> None:
    """The recommendation goes to the agency; its days to refer run from the receipt, and only a sent
    referral answers it. A case handled administratively comes back to evidence fixing, an archived
    one too: it reopens from its record under the same id."""
    s = c.case
    if s.stage in (Stage.ADMIN_PENALTY, Stage.ARCHIVED):
        c.move(Stage.EVIDENCE)
    if s.classification is not Classification.CRIME:
        # 认为涉嫌环境犯罪应当移送的: the recommendation is of a crime, and the referral answering it
        # runs on the criminal track, not as a transfer for detention.
        s.classification = Classification.CRIME
        s.classified_by = c.by
        c.note(classification=Classification.CRIME.value)
    c.emit(Event.REFERRAL_RECOMMENDED)
    c.send(DocumentKind.REFERRAL_RECOMMENDATION, s.owner_agency, p.reasons)
