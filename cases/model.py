"""Stages, roles, parties, actions and the case state: the vocabulary every other part speaks.

The dataclasses here cross the workflow boundary (workflow input, query result, update arguments), so
they hold only JSON-friendly types: strings, numbers, booleans, aware datetimes, lists, nested
dataclasses and string enums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cases.calendar import Unit


class Stage(StrEnum):
    """Where a case stands. One enum, stamped with its time at every change (the timeline)."""

    DISCOVERY = "discovery"  # 发现
    EVIDENCE = "evidence"  # 固定证据
    REFERRAL_APPROVAL = "referral_approval"  # 移送审批
    REFERRAL_SENDING = "referral_sending"  # 移送送达
    ACCEPTANCE = "acceptance"  # 受理
    FILING_DECISION = "filing_decision"  # 立案审查
    NOT_FILED = "not_filed"  # 不予立案
    RECONSIDERATION = "reconsideration"  # 复议
    SUPERVISION = "supervision"  # 检察院立案监督
    HANDOVER = "handover"  # 移交涉案物品及材料
    INVESTIGATION = "investigation"  # 调查/侦查
    ADMIN_PENALTY = "admin_penalty"  # 行政处罚
    ARCHIVING = "archiving"  # 待归档
    ARCHIVED = "archived"  # 已归档

    @property
    def closed(self) -> bool:
        return self is Stage.ARCHIVED


STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.DISCOVERY: ("发现", "Discovery"),
    Stage.EVIDENCE: ("固定证据", "Evidence fixing"),
    Stage.REFERRAL_APPROVAL: ("移送审批", "Referral approval"),
    Stage.REFERRAL_SENDING: ("移送送达", "Referral sending"),
    Stage.ACCEPTANCE: ("受理", "Acceptance"),
    Stage.FILING_DECISION: ("立案审查", "Filing decision"),
    Stage.NOT_FILED: ("不予立案", "Not filed"),
    Stage.RECONSIDERATION: ("复议", "Reconsideration"),
    Stage.SUPERVISION: ("立案监督", "Procuratorate supervision"),
    Stage.HANDOVER: ("移交涉案物品", "Handover of items"),
    Stage.INVESTIGATION: ("侦查", "Investigation"),
    Stage.ADMIN_PENALTY: ("行政处罚", "Administrative penalty"),
    Stage.ARCHIVING: ("待归档", "Archiving"),
    Stage.ARCHIVED: ("已归档", "Archived"),
}

# Stages every mechanism has; the others are switched on by a mechanism's stage list.
CORE_STAGES: frozenset[Stage] = frozenset(
    {
        Stage.DISCOVERY,
        Stage.EVIDENCE,
        Stage.REFERRAL_APPROVAL,
        Stage.REFERRAL_SENDING,
        Stage.ACCEPTANCE,
        Stage.FILING_DECISION,
        Stage.NOT_FILED,
        Stage.INVESTIGATION,
        Stage.ADMIN_PENALTY,
        Stage.ARCHIVING,
        Stage.ARCHIVED,
    }
)


class Role(StrEnum):
    """What a person may do for their agency."""

    INTAKE = "intake"  # an intake system: opens cases
    OFFICER = "officer"  # 执法人员 / 民警: the day-to-day steps
    APPROVER = "approver"  # 正职负责人 / 负责人: approvals
    COORDINATOR = "coordinator"  # 联动执法办公室 coordinators
    LEADER = "leader"  # 领导小组 members
    PROCURATOR = "procurator"  # 检察官: supervision


class Party(StrEnum):
    """The part an agency plays in one case. An agency's relation to a case is a set of these."""

    REFERRING = (
        "referring"  # the administrative agency that owns the case (首问责任, then referrer)
    )
    RECEIVING = "receiving"  # the police agency the case goes (or went) to
    PROCURATORATE = "procuratorate"
    MONITORING = "monitoring"  # a monitoring station holding an open test request
    APPRAISAL = "appraisal"  # an appraisal institution holding an open request
    TRANSFER_TARGET = "transfer_target"  # the agency a jurisdiction transfer is pending to
    COUNTY_GOVERNMENT = "county_government"  # decides jurisdiction disputes (D6 §一(三))
    JOINT_OFFICE = "joint_office"
    LEADERSHIP_GROUP = "leadership_group"


class Classification(StrEnum):
    ADMINISTRATIVE = "administrative"  # 一般行政违法
    PUBLIC_SECURITY = "public_security"  # 涉嫌违反治安管理
    CRIME = "crime"  # 涉嫌犯罪

    @property
    def referable(self) -> bool:
        return self is not Classification.ADMINISTRATIVE


class ExceedanceArithmetic(StrEnum):
    """What "超过标准3倍" means: C ≥ 3·C0 (ratio) or (C−C0)/C0 ≥ 3 (excess, 超标倍数)."""

    RATIO = "ratio"
    EXCESS = "excess"


