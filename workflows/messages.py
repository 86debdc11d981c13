"""What crosses into and out of ``CaseWorkflow``: its input, the bodies of its updates and queries,
and what it hands a new run when it continues as new."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from cases.agencies import RegistrySnapshot
from cases.calendar import CalendarSnapshot
from cases.change import ActionResult, AskExpert, Deliver, MakePaper, SendDocument
from cases.effects import NotificationBatch
from cases.intake import CaseIntake
from cases.limits import HISTORY_BYTES, HISTORY_EVENTS
from cases.model import Actor, CaseState, TimelineEntry
from cases.projection import CaseProjection
from cases.stored import ContextKeys

ACTION_REFUSED = "ActionRefused"
INVALID_INTAKE = "InvalidIntake"
INTAKE_CONFLICT = "IntakeConflict"


# A call to an agency system (or the making of a paper), told apart by its ``effect``.
Outside = Annotated[
    Deliver | AskExpert | SendDocument | MakePaper | NotificationBatch,
    Field(discriminator="effect"),
]


@dataclass
class Applied:
    """An action applied under an Idempotency-Key: the request it came with, and what it answered."""

    fingerprint: str
    result: ActionResult


@dataclass
class Carried:
    """What one run of a case hands the next when the history grows long: everything it holds."""

    case: CaseState
    outbox: list[TimelineEntry] = field(default_factory=list)  # not yet in the read model
    evidence_recorded: int = 0  # evidence items already in the read model
    intake_recorded: bool = False
    opened_by_update: bool = False
    search: str = ""  # the search attributes as last upserted
    runs: int = 0  # how many runs came before this one
    effects: list[Outside] = field(default_factory=list)  # outside calls not yet done
    # Actions applied under an Idempotency-Key, by key, oldest first: a repeat is answered from
    # here, in this run or a later one (the engine itself remembers update ids for one run only).
    applied: dict[str, Applied] = field(default_factory=dict)


@dataclass
class HistoryBudget:
    """When a case continues as new (besides when the server suggests it)."""

    events: int = HISTORY_EVENTS
    bytes: int = HISTORY_BYTES


@dataclass
class CaseInput:
    """What a case starts with: the intake, and the rules, calendar and agencies it runs under."""

    intake: CaseIntake
    profile: dict[str, Any]  # the mechanism profile as data (cases.profiles.profile_data)
    calendar: CalendarSnapshot
    registry: RegistrySnapshot
    carried: Carried | None = None
    budget: HistoryBudget = field(default_factory=HistoryBudget)
    # Set when the API started the case and wrote its opening to the read model itself
    # (``cases.system.opening``): the case opens at this instant, as the API's opening says. None in
    # a case started with its ``open`` update (before), which opened at its first task's time.
    opened_at: datetime | None = None
    # The keys of ``profile``, ``calendar`` and ``registry`` (``cases.context.context_key``), as the
    # API computed them once for every case it starts; None: the case computes them itself.
    keys: ContextKeys | None = None


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
