"""Writing a case's transitions into the read model: idempotent on case id and sequence."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from cases.effects import CaseRecord
from store.db import session_scope, upsert
from store.tables import CaseAgencyRow, CaseRow, ClockRow, EvidenceRow, TimelineRow


def _projection_row(record: CaseRecord, last_seq: int) -> dict[str, Any]:
    p = record.projection
    row = asdict(p)
    row.pop("agencies")
    row["stage"] = p.stage.value
    row["last_seq"] = last_seq
    return row


def record_case_events(engine: Engine, record: CaseRecord) -> None:
    """Write one transition. Replaying the same record, or an older one, changes nothing."""
    last_seq = max((e.seq for e in record.entries), default=0)
    with session_scope(engine) as session:
        _write(session, record, last_seq)


def _write(session: Session, record: CaseRecord, last_seq: int) -> None:
    case_id = record.case_id
    current = session.exec(select(CaseRow.last_seq).where(CaseRow.case_id == case_id)).first()
    if current is None or last_seq >= current:
        upsert(session, CaseRow, [_projection_row(record, last_seq)])
        # Parts are only ever added: an agency that once had the case keeps seeing it.
        upsert(
            session,
            CaseAgencyRow,
            [{"case_id": case_id, "agency": a} for a in record.projection.agencies],
        )
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
    if current is None or last_seq >= current:
        upsert(
            session,
            ClockRow,
            [
                {
                    "case_id": case_id,
                    "ordinal": ordinal,
                    "key": c.key,
                    "name": c.name,
                    "owner_party": c.owner_party.value,
                    "owner_agency": c.owner_agency,
                    "owner_role": c.owner_role.value,
                    "length": c.length,
                    "unit": c.unit.value,
                    "source": c.source,
                    "statutory": c.statutory,
                    "provisional": c.provisional,
                    "reminders_sent": c.reminders_sent,
                    "escalation_level": c.escalation_level,
                    "escalated_to": list(c.escalated_to),
                    "started_at": c.started_at,
                    "due_at": c.due_at,
                    "breached_at": c.breached_at,
                    "paused_at": c.paused_at,
                    "closed_at": c.closed_at,
                    "closed_by": c.closed_by,
                }
                for ordinal, c in enumerate(record.clocks)
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
            }
            for item in record.evidence
        ],
    )


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
