"""Consulting each other: joint consultations on major cases at any stage, with the procuratorate and
the court invited, and written questions between the agencies, answered in writing within 7 days
(D1-op §二(一); N2017 Art. 24, 29)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.agencies import AgencyKind
from cases.change import AskExpert, Change
from cases.context import Context, Reason, Refusal
from cases.effects import NoticeKind, notice
from cases.limits import AgencyCode, Conclusion, RequestId, Subject
from cases.model import Actor, CaseState, ExpertRequest
from cases.parties import holders, role_fits
from cases.payloads import Payload, Reasoned
from cases.phrases import Both
from cases.steps.base import OFFICER_OR_APPROVER, OVERSIGHT, PROCURATOR, step
from cases.steps.conditions import open_request_of, open_requests_of, room_for_requests
from cases.vocabulary import OPEN_STAGES, Branch, Event, Party, RequestKind, Role


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
    source="D1-op §二(一); N2017 Art. 29: major, complex or difficult cases, at any stage, before "
    "referral too, with the procuratorate and the court invited",
    stages=OPEN_STAGES,
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
    """The joint office convenes the agencies and invites the procuratorate and the court."""
    s, registry = c.case, c.ctx.registry
    s.consultation_open = True
    invited = [
        a
        for a in (
            s.owner_agency,
            s.police_agency,
            s.procuratorate,
            registry.code_in_region(AgencyKind.COURT, s.region),
        )
        if a and a != c.by.agency
    ]
    c.emit(Event.CONSULTATION_CONVENED)
    if not c.ctx.profile.consultation_invites:
        return
    c.note(invited=", ".join(invited))
    who = c.ctx.registry.named(c.by.agency)
    c.tell(
        notice(
            NoticeKind.CONSULTATION,
            invited,
            Both(
                f"{who.zh}召集案件{s.case_id}的联合会商：{p.reasons}",
                f"{c.by.agency} convenes a joint consultation on case {s.case_id}: {p.reasons}",
            ),
        )
    )


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


# --------------------------------------------------------------------------------------------------
# Written questions (双向案件咨询, N2017 Art. 24)

ASKING = {
    Party.REFERRING: OFFICER_OR_APPROVER,
    Party.RECEIVING: OFFICER_OR_APPROVER,
    Party.PROCURATORATE: PROCURATOR,
}
ANSWERING = {Party.CONSULTED: frozenset({Role.OFFICER, Role.APPROVER, Role.PROCURATOR})}


@dataclass(kw_only=True)
class Question(Payload):
    agency: AgencyCode  # the agency asked (see ``_askable``)
    subject: Subject  # the question


def _askable(state: CaseState, ctx: Context) -> list[str]:
    """Who a written question may go to: the case's own agencies (N2017 Art. 24), or where the
    mechanism says so the agencies of those kinds in the case's region (D6 §一(二): the county
    departments)."""
    kinds = ctx.profile.written_consultation_to
    if kinds:
        return [a.code for a in ctx.registry if a.kind.value in kinds and a.region == state.region]
    return [a for party in ASKING for a in holders(state, party, ctx.registry) if a is not None]


def _another_agency(state: CaseState, actor: Actor, p: Question, ctx: Context) -> list[str]:
    if ctx.profile.written_consultation_to and actor.agency != state.owner_agency:
        return [
            "agency: here the agency handling the case asks (D6 §一(二): 执法协作文书 to the county "
            "departments)"
        ]
    others = [a for a in _askable(state, ctx) if a != actor.agency]
    if p.agency in others:
        return []
    return [f"agency: ask one of {', '.join(others) or 'no agency'}"]


@step(
    "ask_in_writing",
    "书面咨询",
    "Ask another agency in writing",
    source="N2017 Art. 24: 书面咨询的,应当在7日内书面答复; D6 §一(二): 执法协作文书 to the county "
    "departments, answered within 3 working days",
    stages=OPEN_STAGES,
    movers=ASKING,
    guard=room_for_requests,
    check=_another_agency,
    choices=lambda state, ctx: {"agency": _askable(state, ctx)},
    branch=Branch.WRITTEN_CONSULTATION,
    example={"agency": "PROC-DEMO", "subject": "含铬污泥是否属于危险废物的认定依据"},
)
def ask_in_writing(c: Change, p: Question) -> None:
    """The question goes to the agency's system; the mechanism's days (N2017: 7; D6: 3 working days)
    run per question."""
    s = c.case
    request_id = f"{RequestKind.CONSULTATION.value}-{len(s.requests) + 1}"
    s.requests.append(
        ExpertRequest(request_id, RequestKind.CONSULTATION, p.agency, c.now, c.by, p.subject)
    )
    c.note(request_id=request_id, agency=p.agency, subject=p.subject)
    c.refs["request_id"] = request_id
    c.emit(Event.QUESTION_ASKED, request_id)
    c.effects.append(AskExpert(request_id))


@dataclass(kw_only=True)
class Reply(Payload):
    request_id: RequestId
    conclusion: Conclusion  # the written answer


_ANSWERED = open_request_of(RequestKind.CONSULTATION)


def _a_question_to_me(state: CaseState, actor: Actor, p: Reply, ctx: Context) -> list[str]:
    """An open question to the actor's agency, answered in a role that agency has."""
    agency = ctx.registry.find(actor.agency)
    if agency is None or not role_fits(actor.role, agency.kind):
        return [f"a {actor.role} does not answer for a {agency.kind if agency else 'unknown'}"]
    problems: list[str] = _ANSWERED(state, actor, p, ctx)
    return problems


@step(
    "answer_in_writing",
    "书面答复",
    "Answer a written question",
    source="N2017 Art. 24: 受咨询的机关应当认真研究,及时答复;书面咨询的,应当在7日内书面答复; D6 §一(二): "
    "3个工作日内要书面反馈",
    stages=OPEN_STAGES,
    movers=ANSWERING,
    check=_a_question_to_me,
    choices=open_requests_of(RequestKind.CONSULTATION),
    branch=Branch.WRITTEN_CONSULTATION,
    example={"request_id": "consultation-1", "conclusion": "经认定,属于危险废物,废物代码HW17"},
)
def answer_in_writing(c: Change, p: Reply) -> None:
    """The answer goes on the record and closes the question."""
    request = next(r for r in c.case.requests if r.request_id == p.request_id)
    request.answered_at = c.now
    request.conclusion = p.conclusion
    c.note(request_id=p.request_id, conclusion=p.conclusion)
    c.emit(Event.QUESTION_ANSWERED, p.request_id)
