"""The words every part speaks: stages, roles, parties, classifications, events and branches.

String enums only, so that they cross the workflow boundary and the API as their values; what people
read of them is in the ``*_LABELS`` tables, a (Chinese, English) pair per member.
"""

from __future__ import annotations

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
    DETENTION_REVIEW = "detention_review"  # 公安审查是否行政拘留 (P2014 Art. 13–15)
    HANDOVER = "handover"  # 移交涉案物品及材料
    INVESTIGATION = "investigation"  # 调查/侦查
    PROSECUTION = "prosecution"  # 审查起诉 (the procuratorate has the case)
    TRIAL = "trial"  # 审判 (charged, before the court)
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
    Stage.DETENTION_REVIEW: ("拘留审查", "Detention review"),
    Stage.HANDOVER: ("移交涉案物品", "Handover of items"),
    Stage.INVESTIGATION: ("侦查", "Investigation"),
    Stage.PROSECUTION: ("审查起诉", "Review for prosecution"),
    Stage.TRIAL: ("审判", "Trial"),
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
OPEN_STAGES: frozenset[Stage] = frozenset(s for s in Stage if not s.closed)
# Side stages a case passes through after a refusal to file: not on the progress strip.
SIDE_STAGES: frozenset[Stage] = frozenset(
    {Stage.NOT_FILED, Stage.RECONSIDERATION, Stage.SUPERVISION}
)


class Role(StrEnum):
    """What a person may do for their agency."""

    INTAKE = "intake"  # an intake system: opens cases
    OFFICER = "officer"  # 执法人员 / 民警: the day-to-day steps
    APPROVER = "approver"  # 正职负责人 / 负责人: approvals
    COORDINATOR = "coordinator"  # 联动执法办公室 coordinators
    LEADER = "leader"  # 领导小组 members
    PROCURATOR = "procurator"  # 检察官: supervision


# What each role is called, in Chinese and English (the dashboard names whose move it is).
ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.INTAKE: ("接报系统", "intake system"),
    Role.OFFICER: ("承办人员", "officer"),
    Role.APPROVER: ("负责人", "approver"),
    Role.COORDINATOR: ("联动办", "coordinator"),
    Role.LEADER: ("领导小组", "leadership"),
    Role.PROCURATOR: ("检察官", "procurator"),
}


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
    # Decides jurisdiction disputes (D6 §一(三)); between regions, the government of their common
    # superior does (``cases.parties.dispute_region``). The value stays: clocks recorded carry it.
    COUNTY_GOVERNMENT = "county_government"
    CONSULTED = "consulted"  # an agency holding a written question to answer (N2017 Art. 24)
    SUPERIOR = "superior"  # the owner's superior department: 稽查 of its cases (P2014 Art. 17)
    JOINT_OFFICE = "joint_office"
    LEADERSHIP_GROUP = "leadership_group"
    # An agency of another region holding an open request for assistance (区域联动, D3 §3.2; D8 §三(二)).
    ASSISTING = "assisting"
    # The joint office of that agency's own region: an overdue assistance escalates there too, to the
    # office that can press its own agency (the case's own joint office cannot).
    ASSISTING_OFFICE = "assisting_office"


# What each party is called, in Chinese and English (the rules page names who owes a clock's move).
PARTY_LABELS: dict[Party, tuple[str, str]] = {
    Party.REFERRING: ("移送机关", "referring agency"),
    Party.RECEIVING: ("公安机关", "police"),
    Party.PROCURATORATE: ("检察院", "procuratorate"),
    Party.MONITORING: ("监测机构", "monitoring station"),
    Party.APPRAISAL: ("鉴定机构", "appraisal institution"),
    Party.TRANSFER_TARGET: ("受移送部门", "agency the case is transferred to"),
    Party.COUNTY_GOVERNMENT: (
        "县政府(跨区域:共同上级政府)",
        "county government (between regions: their common superior's)",
    ),
    Party.CONSULTED: ("受咨询部门", "consulted agency"),
    Party.SUPERIOR: ("上级部门", "superior department"),
    Party.JOINT_OFFICE: ("联动执法办公室", "joint office"),
    Party.LEADERSHIP_GROUP: ("领导小组", "leadership group"),
    Party.ASSISTING: ("协助单位(外区域)", "assisting agency of another region"),
    Party.ASSISTING_OFFICE: (
        "协助方联动执法办公室",
        "joint office of the assisting agency's region",
    ),
}


