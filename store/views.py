"""A case's stored state, for its page (``cases.stored``): written with the case's own writes, in
their transaction; read by the API; marked stale by whoever learns that a write of the case did not
happen, until the case's next write replaces it."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Engine, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, update

from cases.stored import ContextKeys, StoredCase
from store.db import session_scope
from store.tables import CaseViewRow


def write_view(session: Session, case_id: str, stored: StoredCase, last_seq: int) -> None:
    """Called for a write that is the case's newest. A repeat of the stored write (same sequence)
    keeps a stale mark: only a step beyond it shows that the case wrote what it had."""
    dialect = session.get_bind().dialect.name
    session.execute(
        _statement(dialect),
        {
            "case_id": case_id,
            "last_seq": last_seq,
            "state": stored.state,
            "profile_key": stored.keys.profile,
            "calendar_key": stored.keys.calendar,
            "registry_key": stored.keys.registry,
            "calls_in_flight": stored.calls_in_flight,
            "answering_calls": stored.answering_calls,
            "wake": stored.wake,
            "stale": False,
        },
    )


@functools.cache
def _statement(dialect: str) -> Any:
    table = CaseViewRow.__table__  # type: ignore[attr-defined]
    insert: Any = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    new, old = insert.excluded, table.c
    changed: dict[str, Any] = {
        c.name: new[c.name] for c in table.columns if c.name not in ("case_id", "stale")
    }
    changed["stale"] = case((new.last_seq > old.last_seq, False), else_=old.stale)
    return insert.on_conflict_do_update(
        index_elements=["case_id"], set_=changed, where=new.last_seq >= old.last_seq
    )


def stored_case(engine: Engine, case_id: str) -> StoredCase | None:
    """The case as its last write left it; None when there is none, or it is marked stale. (Read
    without the ORM: every case page reads it.)"""
    table = CaseViewRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = connection.execute(
            select(table).where(table.c.case_id == bindparam("case_id")), {"case_id": case_id}
        ).first()
    if row is None or row.stale:
        return None
    return StoredCase(
        row.state,
        ContextKeys(row.profile_key, row.calendar_key, row.registry_key),
        calls_in_flight=row.calls_in_flight,
        answering_calls=row.answering_calls,
        wake=row.wake,
    )


def mark_stale(engine: Engine, case_id: str) -> None:
    """A write of the case did not happen (or may not have): its page asks the case until the
    case's next write."""
    with session_scope(engine) as session:
        session.execute(
            update(CaseViewRow).where(col(CaseViewRow.case_id) == case_id).values(stale=True)
        )
