"""Evidence fixing: items recorded with their fingerprints, tests and appraisals asked of other
institutions and answered by them (D1-rules §三(一), §六; O310 Art. 4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from annotated_types import Len
from pydantic import ConfigDict

from cases.agencies import AgencyKind
from cases.change import AskExpert, Change
from cases.checklists import KindKey
from cases.context import Context, Reason, Refusal
from cases.limits import (
    MAX_EVIDENCE,
    MAX_EVIDENCE_PER_ACTION,
    MAX_MEASUREMENTS,
    AgencyCode,
    Conclusion,
    Location,
    OptionalTitle,
    RequestId,
    Sha256,
    Size,
    Subject,
    Title,
)
from cases.model import Actor, CaseState, ExpertRequest, Measurement
from cases.payloads import Payload
from cases.steps.base import OFFICER, BodyCheck, Choices, step
from cases.steps.conditions import (
    PRE_REFERRAL,
    open_request_of,
    open_requests_of,
    room_for_requests,
)
from cases.triage import triage
from cases.vocabulary import OPEN_STAGES, Branch, Event, Party, RequestKind, Stage


@dataclass(kw_only=True)
class NewItem:
    """One item: what it is, and either the fingerprint of its content or where it is kept."""

    # OpenAPI states the rule of ``__post_init__``: a fingerprint or a reference, or both.
    __pydantic_config__ = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["sha256"], "properties": {"sha256": {"type": "string"}}},
                {"required": ["reference"], "properties": {"reference": {"type": "string"}}},
            ]
        },
    )

    kind: KindKey
    title: Title
    sha256: Sha256 | None = None
    reference: Location | None = None
    size: Size | None = None

    def __post_init__(self) -> None:
        if self.sha256 is None and self.reference is None:
            raise ValueError(
                "an evidence item needs a file fingerprint ('sha256') or a 'reference'"
            )


@dataclass(kw_only=True)
class RecordEvidence(Payload):
    items: Annotated[list[NewItem], Len(1, MAX_EVIDENCE_PER_ACTION)]


POLICE_STAGES = frozenset(
    {
        Stage.ACCEPTANCE,
        Stage.FILING_DECISION,
        Stage.HANDOVER,
        Stage.INVESTIGATION,
        Stage.DETENTION_REVIEW,  # P2014 Art. 13: the police may gather evidence themselves
    }
)


def whose_material(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """Material goes on the case of whoever holds it: the agency until the package is sent (and
    when the police ask for supplements), the police while the case is with them."""
    if len(state.evidence) >= MAX_EVIDENCE:
        return Refusal(
            Reason.LIMIT_REACHED,
            f"the case holds {MAX_EVIDENCE} items, the most it may; bundle further material "
            "into one item (a list with its own fingerprint)",
        )
    if party is Party.RECEIVING and state.stage not in POLICE_STAGES:
        return Refusal(
            Reason.NOT_YOUR_MOVE, "the police record evidence once the case is with them"
        )
    if party is Party.REFERRING:
        if state.stage is Stage.INVESTIGATION:
            return Refusal(Reason.NOT_YOUR_MOVE, "during investigation the police record evidence")
        if (
            state.stage in (Stage.ACCEPTANCE, Stage.FILING_DECISION, Stage.DETENTION_REVIEW)
            and not state.pending_supplements
        ):
            return Refusal(
                Reason.NOT_YOUR_MOVE,
                "the package is with the police; add material when they ask for supplements",
            )
    return None


def _room_for(state: CaseState, actor: Actor, p: RecordEvidence, ctx: Context) -> list[str]:
    room = MAX_EVIDENCE - len(state.evidence)
    if len(p.items) > room:
        return [f"'items': the case has room for {room} more item(s) of its {MAX_EVIDENCE}"]
    return []


@step(
    "record_evidence",
    "登记证据",
    "Record evidence",
    source="D1-rules §六 (what to keep); O310 Art. 4 (keep the evidence)",
    stages=PRE_REFERRAL
    | POLICE_STAGES
    | {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING, Stage.ADMIN_PENALTY},
    movers={Party.REFERRING: OFFICER, Party.RECEIVING: OFFICER},
    guard=whose_material,
    check=_room_for,
    example={
        "items": [
            {
                "kind": "monitoring_report",
                "title": "2026-11-20 总排口监测报告",
                "reference": "https://files.example/report.pdf",
                "sha256": "9f2c" + "0" * 60,
            }
        ]
    },
)
def record_evidence(c: Change, p: RecordEvidence) -> None:
    """Each item is kept with its fingerprint; the checklists count it by its kind."""
    first = len(c.case.evidence) + 1
    for item in p.items:
        c.add_item(
            item.kind, item.title, sha256=item.sha256, reference=item.reference, size=item.size
        )
    c.note(kind=", ".join(dict.fromkeys(i.kind for i in p.items)))
    if len(p.items) == 1:
        c.note(title=p.items[0].title, sha256=p.items[0].sha256, reference=p.items[0].reference)
    else:
        c.note(title=f"{len(p.items)} items")
    c.refs["evidence_seq"] = str(first)
    c.refs["evidence_count"] = str(len(p.items))


# --------------------------------------------------------------------------------------------------
# Tests and appraisals by other institutions


@dataclass(kw_only=True)
class AskInstitution(Payload):
    agency: AgencyCode
    subject: Subject


INSTITUTION = {
    RequestKind.TEST: AgencyKind.MONITORING_STATION,
    RequestKind.APPRAISAL: AgencyKind.APPRAISAL_INSTITUTION,
}


def _institution_of(kind: RequestKind) -> BodyCheck:
    wanted = INSTITUTION[kind]

    def check(state: CaseState, actor: Actor, p: AskInstitution, ctx: Context) -> list[str]:
        agency = ctx.registry.find(p.agency)
        if agency is None:
            return [f"agency '{p.agency}' is not in the registry"]
        if agency.kind is not wanted:
            return [f"agency '{p.agency}' is a {agency.kind}, not a {wanted}"]
        return []

    return check


def _institutions_of(kind: RequestKind) -> Choices:
    def choices(state: CaseState, ctx: Context) -> dict[str, list[str]]:
        return {"agency": [a.code for a in ctx.registry if a.kind is INSTITUTION[kind]]}

    return choices


def _ask(c: Change, p: AskInstitution, kind: RequestKind, event: Event) -> None:
    s = c.case
    request_id = f"{kind.value}-{len(s.requests) + 1}"
    s.requests.append(ExpertRequest(request_id, kind, p.agency, c.now, c.by, p.subject))
    c.note(request_id=request_id, agency=p.agency, subject=p.subject)
    c.refs["request_id"] = request_id
    c.emit(event, request_id)
    c.effects.append(AskExpert(request_id))


@dataclass(kw_only=True)
class Answer(Payload):
    request_id: RequestId
    conclusion: Conclusion
    measurements: Annotated[list[Measurement], Len(0, MAX_MEASUREMENTS)] = field(
        default_factory=list
    )
    title: OptionalTitle = ""
    sha256: Sha256 | None = None
    reference: Location | None = None
    size: Size | None = None


def _answer(c: Change, p: Answer, kind: RequestKind, event: Event) -> None:
    """The institution's answer closes its request and goes on the case as an evidence item; its
    measurements join the facts, and triage runs again on them."""
    s = c.case
    request = next(r for r in s.requests if r.request_id == p.request_id)
    request.answered_at = c.now
    request.conclusion = p.conclusion
    item_kind = "monitoring_report" if kind is RequestKind.TEST else "appraisal_report"
    reference = p.reference or (None if p.sha256 else f"request:{request.request_id}")
    title = p.title or f"{request.subject}: {p.conclusion}"[:200]
    c.add_item(item_kind, title, sha256=p.sha256, reference=reference, size=p.size)
    if p.measurements:
        room = MAX_MEASUREMENTS - len(s.facts.measurements)
        s.facts.measurements = [*s.facts.measurements, *p.measurements[: max(room, 0)]]
        s.triage = triage(s.facts, c.ctx.profile.triage)
        c.note(suggested=s.triage.suggested.value)
    c.note(request_id=request.request_id, conclusion=p.conclusion)
    c.emit(event, request.request_id)


@step(
    "request_test",
    "委托监测",
    "Request a test",
    source="D1-rules §三(一)2: pollution source monitoring",
    stages=PRE_REFERRAL | {Stage.ADMIN_PENALTY},
    movers={Party.REFERRING: OFFICER},
    guard=room_for_requests,
    check=_institution_of(RequestKind.TEST),
    choices=_institutions_of(RequestKind.TEST),
    branch=Branch.EXPERT_REQUESTS,
    example={"agency": "MON-DEMO", "subject": "总排口总铬"},
)
def request_test(c: Change, p: AskInstitution) -> None:
    """A monitoring station is asked; its system gets the request, the station answers later."""
    _ask(c, p, RequestKind.TEST, Event.TEST_REQUESTED)


@step(
    "record_test_result",
    "出具监测结果",
    "Record a test result",
    source="D1-rules §三(一)2, §六(一)2: a monitoring report by a certified body",
    stages=OPEN_STAGES,
    movers={Party.MONITORING: OFFICER},
    check=open_request_of(RequestKind.TEST),
    choices=open_requests_of(RequestKind.TEST),
    branch=Branch.EXPERT_REQUESTS,
    example={
        "request_id": "test-1",
        "conclusion": "总铬超标",
        "measurements": [{"pollutant": "总铬", "measured": 6.2, "standard": 1.5}],
        "reference": "https://monitoring.example/reports/1",
    },
)
def record_test_result(c: Change, p: Answer) -> None:
    """The station's result answers its request."""
    _answer(c, p, RequestKind.TEST, Event.TEST_ANSWERED)


