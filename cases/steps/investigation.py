"""After filing: the handover of items, joint consultation, and the police's feedback (O310 Art. 12;
N2017 Art. 10, 29; D1-op §二(一); D1-rules §四)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import Conclusion, Lines
from cases.model import CaseState
from cases.payloads import Payload, Reasoned
from cases.steps.base import OFFICER, OFFICER_OR_APPROVER, OVERSIGHT, step
from cases.vocabulary import OPEN_STAGES, Branch, Event, FeedbackOutcome, Party, Stage


@dataclass(kw_only=True)
class HandOver(Payload):
    items: Lines


@step(
    "hand_over",
    "移交涉案物品及材料",
    "Hand over items and materials",
    source="O310 Art. 12; N2017 Art. 10: within 3 days of receiving the filing notice",
    stages={Stage.HANDOVER},
    movers={Party.REFERRING: OFFICER},
    example={"items": ["水样3份", "暗管照片"]},
)
def hand_over(c: Change, p: HandOver) -> None:
    """The items and materials pass to the police; the investigation is theirs."""
    c.note(items=", ".join(p.items))
    c.move(Stage.INVESTIGATION)
    c.emit(Event.HANDED_OVER)


def _major_and_none_open(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.consultation_open:
        return Refusal(Reason.ALREADY_PENDING, "a consultation is already open")
    facts = state.facts
    if not (facts.major_or_difficult or facts.high_profile or state.triage.key_case):
        return Refusal(
            Reason.NOT_MAJOR_CASE,
            "joint consultation is for major, complex or high-profile cases (D1-op §二(一)); "
            "mark the facts if this case is one",
        )
    return None


@step(
    "convene_consultation",
    "召集案件会商",
    "Convene a joint consultation",
    source="D1-op §二(一); N2017 Art. 29: major, complex or difficult cases",
    stages={Stage.FILING_DECISION, Stage.HANDOVER, Stage.INVESTIGATION},
    movers={
        Party.REFERRING: OFFICER_OR_APPROVER,
        Party.RECEIVING: OFFICER_OR_APPROVER,
        **OVERSIGHT,
    },
    guard=_major_and_none_open,
    branch=Branch.JOINT_CONSULTATION,
    example={"reasons": "邀请检察院、法院会商"},
)
def convene_consultation(c: Change, p: Reasoned) -> None:
    """The joint office convenes the agencies, the procuratorate and the court."""
    c.case.consultation_open = True
    c.emit(Event.CONSULTATION_CONVENED)


@dataclass(kw_only=True)
class Conclusions(Payload):
    conclusion: Conclusion


def _one_open(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if not state.consultation_open:
        return Refusal(Reason.NOTHING_PENDING, "no consultation is open")
    return None


@step(
    "conclude_consultation",
    "形成会商意见",
    "Record the consultation's conclusions",
    source="D1-op §二(一); N2017 Art. 29",
    stages=OPEN_STAGES,
    movers=OVERSIGHT,
    guard=_one_open,
    branch=Branch.JOINT_CONSULTATION,
    example={"conclusion": "按污染环境罪侦查"},
)
def conclude_consultation(c: Change, p: Conclusions) -> None:
    """The conclusions go on the record and the consultation closes."""
    c.case.consultation_open = False
    c.note(conclusion=p.conclusion)
    c.emit(Event.CONSULTATION_CONCLUDED)


@dataclass(kw_only=True)
class Feedback(Payload):
    outcome: FeedbackOutcome


@step(
    "feed_back",
    "反馈处理结果",
    "Feed the result back",
    source="D1-rules §四; D5 §三.3: the police feed the result back to the referring agency",
    stages={Stage.INVESTIGATION},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    example={"outcome": "prosecution"},
)
def feed_back(c: Change, p: Feedback) -> None:
    """The police's result closes their part; the agency archives the dossier."""
    c.case.feedback = p.outcome
    c.note(outcome=p.outcome.value)
    c.move(Stage.ARCHIVING)
    c.emit(Event.FED_BACK)
