"""How a case begins: the intake record and the initial state built from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cases.agencies import AgencyKind, AgencyRegistry
from cases.model import CaseFacts, CaseSource, CaseState, Stage
from cases.profiles import Profile
from cases.triage import triage


@dataclass
class CaseIntake:
    """What an intake system sends to open a case (validated at the API, checked again here)."""

    case_id: str
    intake_ref: str
    mechanism: str
    discovering_agency: str
    source: CaseSource
    subject: str
    discovered_at: datetime
    facts: CaseFacts = field(default_factory=CaseFacts)
    police_agency: str | None = None  # default: the region's first police agency
    outside_jurisdiction: bool = False  # the discovering agency already knows it is not competent


class IntakeError(ValueError):
    """An intake that names agencies the registry or the mechanism does not allow."""


def intake_problems(intake: CaseIntake, profile: Profile, registry: AgencyRegistry) -> list[str]:
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
        facts=intake.facts,
        triage=triage(intake.facts, profile.triage),
        discovering_agency=agency.code,
        owner_agency=agency.code,
        police_agency=police,
        procuratorate=registry.code_in_region(AgencyKind.PROCURATORATE, agency.region),
    )