class Classification(StrEnum):
    ADMINISTRATIVE = "administrative"  # 一般行政违法
    PUBLIC_SECURITY = "public_security"  # 涉嫌违反治安管理
    CRIME = "crime"  # 涉嫌犯罪

    @property
    def referable(self) -> bool:
        return self is not Classification.ADMINISTRATIVE


class Track(StrEnum):
    """The two things a referral to the police can be (DOMAIN.md "Two tracks"); the confirmed
    classification and the mechanism decide which one a case runs on."""

    # 涉嫌犯罪: O310, and N2017 for environmental cases. A mechanism without a detention track runs its
    # 治安 transfers on this shape too, as its own seed text says (D5 §三.3).
    CRIMINAL = "criminal"
    # 治安 (administrative detention) after the agency's penalty decision: P2014, where the mechanism
    # has it (the environmental mechanisms, P2014 Art. 2).
    DETENTION = "detention"


# Stages only one referral track enters (see ``Track``): the progress strip leaves out the other's.
TRACK_STAGES: dict[Track, frozenset[Stage]] = {
    Track.CRIMINAL: frozenset(
        {
            Stage.FILING_DECISION,
            Stage.NOT_FILED,
            Stage.RECONSIDERATION,
            Stage.SUPERVISION,
            Stage.HANDOVER,
            Stage.INVESTIGATION,
            Stage.PROSECUTION,
            Stage.TRIAL,
        }
    ),
    Track.DETENTION: frozenset({Stage.DETENTION_REVIEW}),
}


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


VIOLATION_LABELS: dict[ViolationType, tuple[str, str]] = {
    ViolationType.DIRECT_DISCHARGE: ("直排废水", "direct discharge of waste water"),
    ViolationType.EVASIVE_DISCHARGE: ("暗管、裂隙、渗井渗坑偷排", "evasive discharge"),
    ViolationType.SERIOUS_EXCEEDANCE: ("严重超标排放", "serious exceedance"),
    ViolationType.HEAVY_METAL: ("涉重金属恶意超标排污", "heavy-metal discharge over the standard"),
    ViolationType.ILLEGAL_SMALL_PLANT: (
        "非法小电镀、制革、印染、炼油等",
        "illegal small plating, tanning, dyeing or refining plant",
    ),
    ViolationType.DRINKING_WATER: (
        "向水体排放或倾倒危险物质污染饮用水源",
        "hazardous substances polluting a drinking-water source",
    ),
    ViolationType.RADIOACTIVE_SOURCE: (
        "放射源丢弃或被盗",
        "radioactive source abandoned or stolen",
    ),
    ViolationType.WASTE_DUMPING: (
        "危险废物、污泥或工业固废非法倾倒或处置",
        "illegal dumping of hazardous waste, sludge or industrial solid waste",
    ),
    ViolationType.OTHER: ("其他", "other"),
}


class StandardLevel(StrEnum):
    """Which discharge standard a measurement is against (J2023 Art. 1(三)(四): 国家或者地方)."""

    NATIONAL = "national"
    LOCAL = "local"


LEVEL_LABELS: dict[StandardLevel, tuple[str, str]] = {
    StandardLevel.NATIONAL: ("国家", "national"),
    StandardLevel.LOCAL: ("地方", "local"),
}


class SubstanceClass(StrEnum):
    """What J2023 Art. 1(一)(五) name: 有放射性的废物、含传染病病原体的废物、有毒物质."""

    RADIOACTIVE = "radioactive"
    PATHOGEN = "pathogen"  # 含传染病病原体的废物
    TOXIC = "toxic"  # 有毒物质 (hazardous waste and heavy metals count as toxic too)


