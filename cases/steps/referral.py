"""Referral: the team reports, the head decides within 3 days, an approved case reaches the police
within 24 hours with its package (O310 Art. 5, 6; N2017 Art. 5, 6; D1-rules §五). On the detention
track the same steps carry P2014: the penalty decided first (Art. 2), the head's approval (Art. 10), the
Art. 11 package, sent within 3 working days of the decision to transfer (Art. 12, 19)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field

from cases.agencies import AgencyKind
from cases.change import Change, Deliver, MakePaper, letter_key
from cases.context import Context, Reason, Refusal
from cases.limits import KEPT_REFUSALS, MAX_TEAM, AgencyCode, Title
from cases.model import Actor, CaseState
from cases.papers.model import PaperKind
from cases.payloads import Payload, Reasoned
from cases.steps.base import APPROVER, OFFICER, OFFICER_OR_APPROVER, step
from cases.steps.conditions import package_incomplete, penalty_first, transfer_pending
from cases.vocabulary import Branch, Event, Party, Stage, Track


def _ready_to_report(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """A referral is reported for a case classified as referable, with its package complete."""
    if state.classification is None:
        return Refusal(
            Reason.CLASSIFICATION_REQUIRED,
            f"confirm the classification first (triage suggests '{state.triage.suggested}')",
        )
    if not state.classification.referable:
        return Refusal(
            Reason.NOT_REFERABLE,
            "the case is classified as administrative only; reclassify it to refer it",
        )
    return transfer_pending(state) or penalty_first(state, ctx) or package_incomplete(state, ctx)


@dataclass(kw_only=True)
class Report(Payload):
    # The team that verified the facts and writes the report (专案组, O310 Art. 5 ¶1).
    officers: Annotated[list[Title], Field(max_length=MAX_TEAM)] = field(default_factory=list)


def _a_team(state: CaseState, actor: Actor, p: Report, ctx: Context) -> list[str]:
    rules = ctx.profile.rules_for(state.classification)
    team = rules.referral_team
    if len(set(p.officers)) >= team:
        return []
    why = "O310 Art. 5 ¶1" if rules.track is Track.CRIMINAL else rules.source
    return [
        f"officers: the report is made by a team of at least {team} "
        f"officer{'s' if team != 1 else ''} ({why}); "
        f"name them ({len(set(p.officers))} named)"
    ]


@step(
    "request_approval",
    "提请移送审批",
    "Ask the head to approve the referral",
    source="O310 Art. 5 ¶1: a team of two or more officers reports in writing to the head; "
    "P2014 Art. 10: the transfer approval form (移送审批单) goes to the head",
    stages={Stage.EVIDENCE},
    movers={Party.REFERRING: OFFICER},
    guard=_ready_to_report,
    check=_a_team,
    example={"officers": ["王执法", "张执法"]},
)
def request_approval(c: Change, p: Report) -> None:
    """The head's 3 days run from receiving the report."""
    c.case.referral.requested_at = c.now
    c.case.referral.officers = list(dict.fromkeys(p.officers))
    c.note(officers=", ".join(p.officers))
    c.move(Stage.REFERRAL_APPROVAL)
    c.emit(Event.REFERRAL_REQUESTED)


@step(
    "approve_referral",
    "批准移送",
    "Approve the referral",
    source="O310 Art. 5 ¶2: the head decides within 3 days; approved, sent within 24 hours; "
    "P2014 Art. 10, 12: approved by the head, sent within 3 working days",
    stages={Stage.REFERRAL_APPROVAL},
    movers={Party.REFERRING: APPROVER},
    guard=lambda state, party, ctx: package_incomplete(state, ctx),
)
def approve_referral(c: Change, p: Payload) -> None:
    """Approved: the 24 hours to reach the police start."""
    referral = c.case.referral
    referral.approved_at = c.now
    referral.approved_by = c.by
    c.move(Stage.REFERRAL_SENDING)
    c.emit(Event.REFERRAL_APPROVED)


