"""API schemas: the public side of the domain's models, separate from the read model's tables.

The case summary and the clock extend the domain's models (the same lineage as the tables), adding
only what a reader needs besides: whether a deadline has passed, and how long is left.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from cases.model import ClockState
from cases.projection import CaseProjection


class CaseSummary(CaseProjection):
    overdue: bool = Field(description="The next deadline has passed.")
    workflow_status: str | None = Field(
        default=None,
        description="Set when the case's workflow ended without the case being archived "
        "(terminated, failed, timed out): the case can take no further step.",
    )


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class ClockPublic(ClockState):
    overdue: bool
    seconds_left: int


class FieldPublic(BaseModel):
    name: str
    kind: str = Field(description="text, textarea, lines, select, bool, number or structured")
    required: bool
    choices: list[str] = Field(default_factory=list)


class AllowedAction(BaseModel):
    action: str
    label_zh: str
    label_en: str
    source: str
    required: list[str]
    fields: list[FieldPublic]


class MovePublic(BaseModel):
    action: str
    agency: str
    party: str
    roles: list[str]


class ChecklistLinePublic(BaseModel):
    key: str
    label_zh: str
    label_en: str
    source: str
    required: bool
    met: bool
    met_by: list[int]


class OutsideCallPublic(BaseModel):
    """A call to an agency system (or the notifier) that has not succeeded yet, as the engine retries
    it: an agency that cannot be reached shows here, not only as a clock running."""

    call: str = Field(examples=["deliver_referral"])
    attempts: int = Field(description="attempts made so far (the one under way included)")
    state: str = Field(examples=["scheduled", "started"])
    last_error: str | None = Field(
        default=None, examples=["PSB-DEMO: http://…/referrals answered 503"]
    )
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None


class CaseDetail(BaseModel):
    summary: CaseSummary
    live: bool = Field(
        description="False when the workflow could not be asked: read-model data only."
    )
    state: dict[str, Any] | None
    stages: list[str] = Field(description="The mechanism's stages, in order.")
    open_clocks: list[ClockPublic]
    allowed_actions: list[AllowedAction]
    moves: list[MovePublic]
    referral_checklist: list[ChecklistLinePublic]
    evidence_checklist: list[ChecklistLinePublic]
    outside_calls: list[OutsideCallPublic] = Field(
        default_factory=list,
        description="Calls to agency systems still being retried, with their attempts and last error.",
    )


class ActorPublic(BaseModel):
    agency: str
    role: str
    person: str


class TimelineEntryPublic(BaseModel):
    seq: int
    at: datetime
    action: str
    actor: ActorPublic | None
    stage_from: str
    stage_to: str
    details: dict[str, str]


class ActionOutcome(BaseModel):
    case_id: str
    action: str
    seq: int
    stage: str
    at: datetime
    refs: dict[str, str]


class EvidencePublic(BaseModel):
    case_id: str
    seq: int
    kind: str
    title: str
    sha256: str | None
    reference: str | None
    size: int | None
    recorded_by: ActorPublic
    recorded_at: datetime


class Health(BaseModel):
    status: str
    temporal: str
    database: str
