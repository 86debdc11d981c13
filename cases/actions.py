"""Every human or agency step a case can take, who may take it, and in which stages.

The table here is the one description of the moves of the lifecycle. The allowed-actions function
(``cases.allowed``) reads it together with the mechanism profile and the case state; the workflow's
update validators and the API both ask that function and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cases.model import (
    Actor,
    CaseFacts,
    Classification,
    FeedbackOutcome,
    Measurement,
    Party,
    Role,
    Stage,
)


class Action(StrEnum):
    # Discovery and evidence (D1-rules §三(一), §六)
    CLASSIFY = "classify"
    UPDATE_FACTS = "update_facts"
    RECORD_EVIDENCE = "record_evidence"
    REQUEST_TEST = "request_test"
    RECORD_TEST_RESULT = "record_test_result"
    REQUEST_APPRAISAL = "request_appraisal"
    RECORD_APPRAISAL = "record_appraisal"
    REQUEST_EARLY_INTERVENTION = "request_early_intervention"
    INTERVENE_EARLY = "intervene_early"
    # Jurisdiction (D6 §一(三), §二(二))
    FIND_NOT_COMPETENT = "find_not_competent"
    TRANSFER_JURISDICTION = "transfer_jurisdiction"
    ACCEPT_TRANSFER = "accept_transfer"
    DISPUTE_JURISDICTION = "dispute_jurisdiction"
    DECIDE_JURISDICTION = "decide_jurisdiction"
    HANDLE_ADMINISTRATIVELY = "handle_administratively"
    # Referral (O310 Art. 5, 6; D1-rules §四, §五)
    REQUEST_APPROVAL = "request_approval"
    APPROVE_REFERRAL = "approve_referral"
    REFUSE_REFERRAL = "refuse_referral"
    WITHDRAW_REFERRAL = "withdraw_referral"
    SEND_REFERRAL = "send_referral"
    RESEND_REFERRAL = "resend_referral"
    # Acceptance (D5 §三.3; N2017 / MPS2016)
    ACCEPT = "accept"
    REQUEST_SUPPLEMENTS = "request_supplements"
    SUPPLY_SUPPLEMENTS = "supply_supplements"
    # Filing decision (D4 §5; O310 Art. 8-10)
    APPROVE_EXTENSION = "approve_extension"
    FILE_CASE = "file_case"
    DECLINE_FILING = "decline_filing"
    REVERSE_REFER = "reverse_refer"
    REQUEST_RECONSIDERATION = "request_reconsideration"
    DECIDE_RECONSIDERATION = "decide_reconsideration"
    PROPOSE_SUPERVISION = "propose_supervision"
    SUPERVISE_FILING = "supervise_filing"
    RECOMMEND_REFERRAL = "recommend_referral"
    # After filing (D4 §5; D1-op §二(一); D1-rules §四)
    HAND_OVER = "hand_over"
    CONVENE_CONSULTATION = "convene_consultation"
    CONCLUDE_CONSULTATION = "conclude_consultation"
    FEED_BACK = "feed_back"
    # Closing
    IMPOSE_PENALTY = "impose_penalty"
    ARCHIVE = "archive"
    # Oversight (D5 §二; D7 §三)
    SUPERVISE_CASE = "supervise_case"
    DIRECT = "direct"


class Branch(StrEnum):
    """Optional paths a mechanism switches on. An action of a branch the mechanism lacks is refused."""

    EXPERT_REQUESTS = "expert_requests"  # tests and appraisals by other institutions
    EARLY_INTERVENTION = "early_intervention"
    JURISDICTION_TRANSFER = "jurisdiction_transfer"
    ADMIN_ONLY = "admin_only"  # cases handled administratively without referral
    WITHDRAWAL = "withdrawal"
    SUPPLEMENTS = "supplements"
    EXTENSION = "extension"
    RECONSIDERATION = "reconsideration"
    PROCURATORATE_SUPERVISION = "procuratorate_supervision"
    REVERSE_REFERRAL = "reverse_referral"
    JOINT_CONSULTATION = "joint_consultation"


class Event(StrEnum):
    """What an action (or the workflow itself) makes happen; clocks start, stop and pause on these."""

    CASE_OPENED = "case_opened"
    CLASSIFIED = "classified"
    REFERABLE_FOUND = "referable_found"
    NOT_COMPETENT_FOUND = "not_competent_found"
    TRANSFER_SENT = "transfer_sent"
    TRANSFER_ACCEPTED = "transfer_accepted"
    JURISDICTION_DISPUTED = "jurisdiction_disputed"
    JURISDICTION_DECIDED = "jurisdiction_decided"
    TEST_REQUESTED = "test_requested"
    TEST_ANSWERED = "test_answered"
    APPRAISAL_REQUESTED = "appraisal_requested"
    APPRAISAL_ANSWERED = "appraisal_answered"
    REQUEST_FAILED = "request_failed"
    EARLY_INTERVENTION_REQUESTED = "early_intervention_requested"
    EARLY_INTERVENTION_DONE = "early_intervention_done"
    ADMINISTRATIVE_HANDLING = "administrative_handling"
    REFERRAL_REQUESTED = "referral_requested"
    REFERRAL_APPROVED = "referral_approved"
    REFERRAL_REFUSED = "referral_refused"
    REFERRAL_WITHDRAWN = "referral_withdrawn"
    REFERRAL_SENT = "referral_sent"
    REFERRAL_DELIVERED = "referral_delivered"
    DELIVERY_FAILED = "delivery_failed"
    ACCEPTED = "accepted"
    SUPPLEMENTS_REQUESTED = "supplements_requested"
    SUPPLEMENTS_SUPPLIED = "supplements_supplied"
    SUPPLEMENTS_DROPPED = "supplements_dropped"
    EXTENSION_APPROVED = "extension_approved"
    FILED = "filed"
    NOT_FILED = "not_filed"
    REVERSE_REFERRED = "reverse_referred"
    RECONSIDERATION_REQUESTED = "reconsideration_requested"
    RECONSIDERATION_DECIDED = "reconsideration_decided"
    SUPERVISION_PROPOSED = "supervision_proposed"
    SUPERVISION_DECIDED = "supervision_decided"
    FILING_ORDERED = "filing_ordered"
    REFERRAL_RECOMMENDED = "referral_recommended"
    HANDED_OVER = "handed_over"
    CONSULTATION_CONVENED = "consultation_convened"
    CONSULTATION_CONCLUDED = "consultation_concluded"
    FED_BACK = "fed_back"
    PENALTY_IMPOSED = "penalty_imposed"
    ARCHIVED = "archived"
    SUPERVISED_LISTED = "supervised_listed"
    DIRECTED = "directed"


_OPEN_STAGES = frozenset(s for s in Stage if not s.closed)
_PRE_REFERRAL = frozenset({Stage.DISCOVERY, Stage.EVIDENCE})
_OFFICER = frozenset({Role.OFFICER})
_APPROVER = frozenset({Role.APPROVER})
_OFFICER_OR_APPROVER = frozenset({Role.OFFICER, Role.APPROVER})


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    label_zh: str
    label_en: str
    stages: frozenset[Stage]
    movers: dict[Party, frozenset[Role]]
    branch: Branch | None = None
    # Payload fields that must be present and non-empty.
    required: tuple[str, ...] = ()

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset().union(*self.movers.values())


def _spec(
    action: Action,
    zh: str,
    en: str,
    stages: frozenset[Stage] | set[Stage],
    movers: dict[Party, frozenset[Role]],
    branch: Branch | None = None,
    required: tuple[str, ...] = (),
) -> ActionSpec:
    return ActionSpec(action, zh, en, frozenset(stages), movers, branch, required)


ACTIONS: dict[Action, ActionSpec] = {
    s.action: s
    for s in [
        _spec(
            Action.CLASSIFY,
            "确认定性",
            "Confirm classification",
            _PRE_REFERRAL,
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            required=("classification",),
        ),
        _spec(
            Action.UPDATE_FACTS,
            "更新案情",
            "Update facts",
            _PRE_REFERRAL,
            {Party.REFERRING: _OFFICER},
            required=("facts",),
        ),
        _spec(
            Action.RECORD_EVIDENCE,
            "登记证据",
            "Record evidence",
            {
                Stage.DISCOVERY,
                Stage.EVIDENCE,
                Stage.REFERRAL_APPROVAL,
                Stage.REFERRAL_SENDING,
                Stage.ACCEPTANCE,
                Stage.FILING_DECISION,
                Stage.HANDOVER,
                Stage.INVESTIGATION,
                Stage.ADMIN_PENALTY,
            },
            {Party.REFERRING: _OFFICER, Party.RECEIVING: _OFFICER},
            required=("kind", "title"),
        ),
        _spec(
            Action.REQUEST_TEST,
            "委托监测",
            "Request a test",
            _PRE_REFERRAL | {Stage.ADMIN_PENALTY},
            {Party.REFERRING: _OFFICER},
            Branch.EXPERT_REQUESTS,
            required=("agency", "subject"),
        ),
        _spec(
            Action.RECORD_TEST_RESULT,
            "出具监测结果",
            "Record a test result",
            _OPEN_STAGES,
            {Party.MONITORING: _OFFICER},
            Branch.EXPERT_REQUESTS,
            required=("request_id", "conclusion"),
        ),
        _spec(
            Action.REQUEST_APPRAISAL,
            "委托鉴定",
            "Request an appraisal",
            _PRE_REFERRAL | {Stage.ADMIN_PENALTY},
            {Party.REFERRING: _OFFICER},
            Branch.EXPERT_REQUESTS,
            required=("agency", "subject"),
        ),
        _spec(
            Action.RECORD_APPRAISAL,
            "出具鉴定意见",
            "Record an appraisal",
            _OPEN_STAGES,
            {Party.APPRAISAL: _OFFICER},
            Branch.EXPERT_REQUESTS,
            required=("request_id", "conclusion"),
        ),
        _spec(
            Action.REQUEST_EARLY_INTERVENTION,
            "提请公安提前介入",
            "Ask the police to intervene early",
            _PRE_REFERRAL | {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING},
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            Branch.EARLY_INTERVENTION,
            required=("reasons",),
        ),
        _spec(
            Action.INTERVENE_EARLY,
            "公安提前介入",
            "Intervene early",
            _PRE_REFERRAL | {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING, Stage.ACCEPTANCE},
            {Party.RECEIVING: _OFFICER},
            Branch.EARLY_INTERVENTION,
        ),
        _spec(
            Action.FIND_NOT_COMPETENT,
            "认定非本部门管辖",
            "Find the case outside our jurisdiction",
            _PRE_REFERRAL,
            {Party.REFERRING: _OFFICER},
            Branch.JURISDICTION_TRANSFER,
            required=("reasons",),
        ),
        _spec(
            Action.TRANSFER_JURISDICTION,
            "移送有管辖权部门",
            "Transfer to the competent agency",
            _PRE_REFERRAL,
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            Branch.JURISDICTION_TRANSFER,
            required=("agency", "reasons"),
        ),
        _spec(
            Action.ACCEPT_TRANSFER,
            "接收移送",
            "Accept the transfer",
            _PRE_REFERRAL,
            {Party.TRANSFER_TARGET: _OFFICER_OR_APPROVER},
            Branch.JURISDICTION_TRANSFER,
        ),
        _spec(
            Action.DISPUTE_JURISDICTION,
            "提出管辖争议",
            "Dispute jurisdiction",
            _PRE_REFERRAL,
            {Party.TRANSFER_TARGET: _OFFICER_OR_APPROVER},
            Branch.JURISDICTION_TRANSFER,
            required=("reasons",),
        ),
        _spec(
            Action.DECIDE_JURISDICTION,
            "决定管辖",
            "Decide jurisdiction",
            _PRE_REFERRAL,
            {Party.COUNTY_GOVERNMENT: _OFFICER_OR_APPROVER},
            Branch.JURISDICTION_TRANSFER,
            required=("agency", "reasons"),
        ),
        _spec(
            Action.HANDLE_ADMINISTRATIVELY,
            "转行政处罚程序",
            "Handle administratively",
            _PRE_REFERRAL | {Stage.NOT_FILED},
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            required=("reasons",),
        ),
        _spec(
            Action.REQUEST_APPROVAL,
            "提请移送审批",
            "Ask the head to approve the referral",
            {Stage.EVIDENCE},
            {Party.REFERRING: _OFFICER},
        ),
        _spec(
            Action.APPROVE_REFERRAL,
            "批准移送",
            "Approve the referral",
            {Stage.REFERRAL_APPROVAL},
            {Party.REFERRING: _APPROVER},
        ),
        _spec(
            Action.REFUSE_REFERRAL,
            "不批准移送",
            "Refuse the referral",
            {Stage.REFERRAL_APPROVAL},
            {Party.REFERRING: _APPROVER},
            required=("reasons",),
        ),
        _spec(
            Action.WITHDRAW_REFERRAL,
            "撤回移送",
            "Withdraw the referral",
            {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING},
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            Branch.WITHDRAWAL,
            required=("reasons",),
        ),
        _spec(
            Action.SEND_REFERRAL,
            "书面移送公安",
            "Send the referral",
            {Stage.REFERRAL_SENDING},
            {Party.REFERRING: _OFFICER},
        ),
        _spec(
            Action.RESEND_REFERRAL,
            "重新送达",
            "Resend the referral",
            {Stage.ACCEPTANCE},
            {Party.REFERRING: _OFFICER},
        ),
        _spec(
            Action.ACCEPT,
            "受理",
            "Accept the case",
            {Stage.ACCEPTANCE},
            {Party.RECEIVING: _OFFICER},
        ),
        _spec(
            Action.REQUEST_SUPPLEMENTS,
            "要求补正材料",
            "Ask for supplementary material",
            {Stage.ACCEPTANCE, Stage.FILING_DECISION},
            {Party.RECEIVING: _OFFICER},
            Branch.SUPPLEMENTS,
            required=("items",),
        ),
        _spec(
            Action.SUPPLY_SUPPLEMENTS,
            "补正材料",
            "Supply the supplementary material",
            {Stage.ACCEPTANCE, Stage.FILING_DECISION},
            {Party.REFERRING: _OFFICER},
            Branch.SUPPLEMENTS,
        ),
        _spec(
            Action.APPROVE_EXTENSION,
            "批准延长立案审查期限",
            "Approve an extension of the filing decision",
            {Stage.FILING_DECISION},
            {Party.RECEIVING: _APPROVER},
            Branch.EXTENSION,
            required=("extension", "reasons"),
        ),
        _spec(
            Action.FILE_CASE,
            "立案",
            "File the case",
            {Stage.FILING_DECISION},
            {Party.RECEIVING: _OFFICER_OR_APPROVER},
        ),
        _spec(
            Action.DECLINE_FILING,
            "不予立案",
            "Decline to file",
            {Stage.FILING_DECISION},
            {Party.RECEIVING: _OFFICER_OR_APPROVER},
            required=("reasons",),
        ),
        _spec(
            Action.REVERSE_REFER,
            "反向移送行政处罚",
            "Return for administrative penalty",
            {Stage.FILING_DECISION, Stage.INVESTIGATION},
            {Party.RECEIVING: _OFFICER_OR_APPROVER},
            Branch.REVERSE_REFERRAL,
            required=("reasons",),
        ),
        _spec(
            Action.REQUEST_RECONSIDERATION,
            "提请复议",
            "Ask the police to reconsider",
            {Stage.NOT_FILED},
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            Branch.RECONSIDERATION,
            required=("reasons",),
        ),
        _spec(
            Action.DECIDE_RECONSIDERATION,
            "作出复议决定",
            "Decide the reconsideration",
            {Stage.RECONSIDERATION},
            {Party.RECEIVING: _OFFICER_OR_APPROVER},
            Branch.RECONSIDERATION,
            required=("upheld", "reasons"),
        ),
        _spec(
            Action.PROPOSE_SUPERVISION,
            "建议检察院立案监督",
            "Propose procuratorate supervision",
            {Stage.NOT_FILED},
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            Branch.PROCURATORATE_SUPERVISION,
            required=("reasons",),
        ),
        _spec(
            Action.SUPERVISE_FILING,
            "立案监督决定",
            "Decide on filing supervision",
            {Stage.NOT_FILED, Stage.SUPERVISION},
            {Party.PROCURATORATE: frozenset({Role.PROCURATOR})},
            Branch.PROCURATORATE_SUPERVISION,
            required=("order_filing", "reasons"),
        ),
        _spec(
            Action.RECOMMEND_REFERRAL,
            "建议移送",
            "Recommend a referral",
            {Stage.EVIDENCE, Stage.ADMIN_PENALTY},
            {Party.PROCURATORATE: frozenset({Role.PROCURATOR})},
            Branch.PROCURATORATE_SUPERVISION,
            required=("reasons",),
        ),
        _spec(
            Action.HAND_OVER,
            "移交涉案物品及材料",
            "Hand over items and materials",
            {Stage.HANDOVER},
            {Party.REFERRING: _OFFICER},
            required=("items",),
        ),
        _spec(
            Action.CONVENE_CONSULTATION,
            "召集案件会商",
            "Convene a joint consultation",
            {Stage.FILING_DECISION, Stage.HANDOVER, Stage.INVESTIGATION},
            {
                Party.REFERRING: _OFFICER_OR_APPROVER,
                Party.RECEIVING: _OFFICER_OR_APPROVER,
                Party.JOINT_OFFICE: frozenset({Role.COORDINATOR}),
                Party.LEADERSHIP_GROUP: frozenset({Role.LEADER}),
            },
            Branch.JOINT_CONSULTATION,
            required=("reasons",),
        ),
        _spec(
            Action.CONCLUDE_CONSULTATION,
            "形成会商意见",
            "Record the consultation's conclusions",
            _OPEN_STAGES,
            {
                Party.JOINT_OFFICE: frozenset({Role.COORDINATOR}),
                Party.LEADERSHIP_GROUP: frozenset({Role.LEADER}),
            },
            Branch.JOINT_CONSULTATION,
            required=("conclusion",),
        ),
        _spec(
            Action.FEED_BACK,
            "反馈处理结果",
            "Feed the result back",
            {Stage.INVESTIGATION},
            {Party.RECEIVING: _OFFICER_OR_APPROVER},
            required=("outcome",),
        ),
        _spec(
            Action.IMPOSE_PENALTY,
            "作出行政处罚决定",
            "Record the administrative penalty",
            {Stage.ADMIN_PENALTY},
            {Party.REFERRING: _OFFICER_OR_APPROVER},
            required=("reference",),
        ),
        _spec(
            Action.ARCHIVE,
            "归档",
            "Archive",
            {Stage.ARCHIVING},
            {Party.REFERRING: _OFFICER},
        ),
        _spec(
            Action.SUPERVISE_CASE,
            "挂牌督办",
            "List for supervision",
            _OPEN_STAGES,
            {
                Party.JOINT_OFFICE: frozenset({Role.COORDINATOR}),
                Party.LEADERSHIP_GROUP: frozenset({Role.LEADER}),
            },
            required=("reasons",),
        ),
        _spec(
            Action.DIRECT,
            "督办指示",
            "Give an instruction",
            _OPEN_STAGES,
            {
                Party.JOINT_OFFICE: frozenset({Role.COORDINATOR}),
                Party.LEADERSHIP_GROUP: frozenset({Role.LEADER}),
                Party.PROCURATORATE: frozenset({Role.PROCURATOR}),
            },
            required=("note",),
        ),
    ]
}


@dataclass
class ActionPayload:
    """The body of any action. Which fields an action needs is in its spec's ``required``."""

    note: str = ""
    reasons: str = ""
    classification: Classification | None = None
    facts: CaseFacts | None = None
    agency: str | None = None
    request_id: str | None = None
    subject: str = ""
    conclusion: str = ""
    measurements: list[Measurement] = field(default_factory=list)
    kind: str | None = None
    title: str = ""
    sha256: str | None = None
    reference: str | None = None
    size: int | None = None
    items: list[str] = field(default_factory=list)
    upheld: bool | None = None
    order_filing: bool | None = None
    outcome: FeedbackOutcome | None = None
    extension: str | None = None


@dataclass
class ActionRequest:
    """An action as it reaches the workflow (the update's name says which action): by whom, with what."""

    actor: Actor
    payload: ActionPayload = field(default_factory=ActionPayload)
