"""Mechanism profiles as types: which process a linkage mechanism runs and every clock of it.

A profile (``data/mechanisms/<name>.toml``, read by ``cases.profiles``) sets its stages and branches;
each clock's owner, start and stop events, length and unit, reminder points, escalation ladder and
source (or "not statutory"); its referral checklist; whether a request for supplements blocks
acceptance; and the exceedance arithmetic of triage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from cases.calendar import Unit
from cases.event_bulletins import EventBulletinSpec, EventKind
from cases.routines import RoutineSpec
from cases.vocabulary import (
    Branch,
    Classification,
    Event,
    ExceedanceArithmetic,
    Party,
    Role,
    Stage,
    Track,
)

MECHANISMS_DIR = Path(__file__).parent / "data" / "mechanisms"
DEFAULT_MECHANISM = "env-police"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

ESCALATION_TARGETS = frozenset(
    {
        Party.JOINT_OFFICE,
        Party.LEADERSHIP_GROUP,
        Party.PROCURATORATE,
        Party.COUNTY_GOVERNMENT,
        Party.ASSISTING_OFFICE,  # an assistance's clock only: the assisting region's joint office
    }
)
# Events that concern one request among several: clocks on them run once per request.
PER_REQUEST_EVENTS = frozenset(
    {
        Event.TEST_REQUESTED,
        Event.TEST_ANSWERED,
        Event.APPRAISAL_REQUESTED,
        Event.APPRAISAL_ANSWERED,
        Event.REQUEST_FAILED,
        Event.QUESTION_ASKED,
        Event.QUESTION_RECEIVED,
        Event.QUESTION_ANSWERED,
        Event.ASSISTANCE_REQUESTED,
        Event.ASSISTANCE_RECEIVED,
        Event.ASSISTANCE_ANSWERED,
    }
)
# A stage that exists only when its branch is switched on.
STAGE_BRANCH = {
    Stage.RECONSIDERATION: Branch.RECONSIDERATION,
    Stage.SUPERVISION: Branch.PROCURATORATE_SUPERVISION,
}
OPTIONAL_STAGES = frozenset(
    {
        Stage.RECONSIDERATION,
        Stage.SUPERVISION,
        Stage.HANDOVER,
        Stage.PROSECUTION,
        Stage.TRIAL,
        Stage.DETENTION_REVIEW,
    }
)


def parse_duration(text: str) -> timedelta:
    """'1d', '12h', '1d12h', '30m', '45s', '0s'."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not text.strip():
        raise ValueError(f"{text!r} is not a duration (write e.g. '1d', '12h', '30m', '45s')")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


@dataclass(frozen=True)
class Period:
    length: int
    unit: Unit


@dataclass(frozen=True)
class Rung:
    """One step of an escalation ladder: to whom, and how long after the breach."""

    to: Party
    after: timedelta


@dataclass(frozen=True)
class ClockSpec:
    name: str
    title_zh: str
    title_en: str
    owner: Party
    owner_role: Role
    starts_on: frozenset[Event]
    stops_on: frozenset[Event]
    pauses_on: frozenset[Event]
    restarts_on: frozenset[Event]  # the period starts again in full (补正)
    resumes_on: frozenset[Event]  # a pause ends: the period goes on with the time it had left
    extended_on: frozenset[Event]  # an approved extension replaces the period
    period: Period
    urgent: Period | None  # the period when the case is urgent (D6: 24 hours)
    reminders: tuple[timedelta, ...]  # before the due instant, latest last
    escalation: tuple[Rung, ...]
    statutory: bool
    source: str  # citation, quote and the product's note: what the API and the English page show
    source_zh: str  # the same in Chinese for the dashboard: the quote as it is, the note translated
    per_request: bool
    # The period runs from the case's discovery, not from the event that starts the clock (D5 §三.3,
    # D6 §一(三): 自发现之日起), so a case opened late has less time left.
    from_discovery: bool = False
    # The stages in which its events start it (empty: any). A notice received after the case moved
    # on (a filing ordered before the withdrawal notice arrived) starts nothing.
    starts_in: frozenset[Stage] = frozenset()
    # The referral tracks on which its events start it (empty: both). The detention track's clocks
    # (P2014) and the criminal track's (O310, N2017) share events such as the approval.
    tracks: frozenset[Track] = frozenset()

    def period_for(self, *, urgent: bool) -> Period:
        return self.urgent if urgent and self.urgent is not None else self.period


@dataclass(frozen=True)
class Extension:
    name: str
    period: Period
    source: str


@dataclass(frozen=True)
class Window:
    """How long a party may still exercise a right (not a duty: no escalation)."""

    name: str
    period: Period
    source: str


@dataclass(frozen=True)
class CrimeRules:
    """J2023 Art. 1(一)–(五), as a mechanism counts them (the environmental mechanisms only)."""

    source: str
    arithmetic: ExceedanceArithmetic  # how "超过…三倍以上" is counted, shown next to the result
    arithmetic_note: str
    three_times: frozenset[str]  # element symbols of Art. 1(三)
    ten_times: frozenset[str]  # element symbols of Art. 1(四)
    hazardous_waste_tonnes: float  # Art. 1(二)


@dataclass(frozen=True)
class TriageRules:
    arithmetic: ExceedanceArithmetic
    arithmetic_note: str
    exceedance_threshold: float
    repeat_threshold: int
    crime: CrimeRules | None = None


