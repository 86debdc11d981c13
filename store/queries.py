"""What the API reads: case lists with filters and paging, and a case's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, exists, func, or_, true
from sqlmodel import Session, col, select

from store.tables import CaseAgencyRow, CaseRow, EvidenceRow


@dataclass(frozen=True)
class Scope:
    """Which cases a caller may see: all, a region's, or those an agency has a part in."""

    everything: bool = False
    region: str | None = None
    agency: str | None = None


@dataclass(frozen=True)
class CaseFilter:
    stage: str | None = None
    agency: str | None = None
    overdue: bool | None = None
    escalated: bool | None = None
    key_case: bool | None = None
    text: str | None = None


def visible(scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    if scope.region is not None:
        return col(CaseRow.region) == scope.region
    return exists().where(
        and_(
            col(CaseAgencyRow.case_id) == col(CaseRow.case_id),
            col(CaseAgencyRow.agency) == scope.agency,
        )
    )


def list_cases(
    engine: Engine, scope: Scope, filters: CaseFilter, now: datetime, limit: int, offset: int
) -> tuple[list[CaseRow], int]:
    """A page of visible cases, newest first (case id breaks ties), and how many match."""
    conditions: list[ColumnElement[bool]] = [visible(scope)]
    if filters.stage:
        conditions.append(col(CaseRow.stage) == filters.stage)
    if filters.agency:
        conditions.append(
            or_(
                col(CaseRow.owner_agency) == filters.agency,
                col(CaseRow.police_agency) == filters.agency,
                col(CaseRow.discovering_agency) == filters.agency,
            )
        )
    if filters.overdue is not None:
        late = and_(col(CaseRow.next_deadline).is_not(None), col(CaseRow.next_deadline) < now)
        conditions.append(late if filters.overdue else ~late)
    if filters.escalated is not None:
        conditions.append(
            col(CaseRow.escalation_level) > 0
            if filters.escalated
            else col(CaseRow.escalation_level) == 0
        )
    if filters.key_case is not None:
        conditions.append(col(CaseRow.key_case) == filters.key_case)
    if filters.text:
        # '%' and '_' are what the caller typed, not wildcards.
        typed = filters.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"
        conditions.append(
            or_(
                func.lower(col(CaseRow.subject)).like(pattern, escape="\\"),
                func.lower(col(CaseRow.case_id)).like(pattern, escape="\\"),
                func.lower(col(CaseRow.intake_ref)).like(pattern, escape="\\"),
            )
        )
    where = and_(*conditions)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(CaseRow).where(where)).one()
        rows = session.exec(
            select(CaseRow)
            .where(where)
            .order_by(col(CaseRow.opened_at).desc(), col(CaseRow.case_id))
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total


def can_see(engine: Engine, scope: Scope, case_id: str) -> CaseRow | None:
    with Session(engine) as session:
        return session.exec(
            select(CaseRow).where(col(CaseRow.case_id) == case_id, visible(scope))
        ).first()


def evidence(engine: Engine, case_id: str) -> list[EvidenceRow]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(EvidenceRow)
                .where(EvidenceRow.case_id == case_id)
                .order_by(col(EvidenceRow.seq))
            )
        )
