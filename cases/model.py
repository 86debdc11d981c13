"""The state of a case: what the workflow holds, its query returns and continue-as-new carries.

These types cross the workflow boundary, so they hold only JSON-friendly values: text, numbers,
booleans, aware datetimes, lists, nested dataclasses and string enums. Fields a client can fill carry
their limits on the type (``cases.limits``). What a case accumulates is capped or kept as a tail (the
read model keeps everything), so that the state stays small enough to carry into a new run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from annotated_types import MaxLen
from pydantic import ConfigDict
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from cases.calendar import Unit
from cases.elements import Symbol
from cases.limits import (
    MAX_MEASUREMENTS,
    AgencyCode,
    Amount,
    Count,
    Flag,
    Name,
    Person,
    PositiveAmount,
    Summary,
    UnitText,
)
from cases.phrases import Both
from cases.vocabulary import (
    AssistanceKind,
    CaseSource,
    Classification,
    DocumentKind,
    EvasiveMeans,
    ExceedanceArithmetic,
    FeedbackOutcome,
    FilingOutcome,
    Judgment,
    LinkRelation,
    Party,
    ProtectedArea,
    RequestKind,
    Role,
    Stage,
    StandardLevel,
    SubstanceClass,
    ViolationType,
)


@dataclass
class Actor:
    """Who acts: the agency, the role the person acts in, and the person."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    agency: AgencyCode
    role: Role
    person: Person


@dataclass
class Measurement:
    """One pollutant measured against one standard (D1-rules §二(2))."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    pollutant: Name
    measured: Amount
    standard: PositiveAmount
    unit: UnitText = "mg/L"
    total_control: Flag = False  # True: the standard is the total-control quota (总量控制标准)
    level: StandardLevel = StandardLevel.NATIONAL  # the discharge standard is national or local
    element: Symbol | None = None  # the element it contains, when its name does not say


@dataclass(kw_only=True)
class CaseFacts:
    """What the discovering agency records. Triage reads only these."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    violation_type: ViolationType = ViolationType.OTHER
    hazardous_into_water: Flag = False  # 向水体排放或倾倒危险物质
    measurements: Annotated[list[Measurement], MaxLen(MAX_MEASUREMENTS)] = field(
        default_factory=list
    )
    # A multiple as reported (for example by an on-line monitor) when no measured values are recorded,
    # and the arithmetic it was reported in.
    reported_multiple: Amount | None = None
    reported_arithmetic: ExceedanceArithmetic = ExceedanceArithmetic.EXCESS
    # Illegal discharges into water within one year, this one included (D1-rules §二(1)).
    discharges_past_year: Count = 1
    drinking_water_threat: Flag = False  # 对饮用水源安全造成严重威胁
    drinking_water_polluted: Flag = False  # 污染饮用水源
    sensitive_area: Flag = False  # 环境敏感区域
    obvious_crime: Flag = False  # 明显涉嫌犯罪 (D1-rules §三(二)3)
    violent_resistance: Flag = False  # 暴力抗法 (D1-rules §三(二)3; D5 §三.5)
    stability_threat: Flag = False  # 影响社会稳定
    major_or_difficult: Flag = False  # 重大、疑难 (D4 §5)
    high_profile: Flag = False  # 社会影响较大 (D1-op §二(一))
    urgent: Flag = False  # 情况紧急 (D6 §一(三))
    ongoing: Flag = False  # 违法行为正在进行 (D6 §一(三))
    perishable_items: Flag = False  # 易腐烂、变质、灭失 (D4 §5)
    # What J2023 Art. 1 asks about: what was discharged, dumped or disposed of, where, and how.
    substances: Annotated[list[SubstanceClass], MaxLen(3)] = field(default_factory=list)
    hazardous_waste_tonnes: Amount | None = None
    protected_area: ProtectedArea | None = None
    means: Annotated[list[EvasiveMeans], MaxLen(6)] = field(default_factory=list)
    summary: Summary = ""


@dataclass
class CriterionResult:
    code: str
    met: bool
    explanation: str
    source: str
    explanation_zh: str = ""  # empty in a triage made before it was kept (the page shows English)

    @classmethod
    def said(cls, code: str, met: bool, said: Both, source: str) -> CriterionResult:
        return cls(code, met, said.en, source, explanation_zh=said.zh)


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
    criteria: list[CriterionResult]  # the key linkage case's (D1-rules §二)
    exceedances: list[ExceedanceResult]
    early_intervention: list[str]  # trigger codes
    call_police_now: bool
    arithmetic: ExceedanceArithmetic
    reasons: list[str]
    # J2023 Art. 1(一)–(五), where the mechanism counts them: each item met or not, and why.
    crime_criteria: list[CriterionResult] = field(default_factory=list)
    reasons_zh: list[str] = field(default_factory=list)  # ``reasons`` in Chinese, in their order


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
    # A correction is an item of its own that replaces the item ``corrects`` names; a withdrawal is
    # one that marks it withdrawn. Nothing recorded is changed or removed (issue 13).
    corrects: int | None = None
    withdrawn: bool = False
    reasons: str = ""


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
    # Its system's receipt, where the receiver's days run from it (D6 §一(二)).
    received_at: datetime | None = None
    # What an agency of another region is asked to help with (区域联动, D3 §3.2); None otherwise.
    assistance: AssistanceKind | None = None


@dataclass
class CaseLink:
    """A case of another region this case is linked to (D3 §3.2: 不管案发何处…一查到底, 铲除案发源头):
    by its id and region only. Whoever sees this case sees the link; the other case's details only
    whoever may see that case (the read model shows the link on both cases' pages)."""

    case_id: str  # the other case
    region: str  # the other case's region, as its id's agency places it in the registry
    relation: LinkRelation  # what the other case is to this one
    linked_at: datetime
    linked_by: Actor
    note: str = ""