SUBSTANCE_LABELS: dict[SubstanceClass, tuple[str, str]] = {
    SubstanceClass.RADIOACTIVE: ("有放射性的废物", "radioactive waste"),
    SubstanceClass.PATHOGEN: ("含传染病病原体的废物", "waste bearing pathogens"),
    SubstanceClass.TOXIC: ("有毒物质", "toxic substances"),
}


class ProtectedArea(StrEnum):
    """J2023 Art. 1(一): 饮用水水源保护区、自然保护地核心保护区等依法确定的重点保护区域."""

    DRINKING_WATER_ZONE = "drinking_water_zone"
    NATURE_RESERVE_CORE = "nature_reserve_core"
    OTHER_KEY_AREA = "other_key_area"


AREA_LABELS: dict[ProtectedArea, tuple[str, str]] = {
    ProtectedArea.DRINKING_WATER_ZONE: (
        "饮用水水源保护区",
        "drinking-water source protection zone",
    ),
    ProtectedArea.NATURE_RESERVE_CORE: ("自然保护地核心保护区", "nature reserve core zone"),
    ProtectedArea.OTHER_KEY_AREA: ("其他依法确定的重点保护区域", "other key protection area"),
}


class EvasiveMeans(StrEnum):
    """J2023 Art. 1(五): 暗管、渗井、渗坑、裂隙、溶洞、灌注、非紧急情况下开启大气应急排放通道."""

    CONCEALED_PIPE = "concealed_pipe"
    SEEPAGE_WELL_OR_PIT = "seepage_well_or_pit"
    FISSURE = "fissure"
    CAVE = "cave"
    INJECTION = "injection"
    EMERGENCY_VENT = "emergency_vent"  # opened outside an emergency


MEANS_LABELS: dict[EvasiveMeans, tuple[str, str]] = {
    EvasiveMeans.CONCEALED_PIPE: ("暗管", "concealed pipe"),
    EvasiveMeans.SEEPAGE_WELL_OR_PIT: ("渗井、渗坑", "seepage well or pit"),
    EvasiveMeans.FISSURE: ("裂隙", "fissure"),
    EvasiveMeans.CAVE: ("溶洞", "cave"),
    EvasiveMeans.INJECTION: ("灌注", "injection"),
    EvasiveMeans.EMERGENCY_VENT: (
        "非紧急情况下开启大气应急排放通道",
        "emergency vent opened outside an emergency",
    ),
}


class CaseSource(StrEnum):
    INSPECTION = "inspection"  # 检查
    COMPLAINT = "complaint"  # 投诉举报
    MONITORING_ALARM = "monitoring_alarm"  # 在线监测报警
    AGENCY = "agency"  # another agency
    REGION = "region"  # another region


class RequestKind(StrEnum):
    TEST = "test"  # monitoring / testing by a monitoring station
    APPRAISAL = "appraisal"  # appraisal / damage assessment by an appraisal institution
    CONSULTATION = "consultation"  # a written question to another agency (书面咨询, N2017 Art. 24)
    ASSISTANCE = "assistance"  # 区域协助: an agency of another region assists (D3 §3.2; D8 §三(二))


class AssistanceKind(StrEnum):
    """What a case asks of an agency of another region (D3 §3.2: 追本溯源; D8 §三(二): 行政协助)."""

    EVIDENCE = "evidence"  # 协助调查取证
    MONITORING = "monitoring"  # 协助监测
    JOINT_INSPECTION = "joint_inspection"  # 联合检查


ASSISTANCE_LABELS: dict[AssistanceKind, tuple[str, str]] = {
    AssistanceKind.EVIDENCE: ("协助调查取证", "evidence gathering"),
    AssistanceKind.MONITORING: ("协助监测", "monitoring"),
    AssistanceKind.JOINT_INSPECTION: ("联合检查", "joint inspection"),
}


