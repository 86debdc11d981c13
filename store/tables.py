"""SQLModel tables of the read model. API schemas live with the API, not here.

The case and clock tables extend the domain's models (``CaseProjection``, ``ClockState``): their fields
are written once, there. One column policy holds for every table: instants are stored in UTC and read
back aware; enums are stored as their values; JSON columns are written and read as their field's type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from cases.figures import NOT_REFERRED_STAGES, REFERABLE, Sums
from cases.meetings import MeetingState
from cases.model import CaseState, ClockState
from cases.projection import CaseProjection
from cases.referral_watch import Rescan
from cases.routines import Figures


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


class TypedJSON(TypeDecorator[Any]):
    """A JSON column read back as its field's type (datetimes as datetimes, not strings)."""

    impl = JSON
    cache_ok = True

    def __init__(self, annotation: Any) -> None:
        super().__init__()
        self.annotation = annotation
        self._adapter: TypeAdapter[Any] = TypeAdapter(annotation)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self._adapter.dump_python(value, mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self._adapter.validate_python(value)


def _values(enum: type[Enum]) -> list[str]:
    return [str(member.value) for member in enum]


def _apply_column_policy(model: type[SQLModel]) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    for name, info in model.model_fields.items():
        column = table.columns.get(name)
        if column is None:
            continue
        if isinstance(column.type, SAEnum) and column.type.enum_class is not None:
            column.type = SAEnum(
                column.type.enum_class,
                native_enum=False,
                create_constraint=False,
                length=40,
                values_callable=_values,
            )
        elif isinstance(column.type, DateTime):
            column.type = UTCDateTime()
        elif type(column.type) is JSON:
            column.type = TypedJSON(info.annotation)


# Partial indexes serve a query whose condition is written as theirs, with its constants in the
# text (SQLite does not look at bound values): the queries use these same clauses.
ESCALATED = text("escalation_level > 0")
NOT_REFERRED = text(
    f"referred = false AND stage IN ({', '.join(repr(s.value) for s in NOT_REFERRED_STAGES)}) "
    f"AND suggested IN ({', '.join(sorted(repr(c.value) for c in REFERABLE))})"
)

# Cases that may stall (``stalled_at`` is set only while no clock runs) with a live workflow.
QUIET = text("stalled_at IS NOT NULL AND workflow_status IS NULL")


class CaseRow(CaseProjection, table=True):
    """One row per case: the projection lists and dashboards filter on, and the record of a case
    whose workflow history Temporal no longer keeps."""

    __tablename__ = "cases"
    # Lists are read newest first within a scope (a region, mostly), with one filter at a time:
    # each index leads with the scope and ends in the order, so a page is read, not sorted.
    __table_args__ = (
        PrimaryKeyConstraint("case_id"),
        Index("ix_cases_opened", "opened_at", "case_id"),
        Index("ix_cases_region_opened", "region", "opened_at", "case_id"),
        Index("ix_cases_region_stage", "region", "stage", "opened_at", "case_id"),
        Index("ix_cases_region_key", "region", "key_case", "opened_at", "case_id"),
        Index(
            "ix_cases_region_escalated",
            "region",
            "opened_at",
            "case_id",
            sqlite_where=ESCALATED,
            postgresql_where=ESCALATED,
        ),
        Index("ix_cases_region_deadline", "region", "next_deadline"),
        Index(
            "ix_cases_not_referred",
            "region",
            "updated_at",
            "case_id",
            sqlite_where=NOT_REFERRED,
            postgresql_where=NOT_REFERRED,
        ),
        Index(
            "ix_cases_stalled",
            "region",
            "stalled_at",
            "case_id",
            sqlite_where=QUIET,
            postgresql_where=QUIET,
        ),
        Index("ix_cases_stage", "stage"),
        Index("ix_cases_owner", "owner_agency"),
        # "My move": the cases waiting for one agency and role, due first.
        Index("ix_cases_move", "move_agency", "move_role", "next_deadline"),
        Index("ix_cases_police", "police_agency"),
        Index("ix_cases_deadline", "next_deadline"),
        Index("ix_cases_intake_ref", "intake_ref"),
        Index(
            "ix_cases_ended",
            "workflow_status",
            sqlite_where=text("workflow_status IS NOT NULL"),
            postgresql_where=text("workflow_status IS NOT NULL"),
        ),
    )

    last_seq: int = 0  # the newest timeline entry the projection reflects
    # The intake that opened the case, as it came: a repeat is compared with it.
    intake: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # Set when the case's workflow was found ended without archiving (terminated, failed…).
    workflow_status: str | None = Field(default=None, sa_type=String(20))
    workflow_ended_at: datetime | None = None


class CaseAgencyRow(SQLModel, table=True):
    """Which agencies have a part in a case (own it, received it, were asked): who may see it."""

    __tablename__ = "case_agencies"
    __table_args__ = (Index("ix_case_agencies_agency", "agency"),)

    case_id: str = Field(primary_key=True, max_length=110)
    agency: str = Field(primary_key=True, max_length=40)


class TimelineRow(SQLModel, table=True):
    """Every event of a case: who did what, when, and what it changed."""

    __tablename__ = "timeline"

    case_id: str = Field(primary_key=True, max_length=110)
    seq: int = Field(primary_key=True)
    at: datetime
    action: str = Field(max_length=60)
    actor_agency: str | None = Field(default=None, max_length=40)
    actor_role: str | None = Field(default=None, max_length=20)
    actor_person: str | None = Field(default=None, max_length=200)
    stage_from: str = Field(max_length=40)
    stage_to: str = Field(max_length=40)
    details: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


_OPEN = text("closed_at IS NULL")
_ESCALATED_CLOSED = text("escalation_level > 0 AND closed_at IS NOT NULL")


class ClockRow(ClockState, table=True):
    """Each clock of a case, open or closed, in the order the case started them."""

    __tablename__ = "clocks"
    # The dashboard counts open clocks by region and due time: the open ones are few beside all a
    # read model ever kept, and these indexes hold them alone, with what the counts read.
    __table_args__ = (
        PrimaryKeyConstraint("case_id", "ordinal"),
        Index(
            "ix_clocks_open_region",
            "region", "due_at", "case_id", "ordinal",
            "paused_at", "escalation_level", "owner_agency",
            sqlite_where=_OPEN, postgresql_where=_OPEN,
        ),
        Index(
            "ix_clocks_open_all",
            "due_at", "case_id", "ordinal",
            "paused_at", "escalation_level", "owner_agency", "region",
            sqlite_where=_OPEN, postgresql_where=_OPEN,
        ),
        # The inbox's history: escalated clocks closed lately (its page reloads every few seconds).
        Index(
            "ix_clocks_escalated_closed",
            "closed_at",
            sqlite_where=_ESCALATED_CLOSED, postgresql_where=_ESCALATED_CLOSED,
        ),
    )  # fmt: skip

    case_id: str = Field(max_length=110)
    region: str = Field(default="", max_length=40)  # the case's, as its latest write had it


class CaseFigureRow(Sums, table=True):
    """One case's part in one agency's figures, in the case's region."""

    __tablename__ = "case_figures"
    __table_args__ = (
        Index("ix_case_figures_accept", "region", "agency", "accept_hours"),
        Index("ix_case_figures_agency", "agency"),
    )

    case_id: str = Field(primary_key=True, max_length=110)
    agency: str = Field(primary_key=True, max_length=40)
    region: str = Field(max_length=40)
    accept_hours: float | None = None


class AgencyFigureRow(Sums, table=True):
    """The sums of the parts above per region and agency, kept with them in the same write."""

    __tablename__ = "agency_figures"

    region: str = Field(primary_key=True, max_length=40)
    agency: str = Field(primary_key=True, max_length=40)


class EvidenceRow(SQLModel, table=True):
    __tablename__ = "evidence"

    case_id: str = Field(primary_key=True, max_length=110)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=60)
    title: str = Field(max_length=400)
    sha256: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=2000)
    size: int | None = None
    recorded_by_agency: str = Field(max_length=40)
    recorded_by_role: str = Field(max_length=20)
    recorded_by_person: str = Field(max_length=200)
    recorded_at: datetime
    # A correction names the item it replaces; a withdrawal is marked so (cases.model.EvidenceItem).
    corrects: int | None = None
    withdrawn: bool | None = None
    reasons: str | None = Field(default=None, max_length=2000)