@step(
    "refuse_referral",
    "不批准移送",
    "Refuse the referral",
    source="O310 Art. 5 ¶2: the reasons of a refusal are recorded; N2017 Art. 5",
    stages={Stage.REFERRAL_APPROVAL},
    movers={Party.REFERRING: APPROVER},
    example={"reasons": "证据不足以证明涉嫌犯罪"},
    final=True,
)
def refuse_referral(c: Change, p: Reasoned) -> None:
    """Refused: the reasons are on the record and the case goes back to evidence fixing."""
    referral = c.case.referral
    referral.refusals = [*referral.refusals, p.reasons][-KEPT_REFUSALS:]
    referral.requested_at = None
    c.move(Stage.EVIDENCE)
    c.emit(Event.REFERRAL_REFUSED)


@step(
    "withdraw_referral",
    "撤回移送",
    "Withdraw the referral",
    source="the mechanism's withdrawal branch: a referral not yet sent may be taken back",
    stages={Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    branch=Branch.WITHDRAWAL,
    example={"reasons": "发现新的证据需要补充"},
    final=True,
)
def withdraw_referral(c: Change, p: Reasoned) -> None:
    """Taken back before sending: approval and sending clocks stop, evidence fixing resumes."""
    referral = c.case.referral
    referral.withdrawn_at = c.now
    referral.requested_at = None
    referral.approved_at = None
    referral.approved_by = None
    c.move(Stage.EVIDENCE)
    c.emit(Event.REFERRAL_WITHDRAWN)


@dataclass(kw_only=True)
class Send(Payload):
    agency: AgencyCode | None = (
        None  # another police agency than the region's, if it has jurisdiction
    )


def _a_police_agency(state: CaseState, actor: Actor, p: Send, ctx: Context) -> list[str]:
    if p.agency is None:
        return []
    agency = ctx.registry.find(p.agency)
    if agency is None:
        return [f"agency '{p.agency}' is not in the registry"]
    if agency.kind is not AgencyKind.POLICE:
        return [f"agency '{p.agency}' is a {agency.kind}, not a {AgencyKind.POLICE}"]
    return []


def _police_agencies(state: CaseState, ctx: Context) -> dict[str, list[str]]:
    return {"agency": [a.code for a in ctx.registry if a.kind is AgencyKind.POLICE]}


def _send(c: Change, p: Send) -> None:
    """The package goes with its letter (O310 Art. 6(一); N2017 Art. 6(一): 案件移送书, its
    materials list attached), made of the case as it is sent."""
    s = c.case
    if p.agency:
        s.police_agency = p.agency
    s.referral.sent_at = c.now
    s.referral.attempts += 1
    s.referral.delivery_error = None
    c.note(police_agency=s.police_agency, attempt=str(s.referral.attempts))
    c.move(Stage.ACCEPTANCE)
    # The letter first: it is made of the package as it goes, and the delivery names it.
    c.effects.append(MakePaper(PaperKind.REFERRAL_LETTER, letter_key(s.referral.attempts), by=c.by))
    c.effects.append(Deliver(s.referral.attempts))


@step(
    "send_referral",
    "书面移送公安",
    "Send the referral",
    source="O310 Art. 5 ¶2, Art. 6; N2017 Art. 6: the package, within 24 hours of approval; "
    "P2014 Art. 11, 12: the package, within 3 working days of the decision to transfer",
    stages={Stage.REFERRAL_SENDING},
    movers={Party.REFERRING: OFFICER},
    check=_a_police_agency,
    choices=_police_agencies,
)
def send_referral(c: Change, p: Send) -> None:
    """The package goes to the police system; its receipt, not the sending, stops the clock."""
    _send(c, p)
    c.emit(Event.REFERRAL_SENT)


def _delivery_failed(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.referral.delivery_error is None:
        return Refusal(
            Reason.NOTHING_PENDING, "the last delivery did not fail; there is nothing to resend"
        )
    return None


@step(
    "resend_referral",
    "重新送达",
    "Resend the referral",
    source="O310 Art. 5 ¶2: the case must still reach the police",
    stages={Stage.ACCEPTANCE},
    movers={Party.REFERRING: OFFICER},
    guard=_delivery_failed,
    check=_a_police_agency,
    choices=_police_agencies,
    example={"note": "已补签移送书"},
)
def resend_referral(c: Change, p: Send) -> None:
    """A delivery the police system refused goes again, as a new attempt with its own key."""
    _send(c, p)
