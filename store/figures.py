"""Each agency's figures, kept as the cases change instead of counted over every row when read.

A write of a case recomputes the case's parts (``cases.figures.parts``) from all its clocks and its
whole timeline, and moves the region's sums by the difference from the parts it had: a write repeated
or replayed moves nothing, and a case transferred to another region takes its parts with it. The sums
are read for a region (or every region) in one short query; a scope of an agency's own cases, which no
region's sums describe, adds up its cases' parts instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from cases.figures import SUMMED, AgencyFigures, Part, Step, parts
from store.queries import Scope, visible
from store.tables import (
    AgencyFigureRow,
    CaseFigureRow,
    CaseRow,
    ClockRow,
    TimelineRow,
)


def _steps(session: Session, case_id: str) -> list[Step]:
    rows = session.exec(
        select(TimelineRow.action, TimelineRow.actor_agency, TimelineRow.stage_from, TimelineRow.at)
        .where(col(TimelineRow.case_id) == case_id)
        .order_by(col(TimelineRow.seq))
    )
    return [Step(action, agency, stage_from, at) for action, agency, stage_from, at in rows]


def update_parts(session: Session, case_id: str, region: str) -> None:
    """Recompute the case's parts and move the sums by what changed (in the caller's transaction)."""
    clocks = session.exec(select(ClockRow).where(col(ClockRow.case_id) == case_id)).all()
    new = {a: p for a, p in parts(clocks, _steps(session, case_id)).items() if not p.empty}
    old = {
        row.agency: (row.region, _part(row))
        for row in session.exec(select(CaseFigureRow).where(col(CaseFigureRow.case_id) == case_id))
    }
    if old == {a: (region, p) for a, p in new.items()}:
        return
    moves: dict[tuple[str, str], Part] = {}
    for agency, (was_region, part) in old.items():
        moves[(was_region, agency)] = moves.get((was_region, agency), Part()) + -part
    for agency, part in new.items():
        moves[(region, agency)] = moves.get((region, agency), Part()) + part
    session.execute(delete(CaseFigureRow).where(col(CaseFigureRow.case_id) == case_id))
    if new:
        session.execute(
            insert(CaseFigureRow),
            [
                {"case_id": case_id, "agency": a, "region": region, **p.model_dump()}
                for a, p in new.items()
            ],
        )
    # In a stable order: two writers moving the same sums take their row locks in the same order.
    for (in_region, agency), move in sorted(moves.items()):
        if not move.empty:
            _move(session, in_region, agency, move)


def _part(row: CaseFigureRow) -> Part:
    return Part(**{f: getattr(row, f) for f in (*SUMMED, "accept_hours")})


def _move(session: Session, region: str, agency: str, move: Part) -> None:
    values = {"region": region, "agency": agency, **{f: getattr(move, f) for f in SUMMED}}
    table = AgencyFigureRow.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    statement: Any = (sqlite if dialect == "sqlite" else postgresql).insert(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["region", "agency"],
        set_={f: table.c[f] + statement.excluded[f] for f in SUMMED},
    )
    session.execute(statement)


def rebuild(session: Session, case_ids: Iterable[str] | None = None) -> int:
    """The parts of the cases named (all when none are) recomputed from their rows, and every sum
    from the parts: for a read model written before the figures were kept, or copied in bulk."""
    if case_ids is None:
        case_ids = session.exec(select(CaseRow.case_id)).all()
    count = 0
    regions = dict(session.exec(select(CaseRow.case_id, CaseRow.region)).all())
    for case_id in case_ids:
        clocks = session.exec(select(ClockRow).where(col(ClockRow.case_id) == case_id)).all()
        found = {a: p for a, p in parts(clocks, _steps(session, case_id)).items() if not p.empty}
        session.execute(delete(CaseFigureRow).where(col(CaseFigureRow.case_id) == case_id))
        if found:
            session.execute(
                insert(CaseFigureRow),
                [
                    {"case_id": case_id, "agency": a, "region": regions[case_id], **p.model_dump()}
                    for a, p in found.items()
                ],
            )
        count += 1
    resum(session)
    return count


def resum(session: Session) -> None:
    """Every region's sums, from the parts."""
    session.execute(delete(AgencyFigureRow))
    summed = [func.coalesce(func.sum(col(getattr(CaseFigureRow, f))), 0) for f in SUMMED]
    session.execute(
        insert(AgencyFigureRow).from_select(
            ["region", "agency", *SUMMED],
            select(CaseFigureRow.region, CaseFigureRow.agency, *summed).group_by(
                col(CaseFigureRow.region), col(CaseFigureRow.agency)
            ),
        )
    )


def _in_scope_parts(scope: Scope) -> ColumnElement[bool]:
    return visible(scope, col(CaseFigureRow.region), col(CaseFigureRow.case_id))


def agency_figures(session: Session, scope: Scope, overdue: dict[str, int]) -> list[AgencyFigures]:
    """Each agency's figures within ``scope``; ``overdue`` is counted by the caller from open clocks."""
    summed = [func.sum(col(getattr(AgencyFigureRow, f))) for f in SUMMED]
    if scope.agency is not None and not scope.everything and scope.region is None:
        summed = [func.sum(col(getattr(CaseFigureRow, f))) for f in SUMMED]
        query: Any = (
            select(CaseFigureRow.agency, *summed)
            .where(_in_scope_parts(scope))
            .group_by(col(CaseFigureRow.agency))
        )
    else:
        query = select(AgencyFigureRow.agency, *summed).group_by(col(AgencyFigureRow.agency))
        if scope.region is not None and not scope.everything:
            query = query.where(col(AgencyFigureRow.region) == scope.region)
    figures: dict[str, AgencyFigures] = {}
    for agency, *sums in session.execute(query):
        values = dict(zip(SUMMED, (int(s or 0) for s in sums), strict=True))
        figure = AgencyFigures(agency=agency, **values)
        if values["accepted"]:
            figure.accept_hours = _median_wait(session, scope, agency)
        if any(values.values()):
            figures[agency] = figure
    for agency, n in overdue.items():
        figures.setdefault(agency, AgencyFigures(agency=agency)).overdue = n
    return sorted(figures.values(), key=lambda f: f.agency)


def _median_wait(session: Session, scope: Scope, agency: str) -> float | None:
    """The median of the cases' acceptance waits, read from the middle of the index."""
    waits = col(CaseFigureRow.accept_hours)
    where = and_(_in_scope_parts(scope), col(CaseFigureRow.agency) == agency, waits.is_not(None))
    total = session.exec(select(func.count()).select_from(CaseFigureRow).where(where)).one()
    if not total:
        return None
    middle = session.exec(
        select(waits).where(where).order_by(waits).offset((total - 1) // 2).limit(2 - total % 2)
    ).all()
    values = [float(v) for v in middle if v is not None]
    return sum(values) / len(values) if values else None


def overdue_by_agency(
    session: Session, where: ColumnElement[bool], now: datetime
) -> dict[str, int]:
    """How many open, running clocks each agency holds past their due time (``where``: scope)."""
    rows = session.execute(
        select(ClockRow.owner_agency, func.count())
        .where(where, col(ClockRow.due_at) < now, col(ClockRow.owner_agency) != literal(""))
        .group_by(col(ClockRow.owner_agency))
    )
    return {agency: int(n) for agency, n in rows}
