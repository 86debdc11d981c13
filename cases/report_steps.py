"""The steps of a public report (``cases.reports``): hand it on, open a case from it, answer it, and
decide the reporter's reward. Each step says its stages, who may take it, its payload, its guard, what
it does and the article it follows; the report's workflow asks ``refusal`` in its update validator and
``apply`` in the handler, in the report's own context, and nothing else decides them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from cases.agencies import AgencyKind, AgencyRegistry
from cases.context import Reason, Refusal
from cases.effects import Notice, NoticeKind, notice
from cases.intake import CaseIntake, intake_problems
from cases.limits import NUMBER, AgencyCode, Flag, Reasons, Subject
from cases.model import Actor, CaseFacts
from cases.phrases import Both
from cases.profile import Profile
from cases.reports import (
    HOLDER_ROLES,
    OUTCOME_LABELS,
    Account,
    Outcome,
    ReportStage,
    ReportState,
    RewardStatus,
    add_event,
    stop_clock,
    supervisors_of,
)
from cases.vocabulary import CaseSource, Role

OPEN = (ReportStage.RECEIVED, ReportStage.TRANSFERRED)
Yuan = Annotated[int, Field(ge=0, le=1_000_000), NUMBER]


@dataclass(kw_only=True)
class Transfer:
    """Hand the report to the competent agency (首问责任制, D6 §二(二); D6 §一(三) for its period)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    to: AgencyCode
    reason: Reasons  # why that agency is competent


@dataclass(kw_only=True)
class OpenCase:
    """Open a case from the report: the holder is its discovering agency, found at the receipt."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    subject: Subject  # the party reported
    facts: CaseFacts = field(default_factory=CaseFacts)
    police_agency: AgencyCode | None = None


@dataclass(kw_only=True)
class Answer:
    """Answer the reporter without a case: nothing found (D6 §二(二): 经初步核实未发现违法行为的…直接
    答复), or, for a report of an agency, what its supervisor did (O310 Art. 14)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    finding: Outcome
    reply: Account  # what the reporter is told


class RewardForm(StrEnum):
    MATERIAL = "material"  # 物质奖励
    HONOUR = "honour"  # 精神奖励


