"""Assistance between regions (区域联动): the agency handling a case asks an agency of another region
to gather evidence, monitor or inspect jointly, and that agency answers within the mechanism's
supervision period (D3 §3.2; D8 §三(二)).

D3 §3.2: a violation is often found far from its source ("A辖区生产的假冒伪劣产品, 到B辖区的流通领域才被
查获"); "不管案发何处, 通过平台信息传递, 区域联动机制运作, 必须一查到底, 铲除案发源头". D8 §三(二): the
regions set up a coordination mechanism and administrative assistance between them ("必须依法建立行政协助
关系, 并保证行政协助的方便性、目的性、灵活性"). Neither sets a time for the answer: the clock is the
mechanism's supervision value, marked not statutory, and runs from the request's receipt by the
assisting agency's system, as a notice's periods do (DOMAIN.md, Clocks and escalation).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.agencies import AgencyKind
from cases.change import AskExpert, Change
from cases.context import Context
from cases.limits import AgencyCode, Conclusion, RequestId, Subject
from cases.model import Actor, CaseState, ExpertRequest
from cases.payloads import Payload
from cases.steps.base import OFFICER_OR_APPROVER, step
from cases.steps.conditions import (
    PRE_REFERRAL,
    open_request_of,
    open_requests_of,
    room_for_requests,
)
from cases.vocabulary import (
    OPEN_STAGES,
    AssistanceKind,
    Branch,
    Event,
    Party,
    RequestKind,
    Stage,
)

SOURCE = (
    "D3 §3.2 区域联动: 不管案发何处, 通过平台信息传递, 区域联动机制运作, 必须一查到底, 铲除案发源头; "
    "D8 §三(二): 建立三地环境行政协调工作机制, 必须依法建立行政协助关系 (no time given: the answer's "
    "period is the mechanism's supervision value)"
)
# The agencies that may be asked: those that investigate, monitor or inspect, not the bodies that
# oversee or judge.
ASSISTING_KINDS = frozenset(
    {
        AgencyKind.ENVIRONMENTAL_PROTECTION,
        AgencyKind.URBAN_MANAGEMENT,
        AgencyKind.ANIMAL_HEALTH,
        AgencyKind.TOWNSHIP,
        AgencyKind.COUNTY_DEPARTMENT,
        AgencyKind.POLICE,
        AgencyKind.MONITORING_STATION,
        AgencyKind.APPRAISAL_INSTITUTION,
    }
)


@dataclass(kw_only=True)
class AskAssistance(Payload):
    agency: AgencyCode  # an agency of another region (see ``_of_another_region``)
    assistance: AssistanceKind
    subject: Subject  # what the case needs of it


def _assisting(state: CaseState, ctx: Context) -> list[str]:
    """The agencies of the other regions that may be asked, in the registry's order."""
    return [a.code for a in ctx.registry if a.kind in ASSISTING_KINDS and a.region != state.region]


def _of_another_region(state: CaseState, actor: Actor, p: AskAssistance, ctx: Context) -> list[str]:
    agency = ctx.registry.find(p.agency)
    if agency is None:
        return [f"agency '{p.agency}' is not in the registry"]
    if agency.region == state.region:
        return [
            f"agency '{p.agency}' is of this case's own region: ask it in writing, or request a "
            "test; assistance is asked of another region (D3 §3.2)"
        ]
    if agency.kind not in ASSISTING_KINDS:
        return [f"agency '{p.agency}' is a {agency.kind}, which does not assist investigations"]
    return []


@step(
    "request_assistance",
    "请求外区域协助",
    "Ask another region for assistance",
    source=SOURCE,
    stages=PRE_REFERRAL | {Stage.ADMIN_PENALTY},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=room_for_requests,
    check=_of_another_region,
    choices=lambda state, ctx: {
        "agency": _assisting(state, ctx),
        "assistance": [k.value for k in AssistanceKind],
    },
    branch=Branch.REGIONAL_LINKAGE,
    example={
        "agency": "EPB-EAST",
        "assistance": "evidence",
        "subject": "核查东邻县某电镀厂的危险废物转移联单及运输车辆",
    },
)
def request_assistance(c: Change, p: AskAssistance) -> None:
    """The request goes to the agency's system; its answer's period runs, per request, from that
    system's receipt (a request it never got starts nothing of its own)."""
    s = c.case
    request_id = f"{RequestKind.ASSISTANCE.value}-{len(s.requests) + 1}"
    s.requests.append(
        ExpertRequest(
            request_id,
            RequestKind.ASSISTANCE,
            p.agency,
            c.now,
            c.by,
            p.subject,
            assistance=p.assistance,
        )
    )
    c.note(
        request_id=request_id,
        agency=p.agency,
        region=c.ctx.registry.get(p.agency).region,
        assistance=p.assistance.value,
        subject=p.subject,
    )
    c.refs["request_id"] = request_id
    c.emit(Event.ASSISTANCE_REQUESTED, request_id)
    c.effects.append(AskExpert(request_id))


@dataclass(kw_only=True)
class Assisted(Payload):
    request_id: RequestId
    conclusion: Conclusion  # what was found or done; material goes on the case as evidence


@step(
    "answer_assistance",
    "答复协助请求",
    "Answer a request for assistance",
    source=SOURCE,
    stages=OPEN_STAGES,
    movers={Party.ASSISTING: OFFICER_OR_APPROVER},
    check=open_request_of(RequestKind.ASSISTANCE),
    choices=open_requests_of(RequestKind.ASSISTANCE),
    branch=Branch.REGIONAL_LINKAGE,
    example={"request_id": "assistance-1", "conclusion": "经核查,该批危险废物由东邻县某化工厂转出"},
)
def answer_assistance(c: Change, p: Assisted) -> None:
    """The answer goes on the record and closes the request and its clock."""
    request = next(r for r in c.case.requests if r.request_id == p.request_id)
    request.answered_at = c.now
    request.conclusion = p.conclusion
    kind = request.assistance.value if request.assistance else None
    c.note(request_id=p.request_id, assistance=kind, conclusion=p.conclusion)
    c.emit(Event.ASSISTANCE_ANSWERED, p.request_id)