@dataclass
class DeliveryReceipt:
    """The police system's own record that it received the package. Not the acceptance."""

    reference: str
    received_at: datetime


@dataclass
class Document:
    """A written notice sent through the product to another agency's system (DocumentKind).

    ``received_at`` is set from that system's acknowledgement; until then the receiver's periods do
    not run, and a refusal (``error``) shows on the case for the sender to resend.
    """

    doc_id: str  # "N1", "N2"… in the order the case sent them
    kind: DocumentKind
    sender: str
    to: str
    sent_at: datetime
    copy_to: list[str] = field(default_factory=list)
    attempts: int = 1
    reasons: str = ""
    received_at: datetime | None = None
    reference: str | None = None  # the receiving system's receipt number
    error: str | None = None

    @property
    def pending(self) -> bool:
        return self.received_at is None


@dataclass
class ReferralState:
    requested_at: datetime | None = None
    approved_at: datetime | None = None
    approved_by: Actor | None = None
    refusals: list[str] = field(default_factory=list)  # the newest recorded reasons (O310 Art. 5)
    sent_at: datetime | None = None
    attempts: int = 0
    receipt: DeliveryReceipt | None = None
    delivery_error: str | None = None  # a refusal by the receiving system, for a person to resolve
    withdrawn_at: datetime | None = None
    # The team that reported it (O310 Art. 5 ¶1), named on the letter as the officers in charge
    # (N2017 Art. 6(一): 案件主办人).
    officers: list[str] = field(default_factory=list)


@dataclass
class PaperRecord:
    """A paper the case made of what it sent (``cases.papers``): the evidence item it was attached
    as, or why it could not be made (the case goes on without it)."""

    kind: str  # cases.papers.PaperKind
    key: str  # what it is the paper of: "referral-2" (the attempt), "N3" (the notice), "handover"
    at: datetime
    evidence: int | None = None  # the item's sequence number
    error: str | None = None


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
    withdrawn_at: datetime | None = None  # 立案后撤销案件 (N2017 Art. 9)


@dataclass
class TransferState:
    """A jurisdiction transfer under way (D6 §一(三))."""

    target: str
    sent_at: datetime
    reason: str
    disputed_at: datetime | None = None


class ClockState(SQLModel):
    """One running (or finished) deadline, with its owner and where its escalation stands.

    The read model's clock table and the API's clock schema extend this model: its fields are
    written here once.
    """

    ordinal: int  # the order in which the case started its clocks; the read model's key
    key: str = Field(max_length=80)  # unique among open clocks: the name, or name:ref per request
    name: str = Field(max_length=60)
    title_zh: str = Field(max_length=60)
    title_en: str = Field(max_length=120)
    owner_party: Party
    owner_agency: str = Field(max_length=40)
    owner_role: Role
    started_at: datetime
    length: int
    unit: Unit
    due_at: datetime
    source: str = Field(max_length=500)
    statutory: bool
    provisional: bool = False  # counted across a year the calendar does not know
    reminders_sent: int = 0
    escalation_level: int = 0
    # Who the escalation reached, and when, in the order it reached them.
    escalated_to: dict[str, datetime] = Field(default_factory=dict, sa_type=JSON)
    # Who of those acknowledged it, and when (their note is on the timeline): the escalation still
    # runs its ladder, but whoever it reached has said they took it up.
    acknowledged: dict[str, datetime] | None = Field(default=None, sa_type=JSON)
    breached_at: datetime | None = None
    paused_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, max_length=60)

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
    documents: list[Document] = field(default_factory=list)
    filing: FilingState = field(default_factory=FilingState)
    early_intervention_requested_at: datetime | None = None
    early_intervention_at: datetime | None = None
    consultation_open: bool = False
    supervised: bool = False  # 挂牌督办 (D7 §三): tracked until closed
    feedback: FeedbackOutcome | None = None
    judgment: Judgment | None = None  # what the court decided, once the procuratorate charged
    penalty_decided_at: datetime | None = None  # the agency's penalty decision (N2017 Art. 6, 16)
    clocks: list[ClockState] = field(default_factory=list)  # open ones, and the newest closed
    clocks_started: int = 0
    timeline: list[TimelineEntry] = field(default_factory=list)  # the newest entries
    last_seq: int = 0  # the sequence number of the newest timeline entry
    acted: list[str] = field(default_factory=list)  # every agency that has taken a step
    closed_at: datetime | None = None
    papers: list[PaperRecord] = field(default_factory=list)  # the newest (cases.limits.KEPT_PAPERS)
    # Cases of other regions it is linked to (at most cases.limits.MAX_LINKS).
    links: list[CaseLink] = field(default_factory=list)

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

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.doc_id == doc_id), None)

    def paper(self, key: str) -> PaperRecord | None:
        """What became of the paper of ``key``, once it was made or could not be."""
        return next((p for p in reversed(self.papers) if p.key == key), None)

    def received(self, kind: DocumentKind) -> Document | None:
        """The newest document of this kind, once its receiver has acknowledged it."""
        for doc in reversed(self.documents):
            if doc.kind is kind:
                return doc if doc.received_at is not None else None
        return None

    def current_evidence(self) -> list[EvidenceItem]:
        """The items as they stand: each not replaced by a correction and not withdrawn (and not a
        withdrawal itself). The package and the checklists count these."""
        replaced = {item.corrects for item in self.evidence if item.corrects is not None}
        return [i for i in self.evidence if i.seq not in replaced and not i.withdrawn]

    @property
    def evidence_kinds(self) -> set[str]:
        return {item.kind for item in self.current_evidence()}