@dataclass(kw_only=True)
class DecideReward:
    """A report that led to a case may be rewarded (D3 §3.3: 根据案件的情节给予一定的精神或物质奖励)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    granted: Flag
    form: RewardForm = RewardForm.MATERIAL
    amount_yuan: Yuan = 0
    note: Reasons


@dataclass
class ReportChange:
    """What a step did: what the reporter and the agencies are told, and a case to open."""

    replies: list[Both] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    open_case: CaseIntake | None = None


Guard = Callable[[ReportState, Actor, Any, Profile, AgencyRegistry], Refusal | None]
Apply = Callable[[ReportState, Actor, Any, Profile, AgencyRegistry, datetime], ReportChange]


@dataclass(frozen=True)
class ReportStep:
    name: str
    payload: type[Any]
    stages: tuple[ReportStage, ...]
    roles: frozenset[Role]
    guard: Guard
    apply: Apply
    source: str
    example: dict[str, Any] = field(default_factory=dict)


def to_region(agency: str, registry: AgencyRegistry) -> str:
    return registry.get(agency).region


def _holder_only(state: ReportState, actor: Actor) -> Refusal | None:
    if actor.agency != state.owner_agency:
        return Refusal(
            Reason.NOT_YOUR_MOVE, f"the report is held by '{state.owner_agency}' (首问责任制)"
        )
    return None


# --------------------------------------------------------------------------------------------------
# transfer


def _transfer_guard(
    state: ReportState, actor: Actor, body: Transfer, profile: Profile, registry: AgencyRegistry
) -> Refusal | None:
    to = registry.find(body.to)
    if to is None:
        return Refusal(Reason.UNKNOWN_AGENCY, f"to: '{body.to}' is not in the registry")
    if to.code == state.owner_agency:
        return Refusal(Reason.INVALID_PAYLOAD, "to: your agency already holds the report")
    about = state.intake.about_agency
    if about is not None:
        allowed = supervisors_of(about, registry)
        if to.code not in allowed:
            return Refusal(
                Reason.INVALID_PAYLOAD,
                f"to: a report that '{about}' did not refer a crime goes to the procuratorate, the "
                f"supervisory commission or its superior ({', '.join(allowed)}) (O310 Art. 14)",
            )
    elif not (to.kind.enforces or to.kind is AgencyKind.POLICE):
        return Refusal(
            Reason.INVALID_PAYLOAD, f"to: '{to.code}' is a {to.kind}, not an enforcing agency"
        )
    return None


def _transfer(
    state: ReportState,
    actor: Actor,
    body: Transfer,
    profile: Profile,
    registry: AgencyRegistry,
    now: datetime,
) -> ReportChange:
    giver, taker = registry.named(state.owner_agency), registry.named(body.to)
    stop_clock(state, now)
    state.owner_agency = body.to
    state.region = to_region(body.to, registry)  # its coordinators and leaders now watch it
    if body.to not in state.holders:
        state.holders.append(body.to)
    state.stage = ReportStage.TRANSFERRED
    said = Both(
        f"{giver.zh}将举报移交{taker.zh}:{body.reason}",
        f"{giver.en} handed the report to {taker.en}: {body.reason}",
    )
    add_event(
        state, "transfer", now, said, agency=actor.agency, role=actor.role, person=actor.person
    )
    told = Both(
        f"举报{state.report_id}已由{giver.zh}移交你单位处理(首问负责):{state.intake.place}",
        f"report {state.report_id} was handed to you by {giver.en}: {state.intake.place}",
    )
    return ReportChange(
        replies=[
            Both(
                f"您反映的问题已移交{taker.zh}处理,后续处理结果由其答复。",
                f"Your report was handed to {taker.en}, who will tell you the outcome.",
            )
        ],
        notices=[notice(NoticeKind.TRANSFER, [body.to], told)],
    )


# --------------------------------------------------------------------------------------------------
# open_case


def case_intake(state: ReportState, body: OpenCase, profile: Profile) -> CaseIntake:
    """The case a report opens: found by its holder when the report was first received (首问: the
    discovery is the receipt), under the report's mechanism, with an intake id of its own."""
    ref = state.intake.intake_ref
    if len(ref) > 60:
        ref = hashlib.sha256(ref.encode()).hexdigest()[:32]
    return CaseIntake(
        intake_ref=f"rpt.{ref}",
        discovering_agency=state.owner_agency,
        mechanism=profile.name,
        source=CaseSource.COMPLAINT,
        subject=body.subject,
        discovered_at=state.intake.received_at,
        facts=body.facts,
        police_agency=body.police_agency,
    )


def _open_guard(
    state: ReportState, actor: Actor, body: OpenCase, profile: Profile, registry: AgencyRegistry
) -> Refusal | None:
    if state.intake.about_agency is not None:
        return Refusal(
            Reason.NOT_REFERABLE,
            "a report of an agency's failure to refer is acted on by its supervisor, not opened "
            "as a case (O310 Art. 14)",
        )
    problems = intake_problems(case_intake(state, body, profile), profile, registry)
    if problems:
        return Refusal(Reason.INVALID_PAYLOAD, "; ".join(problems))
    return None


