"""What the coordinator dashboard reads: counts, due and overdue clocks, escalations, per-agency figures.

All of it from the read model, within the caller's scope, so that a page shows only what the API
would show the same person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, func, literal
from sqlmodel import Session, col, select

from cases.figures import AgencyFigures
from store.figures import agency_figures, overdue_by_agency
from store.queries import Scope, visible
from store.tables import NOT_REFERRED, QUIET, CaseRow, ClockRow

# How many lines each list of the overview shows; the counts beside them are of all.
SHOWN = 20
# Stalled cases are counted up to this many: past it, the overview says "at least".
STALLED_COUNTED = 1000
# How many closed escalations the inbox keeps showing, the latest first.
HISTORY = 100


@dataclass
class ClockLine:
    case_id: str
    subject: str
    stage: str
    mechanism: str
    key_case: bool
    clock: ClockRow


@dataclass
class Overview:
    by_stage: dict[str, int]
    due_today: list[ClockLine]
    overdue: list[ClockLine]
    escalations: dict[int, list[ClockLine]]
    key_cases: list[CaseRow]
    not_referred: list[CaseRow]
    agencies: list[AgencyFigures] = field(default_factory=list)
    # How many there are in all, of which the lists above show the first ``SHOWN``.
    due_today_count: int = 0
    overdue_count: int = 0
    escalation_counts: dict[int, int] = field(default_factory=dict)
    stalled: list[CaseRow] = field(default_factory=list)  # longest quiet first
    stalled_count: int = 0


def open_clocks(scope: Scope) -> ColumnElement[bool]:
    """Open clocks of live cases within ``scope``: a case whose workflow ended has clocks that no
    longer run."""
    in_scope = visible(scope, col(ClockRow.region), col(ClockRow.case_id))
    ended = select(CaseRow.case_id).where(col(CaseRow.workflow_status).is_not(None))
    return and_(col(ClockRow.closed_at).is_(None), in_scope, col(ClockRow.case_id).not_in(ended))


def running_clocks(scope: Scope) -> ColumnElement[bool]:
    """Open clocks that run (not paused): the clocks anyone is waiting on now."""
    return and_(open_clocks(scope), col(ClockRow.paused_at).is_(None))


def _lines(
    session: Session, where: ColumnElement[bool], limit: int | None = None
) -> list[ClockLine]:
    rows = session.exec(
        select(ClockRow, CaseRow)
        .join(CaseRow, col(CaseRow.case_id) == col(ClockRow.case_id))
        .where(where)
        .order_by(col(ClockRow.due_at), col(ClockRow.case_id), col(ClockRow.ordinal))
        .limit(limit or SHOWN)
    )
    return [
        ClockLine(case.case_id, case.subject, case.stage, case.mechanism, case.key_case, clock)
        for clock, case in rows
    ]


def _counted(session: Session, where: ColumnElement[bool]) -> int:
    """How many cases match, counted up to ``STALLED_COUNTED`` (the page says "at least")."""
    matching = select(literal(1)).select_from(CaseRow).where(where).limit(STALLED_COUNTED)
    return int(session.exec(select(func.count()).select_from(matching.subquery())).one())


def _count(session: Session, where: ColumnElement[bool]) -> int:
    return int(session.exec(select(func.count()).select_from(ClockRow).where(where)).one())


def stalled(scope: Scope, now: datetime) -> ColumnElement[bool]:
    """Cases stalled by ``now``, each by its own mechanism's measure (``cases.stalled.stalled_at``,
    written by the case): one range of ``ix_cases_stalled``. A case whose workflow ended is the
    sweep's to report, not this list's."""
    return and_(visible(scope), QUIET, col(CaseRow.stalled_at) < now)


def _stalled(session: Session, scope: Scope, now: datetime) -> tuple[list[CaseRow], int]:
    """The longest stalled first, and how many, counted up to ``STALLED_COUNTED``."""
    where = stalled(scope, now)
    order = (col(CaseRow.stalled_at), col(CaseRow.case_id))
    rows = list(session.exec(select(CaseRow).where(where).order_by(*order).limit(SHOWN)))
    return rows, _counted(session, where)


def overview(
    engine: Engine,
    scope: Scope,
    now: datetime,
    end_of_today: datetime,
) -> Overview:
    running = running_clocks(scope)
    late = and_(running, col(ClockRow.due_at) < now)
    today = and_(running, col(ClockRow.due_at) >= now, col(ClockRow.due_at) < end_of_today)
    with Session(engine) as session:
        by_stage = {
            str(stage): int(n)
            for stage, n in session.exec(
                select(CaseRow.stage, func.count())
                .where(visible(scope))
                .group_by(col(CaseRow.stage))
            ).all()
        }
        escalation_counts = {
            int(level): int(n)
            for level, n in session.exec(
                select(ClockRow.escalation_level, func.count())
                .where(running, col(ClockRow.escalation_level) > 0)
                .group_by(col(ClockRow.escalation_level))
            ).all()
        }
        escalations: dict[int, list[ClockLine]] = defaultdict(list)
        for level in sorted(escalation_counts, reverse=True):
            escalations[level] = _lines(
                session, and_(running, col(ClockRow.escalation_level) == level)
            )
        key_cases = list(
            session.exec(
                select(CaseRow)
                .where(visible(scope), col(CaseRow.key_case), col(CaseRow.closed_at).is_(None))
                .order_by(col(CaseRow.opened_at).desc(), col(CaseRow.case_id).desc())
                .limit(SHOWN)
            )
        )
        not_referred = list(
            session.exec(
                select(CaseRow)
                .where(visible(scope), NOT_REFERRED)
                .order_by(col(CaseRow.updated_at).desc(), col(CaseRow.case_id).desc())
                .limit(SHOWN)
            )
        )
        stalled_cases, stalled_count = _stalled(session, scope, now)
        return Overview(
            stalled=stalled_cases,
            stalled_count=stalled_count,
            by_stage=by_stage,
            due_today=_lines(session, today),
            overdue=_lines(session, late),
            escalations=dict(escalations),
            key_cases=key_cases,
            not_referred=not_referred,
            agencies=agency_figures(session, scope, overdue_by_agency(session, late, now)),
            due_today_count=_count(session, today),
            overdue_count=_count(session, late),
            escalation_counts=escalation_counts,
        )


def inbox(
    engine: Engine, agency: str, scope: Scope, closed_since: datetime | None = None
) -> list[ClockLine]:
    """Clocks whose escalation reached ``agency``: the open ones, soonest due first, then those
    closed since ``closed_since`` (the inbox's history of what reached it), the latest first."""
    with Session(engine) as session:
        escalated = and_(open_clocks(scope), col(ClockRow.escalation_level) > 0)
        # Who an escalation reached is a JSON map, read here rather than indexed: the escalated
        # clocks are few beside the open ones, and the open ones beside all.
        lines = [
            line
            for line in _lines(session, escalated, limit=10_000)
            if agency in line.clock.escalated_to
        ]
        if closed_since is not None:
            in_scope = visible(scope, col(ClockRow.region), col(ClockRow.case_id))
            done = and_(
                in_scope,
                col(ClockRow.escalation_level) > 0,
                col(ClockRow.closed_at).is_not(None),
                col(ClockRow.closed_at) >= closed_since,
            )
            rows = session.exec(
                select(ClockRow, CaseRow)
                .join(CaseRow, col(CaseRow.case_id) == col(ClockRow.case_id))
                .where(done)
                .order_by(col(ClockRow.closed_at).desc(), col(ClockRow.case_id))
                .limit(10_000)
            )
            lines += [
                ClockLine(case.case_id, case.subject, case.stage, case.mechanism, case.key_case, k)
                for k, case in rows
                if agency in k.escalated_to
            ][:HISTORY]
        return lines


def open_escalations(engine: Engine) -> dict[tuple[str, int], int]:
    """Running clocks escalated, by region and rung, over every region: what the API's ``/metrics``
    reports for on-call (``linkage_escalations_open``)."""
    with Session(engine) as session:
        rows = session.exec(
            select(ClockRow.region, ClockRow.escalation_level, func.count())
            .where(running_clocks(Scope(everything=True)), col(ClockRow.escalation_level) > 0)
            .group_by(col(ClockRow.region), col(ClockRow.escalation_level))
        ).all()
    return {(str(region), int(level)): int(n) for region, level, n in rows}
