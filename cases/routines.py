"""The routines of a mechanism: its periodic duties (DOMAIN.md "Periodic duties"), as data and as pure
functions of time.

A mechanism's file lists them in ``[routines.<name>]`` tables (read by ``cases.routine_reader``):
joint meetings (N2017 Art. 23; quarterly in D4 §5 and D5 §三.1), the weekly report every Friday
(D2 §一.4), the monthly general information (D4 §5, 一般信息月通报), the May enforcement month
(D1-op §二(二)) and the daily look for cases that should have been referred (N2017 Art. 14; O310
Art. 14). Each has a calendar in Asia/Shanghai local time (a weekday, a day of the month, months, an
hour) that a Temporal Schedule fires on (``workflows.schedules``); Schedules know no Chinese
holidays, so the routine itself moves a day off to the next working day of the working-day calendar
(``working_occurrence``), the same way a period ending on a day off moves (``cases.calendar``).

Also here, once: which cases go on a joint meeting's agenda and why (``agenda``), which cases the
procuratorate is shown as handled administratively though triage suggested a crime (``referral_risk``),
and the figures of a bulletin (``figures``). All of it reads the case's projection
(``cases.projection.CaseProjection``), which the read model's rows extend.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from cases.agencies import AgencyKind, AgencyRegistry
from cases.calendar import CHINA_TZ, Unit, WorkingDayCalendar, due_instant, local_date
from cases.figures import NOT_REFERRED_STAGES
from cases.phrases import word
from cases.vocabulary import STAGE_LABELS, Classification, Stage

if TYPE_CHECKING:  # not at run time: the profile holds its routines (cases.profile imports this)
    from cases.profile import Profile
    from cases.projection import CaseProjection


class RoutineKind(StrEnum):
    """What a routine does; which workflow runs it (``workflows.routines``)."""

    JOINT_MEETING = "joint_meeting"  # 联席会议 (N2017 Art. 23; D4 §5; D5 §三.1)
    WEEKLY_REPORT = "weekly_report"  # 周报告, every Friday (D2 §一.4)
    MONTHLY_BULLETIN = "monthly_bulletin"  # 一般信息月通报 (D4 §5)
    ENFORCEMENT_MONTH = "enforcement_month"  # 五月执法行动月, results published (D1-op §二(二))
    REFERRAL_SCAN = "referral_scan"  # 以罚代刑 risk for the procuratorate (N2017 Art. 14)

    @property
    def is_bulletin(self) -> bool:
        return self in _BULLETINS


_BULLETINS = frozenset(
    {RoutineKind.WEEKLY_REPORT, RoutineKind.MONTHLY_BULLETIN, RoutineKind.ENFORCEMENT_MONTH}
)

ROUTINE_LABELS: dict[RoutineKind, tuple[str, str]] = {
    RoutineKind.JOINT_MEETING: ("联席会议", "joint meeting"),
    RoutineKind.WEEKLY_REPORT: ("周报告", "weekly report"),
    RoutineKind.MONTHLY_BULLETIN: ("一般信息月通报", "monthly bulletin"),
    RoutineKind.ENFORCEMENT_MONTH: ("执法行动月", "enforcement month"),
    RoutineKind.REFERRAL_SCAN: ("应移送未移送案件排查", "referral scan"),
}


class Cadence(StrEnum):
    """How often a routine comes round: it names the routine's periods (``period_key``)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


# How many months one period of a cadence spans (daily and weekly count in days instead).
_MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}


