"""Public reports (举报) before they become cases: what a hotline or a counter takes in, who holds it,
the clock on handing it on, and who may see who reported.

A report comes from a hotline system (12369 and 110, N2017 Art. 27; 12315, D7) or a counter. The first
agency that receives it owns it until it hands it on (首问责任制, D6 §二(二)): to the competent agency
within the mechanism's period (D6 §一(三): 5 working days, 24 hours when urgent), or it opens a case
from it or answers it itself in that time. The reporter is told when the report is handed on (D4 §5
案件处置制度: 应当及时移交主管机关,并告知举报人; D6 §二(二): 在答复中告知举报人…案件移交情况) and when it is
handled. A report that an agency did not refer a crime goes to the procuratorate, the supervisory
commission or the agency's superior (O310 Art. 14), never to the agency it names.

The reporter's identity never enters a report in clear: the API seals it before anything starts
(``store.sealed``), the workflow and the read model keep only the sealed text, and only the roles a
mechanism names may open it, each view written to the audit trail (D3 §3.3: 为举报提供案源者作好保密工作).
The steps a holder takes are in ``cases.report_steps``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from cases.agencies import AgencyKind, AgencyRegistry
from cases.calendar import WorkingDayCalendar, beijing_time, due_instant
from cases.context import Reason, Refusal
from cases.effects import Notice, NoticeKind, notice
from cases.ids import case_id_for
from cases.limits import NOT_BLANK, AgencyCode, Flag, Instant, IntakeRef, Name
from cases.phrases import Both
from cases.profile import DEFAULT_MECHANISM, Profile, ReportRules
from cases.vocabulary import Party, Role

REPORT_PREFIX = "report-"
TAKERS = frozenset({Role.INTAKE, Role.OFFICER})  # a hotline system, or an officer at a counter
HOLDER_ROLES = frozenset({Role.OFFICER, Role.APPROVER})  # who acts for the agency holding it
KEPT_REPORT_EVENTS = 40  # the workflow's own copy; the read model keeps every event
_FUTURE = timedelta(minutes=10)  # the intake systems' clocks run a little ahead
OLDEST = timedelta(days=366)  # a report taken later than this was never taken in time

Account = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NOT_BLANK
]
Place = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NOT_BLANK
]
Contact = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class Channel(StrEnum):
    HOTLINE_12369 = "12369"  # 环保举报热线 (N2017 Art. 27)
    HOTLINE_110 = "110"  # 报警服务平台 (N2017 Art. 27)
    HOTLINE_12315 = "12315"  # 消费者申诉举报 (D7)
    COUNTER = "counter"  # 来访: at an agency's counter
    LETTER = "letter"  # 来信
    ONLINE = "online"  # 网上举报


class ReportStage(StrEnum):
    RECEIVED = "received"  # with the agency that took it (首问)
    TRANSFERRED = "transferred"  # handed on: the competent agency holds it
    HANDLED = "handled"  # a case opened from it, or answered; a reward may still be decided
    CLOSED = "closed"


class Outcome(StrEnum):
    CASE_OPENED = "case_opened"
    NO_VIOLATION = "no_violation"  # 经初步核实未发现违法行为的…直接答复 (D6 §二(二))
    ACTED_ON_AGENCY = "acted_on_agency"  # a report of an agency: the recipient acted (O310 Art. 14)


class RewardStatus(StrEnum):
    NOT_DUE = "not_due"  # only a report that leads to a case is rewarded (D3 §3.3)
    ELIGIBLE = "eligible"
    GRANTED = "granted"
    DECLINED = "declined"


@dataclass(kw_only=True)
class Reporter:
    """Who reported, as the hotline or the counter takes it. It is sealed by the API at once and never
    kept, sent or logged in clear."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    name: Contact = ""
    phone: Contact = ""
    address: Contact = ""  # or another way to reach them (mail, e-mail)


@dataclass(kw_only=True)
class ReportFacts:
    """What was reported: channel, time, place, what was seen, how pressing it is."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    intake_ref: IntakeRef  # the hotline system's own id: a repeat is the same report
    mechanism: Name = DEFAULT_MECHANISM
    channel: Channel
    received_at: Instant  # when the first agency took it: the handing-on period runs from here
    place: Place
    seen: Account  # what the reporter saw
    urgent: Flag = False  # D6 §一(三): 情况紧急的…24小时内
    ongoing: Flag = False  # D6 §一(三): 违法行为正在进行的…立即告知有管辖权的一方
    # O310 Art. 14: a report that this agency did not refer a suspected crime to the police.
    about_agency: AgencyCode | None = None
    anonymous: Flag = False


@dataclass(kw_only=True)
class ReportIntake(ReportFacts):
    """A report as it enters the engine: the facts, the agency that took it, and the reporter sealed."""

    received_by: AgencyCode
    reporter_sealed: str = (
        ""  # ``store.sealed``: the name and contact, encrypted; "" when none given
    )
    can_reply: Flag = False  # a contact was given: the reporter is told

    @property
    def report_id(self) -> str:
        return case_id_for(self.received_by, self.intake_ref)


@dataclass
class ReportClock:
    """The first receiver's duty to hand the report on (or handle it) in time."""

    started_at: datetime
    due_at: datetime
    provisional: bool
    reminders_sent: int = 0
    breached_at: datetime | None = None
    escalation_level: int = 0
    escalated_to: list[str] = field(default_factory=list)
    stopped_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.stopped_at is None