class StoredFileRow(SQLModel, table=True):
    """An evidence file kept under the data folder (``evidence/<case>/<sha256>``), charged to the
    principal whose upload first kept it: what each principal stores, against its quota. A row is
    written before its file is kept and removed with a file a refused step forgets."""

    __tablename__ = "stored_files"
    __table_args__ = (Index("ix_stored_files_principal", "principal_id"),)

    case_id: str = Field(primary_key=True, max_length=110)
    sha256: str = Field(primary_key=True, max_length=64)
    principal_id: int
    size: int
    stored_at: datetime


class ArchivedCaseRow(SQLModel, table=True):
    """An archived case's state and rules, to reopen it from (``cases.effects.ArchivedCase``)."""

    __tablename__ = "archived_cases"

    case_id: str = Field(primary_key=True, max_length=110)
    last_seq: int
    profile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    archived_at: datetime


class CaseViewRow(SQLModel, table=True):
    """A case's state as of its last write, for its page (``cases.stored.StoredCase``): the API
    answers from it while it holds, and asks the case otherwise. ``stale`` marks a row that a
    write of the case did not reach (a step answered ``recorded: false``, or never answered)."""

    __tablename__ = "case_views"

    case_id: str = Field(primary_key=True, max_length=110)
    last_seq: int
    state: CaseState = Field(sa_column=Column(JSON, nullable=False))
    profile_key: str = Field(max_length=32)
    calendar_key: str = Field(max_length=32)
    registry_key: str = Field(max_length=32)
    calls_in_flight: int = 0
    answering_calls: int = 0
    wake: datetime | None = None
    stale: bool = False


