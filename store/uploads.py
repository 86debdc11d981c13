"""What each principal stores: the evidence files its uploads kept, counted against its quota.

The ledger (``stored_files``) is the source of truth, one row per file under the data folder: a file
is charged before it is kept, and a refused step that forgets a file removes its row. Charging is
atomic per principal, so that uploads at the same time cannot together pass the quota.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from store.db import session_scope
from store.tables import PrincipalRow, StoredFileRow


class OverQuota(Exception):
    """Keeping the file would pass the principal's quota."""

    def __init__(self, used: int, needed: int, allowed: int) -> None:
        super().__init__(f"{used} + {needed} bytes would pass {allowed}")
        self.used = used  # bytes the principal's files take already
        self.needed = needed  # bytes the upload would add
        self.allowed = allowed  # the quota


def charge(
    engine: Engine, principal_id: int, case_id: str, sha256: str, size: int, allowed: int
) -> bool:
    """Charge a file about to be kept to the principal: True when it is charged now, False when
    the case already holds the same file (nothing new is stored). ``OverQuota`` when it would pass
    ``allowed``, and nothing is charged."""
    with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        if dialect != "sqlite":  # SQLite takes its one write lock at the insert below
            session.exec(
                select(PrincipalRow.id)
                .where(col(PrincipalRow.id) == principal_id)
                .with_for_update()
            )
        table = StoredFileRow.__table__  # type: ignore[attr-defined]
        insert = (sqlite if dialect == "sqlite" else postgresql).insert(table)
        row = {
            "case_id": case_id,
            "sha256": sha256,
            "principal_id": principal_id,
            "size": size,
            "stored_at": datetime.now(UTC),
        }
        inserted = session.execute(
            insert.values(row).on_conflict_do_nothing().returning(table.c.sha256)
        ).first()
        if inserted is None:
            return False
        total = session.exec(
            select(func.sum(StoredFileRow.size)).where(
                col(StoredFileRow.principal_id) == principal_id
            )
        ).one()
        if int(total or 0) > allowed:
            raise OverQuota(int(total or 0) - size, size, allowed)  # rolled back
        return True


def discharge(engine: Engine, case_id: str, sha256: str) -> None:
    """A file no longer kept (its step was refused): no longer charged to anyone."""
    with session_scope(engine) as session:
        session.execute(
            delete(StoredFileRow).where(
                col(StoredFileRow.case_id) == case_id, col(StoredFileRow.sha256) == sha256
            )
        )