@dataclass(frozen=True)
class RoutineSpec:
    """One routine of a mechanism: what it is, its calendar (local time, Asia/Shanghai), who hears
    of it, and the article it implements."""

    name: str
    kind: RoutineKind
    title_zh: str
    title_en: str
    cadence: Cadence
    hour: int
    minute: int = 0
    weekday: int | None = None  # ISO: 1 Monday … 7 Sunday (weekly)
    day: int | None = None  # day of the month (monthly, quarterly, yearly)
    months: tuple[int, ...] = ()  # the months it falls in (quarterly, yearly); () every month
    to: tuple[AgencyKind, ...] = ()  # the kinds of agency of the region that receive it
    statutory: bool = False
    source: str = ""
    source_zh: str = ""
    # Joint meetings: a decision's owner is reminded this long before its due time.
    remind_before: timedelta | None = None
    # The referral scan: a case still listed this long after it was first listed is named again.
    follow_up: timedelta | None = None

    def falls_on(self, day: date) -> bool:
        """Whether the routine's calendar names ``day`` (before any move for a day off)."""
        if self.months and day.month not in self.months:
            return False
        if self.day is not None and day.day != self.day:
            return False
        return self.weekday is None or day.isoweekday() == self.weekday

    def at(self, day: date) -> datetime:
        """The routine's nominal instant on ``day``."""
        return datetime.combine(day, time(self.hour, self.minute), CHINA_TZ)


def occurrences(spec: RoutineSpec, start: datetime, end: datetime) -> list[datetime]:
    """The routine's nominal instants in [start, end), as its Schedule fires them."""
    found: list[datetime] = []
    day = local_date(start)
    while day <= local_date(end):
        at = spec.at(day)
        if spec.falls_on(day) and start <= at < end:
            found.append(at)
        day += timedelta(days=1)
    return found


# A routine falls at least once a year: the latest occurrence is never further back than this.
_LOOK_BACK = timedelta(days=370)


def latest_occurrence(spec: RoutineSpec, instant: datetime) -> datetime:
    """The routine's latest nominal instant at or before ``instant``: the occurrence a run started
    by hand (a Schedule's ``trigger``, an operator) stands for."""
    found = occurrences(spec, instant - _LOOK_BACK, instant + timedelta(microseconds=1))
    if not found:
        raise ValueError(f"routine '{spec.name}' has no occurrence in the year before {instant}")
    return found[-1]


def working_occurrence(nominal: datetime, calendar: WorkingDayCalendar) -> datetime:
    """When a routine whose Schedule fired at ``nominal`` takes place: at the same local time on the
    next working day when ``nominal`` falls on a weekend or a holiday that is not a make-up working
    day. The next working day is the one the calendar's period function gives (``due_instant``: a
    period of one day from a day off ends at 24:00 of the next working day)."""
    day = local_date(nominal)
    if calendar.is_working_day(day):
        return nominal
    next_day_ends = due_instant(nominal, 1, Unit.DAYS, calendar).at
    working_day = local_date(next_day_ends - timedelta(microseconds=1))
    return datetime.combine(working_day, nominal.astimezone(CHINA_TZ).timetz())


def _shift_months(instant: datetime, months: int) -> datetime:
    """The same local day and time ``months`` later (or earlier), the day kept within the month."""
    local = instant.astimezone(CHINA_TZ)
    index = local.year * 12 + local.month - 1 + months
    year, month = divmod(index, 12)
    day = min(local.day, gregorian.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day)


def _month_start(instant: datetime) -> datetime:
    local = instant.astimezone(CHINA_TZ)
    return datetime.combine(local.date().replace(day=1), time(0), CHINA_TZ)


def period_key(spec: RoutineSpec, nominal: datetime, at: datetime) -> str:
    """The name of the period an occurrence belongs to: with the mechanism, the region and the
    routine, it names the occurrence's workflow, so a Schedule that fires twice for one period (a
    catch-up, a trigger) starts one. A daily routine's days off fold into the working day they move
    to: Saturday's and Sunday's scans are Monday's."""
    local = nominal.astimezone(CHINA_TZ)
    if spec.cadence is Cadence.DAILY:
        return local_date(at).isoformat()
    if spec.cadence is Cadence.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if spec.cadence is Cadence.MONTHLY:
        return f"{local.year}-{local.month:02d}"
    if spec.cadence is Cadence.QUARTERLY:
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year}"