class ClueRow(SQLModel, table=True):
    """A clue of an official's duty crime (O310 Art. 19; N2017 Art. 32): seen by the key that sent it
    and by its recipient agency only, never through the case (``cases.clues``)."""

    __tablename__ = "clues"
    __table_args__ = (
        Index("ix_clues_sender", "sender_principal"),
        Index("ix_clues_recipient", "recipient"),
        Index("ix_clues_case", "case_id"),
    )

    clue_id: str = Field(primary_key=True, max_length=80)
    case_id: str = Field(max_length=110)
    sender_agency: str = Field(max_length=40)
    sender_principal: int  # the key that sent it: on the sender's side, only it sees the clue
    sender_role: str = Field(max_length=20)
    sender_person: str = Field(max_length=200)
    recipient: str = Field(max_length=40)
    conduct: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    account: str = Field(max_length=5000)
    sent_at: datetime
    delivered_at: datetime | None = None
    reference: str | None = Field(default=None, max_length=200)
    error: str | None = Field(default=None, max_length=500)


class PrincipalRow(SQLModel, table=True):
    """Who may call the API: an agency, a role, and the hash of an API key (never the key)."""

    __tablename__ = "principals"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    agency: str = Field(max_length=40, index=True)
    role: str = Field(max_length=20)
    key_prefix: str = Field(max_length=16, index=True, unique=True)
    key_hash: str = Field(max_length=128)
    created_at: datetime
    revoked_at: datetime | None = None