class LinkRelation(StrEnum):
    """How a case of another region stands to this one (D3 §3.2: 一查到底, 铲除案发源头)."""

    SOURCE = "source"  # the other case is where this one comes from (制假/排污源头)
    DOWNSTREAM = "downstream"  # the other case is where this one's goods or discharge went
    RELATED = "related"

    @property
    def seen_from_the_other(self) -> LinkRelation:
        """The same link read from the other case: its source is the other's downstream."""
        return _OTHER_SIDE.get(self, self)


_OTHER_SIDE = {
    LinkRelation.SOURCE: LinkRelation.DOWNSTREAM,
    LinkRelation.DOWNSTREAM: LinkRelation.SOURCE,
}

RELATION_LABELS: dict[LinkRelation, tuple[str, str]] = {
    LinkRelation.SOURCE: ("源头案件", "source case"),
    LinkRelation.DOWNSTREAM: ("下游案件", "downstream case"),
    LinkRelation.RELATED: ("关联案件", "related case"),
}


class FilingOutcome(StrEnum):
    FILED = "filed"
    NOT_FILED = "not_filed"
    WITHDRAWN = "withdrawn"  # 立案后撤销案件 (N2017 Art. 9)
    REVERSE_REFERRED = "reverse_referred"


class FeedbackOutcome(StrEnum):
    """What the police report back on closing (D1-rules §四)."""

    PROSECUTION = "prosecution"  # 移送审查起诉
    DETENTION = "detention"  # 治安拘留等治安处罚
    OTHER_DISPOSAL = "other_disposal"
    NO_VIOLATION = "no_violation"


class DocumentKind(StrEnum):
    """A written notice one agency sends another through the product. It counts as received when the
    receiving agency's system acknowledges it, the same handshake as the referral's receipt; the
    receiver's periods "自接到…之日起" start then, and not before (O310 Art. 9, 12; N2017 Art. 10, 11, 14).
    """

    FILING_NOTICE = "filing_notice"  # 立案通知书 (O310 Art. 8, 12; N2017 Art. 9, 10)
    NOT_FILED_NOTICE = "not_filed_notice"  # 不予立案通知书 (O310 Art. 8, 9; N2017 Art. 9, 11)
    WITHDRAWAL_NOTICE = "withdrawal_notice"  # 撤销案件决定 (N2017 Art. 9, 12)
    RECONSIDERATION_REQUEST = "reconsideration_request"  # 提请复议的文件 (O310 Art. 9 ¶2)
    RECONSIDERATION_DECISION = "reconsideration_decision"  # 复议决定通知书 (O310 Art. 9 ¶2)
    REFERRAL_RECOMMENDATION = "referral_recommendation"  # 建议移送的检察意见 (N2017 Art. 14)
    # 案件移交书: no crime, handed back for a penalty (O310 Art. 13; N2017 Art. 17)
    HANDBACK = "handback"
    NOT_PROSECUTED_NOTICE = "not_prosecuted_notice"  # 不起诉决定 (N2017 Art. 18)
    DETENTION_DECISION = (
        "detention_decision"  # 行政拘留决定书, copied to the agency (P2014 Art. 14)
    )
    RETURN_NOTICE = "return_notice"  # 书面告知并退回案卷材料 (P2014 Art. 15)
    REFERRAL_ORDER = "referral_order"  # 上级部门责令移送 (P2014 Art. 17)

    @property
    def received(self) -> Event:
        """The event its acknowledged receipt raises: the receiver's clocks start on it."""
        return Event(f"{self.value}_received")


DOCUMENT_LABELS: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.FILING_NOTICE: ("立案通知书", "Filing notice"),
    DocumentKind.NOT_FILED_NOTICE: ("不予立案通知书", "Notice of not filing"),
    DocumentKind.WITHDRAWAL_NOTICE: ("撤销案件通知书", "Notice of withdrawal after filing"),
    DocumentKind.RECONSIDERATION_REQUEST: ("提请复议文件", "Request for reconsideration"),
    DocumentKind.RECONSIDERATION_DECISION: ("复议决定通知书", "Reconsideration decision"),
    DocumentKind.REFERRAL_RECOMMENDATION: ("建议移送检察意见", "Recommendation to refer"),
    DocumentKind.HANDBACK: ("案件移交书(反向移送)", "Case handed back for a penalty"),
    DocumentKind.NOT_PROSECUTED_NOTICE: ("不起诉决定书", "Decision not to prosecute"),
    DocumentKind.DETENTION_DECISION: ("行政拘留决定书(抄送)", "Copy of the detention decision"),
    DocumentKind.RETURN_NOTICE: ("退回案卷材料告知书", "Notice returning the file"),
    DocumentKind.REFERRAL_ORDER: ("责令移送通知", "Order to transfer the case"),
}