@dataclass
class ReportEvent:
    """One line of a report's timeline. Never the reporter's identity."""

    seq: int
    at: datetime
    action: str
    agency: str = ""
    role: str = ""
    person: str = ""
    text: str = ""  # Chinese, as the dashboard shows it
    text_en: str = ""


@dataclass
class ReporterReply:
    """What the reporter is told: through the notifier, to the sealed contact, once per key."""

    report_id: str
    idempotency_key: str
    reporter_sealed: str
    text: str
    text_en: str = ""


@dataclass
class ReportState:
    """The whole state of one report: what its workflow holds and its query returns."""

    report_id: str
    intake: ReportIntake
    region: str
    owner_agency: str
    holders: list[str]
    stage: ReportStage = ReportStage.RECEIVED
    outcome: Outcome | None = None
    case_id: str | None = None
    clock: ReportClock | None = None
    reward: RewardStatus = RewardStatus.NOT_DUE
    reward_yuan: int = 0
    events: list[ReportEvent] = field(default_factory=list)
    seq: int = 0
    replies_sent: int = 0
    # Who may see the reporter, as the report's own mechanism says: kept with it in the read model.
    identity_roles: list[str] = field(default_factory=list)


def workflow_id(report_id: str) -> str:
    """A report's workflow: its own prefix, so that the codec marks its payloads restricted (no
    case's region decodes them in the Web UI)."""
    return f"{REPORT_PREFIX}{report_id}"


def rules_of(profile: Profile) -> ReportRules:
    if profile.reports is None:
        raise ValueError(f"mechanism '{profile.name}' takes no public reports")
    return profile.reports


def supervisors_of(agency: str, registry: AgencyRegistry) -> list[str]:
    """Where a report that ``agency`` did not refer a crime may go (O310 Art. 14: 向人民检察院、监察机关
    或者上级行政执法机关举报): the procuratorate and the supervisory commission of its region, and its
    superior agency."""
    found = registry.find(agency)
    if found is None:
        return []
    codes = [
        a.code
        for kind in (AgencyKind.PROCURATORATE, AgencyKind.SUPERVISORY_COMMISSION)
        for a in registry.in_region(kind, found.region)
    ]
    return codes + ([found.superior] if found.superior else [])


def intake_refusal(
    facts: ReportFacts,
    reporter: Reporter | None,
    *,
    agency: str,
    role: Role,
    profiles: dict[str, Profile],
    registry: AgencyRegistry,
    now: datetime,
) -> Refusal | None:
    """May this caller take this report? Nothing refused here starts anything."""
    if role not in TAKERS:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED,
            f"the role '{role}' may not take reports; take them with an intake or officer key",
        )
    if registry.find(agency) is None:
        return Refusal(Reason.UNKNOWN_AGENCY, f"your agency '{agency}' is not in the registry")
    profile = profiles.get(facts.mechanism)
    if profile is None or profile.reports is None:
        names = ", ".join(sorted(n for n, p in profiles.items() if p.reports is not None))
        return Refusal(
            Reason.INVALID_PAYLOAD,
            f"mechanism: no mechanism '{facts.mechanism}' takes reports (one of: {names})",
        )
    if facts.about_agency is not None and registry.find(facts.about_agency) is None:
        return Refusal(
            Reason.INVALID_PAYLOAD,
            f"about_agency: '{facts.about_agency}' is not in the registry",
        )
    if facts.about_agency == agency:
        return Refusal(
            Reason.INVALID_PAYLOAD,
            "about_agency: a report of your own agency is taken by its procuratorate, supervisory "
            f"commission or superior ({', '.join(supervisors_of(agency, registry))}), never by "
            "the agency it names (O310 Art. 14): direct the reporter there",
        )
    if facts.received_at - now > _FUTURE:
        return Refusal(Reason.INVALID_PAYLOAD, "received_at: lies in the future")
    if now - facts.received_at > OLDEST:
        return Refusal(
            Reason.INVALID_PAYLOAD,
            "received_at: more than a year ago; a report is taken when it comes in",
        )
    if facts.anonymous and reporter is not None and reporter.name:
        return Refusal(
            Reason.INVALID_PAYLOAD,
            "reporter.name: an anonymous report names nobody; send a contact for the reply only",
        )
    if not facts.anonymous and (reporter is None or not reporter.name):
        return Refusal(
            Reason.INVALID_PAYLOAD,
            "reporter.name: a report that is not anonymous names its reporter (or set anonymous)",
        )
    return None


