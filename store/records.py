"""Writing a case's transitions into the read model: idempotent on case id and sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine
from sqlmodel import Session, col, select, update

from cases.effects import ArchivedCase, CaseRecord
from cases.figures import COUNTED
from cases.intake import CaseIntake
from cases.model import CaseState
from store.db import session_scope, upsert
from store.figures import update_parts
from store.tables import (
    ArchivedCaseRow,
    CaseAgencyRow,
    CaseLinkRow,
    CaseRow,
    ClockRow,
    EvidenceRow,
    TimelineRow,
)
from store.views import write_view

INTAKE: TypeAdapter[CaseIntake] = TypeAdapter(CaseIntake)


def _case_row(record: CaseRecord, last_seq: int) -> dict[str, Any]:
    row = record.projection.model_dump()
    row["last_seq"] = last_seq
    if record.intake is not None:
        row["intake"] = INTAKE.dump_python(record.intake, mode="json")
    return row


STATE: TypeAdapter[CaseState] = TypeAdapter(CaseState)


def archived_case(engine: Engine, case_id: str) -> ArchivedCase | None:
    """The state and rules an archived case left, to reopen it from."""
    with Session(engine) as session:
        row = session.get(ArchivedCaseRow, case_id)
        if row is None:
            return None
        return ArchivedCase(dict(row.profile), STATE.validate_python(row.state))


def record_case_events(engine: Engine, record: CaseRecord) -> None:
    """Write transitions. Replaying the same record, or an older one, changes nothing. A record
    without entries carries the case's stored state alone (its calls under way have ended)."""
    if not record.entries:
        if record.stored is not None:
            with session_scope(engine) as session:
                write_view(session, record.case_id, record.stored, record.stored.state.last_seq)
        return
    last_seq = max(e.seq for e in record.entries)
    with session_scope(engine) as session:
        _write(session, record, last_seq)


def _write(session: Session, record: CaseRecord, last_seq: int) -> None:
    case_id = record.case_id
    found = session.exec(
        select(CaseRow.last_seq, CaseRow.region).where(CaseRow.case_id == case_id)
    ).first()
    current, was_in = found if found is not None else (None, None)
    newer = current is None or last_seq >= current
    if newer:
        upsert(session, CaseRow, [_case_row(record, last_seq)])
        # Parts are only ever added: an agency that once had the case keeps seeing it.
        upsert(session, CaseAgencyRow, [{"case_id": case_id, "agency": a} for a in record.agencies])
        _write_links(session, record)
    upsert(
        session,
        TimelineRow,
        [
            {
                "case_id": case_id,
                "seq": e.seq,
                "at": e.at,
                "action": e.action,
                "actor_agency": e.actor.agency if e.actor else None,
                "actor_role": e.actor.role.value if e.actor else None,
                "actor_person": e.actor.person if e.actor else None,
                "stage_from": e.stage_from.value,
                "stage_to": e.stage_to.value,
                "details": dict(e.details),
            }
            for e in record.entries
        ],
    )
    region = record.projection.region if newer else str(was_in)
    if newer:
        upsert(
            session,
            ClockRow,
            [{"case_id": case_id, "region": region, **c.model_dump()} for c in record.clocks],
        )
    # The figures read counted steps and closed clocks: a write with neither, in the same region
    # (or the first), leaves the case's parts as they were.
    if (
        (was_in is not None and region != was_in)
        or any(e.action in COUNTED for e in record.entries)
        or any(c.closed_at is not None for c in record.clocks)
    ):
        update_parts(session, case_id, region)
    if newer and record.stored is not None:
        write_view(session, case_id, record.stored, last_seq)
    if newer and record.archived is not None:
        archived = record.archived
        upsert(
            session,
            ArchivedCaseRow,
            [
                {
                    "case_id": case_id,
                    "last_seq": last_seq,
                    "profile": archived.profile,
                    "state": STATE.dump_python(archived.state, mode="json"),
                    "archived_at": archived.state.closed_at or record.entries[-1].at,
                }
            ],
        )
    upsert(
        session,
        EvidenceRow,
        [
            {
                "case_id": case_id,
                "seq": item.seq,
                "kind": item.kind,
                "title": item.title,
                "sha256": item.sha256,
                "reference": item.reference,
                "size": item.size,
                "recorded_by_agency": item.recorded_by.agency,
                "recorded_by_role": item.recorded_by.role.value,
                "recorded_by_person": item.recorded_by.person,
                "recorded_at": item.recorded_at,
                "corrects": item.corrects,
                "withdrawn": item.withdrawn or None,
                "reasons": item.reasons or None,
            }
            for item in record.evidence
        ],
    )


def _write_links(session: Session, record: CaseRecord) -> None:
    """The case's links to cases of other regions (D3 §3.2), each with the case's region as it now
    stands: the linked case's page reads them as "linked from"."""
    if not record.links:
        return
    upsert(
        session,
        CaseLinkRow,
        [
            {
                "case_id": record.case_id,
                "linked_case_id": link.case_id,
                "region": record.projection.region,
                "linked_region": link.region,
                "relation": link.relation.value,
                "note": link.note,
                "linked_at": link.linked_at,
                "linked_by_agency": link.linked_by.agency,
            }
            for link in record.links
        ],
    )


def mark_ended(engine: Engine, case_id: str, status: str, at: datetime) -> bool:
    """Mark a case whose workflow ended without archiving; True only for the call that marked it."""
    with session_scope(engine) as session:
        result = session.execute(
            update(CaseRow)
            .where(col(CaseRow.case_id) == case_id, col(CaseRow.workflow_status).is_(None))
            .values(workflow_status=status, workflow_ended_at=at)
        )
        return bool(getattr(result, "rowcount", 0))


def stored_intake(row: CaseRow) -> CaseIntake | None:
    """The intake a case was opened with, from its row."""
    return None if row.intake is None else INTAKE.validate_python(row.intake)


def timeline(engine: Engine, case_id: str) -> list[TimelineRow]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(TimelineRow).where(TimelineRow.case_id == case_id).order_by(TimelineRow.seq)  # type: ignore[arg-type]
            )
        )


def clocks(engine: Engine, case_id: str) -> list[ClockRow]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(ClockRow).where(ClockRow.case_id == case_id).order_by(ClockRow.ordinal)  # type: ignore[arg-type]
            )
        )


def case_row(engine: Engine, case_id: str) -> CaseRow | None:
    with Session(engine) as session:
        return session.get(CaseRow, case_id)