class Judgment(StrEnum):
    """What the court decided (N2017 Art. 16)."""

    CONVICTED = "convicted"  # 有罪判决
    ACQUITTED = "acquitted"  # 无罪判决
    EXEMPTED = "exempted"  # 免予刑事处罚

    @property
    def penalty_may_follow(self) -> bool:
        """N2017 Art. 16: after an acquittal or an exemption the agency decides on a penalty."""
        return self is not Judgment.CONVICTED


class Branch(StrEnum):
    """Optional paths a mechanism switches on. A step of a branch the mechanism lacks is refused."""

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
    WRITTEN_CONSULTATION = "written_consultation"  # 双向案件咨询 (N2017 Art. 24)
    # 区域联动 (D3 §3.2; D8 §三(二)): assistance asked of another region, and links to its cases.
    REGIONAL_LINKAGE = "regional_linkage"


class Event(StrEnum):
    """What a step (or the workflow itself) makes happen; clocks start, stop and pause on these."""

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
    FILING_WITHDRAWN = "filing_withdrawn"  # 立案后撤销案件 (N2017 Art. 9)
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
    QUESTION_ASKED = "question_asked"  # a written question (N2017 Art. 24)
    QUESTION_RECEIVED = "question_received"  # its receiver's system acknowledged it (D6 §一(二))
    QUESTION_ANSWERED = "question_answered"
    ASSISTANCE_REQUESTED = "assistance_requested"  # 区域协助 (D3 §3.2; D8 §三(二))
    ASSISTANCE_RECEIVED = "assistance_received"  # its receiver's system acknowledged it
    ASSISTANCE_ANSWERED = "assistance_answered"
    CASE_LINKED = "case_linked"  # linked to a case of another region (D3 §3.2: 一查到底)
    FED_BACK = "fed_back"
    PENALTY_IMPOSED = "penalty_imposed"
    ARCHIVED = "archived"
    SUPERVISED_LISTED = "supervised_listed"
    DIRECTED = "directed"
    # A written notice acknowledged by the receiving agency's system (see DocumentKind).
    FILING_NOTICE_RECEIVED = "filing_notice_received"
    NOT_FILED_NOTICE_RECEIVED = "not_filed_notice_received"
    WITHDRAWAL_NOTICE_RECEIVED = "withdrawal_notice_received"
    RECONSIDERATION_REQUEST_RECEIVED = "reconsideration_request_received"
    RECONSIDERATION_DECISION_RECEIVED = "reconsideration_decision_received"
    REFERRAL_RECOMMENDATION_RECEIVED = "referral_recommendation_received"
    HANDBACK_RECEIVED = "handback_received"
    NOT_PROSECUTED_NOTICE_RECEIVED = "not_prosecuted_notice_received"
    # After the police (N2017 Art. 16, 18)
    CHARGED = "charged"  # 提起公诉
    NOT_PROSECUTED = "not_prosecuted"  # 不起诉
    JUDGED = "judged"  # 判决
    NO_CRIMINAL_PENALTY = "no_criminal_penalty"  # 无罪判决或者免予刑事处罚
    # The detention track (P2014)
    PENALTY_DECIDED = "penalty_decided"  # before the transfer (Art. 2)
    DETENTION_DECIDED = "detention_decided"  # 决定行政拘留 (Art. 14)
    REFERRAL_RETURNED = "referral_returned"  # 退回案卷材料 (Art. 15)
    REFERRAL_ORDERED = "referral_ordered"  # 上级部门责令移送 (Art. 17)
    DETENTION_DECISION_RECEIVED = "detention_decision_received"
    RETURN_NOTICE_RECEIVED = "return_notice_received"
    REFERRAL_ORDER_RECEIVED = "referral_order_received"
    DOCUMENT_FAILED = "document_failed"  # the receiving system refused it: a person resends it


