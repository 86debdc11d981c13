"""Linking a case to a case of another region (区域联动, D3 §3.2): where the violation comes from or
went, so that each region traces it to its source ("不管案发何处, 通过平台信息传递, 区域联动机制运作,
必须一查到底, 铲除案发源头"; D8 §一(三): 跨界污染 is "各说各的理, 各拿各的证据" until the regions work on it
together).

A link names the other case by its id and region, nothing more: the read model shows it on both
cases' pages, and each region sees the other case's details only where it may see that case.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.effects import NoticeKind, notice
from cases.limits import MAX_LINKS, CaseId, LinkNote
from cases.model import Actor, CaseLink, CaseState
from cases.parties import REGIONAL
from cases.payloads import Payload
from cases.phrases import Both
from cases.steps.base import OFFICER_OR_APPROVER, OVERSIGHT, step
from cases.vocabulary import (
    OPEN_STAGES,
    RELATION_LABELS,
    Branch,
    Event,
    LinkRelation,
    Party,
)

SOURCE = (
    "D3 §3.2 区域联动: 许多违法行为的违法事实并不是在案发源头就地被发现…不管案发何处, 通过平台信息传递, "
    "区域联动机制运作, 必须一查到底, 铲除案发源头"
)


@dataclass(kw_only=True)
class LinkCase(Payload):
    case_id: CaseId  # the other region's case
    relation: LinkRelation  # what that case is to this one: its source, downstream, or related
    note: LinkNote = ""  # why, kept with the link (shorter than a step's note: the case keeps it)


def region_of_case(case_id: str, ctx: Context) -> str | None:
    """The region a case id places a case in: its discovering agency's, in the registry the case
    carries (a case id joins that agency's code and the intake's own id, ``cases.ids``)."""
    agency = ctx.registry.find(case_id.partition(".")[0])
    return agency.region if agency is not None else None


def _room_for_links(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if len(state.links) >= MAX_LINKS:
        return Refusal(
            Reason.LIMIT_REACHED, f"the case is linked to {MAX_LINKS} cases, the most it may"
        )
    return None


def _a_case_of_another_region(
    state: CaseState, actor: Actor, p: LinkCase, ctx: Context
) -> list[str]:
    if p.case_id == state.case_id:
        return ["case_id: a case is not linked to itself"]
    if any(link.case_id == p.case_id for link in state.links):
        return [f"case_id: this case is already linked to {p.case_id}"]
    region = region_of_case(p.case_id, ctx)
    if region is None:
        return [f"case_id: '{p.case_id}' is not the id of a case of an agency in the registry"]
    if region == state.region:
        return [
            f"case_id: {p.case_id} is a case of this case's own region ({region}); link a case "
            "of another region (D3 §3.2 区域联动)"
        ]
    return []


@step(
    "link_case",
    "关联外区域案件",
    "Link a case of another region",
    source=SOURCE,
    stages=OPEN_STAGES,
    movers={
        Party.REFERRING: OFFICER_OR_APPROVER,
        Party.JOINT_OFFICE: OVERSIGHT[Party.JOINT_OFFICE],
    },
    guard=_room_for_links,
    check=_a_case_of_another_region,
    choices=lambda state, ctx: {"relation": [r.value for r in LinkRelation]},
    branch=Branch.REGIONAL_LINKAGE,
    example={
        "case_id": "EPB-EAST.2026-1120-0007",
        "relation": "source",
        "note": "涉案危险废物来自东邻县某化工厂,追溯源头",
    },
)
def link_case(c: Change, p: LinkCase) -> None:
    """The link is kept on the case (and in the read model, where the other case's page reads it
    too); the other region's joint office is told, by the two case ids only."""
    s = c.case
    region = region_of_case(p.case_id, c.ctx)
    assert region is not None
    s.links.append(CaseLink(p.case_id, region, p.relation, c.now, c.by, p.note))
    c.note(linked_case=p.case_id, region=region, relation=p.relation.value)
    c.emit(Event.CASE_LINKED)
    offices = [a.code for a in c.ctx.registry.in_region(REGIONAL[Party.JOINT_OFFICE], region)]
    if not offices:
        return
    here = c.ctx.registry.region_named(s.region)
    zh, en = RELATION_LABELS[p.relation]
    c.tell(
        notice(
            NoticeKind.CASE_LINKED,
            offices,
            Both(
                f"{here.zh}案件{s.case_id}已关联贵区域案件{p.case_id}（贵区域案件为其{zh}），请协同追查",
                f"case {s.case_id} of {here.en} is linked to your region's case {p.case_id} "
                f"(yours is its {en}); trace it together",
            ),
        )
    )