def open_report(
    intake: ReportIntake,
    profile: Profile,
    registry: AgencyRegistry,
    calendar: WorkingDayCalendar,
    now: datetime,
) -> ReportState:
    """The report as its first receiver holds it, with the handing-on clock running from its receipt
    (D6 §一(三): 自发现之日起)."""
    rules = rules_of(profile)
    agency = registry.get(intake.received_by)
    state = ReportState(
        report_id=intake.report_id,
        intake=intake,
        region=agency.region,
        owner_agency=agency.code,
        holders=[agency.code],
        identity_roles=sorted(r.value for r in rules.identity_roles),
    )
    start = min(intake.received_at, now)
    period = rules.urgent if intake.urgent or intake.ongoing else rules.transfer
    due = due_instant(start, period.length, period.unit, calendar)
    state.clock = ReportClock(start, due.at, due.provisional)
    state.clock.reminders_sent = sum(1 for r in rules.reminders if due.at - r <= now)
    said = Both(
        f"{registry.named(agency.code).zh}受理举报(首问负责)",
        f"report taken by {registry.named(agency.code).en} (first receiver owns it)",
    )
    add_event(state, "received", now, said, agency=agency.code)
    return state


def add_event(
    state: ReportState,
    action: str,
    at: datetime,
    said: Both,
    *,
    agency: str = "",
    role: str = "",
    person: str = "",
) -> ReportEvent:
    state.seq += 1
    event = ReportEvent(state.seq, at, action, agency, role, person, said.zh, said.en)
    state.events.append(event)
    del state.events[:-KEPT_REPORT_EVENTS]
    return event


def stop_clock(state: ReportState, at: datetime) -> None:
    if state.clock is not None and state.clock.running:
        state.clock.stopped_at = at


# --------------------------------------------------------------------------------------------------
# The clock: reminders before the due instant, the breach, and the ladder


def next_wakeup(state: ReportState, rules: ReportRules) -> datetime | None:
    clock = state.clock
    if clock is None or not clock.running:
        return None
    if clock.reminders_sent < len(rules.reminders):
        return clock.due_at - rules.reminders[clock.reminders_sent]
    if clock.breached_at is None:
        return clock.due_at
    if clock.escalation_level < len(rules.escalation):
        return clock.breached_at + rules.escalation[clock.escalation_level].after
    return None


_RUNG_KINDS = {
    Party.JOINT_OFFICE: AgencyKind.JOINT_OFFICE,
    Party.LEADERSHIP_GROUP: AgencyKind.LEADERSHIP_GROUP,
    Party.PROCURATORATE: AgencyKind.PROCURATORATE,
    Party.COUNTY_GOVERNMENT: AgencyKind.COUNTY_GOVERNMENT,
}


def fire(
    state: ReportState, rules: ReportRules, registry: AgencyRegistry, now: datetime
) -> list[Notice]:
    """What the clock did by ``now``: each reminder, the breach and each rung, once, with its notice.
    Nothing here names the reporter; the notices name the report and the place."""
    clock = state.clock
    out: list[Notice] = []
    if clock is None or not clock.running:
        return out
    holder = registry.named(state.owner_agency)
    due = beijing_time(clock.due_at)
    while clock.reminders_sent < len(rules.reminders) and (
        clock.due_at - rules.reminders[clock.reminders_sent] <= now
    ):
        clock.reminders_sent += 1
        said = Both(
            f"提醒:举报{state.report_id}应于{due}前移交有管辖权的部门或办结(首问负责,{rules.source_zh})",
            f"reminder: report {state.report_id} is to be handed on or handled by {due} "
            f"({rules.source})",
        )
        out.append(_notice(NoticeKind.REMINDER, [state.owner_agency], said, clock))
    if clock.breached_at is None and clock.due_at <= now:
        clock.breached_at = clock.due_at
        said = Both(
            f"超期:{holder.zh}未在{due}前移交或办结举报{state.report_id}",
            f"overdue: {holder.en} did not hand on or handle report {state.report_id} by {due}",
        )
        out.append(_notice(NoticeKind.BREACH, [state.owner_agency], said, clock))
        add_event(state, "breach", clock.due_at, said)
    while (
        clock.breached_at is not None
        and clock.escalation_level < len(rules.escalation)
        and clock.breached_at + rules.escalation[clock.escalation_level].after <= now
    ):
        rung = rules.escalation[clock.escalation_level]
        clock.escalation_level += 1
        kind = _RUNG_KINDS[rung.to]
        to = [a.code for a in registry.in_region(kind, state.region)]
        clock.escalated_to.extend(to)
        said = Both(
            f"升级督办(第{clock.escalation_level}级):{holder.zh}逾期未移交举报{state.report_id}"
            f"(应于{due}前)",
            f"escalated (level {clock.escalation_level}): {holder.en} has not handed on report "
            f"{state.report_id}, due {due}",
        )
        if to:
            out.append(_notice(NoticeKind.ESCALATION, to, said, clock))
        add_event(state, "escalation", now, said)
    return out


