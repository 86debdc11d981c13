"""The procuratorate's supervision: of the police's filing (立案监督) and of the agency's referral
(建议移送) (O310 Art. 9 ¶2, Art. 14; N2017 Art. 12–15)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import Reasons
from cases.model import CaseState
from cases.payloads import Payload, Reasoned
from cases.steps.base import OFFICER_OR_APPROVER, PROCURATOR, step
from cases.steps.conditions import open_clock
from cases.vocabulary import Branch, Event, Party, Stage


def _not_yet_proposed(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.filing.supervision_proposed_at is not None:
        return Refusal(Reason.ALREADY_DONE, "supervision was already proposed")
    return None


@step(
    "propose_supervision",
    "建议检察院立案监督",
    "Propose procuratorate supervision",
    source="O310 Art. 9; N2017 Art. 12, 13",
    stages={Stage.NOT_FILED},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=_not_yet_proposed,
    branch=Branch.PROCURATORATE_SUPERVISION,
    example={"reasons": "公安机关不予立案决定不当,建议立案监督"},
)
def propose_supervision(c: Change, p: Reasoned) -> None:
    """The case goes before the procuratorate, which must decide within the mechanism's period."""
    c.case.filing.supervision_proposed_at = c.now
    c.move(Stage.SUPERVISION)
    c.emit(Event.SUPERVISION_PROPOSED)


@dataclass(kw_only=True)
class Supervised(Payload):
    order_filing: bool  # True: the police are told to file
    reasons: Reasons


@step(
    "supervise_filing",
    "立案监督决定",
    "Decide on filing supervision",
    source="N2017 Art. 12, 15; O310 Art. 9 ¶3: the police accept the procuratorate's supervision",
    stages={Stage.NOT_FILED, Stage.SUPERVISION},
    movers={Party.PROCURATORATE: PROCURATOR},
    branch=Branch.PROCURATORATE_SUPERVISION,
    example={"order_filing": True, "reasons": "应当立案"},
)
def supervise_filing(c: Change, p: Supervised) -> None:
    """Ordered filed, the case returns to the police's filing decision, which may not decline."""
    c.note(order_filing=str(p.order_filing).lower())
    c.emit(Event.SUPERVISION_DECIDED)
    if p.order_filing:
        c.case.filing.filing_ordered = True
        c.move(Stage.FILING_DECISION)
        c.emit(Event.FILING_ORDERED)
    else:
        c.move(Stage.NOT_FILED)


def _none_pending(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if open_clock(state, "referral_recommendation") is not None:
        return Refusal(Reason.ALREADY_PENDING, "a recommendation to refer is pending")
    return None


@step(
    "recommend_referral",
    "建议移送",
    "Recommend a referral",
    source="N2017 Art. 14: the agency refers within 3 days of receiving the recommendation",
    stages={Stage.EVIDENCE, Stage.ADMIN_PENALTY},
    movers={Party.PROCURATORATE: PROCURATOR},
    guard=_none_pending,
    branch=Branch.PROCURATORATE_SUPERVISION,
    example={"reasons": "涉嫌污染环境罪,建议移送"},
)
def recommend_referral(c: Change, p: Reasoned) -> None:
    """A case handled administratively comes back to evidence fixing, to be referred."""
    if c.case.stage is Stage.ADMIN_PENALTY:
        c.move(Stage.EVIDENCE)
    c.emit(Event.REFERRAL_RECOMMENDED)