def covered(spec: RoutineSpec, nominal: datetime) -> tuple[datetime, datetime]:
    """The stretch of time an occurrence reports on: the period just ended (a week to Friday, the
    month or quarter before), or, for the enforcement month, the month it opens (D1-op §二(二):
    集中查处一批大案要案,公布查处结果: its results are published when it ends)."""
    if spec.kind is RoutineKind.ENFORCEMENT_MONTH:
        start = _month_start(nominal)
        return start, _shift_months(start, 1)
    if spec.cadence is Cadence.DAILY:
        return nominal - timedelta(days=1), nominal
    if spec.cadence is Cadence.WEEKLY:
        return nominal - timedelta(days=7), nominal
    return _shift_months(nominal, -_MONTHS[spec.cadence]), nominal


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a routine: when its Schedule fired (``nominal``), when it takes place
    (``at``, moved off a day off), its period's name, what it reports on, and when its results are
    published (the enforcement month's at its end; the others' at once)."""

    routine: str
    kind: RoutineKind
    nominal: datetime
    at: datetime
    period: str
    covers_from: datetime
    covers_to: datetime
    publish_at: datetime
    provisional: bool  # the calendar guessed the working day: its year is not yet published


def plan(spec: RoutineSpec, nominal: datetime, calendar: WorkingDayCalendar) -> Occurrence:
    """Everything about the occurrence the routine's Schedule fired at ``nominal``."""
    at = working_occurrence(nominal, calendar)
    covers_from, covers_to = covered(spec, nominal)
    publish_at = at
    if spec.kind is RoutineKind.ENFORCEMENT_MONTH:
        publish_at = working_occurrence(spec.at(local_date(covers_to)), calendar)
    years = {local_date(nominal).year, local_date(publish_at).year}
    return Occurrence(
        routine=spec.name,
        kind=spec.kind,
        nominal=nominal,
        at=at,
        period=period_key(spec, nominal, at),
        covers_from=covers_from,
        covers_to=covers_to,
        publish_at=publish_at,
        provisional=not all(calendar.knows(y) for y in years),
    )


def workflow_id(mechanism: str, region: str, routine: str, period: str) -> str:
    """The workflow of one occurrence: the same for every start of the same period, so that it
    runs once. Mechanism names and region codes are lower-case with '-', so '.' separates."""
    return f"routine.{mechanism}.{region}.{routine}.{period}"


def schedule_id(mechanism: str, region: str, routine: str) -> str:
    """The Temporal Schedule of a routine in a region (its workflows' ids begin with it too)."""
    return f"routine.{mechanism}.{region}.{routine}"


SCHEDULE_PREFIX = "routine."


# --- Who -------------------------------------------------------------------------------------------


def regions_for(profile: Profile, registry: AgencyRegistry) -> list[str]:
    """The regions a mechanism's routines run in: those with a joint office (D5 §二: it runs the
    linkage day to day, and convenes the meetings) and an agency of a kind that refers the
    mechanism's cases."""
    kinds = set(profile.referring_kinds)
    regions: list[str] = []
    for region in registry.regions:
        agencies = [a for a in registry if a.region == region.code]
        office = any(a.kind is AgencyKind.JOINT_OFFICE for a in agencies)
        if office and any(a.kind.value in kinds for a in agencies):
            regions.append(region.code)
    return regions


def recipients(spec: RoutineSpec, registry: AgencyRegistry, region: str) -> list[str]:
    """The agencies of ``region`` that receive the routine's notices: the first listed agency of
    each kind it names (the registry lists a region's default agency of a kind first)."""
    found = (registry.code_in_region(kind, region) for kind in spec.to)
    return list(dict.fromkeys(code for code in found if code is not None))


# --- What: the agenda, the referral risk, the figures ------------------------------------------------


