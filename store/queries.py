"""What the API reads: case lists with filters and paging, and a case's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, TextClause, and_, exists, func, literal, or_, true
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from cases.vocabulary import Role
from store.tables import ESCALATED, CaseAgencyRow, CaseRow, EvidenceRow


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


def visible(scope: Scope, region: Any = None, case_id: Any = None) -> ColumnElement[bool]:
    """The rows of cases ``scope`` may see: of ``cases`` itself, or of a table with the case's id and
    region beside its own rows (its ``case_id`` and ``region`` columns, passed)."""
    region = col(CaseRow.region) if region is None else region
    case_id = col(CaseRow.case_id) if case_id is None else case_id
    if scope.everything:
        return true()
    if scope.region is not None:
        return region == scope.region  # type: ignore[no-any-return]
    return exists().where(
        and_(col(CaseAgencyRow.case_id) == case_id, col(CaseAgencyRow.agency) == scope.agency)
    )


# A list counts its matches up to this many and then says "at least": counting further would read
# every match of a broad filter at every page, for a figure nobody pages to the end of.
COUNTED = 10_000
# From this many matches a page is read along the newest-first index, whatever the filter.
IN_ORDER = 1_000
# Search by substring uses the trigram index from this many characters; shorter text is looked for
# row by row.
TRIGRAM = 3


@dataclass(frozen=True)
class After:
    """Where the previous page ended: the keyset a cursor carries."""

    opened_at: datetime
    case_id: str


@dataclass(frozen=True)
class Page:
    rows: list[CaseRow]
    total: int  # how many match, counted up to ``COUNTED``
    exact: bool  # False: at least ``total`` match
    last: After | None  # where this page ended, when more may follow


def _text(text: str, indexed: bool) -> ColumnElement[bool]:
    """Cases whose subject, id or intake reference contain ``text``, ignoring case."""
    # '%' and '_' are what the caller typed, not wildcards.
    typed = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{typed}%"
    contains = or_(
        func.lower(col(CaseRow.subject)).like(pattern, escape="\\"),
        func.lower(col(CaseRow.case_id)).like(pattern, escape="\\"),
        func.lower(col(CaseRow.intake_ref)).like(pattern, escape="\\"),
    )
    if not indexed or len(text) < TRIGRAM:
        return contains
    # The FTS5 trigram index finds the candidates; the LIKE above confirms each one, so that an
    # index out of step with its table could only miss a case, never show a wrong one.
    phrase = '"' + text.replace('"', '""') + '"'
    candidates = sql_text(
        "cases.rowid IN (SELECT rowid FROM cases_text WHERE cases_text MATCH :phrase)"
    ).bindparams(phrase=phrase)
    return and_(candidates, contains)


def _matching(
    scope: Scope, filters: CaseFilter, now: datetime, dialect: str, in_order: bool
) -> ColumnElement[bool]:
    """The list's condition. ``in_order`` (SQLite): with many matches, a page is found soonest
    along the newest-first index, so the conditions SQLite would otherwise drive from their own
    index (and then sort every match) are written in a form no index serves; PostgreSQL's planner
    knows how many a range holds and chooses itself."""
    conditions: list[ColumnElement[bool] | TextClause] = [visible(scope)]
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
        deadline: Any = col(CaseRow.next_deadline)
        if in_order:
            deadline = func.coalesce(deadline, None)  # the same value, through no index
        late = and_(col(CaseRow.next_deadline).is_not(None), deadline < now)
        conditions.append(late if filters.overdue else ~late)
    if filters.escalated is not None:
        conditions.append(ESCALATED if filters.escalated else col(CaseRow.escalation_level) == 0)
    if filters.key_case is not None:
        conditions.append(col(CaseRow.key_case) == filters.key_case)
    if filters.text:
        conditions.append(_text(filters.text, indexed=dialect == "sqlite" and not in_order))
    return and_(*conditions)


def list_cases(
    engine: Engine,
    scope: Scope,
    filters: CaseFilter,
    now: datetime,
    limit: int,
    offset: int = 0,
    after: After | None = None,
) -> Page:
    """A page of visible cases, newest first (among cases opened at once, the greater case id
    first), from ``offset`` or from after the case a cursor names, and how many match."""
    dialect = engine.dialect.name
    where = _matching(scope, filters, now, dialect, in_order=False)
    with Session(engine) as session:
        matching = (
            select(literal(1)).select_from(CaseRow).where(where).limit(COUNTED + 1).subquery()
        )
        counted = session.exec(select(func.count()).select_from(matching)).one()
        if counted >= IN_ORDER and dialect == "sqlite":
            where = _matching(scope, filters, now, dialect, in_order=True)
        if after is not None:
            where = and_(
                where,
                or_(
                    col(CaseRow.opened_at) < after.opened_at,
                    and_(
                        col(CaseRow.opened_at) == after.opened_at,
                        col(CaseRow.case_id) < after.case_id,
                    ),
                ),
            )
        rows = list(
            session.exec(
                select(CaseRow)
                .where(where)
                .order_by(col(CaseRow.opened_at).desc(), col(CaseRow.case_id).desc())
                .limit(limit + 1)
                .offset(offset if after is None else 0)
            )
        )
    more = len(rows) > limit
    rows = rows[:limit]
    last = After(rows[-1].opened_at, rows[-1].case_id) if more and rows else None
    return Page(rows, min(counted, COUNTED), counted <= COUNTED, last)


def waiting_for(
    engine: Engine, scope: Scope, agency: str, role: Role, limit: int, offset: int = 0
) -> tuple[list[CaseRow], int]:
    """The open cases whose move is ``agency``'s in ``role`` (``cases.clocks.whose_move``), the
    earliest due first, and how many."""
    where = and_(
        col(CaseRow.move_agency) == agency,
        col(CaseRow.move_role) == role,
        col(CaseRow.closed_at).is_(None),
        visible(scope),
    )
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(CaseRow).where(where)).one()
        rows = session.exec(
            select(CaseRow)
            .where(where)
            .order_by(
                col(CaseRow.next_deadline).is_(None),
                col(CaseRow.next_deadline),
                col(CaseRow.opened_at),
                col(CaseRow.case_id),
            )
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