@dataclass(frozen=True)
class TrackRules:
    """What differs between the two referral tracks of a mechanism (DOMAIN.md "Two tracks"): the
    report, the package, how the police accept, who gets copies, and the windows of the police's
    rights. The criminal track's are the profile's top-level keys; the detention track's are its
    ``[detention]`` table (P2014)."""

    track: Track
    source: str
    referral_team: int  # officers the report names at least (O310 Art. 5: 2)
    referral_required: tuple[str, ...]
    referral_optional: tuple[str, ...]
    referral_source: str
    referral_if_penalty: tuple[str, ...]  # required once a penalty was decided (N2017 Art. 6)
    acceptance_on_receipt: bool  # N2017 Art. 7: the police system's receipt is the acceptance
    copy_procuratorate: bool  # N2017 Art. 6, 9: the letter and every decision are copied
    penalty_first: bool  # P2014 Art. 2: transferred only after the agency's penalty decision
    windows: Mapping[str, Window]


@dataclass(frozen=True)
class ReportRules:
    """How a mechanism handles a public report (举报) before it becomes a case (``cases.reports``):
    the first agency that receives it owns it (首问责任制, D6 §二(二)) and hands it to the competent
    agency within ``transfer`` (``urgent`` when urgent or ongoing, D6 §一(三)), or opens a case from it
    or answers it itself in that time; reminders and the ladder as a clock's. ``identity_roles`` may
    see who reported (D3 §3.3: 为举报提供案源者作好保密工作), each view written to the audit trail."""

    transfer: Period
    urgent: Period
    reminders: tuple[timedelta, ...]
    escalation: tuple[Rung, ...]
    statutory: bool
    source: str
    source_zh: str
    identity_roles: frozenset[Role]
    identity_source: str


@dataclass(frozen=True)
class Profile:
    name: str
    title_zh: str
    title_en: str
    description: str
    sources: tuple[str, ...]
    demo: bool
    referring_kinds: tuple[str, ...]
    stages: tuple[Stage, ...]
    branches: frozenset[Branch]
    supplements_block_acceptance: bool
    copy_procuratorate: bool
    acceptance_on_receipt: bool  # N2017 Art. 7: the police system's receipt is the acceptance
    referral_team: int  # officers the referral report names at least (O310 Art. 5: 2)
    consultation_invites: bool  # the procuratorate and the court are invited (N2017 Art. 29)
    record_within_days: int  # a decision recorded later is flagged (N2017 Art. 34: 7); 0: none
    # The agency kinds of the case's region a written question goes to (D6 §一(二): the county
    # departments); empty: the case's own agencies (N2017 Art. 24).
    written_consultation_to: tuple[str, ...]
    triage: TriageRules
    referral_required: tuple[str, ...]
    referral_optional: tuple[str, ...]
    referral_source: str
    referral_if_penalty: tuple[str, ...]  # required once a penalty was decided (N2017 Art. 6)
    evidence_checklists: Mapping[Classification, tuple[str, ...]]
    evidence_source: str
    evidence_if_perishable: tuple[str, ...]  # required when items perish (O310 Art. 4 ¶2)
    clocks: Mapping[str, ClockSpec]
    windows: Mapping[str, Window]
    extensions: Mapping[str, Extension]
    file: str
    detention: TrackRules | None = (
        None  # P2014's track for 治安 referrals, where the mechanism has it
    )
    # A case standing this long without a step, with no clock running (evidence being gathered, a
    # consultation under way), is flagged as stalled; None: never.
    stalled_after: Window | None = None
    # Public reports, where the mechanism takes them (every shipped one does; a profile a case
    # carried from before reports existed has none, and needs none).
    reports: ReportRules | None = None
    # Its periodic duties (joint meetings, reports, the referral scan: ``cases.routines``), by name;
    # a profile a case carries from before routines existed has none (a case runs none).
    routines: Mapping[str, RoutineSpec] = field(default_factory=dict)
    # Its bulletins started by a person, not a calendar (D4 §5: ``cases.event_bulletins``).
    event_bulletins: Mapping[EventKind, EventBulletinSpec] = field(default_factory=dict)

    def has(self, branch: Branch) -> bool:
        return branch in self.branches

    def has_stage(self, stage: Stage) -> bool:
        return stage in self.stages

    def clocks_on(self, event: Event) -> list[ClockSpec]:
        return [c for c in self.clocks.values() if event in c.starts_on]

    def track_of(self, classification: Classification | None) -> Track:
        """A case confirmed as a public-security case runs on the detention track where the
        mechanism has one (P2014 Art. 2); every other case on the criminal track."""
        if self.detention is not None and classification is Classification.PUBLIC_SECURITY:
            return Track.DETENTION
        return Track.CRIMINAL

    def rules_for(self, classification: Classification | None) -> TrackRules:
        if self.track_of(classification) is Track.DETENTION:
            assert self.detention is not None
            return self.detention
        return self.criminal

    @cached_property
    def criminal(self) -> TrackRules:
        return TrackRules(
            track=Track.CRIMINAL,
            source=", ".join(self.sources),
            referral_team=self.referral_team,
            referral_required=self.referral_required,
            referral_optional=self.referral_optional,
            referral_source=self.referral_source,
            referral_if_penalty=self.referral_if_penalty,
            acceptance_on_receipt=self.acceptance_on_receipt,
            copy_procuratorate=self.copy_procuratorate,
            penalty_first=False,
            windows=self.windows,
        )


# --------------------------------------------------------------------------------------------------