class ViolationType(StrEnum):
    """The key objects of referral, D1-rules §二 (移送重点对象), plus 'other'."""

    DIRECT_DISCHARGE = "direct_discharge"  # 直排废水
    EVASIVE_DISCHARGE = "evasive_discharge"  # 暗管、裂隙、渗井渗坑偷排
    SERIOUS_EXCEEDANCE = "serious_exceedance"  # 严重超标排放
    HEAVY_METAL = "heavy_metal"  # 涉重金属恶意超标排污
    ILLEGAL_SMALL_PLANT = "illegal_small_plant"  # 非法小电镀、制革、印染、炼油等
    DRINKING_WATER = "drinking_water"  # 向水体排放或倾倒危险物质污染饮用水源
    RADIOACTIVE_SOURCE = "radioactive_source"  # 放射源丢弃或被盗
    WASTE_DUMPING = "waste_dumping"  # 危险废物、污泥或工业固废非法倾倒或处置
    OTHER = "other"

    @property
    def key_object(self) -> bool:
        return self is not ViolationType.OTHER


class CaseSource(StrEnum):
    INSPECTION = "inspection"  # 检查
    COMPLAINT = "complaint"  # 投诉举报
    MONITORING_ALARM = "monitoring_alarm"  # 在线监测报警
    AGENCY = "agency"  # another agency
    REGION = "region"  # another region


class RequestKind(StrEnum):
    TEST = "test"  # monitoring / testing by a monitoring station
    APPRAISAL = "appraisal"  # appraisal / damage assessment by an appraisal institution


class FilingOutcome(StrEnum):
    FILED = "filed"
    NOT_FILED = "not_filed"
    REVERSE_REFERRED = "reverse_referred"


class FeedbackOutcome(StrEnum):
    """What the police report back on closing (D1-rules §四)."""

    PROSECUTION = "prosecution"  # 移送审查起诉
    DETENTION = "detention"  # 治安拘留等治安处罚
    OTHER_DISPOSAL = "other_disposal"
    NO_VIOLATION = "no_violation"


@dataclass
class Actor:
    """Who acts: the agency, the role the person acts in, and the person."""

    agency: str
    role: Role
    person: str


@dataclass
class Measurement:
    """One pollutant measured against one standard (D1-rules §二(2))."""

    pollutant: str
    measured: float
    standard: float
    unit: str = "mg/L"
    total_control: bool = False  # True: the standard is the total-control quota (总量控制标准)


@dataclass
class CaseFacts:
    """What the discovering agency records. Triage reads only these."""

    violation_type: ViolationType = ViolationType.OTHER
    hazardous_into_water: bool = False  # 向水体排放或倾倒危险物质
    measurements: list[Measurement] = field(default_factory=list)
    # A multiple as reported (for example by an on-line monitor) when no measured values are recorded,
    # and the arithmetic it was reported in.
    reported_multiple: float | None = None
    reported_arithmetic: ExceedanceArithmetic = ExceedanceArithmetic.EXCESS
    # Illegal discharges into water within one year, this one included (D1-rules §二(1)).
    discharges_past_year: int = 1
    drinking_water_threat: bool = False  # 对饮用水源安全造成严重威胁
    drinking_water_polluted: bool = False  # 污染饮用水源
    sensitive_area: bool = False  # 环境敏感区域
    obvious_crime: bool = False  # 明显涉嫌犯罪 (D1-rules §三(二)3)
    violent_resistance: bool = False  # 暴力抗法 (D1-rules §三(二)3; D5 §三.5)
    stability_threat: bool = False  # 影响社会稳定
    major_or_difficult: bool = False  # 重大、疑难 (D4 §5)
    high_profile: bool = False  # 社会影响较大 (D1-op §二(一))
    urgent: bool = False  # 情况紧急 (D6 §一(三))
    ongoing: bool = False  # 违法行为正在进行 (D6 §一(三))
    perishable_items: bool = False  # 易腐烂、变质、灭失 (D4 §5)
    summary: str = ""


@dataclass
class CriterionResult:
    code: str
    met: bool
    explanation: str
    source: str


@dataclass
class ExceedanceResult:
    """One measured (or reported) value against its standard, in both arithmetics."""

    pollutant: str
    standard_kind: str  # "national" or "total_control" or "reported"
    ratio: float  # C / C0
    excess: float  # (C − C0) / C0
    counted: float  # the one the mechanism's arithmetic counts
    arithmetic: ExceedanceArithmetic
    threshold: float
    met: bool


@dataclass
class TriageResult:
    suggested: Classification
    key_case: bool
    criteria: list[CriterionResult]
    exceedances: list[ExceedanceResult]
    early_intervention: list[str]  # trigger codes
    call_police_now: bool
    arithmetic: ExceedanceArithmetic
    reasons: list[str]


