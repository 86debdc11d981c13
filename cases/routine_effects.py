"""The contract between the routines' workflows (``workflows.routines``) and their activities
(``activities.routines``): activity names and the dataclasses that cross, as ``cases.effects`` is
for a case. Nothing here holds a case's facts but what a notice to an agency must say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cases.agencies import RegistrySnapshot
from cases.calendar import CalendarSnapshot
from cases.meetings import MeetingState, OpenDecision
from cases.model import Actor
from cases.referral_watch import MarkOutcome, Rescan
from cases.routines import Agenda, Figures, Occurrence, RoutineKind, RoutineSpec

ROUTINE_SETUP = "routine_setup"  # RoutineStart -> RoutineSetup
READ_AGENDA = "read_agenda"  # AgendaRequest -> AgendaRead
RECORD_MEETING = "record_meeting"  # MeetingState
GATHER_FIGURES = "gather_figures"  # FiguresRequest -> Figures
PUBLISH_BULLETIN = "publish_bulletin"  # BulletinPublish -> BulletinPublished
RECORD_BULLETIN_DELIVERY = "record_bulletin_delivery"  # BulletinDelivered
SCAN_REFERRALS = "scan_referrals"  # ScanRequest -> ScanResult
RECORD_WATCH_MARK = "record_watch_mark"  # WatchMark
START_OCCURRENCE = "start_occurrence"  # OccurrenceStart -> bool (started now)

# A routine's setup names a mechanism or routine the worker's files do not have (removed since its
# Schedule was made): no retry helps, the operator's ``linkage schedules`` removes the Schedule.
UNKNOWN_ROUTINE = "UnknownRoutine"

# The signal a day's referral scan sends the one before it: its list now lives on in the new one.
SUPERSEDED = "superseded"


@dataclass
class RoutineStart:
    """What a routine's Schedule starts its ``RoutineWorkflow`` with: names only (Schedules keep
    their action's arguments; no case's facts are in them)."""

    mechanism: str
    region: str
    routine: str
    # The occurrence this start stands for: None, the Schedule's own fire time (or, started by
    # hand, the latest occurrence before now).
    nominal: datetime | None = None


@dataclass
class RoutineSetup:
    """The routine, calendar and registry as the worker's files have them, read once into the
    start's history."""

    spec: RoutineSpec
    calendar: CalendarSnapshot
    registry: RegistrySnapshot


@dataclass
class RoutineStarted:
    """What a start did: the occurrence's workflow, and whether this start started it."""

    workflow_id: str
    started: bool
    occurrence: Occurrence


@dataclass
class MeetingInput:
    state: MeetingState  # as it opens: scheduled, with its time, region and participants
    registry: RegistrySnapshot


@dataclass
class AgendaRequest:
    meeting_id: str
    mechanism: str
    region: str
    at: datetime


@dataclass
class AgendaRead:
    agenda: Agenda
    carried_over: list[OpenDecision] = field(default_factory=list)


@dataclass
class BulletinInput:
    """One occurrence of a report or bulletin: what it covers, when it is published, to whom."""

    bulletin_id: str
    mechanism: str
    region: str
    routine: str
    kind: RoutineKind
    title_zh: str
    title_en: str
    source: str
    source_zh: str
    statutory: bool
    period: str
    covers_from: datetime
    covers_to: datetime
    at: datetime  # when it takes place (the enforcement month: when it opens)
    publish_at: datetime
    to: list[str]


@dataclass
class FiguresRequest:
    mechanism: str
    region: str
    covers_from: datetime
    covers_to: datetime
    at: datetime


@dataclass
class BulletinPublish:
    bulletin: BulletinInput
    figures: Figures
    published_at: datetime


@dataclass
class BulletinPublished:
    """The bulletin as kept: its formats and each one's SHA-256."""

    bulletin_id: str
    formats: dict[str, str]


@dataclass
class BulletinDelivered:
    bulletin_id: str
    delivered_at: datetime


@dataclass
class BulletinOutcome:
    bulletin_id: str
    formats: dict[str, str]
    delivered_at: datetime | None
    error: str | None = None


@dataclass
class ScanInput:
    scan_id: str
    mechanism: str
    region: str
    routine: str
    period: str
    at: datetime
    follow_up: timedelta
    to: list[str]
    registry: RegistrySnapshot
    # How long a day's list takes marks at most, when no later scan supersedes it.
    open_for: timedelta = timedelta(days=7)


@dataclass
class ScanRequest:
    scan_id: str
    mechanism: str
    region: str
    at: datetime
    follow_up: timedelta


@dataclass
class ScanResult:
    scan_id: str
    rescan: Rescan
    previous: str | None = None  # the scan before, whose list this one takes over


@dataclass
class WatchMark:
    scan_id: str
    case_id: str
    outcome: MarkOutcome
    note: str
    actor: Actor
    at: datetime


@dataclass
class OccurrenceStart:
    """Start one occurrence's workflow (one of the inputs is set) under its period's id, unless a
    workflow of that id ran or runs already."""

    workflow_id: str
    meeting: MeetingInput | None = None
    bulletin: BulletinInput | None = None
    scan: ScanInput | None = None


@dataclass
class ScanSummary:
    scan_id: str
    listed: list[str]
    standing: list[str]
    marked: list[str] = field(default_factory=list)
    superseded: bool = False
