"""Oversight at any stage: listing a case for supervision and giving instructions (D5 §二; D7 §三;
N2017 Art. 31)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.effects import NoticeKind, notice
from cases.limits import ClockKey, Instruction
from cases.model import Actor, CaseState, ClockState
from cases.parties import holders
from cases.payloads import Payload, Reasoned
from cases.phrases import Both
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
    who = c.ctx.registry.named(c.by.agency)
    c.tell(
        notice(
            NoticeKind.INSTRUCTION,
            owners or [s.owner_agency],
            Both(f"{who.zh}督办：{p.note}", f"{c.by.agency}: {p.note}"),
        )
    )


def unanswered(state: CaseState, agencies: list[str]) -> list[ClockState]:
    """The open clocks whose escalation reached one of ``agencies`` that has not acknowledged it."""
    return [
        c
        for c in state.open_clocks()
        if any(a in c.escalated_to and a not in (c.acknowledged or {}) for a in agencies)
    ]


def _escalation_reached_you(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if not unanswered(state, holders(state, party, ctx.registry)):
        return Refusal(Reason.NOTHING_PENDING, "no escalation of this case awaits your agency")
    return None


def _that_clock_reached_you(
    state: CaseState, actor: Actor, p: Acknowledge, ctx: Context
) -> list[str]:
    if any(c.key == p.clock for c in unanswered(state, [actor.agency])):
        return []
    waiting = ", ".join(c.key for c in unanswered(state, [actor.agency])) or "none"
    return [f"clock '{p.clock}' has no escalation awaiting {actor.agency} (awaiting: {waiting})"]


def _escalated(state: CaseState, ctx: Context) -> dict[str, list[str]]:
    return {"clock": [c.key for c in state.open_clocks() if c.escalated_to]}


@dataclass(kw_only=True)
class Acknowledge(Payload):
    clock: ClockKey
    note: Instruction = field()  # what the agency does about it: required


@step(
    "acknowledge_escalation",
    "签收督办",
    "Acknowledge an escalation",
    source="D5 §二; N2017 Art. 31: the joint office and the leadership group take up what escalates "
    "to them (an overdue move is reported to them, O310 Art. 16)",
    stages=OPEN_STAGES,
    movers={**OVERSIGHT, Party.PROCURATORATE: PROCURATOR},
    guard=_escalation_reached_you,
    check=_that_clock_reached_you,
    choices=_escalated,
    example={"clock": "filing_decision", "note": "已电话督促派出所今日内作出决定"},
)
def acknowledge_escalation(c: Change, p: Acknowledge) -> None:
    """The agency an escalation reached says it took it up, and what it does: the inbox keeps it,
    and the escalation's ladder runs on (only the clock's owner stops it, by moving)."""
    clock = next(k for k in c.case.open_clocks() if k.key == p.clock)
    clock.acknowledged = {**(clock.acknowledged or {}), c.by.agency: c.now}
    c.note(clock=clock.key)
