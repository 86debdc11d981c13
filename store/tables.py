"""SQLModel tables of the read model. API schemas live with the API, not here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the read model stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool) -> Any:
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable)
    return Field(default=None, sa_column=column) if nullable else Field(sa_column=column)


class CaseRow(SQLModel, table=True):
    """One row per case: the projection lists and dashboards filter on."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_stage", "stage"),
        Index("ix_cases_owner", "owner_agency"),
        Index("ix_cases_police", "police_agency"),
        Index("ix_cases_region", "region"),
        Index("ix_cases_deadline", "next_deadline"),
    )

    case_id: str = Field(primary_key=True, max_length=64)
    intake_ref: str = Field(max_length=200, unique=True)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    stage: str = Field(max_length=40)
    subject: str = Field(max_length=400)
    discovering_agency: str = Field(max_length=40)
    owner_agency: str = Field(max_length=40)
    police_agency: str | None = Field(default=None, max_length=40)
    classification: str | None = Field(default=None, max_length=40)
    suggested: str = Field(max_length=40)
    key_case: bool = False
    supervised: bool = False
    escalation_level: int = 0
    delivery_error: str | None = Field(default=None, max_length=2000)
    referred: bool = False
    next_deadline: datetime | None = _ts(nullable=True)
    opened_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts(nullable=True)
    last_seq: int = 0  # the newest timeline entry the projection reflects


class CaseAgencyRow(SQLModel, table=True):
    """Which agencies have a part in a case (own it, received it, were asked): who may see it."""

    __tablename__ = "case_agencies"
    __table_args__ = (Index("ix_case_agencies_agency", "agency"),)

    case_id: str = Field(primary_key=True, max_length=64)
    agency: str = Field(primary_key=True, max_length=40)


class TimelineRow(SQLModel, table=True):
    """Every event of a case: who did what, when, and what it changed."""

    __tablename__ = "timeline"

    case_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    at: datetime = _ts(nullable=False)
    action: str = Field(max_length=60)
    actor_agency: str | None = Field(default=None, max_length=40)
    actor_role: str | None = Field(default=None, max_length=20)
    actor_person: str | None = Field(default=None, max_length=200)
    stage_from: str = Field(max_length=40)
    stage_to: str = Field(max_length=40)
    details: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ClockRow(SQLModel, table=True):
    """Each clock of a case, open or closed, in the order the case started them."""

    __tablename__ = "clocks"
    __table_args__ = (Index("ix_clocks_open_due", "closed_at", "due_at"),)

    case_id: str = Field(primary_key=True, max_length=64)
    ordinal: int = Field(primary_key=True)
    key: str = Field(max_length=80)
    name: str = Field(max_length=60)
    owner_party: str = Field(max_length=40)
    owner_agency: str = Field(max_length=40)
    owner_role: str = Field(max_length=20)
    length: int
    unit: str = Field(max_length=20)
    source: str = Field(max_length=500)
    statutory: bool
    provisional: bool = False
    reminders_sent: int = 0
    escalation_level: int = 0
    escalated_to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = _ts(nullable=False)
    due_at: datetime = _ts(nullable=False)
    breached_at: datetime | None = _ts(nullable=True)
    paused_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    closed_by: str | None = Field(default=None, max_length=60)


class EvidenceRow(SQLModel, table=True):
    __tablename__ = "evidence"

    case_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=60)
    title: str = Field(max_length=400)
    sha256: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=2000)
    size: int | None = None
    recorded_by_agency: str = Field(max_length=40)
    recorded_by_role: str = Field(max_length=20)
    recorded_by_person: str = Field(max_length=200)
    recorded_at: datetime = _ts(nullable=False)


class PrincipalRow(SQLModel, table=True):
    """Who may call the API: an agency, a role, and the hash of an API key (never the key)."""

    __tablename__ = "principals"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    agency: str = Field(max_length=40, index=True)
    role: str = Field(max_length=20)
    key_prefix: str = Field(max_length=16, index=True, unique=True)
    key_hash: str = Field(max_length=128)
    created_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts(nullable=True)
