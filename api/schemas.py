"""API schemas, separate from the read model's tables and from the domain's dataclasses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from cases.model import CaseFacts, CaseSource

CASE_ID = r"^[A-Z][A-Z0-9-]{1,39}-[A-Za-z0-9._-]{1,64}$"
INTAKE_REF = r"^[A-Za-z0-9._-]{1,64}$"


class CaseCreate(BaseModel):
    """What an intake system sends. Its own id (``intake_ref``) decides the case id: a repeat is safe."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "intake_ref": "2026-1127-0001",
                    "discovering_agency": "EPB-DEMO",
                    "mechanism": "env-police",
                    "source": "inspection",
                    "subject": "某化工有限公司",
                    "discovered_at": "2026-11-27T09:30:00+08:00",
                    "facts": {
                        "violation_type": "evasive_discharge",
                        "hazardous_into_water": True,
                        "measurements": [{"pollutant": "总铬", "measured": 6.2, "standard": 1.5}],
                        "discharges_past_year": 2,
                        "drinking_water_threat": False,
                        "summary": "暗管排放含铬废水",
                    },
                }
            ]
        },
    )

    intake_ref: str = Field(
        pattern=INTAKE_REF, description="The intake system's own id for the case."
    )
    discovering_agency: str = Field(min_length=2, max_length=40)
    mechanism: str = Field(default="env-police", min_length=2, max_length=40)
    source: CaseSource = CaseSource.INSPECTION
    subject: str = Field(min_length=1, max_length=200, description="The party concerned.")
    discovered_at: AwareDatetime
    facts: CaseFacts = Field(default_factory=CaseFacts)
    police_agency: str | None = Field(default=None, max_length=40)
    outside_jurisdiction: bool = False

    @field_validator("discovered_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if value - datetime.now(value.tzinfo) > timedelta(minutes=10):
            raise ValueError("lies in the future")
        return value


class CaseSummary(BaseModel):
    case_id: str
    intake_ref: str
    mechanism: str
    stage: str
    subject: str
    region: str
    discovering_agency: str
    owner_agency: str
    police_agency: str | None
    classification: str | None
    suggested: str
    key_case: bool
    supervised: bool
    next_deadline: datetime | None
    escalation_level: int
    overdue: bool
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    delivery_error: str | None


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class ClockPublic(BaseModel):
    key: str
    name: str
    title_zh: str
    title_en: str
    owner_party: str
    owner_agency: str
    owner_role: str
    started_at: datetime
    due_at: datetime
    length: int
    unit: str
    statutory: bool
    source: str
    provisional: bool
    reminders_sent: int
    escalation_level: int
    escalated_to: list[str]
    breached_at: datetime | None
    paused_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    overdue: bool
    seconds_left: int


class AllowedAction(BaseModel):
    action: str
    label_zh: str
    label_en: str
    required: list[str]


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


class CaseDetail(BaseModel):
    summary: CaseSummary
    live: bool = Field(
        description="False when the workflow could not be asked: read-model data only."
    )
    state: dict[str, Any] | None
    open_clocks: list[ClockPublic]
    allowed_actions: list[AllowedAction]
    moves: list[MovePublic]
    referral_checklist: list[ChecklistLinePublic]
    evidence_checklist: list[ChecklistLinePublic]


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


class EvidenceReference(BaseModel):
    """An item kept elsewhere: its URL and the fingerprint of its content."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=60, examples=["monitoring_report"])
    title: str = Field(min_length=1, max_length=400, examples=["2026-11-20 总排口监测报告"])
    reference: str = Field(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://",
        examples=["https://files.example/report.pdf"],
    )
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the referenced content, lower-case hex."
    )
    size: int | None = Field(default=None, ge=0)


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