class AgendaReason(StrEnum):
    """Why a case is on a joint meeting's agenda (N2017 Art. 23: 通报衔接工作情况,研究存在的问题)."""

    ESCALATED = "escalated"  # a breached clock reached the ladder (D5 §二)
    OVERDUE = "overdue"  # a clock is past its due instant
    KEY = "key"  # a key linkage case (D1-rules §二), open
    STALE = "stale"  # no step for longer than the mechanism's stalled_after


AGENDA_LABELS: dict[AgendaReason, tuple[str, str]] = {
    AgendaReason.ESCALATED: ("已升级督办", "escalated"),
    AgendaReason.OVERDUE: ("已超期", "overdue"),
    AgendaReason.KEY: ("重点联动案件", "key linkage case"),
    AgendaReason.STALE: ("长期无进展", "stalled"),
}

# An agenda lists at most this many cases (the most pressing first) and counts the rest: the
# meeting's state stays small, and no meeting reads a hundred pages.
AGENDA_LIMIT = 100


@dataclass
class AgendaItem:
    """One case on the agenda and why. No facts: the page joins the subject from the read model."""

    case_id: str
    reasons: list[AgendaReason]
    stage: str
    owner_agency: str
    next_deadline: datetime | None = None
    escalation_level: int = 0


@dataclass
class Agenda:
    items: list[AgendaItem] = field(default_factory=list)
    more: int = 0  # cases that qualified past ``AGENDA_LIMIT``


def agenda_reasons(case: CaseProjection, at: datetime) -> list[AgendaReason]:
    """Why ``case`` is on a meeting's agenda at ``at``: none for a closed case."""
    if case.closed_at is not None or case.stage.closed:
        return []
    reasons = []
    if case.escalation_level > 0:
        reasons.append(AgendaReason.ESCALATED)
    if case.next_deadline is not None and case.next_deadline < at:
        reasons.append(AgendaReason.OVERDUE)
    if case.key_case:
        reasons.append(AgendaReason.KEY)
    if case.stalled_at is not None and case.stalled_at < at:
        reasons.append(AgendaReason.STALE)
    return reasons


def agenda(cases: Iterable[CaseProjection], at: datetime) -> Agenda:
    """The cases a joint meeting opening at ``at`` takes up: escalated, overdue, key linkage and
    stalled cases, the most pressing first (the highest rung, then the longest overdue, then key
    cases, then the rest by id)."""
    found: list[AgendaItem] = []
    for case in cases:
        reasons = agenda_reasons(case, at)
        if reasons:
            found.append(
                AgendaItem(
                    case_id=case.case_id,
                    reasons=reasons,
                    stage=case.stage.value,
                    owner_agency=case.owner_agency,
                    next_deadline=case.next_deadline,
                    escalation_level=case.escalation_level,
                )
            )
    far = datetime.max.replace(tzinfo=CHINA_TZ)
    found.sort(
        key=lambda i: (
            -i.escalation_level,
            AgendaReason.OVERDUE not in i.reasons,
            i.next_deadline or far,
            AgendaReason.KEY not in i.reasons,
            i.case_id,
        )
    )
    return Agenda(found[:AGENDA_LIMIT], max(0, len(found) - AGENDA_LIMIT))


class RiskReason(StrEnum):
    """Why a case is shown to the procuratorate as possibly handled by a penalty in place of a
    referral (以罚代刑; N2017 Art. 14, O310 Art. 11, 14)."""

    HANDLED_ADMINISTRATIVELY = "handled_administratively"  # penalty, archiving or archived
    CLASSIFIED_ADMINISTRATIVE = (
        "classified_administrative"  # an officer overrode a crime suggestion
    )


