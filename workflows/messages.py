"""What crosses into and out of ``CaseWorkflow``: its input, the bodies of its updates and queries,
and what it hands a new run when it continues as new."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cases.agencies import RegistrySnapshot
from cases.calendar import CalendarSnapshot
from cases.intake import CaseIntake
from cases.model import Actor, CaseState, TimelineEntry
from cases.projection import CaseProjection

ACTION_REFUSED = "ActionRefused"
INVALID_INTAKE = "InvalidIntake"
INTAKE_CONFLICT = "IntakeConflict"


@dataclass
class Carried:
    """What one run of a case hands the next when the history grows long: everything it holds."""

    case: CaseState
    outbox: list[TimelineEntry]  # entries not yet in the read model
    evidence_recorded: int  # evidence items already in the read model
    intake_recorded: bool
    opened_by_update: bool
    search: str  # the search attributes as last upserted
    runs: int  # how many runs came before this one


@dataclass
class CaseInput:
    """What a case starts with: the intake, and the rules, calendar and agencies it runs under."""

    intake: CaseIntake
    profile: dict[str, Any]  # the mechanism profile as data (cases.profiles.profile_data)
    calendar: CalendarSnapshot
    registry: RegistrySnapshot
    carried: Carried | None = None


@dataclass
class ActionRequest:
    """One step, as it reaches the case: who takes it, and its body (read as the step's type)."""

    actor: Actor
    body: Any = field(default_factory=dict)


@dataclass
class Opening:
    """The answer to an intake: whether this request opened the case, and the case as it stands."""

    created: bool
    summary: CaseProjection


@dataclass
class CaseOutcome:
    case_id: str
    stage: str
    runs: int
