"""How a case begins: the intake an intake system sends, who may send it, and the state it opens.

An intake is admitted by pure code before anything starts (``admit``): who may open a case, the case
id it decides, the mechanism, the agencies and the facts. The workflow opens the case from the same
intake with the same rules (``open_case``). A repeat of an intake is the same case; a repeat with a
different body is a conflict, and ``differences`` names the fields that differ.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import ConfigDict, JsonValue

from cases.agencies import AgencyKind, AgencyRegistry
from cases.ids import case_id_for
from cases.limits import AgencyCode, Flag, Instant, IntakeRef, Name, Subject
from cases.model import CaseFacts, CaseState
from cases.profile import DEFAULT_MECHANISM, Profile
from cases.triage import triage
from cases.vocabulary import CaseSource, Role, Stage

OPENERS = frozenset({Role.INTAKE, Role.OFFICER})
FUTURE_TOLERANCE = timedelta(minutes=10)  # clocks of intake systems run a little ahead

EXAMPLE: dict[str, JsonValue] = {
    "intake_ref": "2026-1127-0001",
    "discovering_agency": "EPB-DEMO",
    "mechanism": DEFAULT_MECHANISM,
    "source": "inspection",
    "subject": "某化工有限公司",
    "discovered_at": "2026-11-27T09:30:00+08:00",
    "facts": {
        "violation_type": "evasive_discharge",
        "hazardous_into_water": True,
        "measurements": [{"pollutant": "总铬", "measured": 6.2, "standard": 1.5}],
        "discharges_past_year": 2,
        "summary": "暗管排放含铬废水",
    },
}


@dataclass(kw_only=True)
class CaseIntake:
    """What an intake system sends. Its own id (``intake_ref``) decides the case id: a repeat is
    the same case."""

    __pydantic_config__ = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    intake_ref: IntakeRef
    discovering_agency: AgencyCode
    mechanism: Name = DEFAULT_MECHANISM
    source: CaseSource = CaseSource.INSPECTION
    subject: Subject  # the party concerned
    discovered_at: Instant
    facts: CaseFacts = field(default_factory=CaseFacts)
    police_agency: AgencyCode | None = None  # default: the region's first police agency
    outside_jurisdiction: Flag = False  # the discovering agency already knows it is not competent

    @property
    def case_id(self) -> str:
        return case_id_for(self.discovering_agency, self.intake_ref)


class IntakeCode(StrEnum):
    ROLE_NOT_PERMITTED = "role_not_permitted"
    NOT_YOUR_AGENCY = "not_your_agency"
    UNKNOWN_MECHANISM = "unknown_mechanism"
    INVALID_INTAKE = "invalid_intake"


@dataclass(frozen=True)
class IntakeRefusal:
    code: IntakeCode
    message: str
    problems: tuple[str, ...] = ()


def intake_problems(intake: CaseIntake, profile: Profile, registry: AgencyRegistry) -> list[str]:
    """What the registry and the mechanism say against an intake, each as a sentence to fix."""
    problems = []
    agency = registry.find(intake.discovering_agency)
    if agency is None:
        problems.append(f"discovering agency '{intake.discovering_agency}' is not in the registry")
    elif agency.kind.value not in profile.referring_kinds:
        kinds = ", ".join(profile.referring_kinds)
        problems.append(
            f"mechanism '{profile.name}' is for cases found by {kinds}; "
            f"'{agency.code}' is a {agency.kind}"
        )
    if intake.police_agency is not None:
        police = registry.find(intake.police_agency)
        if police is None or police.kind is not AgencyKind.POLICE:
            problems.append(f"'{intake.police_agency}' is not a police agency in the registry")
    elif agency is not None and registry.first_in_region(AgencyKind.POLICE, agency.region) is None:
        problems.append(f"no police agency serves region '{agency.region}'")
    if intake.discovered_at.tzinfo is None:
        problems.append("'discovered_at' needs a time zone")
    return problems


def admit(
    intake: CaseIntake,
    *,
    agency: str,
    role: Role,
    profiles: dict[str, Profile],
    registry: AgencyRegistry,
    now: datetime,
) -> IntakeRefusal | None:
    """May this caller open this case? Nothing that fails here ever starts a workflow."""
    if role not in OPENERS:
        return IntakeRefusal(
            IntakeCode.ROLE_NOT_PERMITTED,
            f"the role '{role}' may not open cases; open cases with an intake or officer key",
        )
    if intake.discovering_agency != agency:
        return IntakeRefusal(
            IntakeCode.NOT_YOUR_AGENCY,
            f"your key belongs to '{agency}', the case names '{intake.discovering_agency}'",
        )
    profile = profiles.get(intake.mechanism)
    if profile is None:
        return IntakeRefusal(
            IntakeCode.UNKNOWN_MECHANISM,
            f"no mechanism '{intake.mechanism}' (one of: {', '.join(sorted(profiles))})",
        )
    problems = intake_problems(intake, profile, registry)
    if intake.discovered_at - now > FUTURE_TOLERANCE:
        problems.append("'discovered_at' lies in the future")
    if problems:
        return IntakeRefusal(IntakeCode.INVALID_INTAKE, "; ".join(problems), tuple(problems))
    return None


def differences(stored: CaseIntake, repeat: CaseIntake) -> list[str]:
    """The fields in which a repeated intake differs from the one that opened the case."""
    return [
        f.name for f in fields(CaseIntake) if getattr(stored, f.name) != getattr(repeat, f.name)
    ]


class IntakeError(ValueError):
    """An intake that names agencies the registry or the mechanism does not allow."""


def open_case(
    intake: CaseIntake, profile: Profile, registry: AgencyRegistry, now: datetime
) -> CaseState:
    problems = intake_problems(intake, profile, registry)
    if problems:
        raise IntakeError("; ".join(problems))
    agency = registry.get(intake.discovering_agency)
    police = intake.police_agency or registry.code_in_region(AgencyKind.POLICE, agency.region)
    return CaseState(
        case_id=intake.case_id,
        intake_ref=intake.intake_ref,
        mechanism=profile.name,
        region=agency.region,
        stage=Stage.DISCOVERY,
        opened_at=now,
        discovered_at=intake.discovered_at,
        source=intake.source,
        subject=intake.subject,
        facts=copy.deepcopy(intake.facts),  # the intake stays as it came, for repeats
        triage=triage(intake.facts, profile.triage),
        discovering_agency=agency.code,
        owner_agency=agency.code,
        police_agency=police,
        procuratorate=registry.code_in_region(AgencyKind.PROCURATORATE, agency.region),
    )
