"""The read model's clues (``cases.clues``): written once when sent, updated by their delivery, and
read only by the key that sent them and by their recipient agency."""

from __future__ import annotations

from sqlalchemy import Engine, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cases.effects import ClueOutcome
from store.db import session_scope
from store.tables import ClueRow

MAX_LISTED = 200


def add_clue(engine: Engine, row: ClueRow) -> tuple[ClueRow, bool]:
    """Keep the clue; a repeat of the same clue id (a retried request, even a concurrent one)
    returns the one kept, and ``False``."""
    try:
        with session_scope(engine) as session:
            session.add(ClueRow.model_validate(row.model_dump()))
        return row, True
    except IntegrityError:
        with Session(engine) as session:
            found = session.get(ClueRow, row.clue_id)
            if found is None:
                raise
            return found, False


def record_clue(engine: Engine, outcome: ClueOutcome) -> None:
    """What the recipient's system answered; idempotent (the same outcome written again)."""
    with session_scope(engine) as session:
        row = session.get(ClueRow, outcome.clue_id)
        if row is None:
            return
        row.delivered_at = outcome.delivered_at
        row.reference = outcome.reference
        row.error = outcome.error[:500] if outcome.error else None
        session.add(row)


def drop_clue(engine: Engine, clue_id: str) -> None:
    """Forget a clue whose delivery could not be started (the sender is told to send it again)."""
    with session_scope(engine) as session:
        row = session.get(ClueRow, clue_id)
        if row is not None and row.delivered_at is None and row.error is None:
            session.delete(row)


def clues_seen_by(
    engine: Engine, principal: int, agency: str, case_id: str | None = None
) -> list[ClueRow]:
    """The clues this key sent, and those its agency received, newest first; of one case when
    ``case_id`` is given. The sending agency's other people do not see them: the officials a clue
    names may be among them."""
    with Session(engine) as session:
        query = select(ClueRow).where(
            or_(col(ClueRow.sender_principal) == principal, col(ClueRow.recipient) == agency)
        )
        if case_id is not None:
            query = query.where(col(ClueRow.case_id) == case_id)
        query = query.order_by(col(ClueRow.sent_at).desc()).limit(MAX_LISTED)
        return list(session.exec(query).all())
