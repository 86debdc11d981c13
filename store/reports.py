"""The read model's public reports (``cases.reports``): written by the report's workflow at every
step (idempotent on report id and event sequence), read through the same visibility rule as cases, and
the audit trail of every look at a reporter's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, exists, func, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cases.reports import ReportState
from store.db import session_scope
from store.queries import Scope
from store.tables import ReportAgencyRow, ReporterViewRow, ReportEventRow, ReportRow

MAX_LISTED = 200


def row_values(state: ReportState, now: datetime) -> dict[str, Any]:
    """The report's row, as the report stands."""
    intake, clock = state.intake, state.clock
    return dict(  # noqa: C408 (the row's columns, as keywords)
        report_id=state.report_id,
        intake_ref=intake.intake_ref,
        mechanism=intake.mechanism,
        region=state.region,
        channel=intake.channel.value,
        received_at=intake.received_at,
        received_by=intake.received_by,
        owner_agency=state.owner_agency,
        about_agency=intake.about_agency,
        urgent=intake.urgent,
        ongoing=intake.ongoing,
        place=intake.place,
        seen=intake.seen,
        anonymous=intake.anonymous,
        can_reply=intake.can_reply,
        reporter_sealed=intake.reporter_sealed,
        stage=state.stage.value,
        outcome=state.outcome.value if state.outcome else None,
        case_id=state.case_id,
        due_at=clock.due_at if clock else None,
        provisional=clock.provisional if clock else False,
        stopped_at=clock.stopped_at if clock else None,
        breached_at=clock.breached_at if clock else None,
        escalation_level=clock.escalation_level if clock else 0,
        reward=state.reward.value,
        reward_yuan=state.reward_yuan,
        replies_sent=state.replies_sent,
        identity_roles=list(state.identity_roles),
        seq=state.seq,
        updated_at=now,
    )


def record_report(engine: Engine, state: ReportState, now: datetime) -> None:
    """The report as it stands, its holders, and the events not yet kept. A repeat writes the same;
    an older state arriving after a newer one changes nothing. The API's write of a report it just
    took races the workflow's first: the loser writes again over the winner's rows."""
    try:
        _record(engine, state, now)
    except IntegrityError:
        _record(engine, state, now)


def _record(engine: Engine, state: ReportState, now: datetime) -> None:
    with session_scope(engine) as session:
        row = session.get(ReportRow, state.report_id)
        if row is not None and row.seq > state.seq:
            return
        values = row_values(state, now)
        if row is None:
            session.add(ReportRow(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)
        held = set(
            session.exec(
                select(ReportAgencyRow.agency).where(
                    col(ReportAgencyRow.report_id) == state.report_id
                )
            )
        )
        for agency in state.holders:
            if agency not in held:
                session.add(ReportAgencyRow(report_id=state.report_id, agency=agency))
        kept = set(
            session.exec(
                select(ReportEventRow.seq).where(col(ReportEventRow.report_id) == state.report_id)
            )
        )
        for event in state.events:
            if event.seq not in kept:
                session.add(
                    ReportEventRow(
                        report_id=state.report_id,
                        seq=event.seq,
                        at=event.at,
                        action=event.action,
                        agency=event.agency,
                        role=event.role,
                        person=event.person,
                        text=event.text[:6000],
                        text_en=event.text_en[:6000],
                    )
                )


def visible_reports(scope: Scope) -> ColumnElement[bool]:
    """The reports ``scope`` may see: the same rule as cases (``store.queries.visible``), with the
    agencies that held a report in place of a case's parties."""
    if scope.everything:
        return true()
    if scope.region is not None:
        return col(ReportRow.region) == scope.region
    return exists().where(
        and_(
            col(ReportAgencyRow.report_id) == col(ReportRow.report_id),
            col(ReportAgencyRow.agency) == scope.agency,
        )
    )


@dataclass(frozen=True)
class ReportFilter:
    stage: str | None = None
    overdue: bool | None = None
    agency: str | None = None  # held by


def list_reports(
    engine: Engine, scope: Scope, filters: ReportFilter, now: datetime, limit: int, offset: int
) -> tuple[list[ReportRow], int]:
    where = [visible_reports(scope)]
    if filters.stage:
        where.append(col(ReportRow.stage) == filters.stage)
    if filters.agency:
        where.append(col(ReportRow.owner_agency) == filters.agency)
    if filters.overdue is not None:
        late = and_(col(ReportRow.stopped_at).is_(None), col(ReportRow.due_at) < now)
        where.append(late if filters.overdue else ~late)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(ReportRow).where(*where)).one()
        rows = session.exec(
            select(ReportRow)
            .where(*where)
            .order_by(col(ReportRow.received_at).desc(), col(ReportRow.report_id))
            .limit(min(limit, MAX_LISTED))
            .offset(offset)
        ).all()
    return list(rows), int(total)


def report_seen(engine: Engine, scope: Scope, report_id: str) -> ReportRow | None:
    with Session(engine) as session:
        return session.exec(
            select(ReportRow).where(col(ReportRow.report_id) == report_id, visible_reports(scope))
        ).first()


def report_events(engine: Engine, report_id: str) -> list[ReportEventRow]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(ReportEventRow)
                .where(col(ReportEventRow.report_id) == report_id)
                .order_by(col(ReportEventRow.seq))
            )
        )


def record_view(engine: Engine, view: ReporterViewRow) -> int:
    """Written before the identity is shown: a look that is not written down is not given."""
    with session_scope(engine) as session:
        row = ReporterViewRow.model_validate(view.model_dump())
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def views_of(engine: Engine, report_id: str) -> list[ReporterViewRow]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(ReporterViewRow)
                .where(col(ReporterViewRow.report_id) == report_id)
                .order_by(col(ReporterViewRow.at))
            )
        )
