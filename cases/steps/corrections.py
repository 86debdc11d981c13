"""Corrections: an evidence item or the facts recorded by mistake are corrected, or an item is
withdrawn, by the agency that recorded it, with its reasons. Nothing is changed in place: a
correction is recorded beside what it corrects, and the timeline keeps both (D1-rules §六: what is
recorded is kept; N2017 Art. 34: every decision stays on the shared record)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import TypeAdapter

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import MAX_EVIDENCE, Location, OptionalTitle, Reasons, Sha256
from cases.model import Actor, CaseFacts, CaseState, EvidenceItem
from cases.parties import holders
from cases.payloads import Payload
from cases.steps.base import OFFICER, step
from cases.steps.conditions import PRE_REFERRAL
from cases.steps.discovery import take_facts
from cases.steps.evidence import POLICE_STAGES, whose_material
from cases.vocabulary import Party, Stage

ItemSeq = Annotated[int, Ge(1), Le(MAX_EVIDENCE)]
_FACTS: TypeAdapter[CaseFacts] = TypeAdapter(CaseFacts)
WHERE_MATERIAL_IS = (
    PRE_REFERRAL
    | POLICE_STAGES
    | {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING, Stage.ADMIN_PENALTY}
)


def _something_of_yours(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """Where the party may record material now and has an item standing that it recorded."""
    refused = whose_material(state, party, ctx)
    if refused is not None:
        return refused
    yours = set(holders(state, party, ctx.registry))
    if not any(i.recorded_by.agency in yours for i in state.current_evidence()):
        return Refusal(Reason.NOTHING_PENDING, "no item your agency recorded stands on this case")
    return None


def _current(state: CaseState, actor: Actor, seq: int) -> tuple[EvidenceItem | None, list[str]]:
    """The item as it stands, if the actor's agency recorded it; otherwise what is wrong."""
    item = next((i for i in state.current_evidence() if i.seq == seq), None)
    if item is None:
        return None, [
            f"'item': no item {seq} stands on this case (corrected or withdrawn already?)"
        ]
    if item.recorded_by.agency != actor.agency:
        return None, [
            f"'item': item {seq} was recorded by {item.recorded_by.agency}; only it corrects it"
        ]
    if len(state.evidence) >= MAX_EVIDENCE:
        return None, [f"the case holds {MAX_EVIDENCE} items, the most it may"]
    return item, []


@dataclass(kw_only=True)
class CorrectItem(Payload):
    item: ItemSeq
    reasons: Reasons
    title: OptionalTitle = ""
    sha256: Sha256 | None = None
    reference: Location | None = None


def _a_correction_of_its_own(
    state: CaseState, actor: Actor, p: CorrectItem, ctx: Context
) -> list[str]:
    item, problems = _current(state, actor, p.item)
    if item is None:
        return problems
    if not (p.title or p.sha256 or p.reference):
        return ["give what is corrected: 'title', 'sha256' or 'reference'"]
    return []


@step(
    "correct_evidence",
    "更正证据",
    "Correct an evidence item",
    source="D1-rules §六: evidence is kept as recorded; a mistake is corrected beside it, with reasons",
    stages=WHERE_MATERIAL_IS,
    movers={Party.REFERRING: OFFICER, Party.RECEIVING: OFFICER},
    guard=_something_of_yours,
    check=_a_correction_of_its_own,
    example={"item": 1, "reasons": "指纹抄录错误", "sha256": "7a1b" + "0" * 60},
)
def correct_evidence(c: Change, p: CorrectItem) -> None:
    """The corrected item replaces the old one in the package and the checklists; both stay."""
    old = next(i for i in c.case.current_evidence() if i.seq == p.item)
    new = c.add_item(
        old.kind,
        p.title or old.title,
        sha256=p.sha256 or old.sha256,
        reference=p.reference or old.reference,
        size=old.size,
        corrects=old.seq,
        reasons=p.reasons,
    )
    c.note(item=str(old.seq), corrected_by=str(new.seq))


@dataclass(kw_only=True)
class WithdrawItem(Payload):
    item: ItemSeq
    reasons: Reasons


def _its_own_item(state: CaseState, actor: Actor, p: WithdrawItem, ctx: Context) -> list[str]:
    return _current(state, actor, p.item)[1]


@step(
    "withdraw_evidence",
    "撤回证据",
    "Withdraw an evidence item",
    source="D1-rules §六: evidence is kept as recorded; an item recorded by mistake is withdrawn, with reasons",
    stages=WHERE_MATERIAL_IS,
    movers={Party.REFERRING: OFFICER, Party.RECEIVING: OFFICER},
    guard=_something_of_yours,
    check=_its_own_item,
    example={"item": 1, "reasons": "误登记了其他案件的材料"},
)
def withdraw_evidence(c: Change, p: WithdrawItem) -> None:
    """The item no longer counts for the package or the checklists; it stays on the record."""
    old = next(i for i in c.case.current_evidence() if i.seq == p.item)
    mark = c.add_item(old.kind, old.title, corrects=old.seq, withdrawn=True, reasons=p.reasons)
    c.note(item=str(old.seq), withdrawn_by=str(mark.seq))


@dataclass(kw_only=True)
class CorrectFacts(Payload):
    facts: CaseFacts
    reasons: Reasons


@step(
    "correct_facts",
    "更正案情",
    "Correct the facts",
    source="D1-rules §三(一): the agency records the facts; a mistake is corrected with reasons, "
    "the facts as first recorded kept on the timeline",
    stages=PRE_REFERRAL | {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING},
    movers={Party.REFERRING: OFFICER},
    example={
        "facts": {
            "violation_type": "evasive_discharge",
            "hazardous_into_water": True,
            "measurements": [{"pollutant": "总铬", "measured": 5.2, "standard": 1.5}],
        },
        "reasons": "监测数据录入错误,以监测报告为准",
    },
)
def correct_facts(c: Change, p: CorrectFacts) -> None:
    """The facts are triaged again; what they were stays on the timeline entry."""
    before = _FACTS.dump_python(c.case.facts, mode="json", exclude_defaults=True)
    c.note(facts_before=json.dumps(before, ensure_ascii=False))
    take_facts(c, p.facts)