RISK_LABELS: dict[RiskReason, tuple[str, str]] = {
    RiskReason.HANDLED_ADMINISTRATIVELY: (
        "涉嫌犯罪而作行政处理、未移送",
        "a suspected crime handled administratively without referral",
    ),
    RiskReason.CLASSIFIED_ADMINISTRATIVE: (
        "研判提示涉嫌犯罪而定性为一般行政违法",
        "triage suggested a crime, the case was classified administrative",
    ),
}


def referral_risk(case: CaseProjection) -> RiskReason | None:
    """Whether the procuratorate should look at ``case`` (N2017 Art. 14: 人民检察院发现环保部门不移送
    涉嫌环境犯罪案件的…): triage suggested a crime, or the case was classified as one, and it was
    never referred, yet it is handled administratively (a penalty, archiving) or was classified as
    administrative only. The dashboard's broader list (``cases.figures``) also holds public-security
    cases; the procuratorate's concern is crime."""
    if case.referred:
        return None
    crime = Classification.CRIME
    if crime not in (case.suggested, case.classification):
        return None
    if case.stage in NOT_REFERRED_STAGES:
        return RiskReason.HANDLED_ADMINISTRATIVELY
    if case.classification is Classification.ADMINISTRATIVE:
        return RiskReason.CLASSIFIED_ADMINISTRATIVE
    return None


@dataclass
class Figures:
    """A bulletin's figures for one region and mechanism: what happened in the period it covers
    (``opened``, ``referred``, ``closed``) and how things stand at its instant (the rest)."""

    covers_from: datetime
    covers_to: datetime
    at: datetime
    opened: int = 0
    referred: int = 0  # of the cases opened in the period, those referred
    closed: int = 0
    open_cases: int = 0
    overdue: int = 0
    escalated: int = 0
    key_cases: int = 0
    stalled: int = 0
    referral_risks: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)  # open cases

    def rows(self) -> list[tuple[str, str, int]]:
        """The figures as lines (key, Chinese label, value): one table for every format."""
        lines = [(key, FIGURE_LABELS[key][0], int(getattr(self, key))) for key in FIGURE_LABELS]
        for stage in Stage:  # in the lifecycle's order
            if stage.value in self.by_stage:
                label = word(STAGE_LABELS, stage).zh
                lines.append((f"stage:{stage.value}", f"在办:{label}", self.by_stage[stage.value]))
        return lines


FIGURE_LABELS: dict[str, tuple[str, str]] = {
    "opened": ("本期新发现案件", "cases opened in the period"),
    "referred": ("其中已移送", "of which referred"),
    "closed": ("本期办结", "cases closed in the period"),
    "open_cases": ("在办案件", "open cases"),
    "overdue": ("超期案件", "overdue cases"),
    "escalated": ("升级督办案件", "escalated cases"),
    "key_cases": ("重点联动案件", "key linkage cases"),
    "stalled": ("长期无进展案件", "stalled cases"),
    "referral_risks": ("应移送未移送风险", "cases at risk of non-referral"),
}


def figures(
    cases: Iterable[CaseProjection], covers_from: datetime, covers_to: datetime, at: datetime
) -> Figures:
    """The figures of a bulletin at ``at`` over [covers_from, covers_to)."""
    result = Figures(covers_from, covers_to, at)
    for case in cases:
        if covers_from <= case.opened_at < covers_to:
            result.opened += 1
            result.referred += case.referred
        if case.closed_at is not None and covers_from <= case.closed_at < covers_to:
            result.closed += 1
        if referral_risk(case) is not None:
            result.referral_risks += 1
        reasons = agenda_reasons(case, at)
        if case.closed_at is None and not case.stage.closed and case.opened_at < at:
            result.open_cases += 1
            result.by_stage[case.stage.value] = result.by_stage.get(case.stage.value, 0) + 1
        result.overdue += AgendaReason.OVERDUE in reasons
        result.escalated += AgendaReason.ESCALATED in reasons
        result.key_cases += AgendaReason.KEY in reasons
        result.stalled += AgendaReason.STALE in reasons
    return result
