"""Jurisdiction: a case found outside the agency's competence goes to the competent agency, which
accepts it or disputes it before the county government (D6 §一(三); 首问责任制, D6 §二(二)); a dispute
between agencies of two regions goes to the government of their common superior (D3 §3.2 区域联动;
D8 §一(三), §三(二))."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.effects import NoticeKind, notice
from cases.limits import AgencyCode, Reasons
from cases.model import Actor, CaseState, TransferState
from cases.parties import dispute_region, holders
from cases.payloads import Payload, Reasoned
from cases.phrases import Both
from cases.steps.base import OFFICER, OFFICER_OR_APPROVER, step
from cases.steps.conditions import PRE_REFERRAL, open_clock, transfer_pending
from cases.vocabulary import Branch, Event, Party

SOURCE = "D6 §一(三): 不属于本部门管辖的, 移送有管辖权的部门; 协商未果的, 提请县政府决定"
# Between regions the county government of one side is no judge: their common superior decides.
DECIDING_SOURCE = (
    f"{SOURCE}; between regions, their common superior's government (D3 §3.2 区域联动: 不管案发何处, "
    "通过平台信息传递, 区域联动机制运作, 必须一查到底; D8 §一(三): 在处理跨界污染时, 往往是各说各的理, "
    "各拿各的证据, 很难处理到位)"
)


@dataclass(kw_only=True)
class NotCompetent(Payload):
    reasons: Reasons
    agency: AgencyCode | None = None  # the agency the officer believes competent, if known


def _not_yet_found(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if blocked := transfer_pending(state):
        return blocked
    if open_clock(state, "jurisdiction_transfer") is not None:
        return Refusal(Reason.ALREADY_DONE, "already found outside jurisdiction; transfer it")
    return None


@step(
    "find_not_competent",
    "认定非本部门管辖",
    "Find the case outside our jurisdiction",
    source=SOURCE,
    stages=PRE_REFERRAL,
    movers={Party.REFERRING: OFFICER},
    guard=_not_yet_found,
    branch=Branch.JURISDICTION_TRANSFER,
    example={"reasons": "排污口位于东邻县", "agency": "EPB-EAST"},
)
def find_not_competent(c: Change, p: NotCompetent) -> None:
    """The owner must hand the case on within the mechanism's transfer period."""
    c.note(competent=p.agency)
    c.emit(Event.NOT_COMPETENT_FOUND)


@dataclass(kw_only=True)
class ToAgency(Payload):
    agency: AgencyCode
    reasons: Reasons


def _an_enforcement_agency(state: CaseState, actor: Actor, p: ToAgency, ctx: Context) -> list[str]:
    agency = ctx.registry.find(p.agency)
    if agency is None:
        return [f"agency '{p.agency}' is not in the registry"]
    if not agency.kind.enforces:
        return [f"agency '{p.agency}' is not an administrative enforcement agency"]
    return []


def _another_enforcement_agency(
    state: CaseState, actor: Actor, p: ToAgency, ctx: Context
) -> list[str]:
    problems = _an_enforcement_agency(state, actor, p, ctx)
    if p.agency == state.owner_agency:
        problems.append("a case cannot be transferred to the agency that owns it")
    return problems


def _enforcement_agencies(state: CaseState, ctx: Context) -> dict[str, list[str]]:
    return {"agency": [a.code for a in ctx.registry if a.kind.enforces]}


