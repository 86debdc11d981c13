"""Oversight at any stage: listing a case for supervision and giving instructions (D5 §二; D7 §三;
N2017 Art. 31)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.effects import Notice, NoticeKind
from cases.limits import Instruction
from cases.model import CaseState
from cases.payloads import Payload, Reasoned
from cases.steps.base import OVERSIGHT, PROCURATOR, step
from cases.vocabulary import OPEN_STAGES, Event, Party


def _not_yet_listed(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.supervised:
        return Refusal(Reason.ALREADY_DONE, "the case is already listed")
    return None


@step(
    "supervise_case",
    "挂牌督办",
    "List for supervision",
    source="D7 §三; N2017 Art. 31: major cases are jointly supervised until closed",
    stages=OPEN_STAGES,
    movers=OVERSIGHT,
    guard=_not_yet_listed,
    example={"reasons": "重大案件,挂牌督办"},
)
def supervise_case(c: Change, p: Reasoned) -> None:
    """A listed case is tracked by the joint office and the leadership group until it closes."""
    c.case.supervised = True
    c.emit(Event.SUPERVISED_LISTED)


@dataclass(kw_only=True)
class Direction(Payload):
    note: Instruction = field()  # required here (the base's note is optional)


@step(
    "direct",
    "督办指示",
    "Give an instruction",
    source="D5 §二: the joint office and the leadership group direct major cases",
    stages=OPEN_STAGES,
    movers={**OVERSIGHT, Party.PROCURATORATE: PROCURATOR},
    example={"note": "请派出所今日内受理"},
)
def direct(c: Change, p: Direction) -> None:
    """The instruction goes to whoever holds an open clock (or the owner)."""
    s = c.case
    c.emit(Event.DIRECTED)
    owners = sorted({k.owner_agency for k in s.open_clocks() if k.owner_agency})
    c.tell(Notice(NoticeKind.INSTRUCTION, owners or [s.owner_agency], f"{c.by.agency}: {p.note}"))