# What each event is called, in Chinese and English (the rules page names the events a clock starts on).
EVENT_LABELS: dict[Event, tuple[str, str]] = {
    Event.CASE_OPENED: ("案件登记", "case opened"),
    Event.CLASSIFIED: ("确认定性", "classification confirmed"),
    Event.REFERABLE_FOUND: ("定性为应当移送", "classified as one to refer"),
    Event.NOT_COMPETENT_FOUND: ("认定非本部门管辖", "found outside the agency's jurisdiction"),
    Event.TRANSFER_SENT: ("移送有管辖权部门", "transfer sent"),
    Event.TRANSFER_ACCEPTED: ("接收移送", "transfer accepted"),
    Event.JURISDICTION_DISPUTED: ("提出管辖争议", "jurisdiction disputed"),
    Event.JURISDICTION_DECIDED: ("决定管辖", "jurisdiction decided"),
    Event.TEST_REQUESTED: ("委托监测", "test requested"),
    Event.TEST_ANSWERED: ("出具监测结果", "test result given"),
    Event.APPRAISAL_REQUESTED: ("委托鉴定", "appraisal requested"),
    Event.APPRAISAL_ANSWERED: ("出具鉴定意见", "appraisal given"),
    Event.REQUEST_FAILED: ("委托被拒", "request refused"),
    Event.EARLY_INTERVENTION_REQUESTED: ("提请公安提前介入", "early intervention requested"),
    Event.EARLY_INTERVENTION_DONE: ("公安提前介入", "police intervened early"),
    Event.ADMINISTRATIVE_HANDLING: ("转行政处罚程序", "handled administratively"),
    Event.REFERRAL_REQUESTED: ("提请移送审批", "referral put to the head"),
    Event.REFERRAL_APPROVED: ("批准移送", "referral approved"),
    Event.REFERRAL_REFUSED: ("不批准移送", "referral refused"),
    Event.REFERRAL_WITHDRAWN: ("撤回移送", "referral withdrawn"),
    Event.REFERRAL_SENT: ("书面移送公安", "referral sent"),
    Event.REFERRAL_DELIVERED: ("公安系统签收", "police system receipt"),
    Event.DELIVERY_FAILED: ("送达失败", "delivery failed"),
    Event.ACCEPTED: ("受理", "case accepted"),
    Event.SUPPLEMENTS_REQUESTED: ("要求补正材料", "supplements asked for"),
    Event.SUPPLEMENTS_SUPPLIED: ("补正材料", "supplements supplied"),
    Event.SUPPLEMENTS_DROPPED: ("未待补正即作出决定", "decided without the supplements"),
    Event.EXTENSION_APPROVED: ("批准延长立案审查期限", "extension approved"),
    Event.FILED: ("立案", "case filed"),
    Event.NOT_FILED: ("不予立案", "filing declined"),
    Event.FILING_WITHDRAWN: ("立案后撤销案件", "case withdrawn after filing"),
    Event.REVERSE_REFERRED: ("反向移送", "case handed back"),
    Event.RECONSIDERATION_REQUESTED: ("提请复议", "reconsideration requested"),
    Event.RECONSIDERATION_DECIDED: ("作出复议决定", "reconsideration decided"),
    Event.SUPERVISION_PROPOSED: ("建议检察院立案监督", "supervision proposed"),
    Event.SUPERVISION_DECIDED: ("立案监督决定", "supervision decided"),
    Event.FILING_ORDERED: ("检察院通知立案", "filing ordered by the procuratorate"),
    Event.REFERRAL_RECOMMENDED: ("检察院建议移送", "referral recommended by the procuratorate"),
    Event.HANDED_OVER: ("移交涉案物品及材料", "items and materials handed over"),
    Event.CONSULTATION_CONVENED: ("召集案件会商", "consultation convened"),
    Event.CONSULTATION_CONCLUDED: ("形成会商意见", "consultation concluded"),
    Event.QUESTION_ASKED: ("书面咨询", "written question asked"),
    Event.QUESTION_RECEIVED: ("书面咨询签收", "written question received"),
    Event.QUESTION_ANSWERED: ("书面答复", "written question answered"),
    Event.ASSISTANCE_REQUESTED: ("请求外区域协助", "assistance asked of another region"),
    Event.ASSISTANCE_RECEIVED: ("协助请求签收", "request for assistance received"),
    Event.ASSISTANCE_ANSWERED: ("协助答复", "assistance given"),
    Event.CASE_LINKED: ("关联外区域案件", "linked to a case of another region"),
    Event.FED_BACK: ("反馈处理结果", "result fed back"),
    Event.PENALTY_IMPOSED: ("作出行政处罚决定", "penalty imposed"),
    Event.ARCHIVED: ("归档", "archived"),
    Event.SUPERVISED_LISTED: ("挂牌督办", "listed for supervision"),
    Event.DIRECTED: ("督办指示", "instruction given"),
    Event.FILING_NOTICE_RECEIVED: ("收到立案通知书", "filing notice received"),
    Event.NOT_FILED_NOTICE_RECEIVED: ("收到不予立案通知书", "notice of not filing received"),
    Event.WITHDRAWAL_NOTICE_RECEIVED: ("收到撤销案件通知书", "notice of withdrawal received"),
    Event.RECONSIDERATION_REQUEST_RECEIVED: (
        "收到提请复议文件",
        "request for reconsideration received",
    ),
    Event.RECONSIDERATION_DECISION_RECEIVED: (
        "收到复议决定通知书",
        "reconsideration decision received",
    ),
    Event.REFERRAL_RECOMMENDATION_RECEIVED: (
        "收到建议移送检察意见",
        "recommendation to refer received",
    ),
    Event.HANDBACK_RECEIVED: ("收到案件移交书(反向移送)", "case handed back received"),
    Event.NOT_PROSECUTED_NOTICE_RECEIVED: (
        "收到不起诉决定书",
        "decision not to prosecute received",
    ),
    Event.CHARGED: ("提起公诉", "charged"),
    Event.NOT_PROSECUTED: ("不起诉", "not prosecuted"),
    Event.JUDGED: ("判决", "judgment given"),
    Event.NO_CRIMINAL_PENALTY: (
        "无罪判决或者免予刑事处罚",
        "acquitted or exempted from punishment",
    ),
    Event.PENALTY_DECIDED: ("作出行政处罚决定(移送拘留前)", "penalty decided before the transfer"),
    Event.DETENTION_DECIDED: ("决定行政拘留", "detention decided"),
    Event.REFERRAL_RETURNED: ("不予拘留并退回案卷", "file returned"),
    Event.REFERRAL_ORDERED: ("上级部门责令移送", "transfer ordered by the superior"),
    Event.DETENTION_DECISION_RECEIVED: (
        "收到行政拘留决定书(抄送)",
        "copy of the detention decision received",
    ),
    Event.RETURN_NOTICE_RECEIVED: ("收到退回案卷材料告知书", "notice returning the file received"),
    Event.REFERRAL_ORDER_RECEIVED: ("收到责令移送通知", "order to transfer received"),
    Event.DOCUMENT_FAILED: ("文书送达失败", "notice not delivered"),
}

# What each unit of a period is called, in Chinese and English: "3天", "5个工作日"; "3 days" ("1 day").
UNIT_LABELS: dict[Unit, tuple[str, str]] = {
    Unit.DAYS: ("天", "days"),
    Unit.WORKING_DAYS: ("个工作日", "working days"),
    Unit.HOURS: ("小时", "hours"),
    Unit.MINUTES: ("分钟", "minutes"),
    Unit.SECONDS: ("秒", "seconds"),
}