class ReportRow(SQLModel, table=True):
    """A public report (``cases.reports``) as it stands. The reporter's identity is only sealed here
    (``store.sealed``); the API opens it for the roles a mechanism allows."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_region_received", "region", "received_at"),
        Index("ix_reports_owner", "owner_agency"),
    )

    report_id: str = Field(primary_key=True, max_length=110)
    intake_ref: str = Field(max_length=64)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    channel: str = Field(max_length=20)
    received_at: datetime
    received_by: str = Field(max_length=40)
    owner_agency: str = Field(max_length=40)
    about_agency: str | None = Field(default=None, max_length=40)
    urgent: bool = False
    ongoing: bool = False
    place: str = Field(max_length=300)
    seen: str = Field(max_length=5000)
    anonymous: bool = False
    can_reply: bool = False
    reporter_sealed: str = Field(default="", max_length=4000)  # three 200-character fields, sealed
    stage: str = Field(max_length=20)
    outcome: str | None = Field(default=None, max_length=30)
    case_id: str | None = Field(default=None, max_length=110)
    due_at: datetime | None = None
    provisional: bool = False
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    escalation_level: int = 0
    reward: str = Field(default="not_due", max_length=20)
    reward_yuan: int = 0
    replies_sent: int = 0
    # Who may see the reporter, as the report's own mechanism says (``cases.reports``).
    identity_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    seq: int = 0
    updated_at: datetime


class ReportAgencyRow(SQLModel, table=True):
    """The agencies that have held a report: each sees it (the first receiver, and those after)."""

    __tablename__ = "report_agencies"
    __table_args__ = (Index("ix_report_agencies_agency", "agency"),)

    report_id: str = Field(primary_key=True, max_length=110)
    agency: str = Field(primary_key=True, max_length=40)


class ReportEventRow(SQLModel, table=True):
    """Every event of a report; never who reported it."""

    __tablename__ = "report_events"

    report_id: str = Field(primary_key=True, max_length=110)
    seq: int = Field(primary_key=True)
    at: datetime
    action: str = Field(max_length=40)
    agency: str = Field(default="", max_length=40)
    role: str = Field(default="", max_length=20)
    person: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=6000)
    text_en: str = Field(default="", max_length=6000)


class ReporterViewRow(SQLModel, table=True):
    """Each time someone opened a reporter's identity: who, when, why. Leaders and the procuratorate
    read it (D3 §3.3: 为举报提供案源者作好保密工作)."""

    __tablename__ = "reporter_views"
    __table_args__ = (Index("ix_reporter_views_report", "report_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: str = Field(max_length=110)
    region: str = Field(max_length=40)
    at: datetime
    principal: int
    agency: str = Field(max_length=40)
    role: str = Field(max_length=20)
    person: str = Field(max_length=200)
    purpose: str = Field(max_length=500)


for _model in (
    CaseRow,
    CaseAgencyRow,
    TimelineRow,
    ClockRow,
    CaseFigureRow,
    AgencyFigureRow,
    EvidenceRow,
    StoredFileRow,
    ArchivedCaseRow,
    CaseViewRow,
    ClueRow,
    PrincipalRow,
    ReportRow,
    ReportAgencyRow,
    ReportEventRow,
    ReporterViewRow,
):
    _apply_column_policy(_model)


# --- A mechanism's routines (cases.routines): meetings, bulletins, the procuratorate's list -------


class MeetingRow(SQLModel, table=True):
    """A joint meeting as its workflow last wrote it (``cases.meetings``): the columns the lists
    filter on, and the meeting whole for its page."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_region_opens", "region", "opens_at"),)

    meeting_id: str = Field(primary_key=True, max_length=160)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    routine: str = Field(max_length=40)
    period: str = Field(max_length=20)
    status: str = Field(max_length=20)
    opens_at: datetime
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    done_at: datetime | None = None
    agenda_size: int = 0
    decisions_open: int = 0
    seq: int = 0  # the meeting's change this row holds: an older write never replaces a newer
    state: MeetingState = Field(sa_column=Column(JSON, nullable=False))


class MeetingDecisionRow(SQLModel, table=True):
    """Each decision of a meeting: the next meeting of its region takes up those not done."""

    __tablename__ = "meeting_decisions"
    __table_args__ = (Index("ix_meeting_decisions_open", "mechanism", "region", "done_at"),)

    meeting_id: str = Field(primary_key=True, max_length=160)
    decision_id: str = Field(primary_key=True, max_length=10)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    title: str = Field(max_length=200)
    owner: str = Field(max_length=40)
    due_at: datetime
    done_at: datetime | None = None