@dataclass
class EvidenceItem:
    seq: int
    kind: str
    title: str
    recorded_by: Actor
    recorded_at: datetime
    sha256: str | None = None
    reference: str | None = None  # URL of a referenced item or path of a stored file
    size: int | None = None


@dataclass
class ExpertRequest:
    """A request to a monitoring station or appraisal institution, answered later by that agency."""

    request_id: str
    kind: RequestKind
    agency: str
    requested_at: datetime
    requested_by: Actor
    subject: str = ""
    answered_at: datetime | None = None
    conclusion: str | None = None
    failed_at: datetime | None = None  # the institution's system refused the request
    error: str | None = None


@dataclass
class DeliveryReceipt:
    """The police system's own record that it received the package. Not the acceptance."""

    reference: str
    received_at: datetime


@dataclass
class ReferralState:
    requested_at: datetime | None = None
    approved_at: datetime | None = None
    approved_by: Actor | None = None
    refusals: list[str] = field(default_factory=list)  # recorded reasons (O310 Art. 5)
    sent_at: datetime | None = None
    attempts: int = 0
    receipt: DeliveryReceipt | None = None
    delivery_error: str | None = None  # a refusal by the receiving system, for a person to resolve
    withdrawn_at: datetime | None = None


@dataclass
class SupplementRequest:
    requested_at: datetime
    items: list[str]
    supplied_at: datetime | None = None
    dropped_at: datetime | None = None  # the police decided without waiting for it


@dataclass
class FilingState:
    accepted_at: datetime | None = None
    outcome: FilingOutcome | None = None
    decided_at: datetime | None = None
    reasons: str = ""
    extension_days: int | None = None  # an approved extension of the filing decision
    reconsideration_requested_at: datetime | None = None
    reconsideration_upheld: bool | None = None  # True: the refusal to file stands
    supervision_proposed_at: datetime | None = None
    filing_ordered: bool = False  # procuratorate told the police to file


@dataclass
class TransferState:
    """A jurisdiction transfer under way (D6 §一(三))."""

    target: str
    sent_at: datetime
    reason: str
    disputed_at: datetime | None = None


@dataclass
class ClockState:
    """One running (or finished) deadline, with its owner and where its escalation stands."""

    key: str  # unique in the case: the clock name, or name:ref for per-request clocks
    name: str
    owner_party: Party
    owner_agency: str
    owner_role: Role
    started_at: datetime
    length: int
    unit: Unit
    due_at: datetime
    source: str
    statutory: bool
    provisional: bool = False  # counted across a year the calendar does not know
    reminders_sent: int = 0
    escalation_level: int = 0
    escalated_to: list[str] = field(default_factory=list)
    breached_at: datetime | None = None
    paused_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass
class TimelineEntry:
    seq: int
    at: datetime
    action: str
    actor: Actor | None
    stage_from: Stage
    stage_to: Stage
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class CaseState:
    """The whole state of one case: what the workflow holds and its query returns."""

    case_id: str
    intake_ref: str
    mechanism: str
    region: str
    stage: Stage
    opened_at: datetime
    discovered_at: datetime
    source: CaseSource
    subject: str
    facts: CaseFacts
    triage: TriageResult
    discovering_agency: str
    owner_agency: str
    police_agency: str | None = None
    procuratorate: str | None = None
    classification: Classification | None = None
    classified_by: Actor | None = None
    transfer: TransferState | None = None
    requests: list[ExpertRequest] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    referral: ReferralState = field(default_factory=ReferralState)
    supplements: list[SupplementRequest] = field(default_factory=list)
    filing: FilingState = field(default_factory=FilingState)
    early_intervention_requested_at: datetime | None = None
    early_intervention_at: datetime | None = None
    consultation_open: bool = False
    supervised: bool = False  # 挂牌督办 (D7 §三): tracked until closed
    feedback: FeedbackOutcome | None = None
    clocks: list[ClockState] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    closed_at: datetime | None = None

    @property
    def pending_supplements(self) -> SupplementRequest | None:
        for request in self.supplements:
            if request.supplied_at is None and request.dropped_at is None:
                return request
        return None

    def open_requests(self, kind: RequestKind | None = None) -> list[ExpertRequest]:
        return [
            r
            for r in self.requests
            if r.answered_at is None and r.failed_at is None and (kind is None or r.kind is kind)
        ]

    def open_clocks(self) -> list[ClockState]:
        return [c for c in self.clocks if c.open]

    def clock(self, key: str) -> ClockState | None:
        for c in self.clocks:
            if c.key == key and c.open:
                return c
        return None

    @property
    def evidence_kinds(self) -> set[str]:
        return {item.kind for item in self.evidence}