@step(
    "request_appraisal",
    "委托鉴定",
    "Request an appraisal",
    source="D1-rules §三(一)4: appraisal and test reports; O310 Art. 4",
    stages=PRE_REFERRAL | {Stage.ADMIN_PENALTY},
    movers={Party.REFERRING: OFFICER},
    guard=room_for_requests,
    check=_institution_of(RequestKind.APPRAISAL),
    choices=_institutions_of(RequestKind.APPRAISAL),
    branch=Branch.EXPERT_REQUESTS,
    example={"agency": "APR-DEMO", "subject": "环境损害鉴定评估"},
)
def request_appraisal(c: Change, p: AskInstitution) -> None:
    """An appraisal institution is asked; it answers later."""
    _ask(c, p, RequestKind.APPRAISAL, Event.APPRAISAL_REQUESTED)


@step(
    "record_appraisal",
    "出具鉴定意见",
    "Record an appraisal",
    source="D1-rules §三(一)4; O310 Art. 4: the report of a legal appraisal body",
    stages=OPEN_STAGES,
    movers={Party.APPRAISAL: OFFICER},
    check=open_request_of(RequestKind.APPRAISAL),
    choices=open_requests_of(RequestKind.APPRAISAL),
    branch=Branch.EXPERT_REQUESTS,
    example={"request_id": "appraisal-2", "conclusion": "环境损害成立", "sha256": "a" * 64},
)
def record_appraisal(c: Change, p: Answer) -> None:
    """The institution's appraisal answers its request."""
    _answer(c, p, RequestKind.APPRAISAL, Event.APPRAISAL_ANSWERED)