class BulletinRow(SQLModel, table=True):
    """A report or bulletin as published: its figures, and the formats kept in ``routine_papers``."""

    __tablename__ = "bulletins"
    __table_args__ = (Index("ix_bulletins_region_published", "region", "published_at"),)

    bulletin_id: str = Field(primary_key=True, max_length=160)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    routine: str = Field(max_length=40)
    kind: str = Field(max_length=40)
    period: str = Field(max_length=20)
    title_zh: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    source: str = Field(max_length=2000)
    covers_from: datetime
    covers_to: datetime
    published_at: datetime
    delivered_at: datetime | None = None
    figures: Figures = Field(sa_column=Column(JSON, nullable=False))
    formats: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RoutinePaperRow(SQLModel, table=True):
    """A bulletin or a meeting's minutes in one format (html, pdf, csv, xlsx), kept whole: a few
    tens of kilobytes, the same on every API replica without a shared file store."""

    __tablename__ = "routine_papers"

    paper_id: str = Field(primary_key=True, max_length=160)
    format: str = Field(primary_key=True, max_length=10)
    media_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    content: bytes = Field(sa_type=LargeBinary)


class ReferralWatchRow(SQLModel, table=True):
    """A case on the procuratorate's list (``cases.referral_watch``), or taken off it and how."""

    __tablename__ = "referral_watch"
    __table_args__ = (
        Index("ix_referral_watch_region", "mechanism", "region", "cleared_at", "listed_at"),
    )

    case_id: str = Field(primary_key=True, max_length=110)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    reason: str = Field(max_length=40)
    listed_at: datetime
    named_at: datetime
    scan_id: str = Field(max_length=160)  # the scan that last saw it listed
    cleared_at: datetime | None = None
    cleared: str | None = Field(default=None, max_length=20)
    outcome: str | None = Field(default=None, max_length=20)
    note: str = Field(default="", max_length=2000)
    marked_by_agency: str | None = Field(default=None, max_length=40)
    marked_by_role: str | None = Field(default=None, max_length=20)
    marked_by_person: str | None = Field(default=None, max_length=200)


class ReferralScanRow(SQLModel, table=True):
    """One day's scan: the latest of a region's is the one that takes the procuratorate's marks."""

    __tablename__ = "referral_scans"
    __table_args__ = (Index("ix_referral_scans_latest", "mechanism", "region", "at"),)

    scan_id: str = Field(primary_key=True, max_length=160)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    at: datetime
    listed: int = 0
    named_again: int = 0
    standing: int = 0
    previous: str | None = Field(default=None, max_length=160)
    # What the scan found, kept whole: a retried scan answers it again instead of scanning anew.
    result: Rescan = Field(sa_column=Column(JSON, nullable=False))


for _routine_model in (
    MeetingRow,
    MeetingDecisionRow,
    BulletinRow,
    RoutinePaperRow,
    ReferralWatchRow,
    ReferralScanRow,
):
    _apply_column_policy(_routine_model)


# --- Links between cases of different regions (区域联动, D3 §3.2) ------------------------------------


class CaseLinkRow(SQLModel, table=True):
    """A case's link to a case of another region (``cases.model.CaseLink``), written by the linking
    case's own record. Both cases' pages read it: the linking case's by ``case_id``, the linked one's
    by ``linked_case_id`` ("linked from"); each shows the other case's id and region only."""

    __tablename__ = "case_links"
    __table_args__ = (Index("ix_case_links_linked", "linked_case_id"),)

    case_id: str = Field(primary_key=True, max_length=110)
    linked_case_id: str = Field(primary_key=True, max_length=110)
    region: str = Field(max_length=40)  # the linking case's region, as its last write had it
    linked_region: str = Field(max_length=40)
    relation: str = Field(max_length=20)  # what the linked case is to the linking one
    note: str = Field(default="", max_length=2000)
    linked_at: datetime
    linked_by_agency: str = Field(max_length=40)


_apply_column_policy(CaseLinkRow)