def _open(
    state: ReportState,
    actor: Actor,
    body: OpenCase,
    profile: Profile,
    registry: AgencyRegistry,
    now: datetime,
) -> ReportChange:
    intake = case_intake(state, body, profile)
    stop_clock(state, now)
    state.case_id = intake.case_id
    state.outcome = Outcome.CASE_OPENED
    state.stage = ReportStage.HANDLED
    state.reward = RewardStatus.ELIGIBLE
    holder = registry.named(state.owner_agency)
    said = Both(
        f"{holder.zh}据此举报立案:{intake.case_id}",
        f"{holder.en} opened case {intake.case_id} from the report",
    )
    add_event(
        state, "open_case", now, said, agency=actor.agency, role=actor.role, person=actor.person
    )
    return ReportChange(
        replies=[
            Both(
                f"您反映的问题已由{holder.zh}立案查处。感谢您的举报。",
                f"{holder.en} opened a case on your report. Thank you.",
            )
        ],
        open_case=intake,
    )


# --------------------------------------------------------------------------------------------------
# answer


def _answer_guard(
    state: ReportState, actor: Actor, body: Answer, profile: Profile, registry: AgencyRegistry
) -> Refusal | None:
    if body.finding is Outcome.CASE_OPENED:
        return Refusal(Reason.INVALID_PAYLOAD, "finding: open a case with the open_case step")
    about = state.intake.about_agency
    if body.finding is Outcome.ACTED_ON_AGENCY and (
        about is None or state.owner_agency not in supervisors_of(about, registry)
    ):
        return Refusal(
            Reason.INVALID_PAYLOAD,
            "finding: 'acted_on_agency' answers a report of an agency, by its procuratorate, "
            "supervisory commission or superior (O310 Art. 14)",
        )
    return None


def _answer(
    state: ReportState,
    actor: Actor,
    body: Answer,
    profile: Profile,
    registry: AgencyRegistry,
    now: datetime,
) -> ReportChange:
    stop_clock(state, now)
    state.outcome = body.finding
    state.stage = ReportStage.CLOSED
    holder = registry.named(state.owner_agency)
    # What the reporter was told goes to the reporter alone: it may name them (张先生您好…).
    said = Both(f"{holder.zh}答复举报人({OUTCOME_LABELS[body.finding][0]})",
                f"{holder.en} answered the reporter ({OUTCOME_LABELS[body.finding][1]})")  # fmt: skip
    add_event(state, "answer", now, said, agency=actor.agency, role=actor.role, person=actor.person)
    return ReportChange(replies=[Both(body.reply, "")])


# --------------------------------------------------------------------------------------------------
# decide_reward


def _reward_guard(
    state: ReportState,
    actor: Actor,
    body: DecideReward,
    profile: Profile,
    registry: AgencyRegistry,
) -> Refusal | None:
    if state.reward is not RewardStatus.ELIGIBLE:
        return Refusal(Reason.WRONG_STAGE, "only a report that led to a case is rewarded, once")
    if actor.role is Role.LEADER:
        caller = registry.find(actor.agency)
        if caller is None or caller.region != state.region:
            return Refusal(Reason.NOT_YOUR_MOVE, "a leader decides rewards of their own region")
    elif actor.agency != state.owner_agency:
        return Refusal(Reason.NOT_YOUR_MOVE, "the head of the agency holding the report decides")
    if body.granted and body.form is RewardForm.MATERIAL and body.amount_yuan <= 0:
        return Refusal(Reason.INVALID_PAYLOAD, "amount_yuan: a material reward needs an amount")
    if not body.granted and body.amount_yuan:
        return Refusal(Reason.INVALID_PAYLOAD, "amount_yuan: a declined reward has no amount")
    return None


def _reward(
    state: ReportState,
    actor: Actor,
    body: DecideReward,
    profile: Profile,
    registry: AgencyRegistry,
    now: datetime,
) -> ReportChange:
    state.reward = RewardStatus.GRANTED if body.granted else RewardStatus.DECLINED
    state.reward_yuan = body.amount_yuan if body.granted else 0
    state.stage = ReportStage.CLOSED
    what = f"给予奖励{body.amount_yuan}元" if body.form is RewardForm.MATERIAL else "给予表彰"
    said = Both(
        f"奖励决定:{what if body.granted else '不予奖励'}({body.note})",
        f"reward {'granted' if body.granted else 'declined'}: {body.note}",
    )
    add_event(
        state, "decide_reward", now, said, agency=actor.agency, role=actor.role, person=actor.person
    )
    replies = [Both(f"您的举报经查证属实,决定{what}。", "Your report is rewarded.")]
    return ReportChange(replies=replies if body.granted else [])


