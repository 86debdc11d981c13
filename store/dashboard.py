"""What the coordinator dashboard reads: counts, due and overdue clocks, escalations, per-agency figures.

All of it from the read model, within the caller's scope, so that a page shows only what the API
would show the same person.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from store.queries import Scope, visible
from store.tables import CaseRow, ClockRow, TimelineRow

REFERABLE = ("crime", "public_security")
NOT_REFERRED_STAGES = ("admin_penalty", "archiving", "archived")


@dataclass
class ClockLine:
    case_id: str
    subject: str
    stage: str
    mechanism: str
    key_case: bool
    clock: ClockRow


@dataclass
class AgencyFigures:
    agency: str
    accept_hours: float | None = None  # median hours from delivery to acceptance
    filed: int = 0
    decided: int = 0
    fed_back: int = 0
    overdue: int = 0
    on_time: int = 0
    closed: int = 0

    @property
    def filing_rate(self) -> float | None:
        return self.filed / self.decided if self.decided else None

    @property
    def feedback_rate(self) -> float | None:
        return self.fed_back / self.filed if self.filed else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.closed if self.closed else None


@dataclass
class Overview:
    by_stage: dict[str, int]
    due_today: list[ClockLine]
    overdue: list[ClockLine]
    escalations: dict[int, list[ClockLine]]
    key_cases: list[CaseRow]
    not_referred: list[CaseRow]
    agencies: list[AgencyFigures] = field(default_factory=list)


def _open_clocks(session: Session, scope: Scope) -> list[ClockLine]:
    rows = session.exec(
        select(ClockRow, CaseRow)
        .join(CaseRow, col(CaseRow.case_id) == col(ClockRow.case_id))
        .where(
            col(ClockRow.closed_at).is_(None),
            col(CaseRow.workflow_status).is_(None),  # an ended case's clocks no longer run
            visible(scope),
        )
        .order_by(col(ClockRow.due_at))
    )
    return [
        ClockLine(case.case_id, case.subject, case.stage, case.mechanism, case.key_case, clock)
        for clock, case in rows
    ]


def overview(engine: Engine, scope: Scope, now: datetime, end_of_today: datetime) -> Overview:
    with Session(engine) as session:
        by_stage = dict(
            session.exec(
                select(CaseRow.stage, func.count())
                .where(visible(scope))
                .group_by(col(CaseRow.stage))
            ).all()
        )
        lines = _open_clocks(session, scope)
        key_cases = list(
            session.exec(
                select(CaseRow)
                .where(visible(scope), col(CaseRow.key_case), col(CaseRow.closed_at).is_(None))
                .order_by(col(CaseRow.opened_at).desc())
                .limit(50)
            )
        )
        not_referred = list(
            session.exec(
                select(CaseRow)
                .where(
                    visible(scope),
                    col(CaseRow.suggested).in_(REFERABLE),
                    col(CaseRow.stage).in_(NOT_REFERRED_STAGES),
                    col(CaseRow.referred).is_(False),
                )
                .order_by(col(CaseRow.updated_at).desc())
                .limit(50)
            )
        )
        agencies = _figures(session, scope, now)
    running = [line for line in lines if line.clock.paused_at is None]
    escalations: dict[int, list[ClockLine]] = defaultdict(list)
    for line in running:
        if line.clock.escalation_level > 0:
            escalations[line.clock.escalation_level].append(line)
    return Overview(
        by_stage=by_stage,
        due_today=[line for line in running if now <= line.clock.due_at < end_of_today],
        overdue=[line for line in running if line.clock.due_at < now],
        escalations=dict(sorted(escalations.items(), reverse=True)),
        key_cases=key_cases,
        not_referred=not_referred,
        agencies=agencies,
    )


def _figures(session: Session, scope: Scope, now: datetime) -> list[AgencyFigures]:
    figures: dict[str, AgencyFigures] = {}

    def of(agency: str) -> AgencyFigures:
        return figures.setdefault(agency, AgencyFigures(agency))

    clocks = session.exec(
        select(ClockRow)
        .join(CaseRow, col(CaseRow.case_id) == col(ClockRow.case_id))
        .where(visible(scope))
    )
    for clock in clocks:
        if not clock.owner_agency:
            continue
        figure = of(clock.owner_agency)
        if clock.closed_at is None:
            if clock.paused_at is None and clock.due_at < now:
                figure.overdue += 1
        elif clock.closed_by != "archived":
            figure.closed += 1
            figure.on_time += clock.closed_at <= clock.due_at
    entries = session.exec(
        select(TimelineRow)
        .join(CaseRow, col(CaseRow.case_id) == col(TimelineRow.case_id))
        .where(visible(scope))
        .order_by(col(TimelineRow.case_id), col(TimelineRow.seq))
    )
    delivered: dict[str, datetime] = {}
    waits: dict[str, list[float]] = defaultdict(list)
    for entry in entries:
        if entry.action == "referral_delivered":
            delivered[entry.case_id] = entry.at
        elif entry.action == "accept" and entry.actor_agency:
            if entry.case_id in delivered:
                waits[entry.actor_agency].append(
                    (entry.at - delivered[entry.case_id]).total_seconds() / 3600
                )
        elif entry.action in ("file_case", "decline_filing") and entry.actor_agency:
            figure = of(entry.actor_agency)
            figure.decided += 1
            figure.filed += entry.action == "file_case"
        elif (
            entry.action == "reverse_refer"
            and entry.actor_agency
            and entry.stage_from == "filing_decision"
        ):
            of(entry.actor_agency).decided += 1
        elif entry.action == "feed_back" and entry.actor_agency:
            of(entry.actor_agency).fed_back += 1
    for agency, hours in waits.items():
        of(agency).accept_hours = statistics.median(hours)
    return sorted(figures.values(), key=lambda f: f.agency)


def inbox(engine: Engine, agency: str, scope: Scope) -> list[ClockLine]:
    """Open clocks whose escalation reached ``agency``."""
    with Session(engine) as session:
        return [line for line in _open_clocks(session, scope) if agency in line.clock.escalated_to]