@step(
    "transfer_jurisdiction",
    "移送有管辖权部门",
    "Transfer to the competent agency",
    source=SOURCE,
    stages=PRE_REFERRAL,
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=lambda state, party, ctx: transfer_pending(state),
    check=_another_enforcement_agency,
    choices=_enforcement_agencies,
    branch=Branch.JURISDICTION_TRANSFER,
    example={"agency": "EPB-EAST", "reasons": "属地管辖"},
)
def transfer_jurisdiction(c: Change, p: ToAgency) -> None:
    """The target is told and must accept or dispute within the mechanism's period."""
    s = c.case
    s.transfer = TransferState(p.agency, c.now, p.reasons)
    c.note(target=p.agency)
    c.emit(Event.TRANSFER_SENT)
    owner = c.ctx.registry.named(s.owner_agency)
    c.tell(
        notice(
            NoticeKind.TRANSFER,
            [p.agency],
            Both(
                f"{owner.zh}将案件{s.case_id}移送贵单位：{p.reasons}",
                f"{s.owner_agency} transfers case {s.case_id} to you: {p.reasons}",
            ),
        )
    )


def _not_disputed(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.transfer is not None and state.transfer.disputed_at is not None:
        deciding = ", ".join(holders(state, Party.COUNTY_GOVERNMENT, ctx.registry)) or "none"
        return Refusal(
            Reason.ALREADY_PENDING,
            f"the dispute is before the people's government ({deciding}), which decides",
        )
    return None


@step(
    "accept_transfer",
    "接收移送",
    "Accept the transfer",
    source=SOURCE,
    stages=PRE_REFERRAL,
    movers={Party.TRANSFER_TARGET: OFFICER_OR_APPROVER},
    guard=_not_disputed,
    branch=Branch.JURISDICTION_TRANSFER,
)
def accept_transfer(c: Change, p: Payload) -> None:
    """The target becomes the owner (首问责任 passes with the case)."""
    s = c.case
    assert s.transfer is not None
    c.note(previous_owner=s.owner_agency, owner=s.transfer.target)
    c.emit(Event.TRANSFER_ACCEPTED)
    c.hand_to(s.transfer.target)


def _not_yet_disputed(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.transfer is not None and state.transfer.disputed_at is not None:
        return Refusal(Reason.ALREADY_DONE, "the dispute is already raised")
    return None


@step(
    "dispute_jurisdiction",
    "提出管辖争议",
    "Dispute jurisdiction",
    source=SOURCE,
    stages=PRE_REFERRAL,
    movers={Party.TRANSFER_TARGET: OFFICER_OR_APPROVER},
    guard=_not_yet_disputed,
    branch=Branch.JURISDICTION_TRANSFER,
    example={"reasons": "系排污行为,属环保管辖"},
)
def dispute_jurisdiction(c: Change, p: Reasoned) -> None:
    """The county government decides a dispute between its departments; a dispute between agencies
    of two regions goes to the government of their common superior (the registry's hierarchy the
    case carries), which holds the decision's clock."""
    s = c.case
    assert s.transfer is not None
    s.transfer.disputed_at = c.now
    above = dispute_region(s, c.ctx.registry)
    if above != s.region:
        c.note(
            decided_in=above,
            decided_by=", ".join(holders(s, Party.COUNTY_GOVERNMENT, c.ctx.registry)),
        )
    c.emit(Event.JURISDICTION_DISPUTED)


def _dispute_pending(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.transfer is None or state.transfer.disputed_at is None:
        return Refusal(Reason.NOTHING_PENDING, "no jurisdiction dispute is pending")
    return None


@step(
    "decide_jurisdiction",
    "决定管辖",
    "Decide jurisdiction",
    source=DECIDING_SOURCE,
    stages=PRE_REFERRAL,
    movers={Party.COUNTY_GOVERNMENT: OFFICER_OR_APPROVER},
    guard=_dispute_pending,
    check=_an_enforcement_agency,
    choices=_enforcement_agencies,
    branch=Branch.JURISDICTION_TRANSFER,
    example={"agency": "EPB-DEMO", "reasons": "由环保部门管辖"},
)
def decide_jurisdiction(c: Change, p: ToAgency) -> None:
    """The agency the deciding government names owns the case from now on (the county's, or between
    regions the common superior's: ``cases.parties.dispute_region``)."""
    c.note(previous_owner=c.case.owner_agency, owner=p.agency)
    c.emit(Event.JURISDICTION_DECIDED)
    c.hand_to(p.agency)