STEPS: dict[str, ReportStep] = {
    s.name: s
    for s in (
        ReportStep(
            "transfer",
            Transfer,
            OPEN,
            HOLDER_ROLES,
            _transfer_guard,
            _transfer,
            "D6 §二(二) 首问责任制; D6 §一(三); D4 §5 案件处置制度 (应当及时移交主管机关,并告知举报人)",
            {"to": "PSB-DEMO", "reason": "涉嫌环境犯罪,属公安机关管辖"},
        ),
        ReportStep(
            "open_case",
            OpenCase,
            OPEN,
            frozenset({Role.OFFICER}),
            _open_guard,
            _open,
            "N2017 Art. 27; D6 §二(二) (应当按职责权限及时立案调查)",
            {
                "subject": "某化工有限公司",
                "facts": {"violation_type": "evasive_discharge", "summary": "夜间经排水渠倾倒废液"},
            },
        ),
        ReportStep(
            "answer",
            Answer,
            OPEN,
            HOLDER_ROLES,
            _answer_guard,
            _answer,
            "D6 §二(二) (经初步核实未发现违法行为的…直接答复); O310 Art. 14",
            {"finding": "no_violation", "reply": "经现场核实,未发现您反映的排放行为。"},
        ),
        ReportStep(
            "decide_reward",
            DecideReward,
            (ReportStage.HANDLED,),
            frozenset({Role.APPROVER, Role.LEADER}),
            _reward_guard,
            _reward,
            "D3 §3.3 (根据案件的情节给予一定的精神或物质奖励)",
            {
                "granted": True,
                "form": "material",
                "amount_yuan": 2000,
                "note": "举报属实,案件已移送公安机关",
            },
        ),
    )
}


def refusal(
    state: ReportState,
    actor: Actor,
    name: str,
    body: Any,
    profile: Profile,
    registry: AgencyRegistry,
) -> Refusal | None:
    """May ``actor`` take step ``name`` with ``body`` now?"""
    step = STEPS.get(name)
    if step is None:
        return Refusal(
            Reason.UNKNOWN_ACTION, f"no report step '{name}' (one of: {', '.join(STEPS)})"
        )
    if state.stage not in step.stages:
        return Refusal(
            Reason.WRONG_STAGE,
            f"'{name}' is taken while the report is "
            f"{' or '.join(step.stages)}; it is {state.stage}",
        )
    if actor.role not in step.roles:
        roles = ", ".join(sorted(step.roles))
        return Refusal(Reason.ROLE_NOT_PERMITTED, f"'{name}' is taken by: {roles}")
    if step.name != "decide_reward":
        mine = _holder_only(state, actor)
        if mine is not None:
            return mine
    return step.guard(state, actor, body, profile, registry)


def allowed(state: ReportState, actor: Actor) -> list[str]:
    """The steps this caller could take now (their bodies still to be checked)."""
    return [
        s.name
        for s in STEPS.values()
        if state.stage in s.stages
        and actor.role in s.roles
        and (s.name == "decide_reward" or actor.agency == state.owner_agency)
    ]


def apply(
    state: ReportState,
    actor: Actor,
    name: str,
    body: Any,
    profile: Profile,
    registry: AgencyRegistry,
    now: datetime,
) -> ReportChange:
    return STEPS[name].apply(state, actor, body, profile, registry, now)


LABELS: dict[str, tuple[str, str]] = {
    "transfer": ("移交主管部门", "Hand on to the competent agency"),
    "open_case": ("据此立案", "Open a case"),
    "answer": ("答复举报人", "Answer the reporter"),
    "decide_reward": ("奖励决定", "Decide the reward"),
}