def _notice(kind: NoticeKind, to: list[str], said: Both, clock: ReportClock) -> Notice:
    return notice(
        kind, to, said, clock="report_transfer", level=clock.escalation_level, due_at=clock.due_at
    )


# --------------------------------------------------------------------------------------------------
# Who may see what


AUDIT_READERS = frozenset({Role.LEADER, Role.PROCURATOR})  # who reads the trail of looks


def identity_refusal(
    owner: str,
    region: str,
    anonymous: bool,
    roles: list[str],
    *,
    agency: str,
    role: Role,
    registry: AgencyRegistry,
    about: str | None = None,
) -> Refusal | None:
    """May this caller open the reporter's identity? Only the roles the report's mechanism names
    (``roles``, kept with the report): the head of the agency holding it, the region's leaders;
    nobody for an anonymous report (D3 §3.3: 为举报提供案源者作好保密工作)."""
    if anonymous:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED, "the reporter asked to stay anonymous: nobody sees who it is"
        )
    if about is not None and agency == about:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED, "the agency a report names never sees who made it"
        )
    if role.value not in roles:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED,
            f"who reported is seen only by: {', '.join(roles) or 'nobody'} (D3 §3.3)",
        )
    if role in (Role.LEADER, Role.PROCURATOR, Role.COORDINATOR):
        caller = registry.find(agency)
        if role is Role.PROCURATOR or (caller is not None and caller.region == region):
            return None
        return Refusal(Reason.NOT_YOUR_MOVE, "you see the reporters of your own region only")
    if agency != owner:
        return Refusal(
            Reason.NOT_YOUR_MOVE, "only the agency holding the report sees who reported it"
        )
    return None


def audit_refusal(
    region: str, *, agency: str, role: Role, registry: AgencyRegistry
) -> Refusal | None:
    """Who may read the trail of looks at a report's reporter: the region's leaders and the
    procuratorate."""
    if role not in AUDIT_READERS:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED, "the trail of looks is read by leaders and procurators"
        )
    caller = registry.find(agency)
    if role is Role.LEADER and (caller is None or caller.region != region):
        return Refusal(Reason.NOT_YOUR_MOVE, "a leader reads the trail of their own region")
    return None


# --------------------------------------------------------------------------------------------------
# What people read: (Chinese, English)

CHANNEL_LABELS: dict[Channel, tuple[str, str]] = {
    Channel.HOTLINE_12369: ("12369环保举报热线", "12369 environmental hotline"),
    Channel.HOTLINE_110: ("110报警服务平台", "110 police hotline"),
    Channel.HOTLINE_12315: ("12315投诉举报热线", "12315 consumer hotline"),
    Channel.COUNTER: ("来访", "at the counter"),
    Channel.LETTER: ("来信", "by letter"),
    Channel.ONLINE: ("网上举报", "online"),
}
STAGE_LABELS: dict[ReportStage, tuple[str, str]] = {
    ReportStage.RECEIVED: ("首问受理", "with its first receiver"),
    ReportStage.TRANSFERRED: ("已移交", "handed on"),
    ReportStage.HANDLED: ("已处理", "handled"),
    ReportStage.CLOSED: ("已办结", "closed"),
}
OUTCOME_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.CASE_OPENED: ("已立案", "case opened"),
    Outcome.NO_VIOLATION: ("未发现违法行为", "no violation found"),
    Outcome.ACTED_ON_AGENCY: ("已依法监督", "the supervisor acted"),
}
REWARD_LABELS: dict[RewardStatus, tuple[str, str]] = {
    RewardStatus.NOT_DUE: ("不适用", "not due"),
    RewardStatus.ELIGIBLE: ("待决定", "to be decided"),
    RewardStatus.GRANTED: ("已奖励", "granted"),
    RewardStatus.DECLINED: ("不予奖励", "declined"),
}
