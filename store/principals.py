"""API principals: an agency, a role and the hash of a key. The key itself is shown once, never stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from store.db import session_scope
from store.tables import PrincipalRow

KEY_PREFIX = "lk"


@dataclass(frozen=True)
class Principal:
    id: int
    name: str
    agency: str
    role: str


def _hash(key: str) -> str:
    # Keys are 256 random bits: a plain SHA-256 is enough; there is no password to stretch.
    return hashlib.sha256(key.encode()).hexdigest()


def _split(key: str) -> str | None:
    parts = key.split("_", 2)  # the secret itself may contain '_'

    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    return parts[1]


def create_key(engine: Engine, *, name: str, agency: str, role: str) -> tuple[Principal, str]:
    """A new principal and its key. The key is returned once; only its hash is kept."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with session_scope(engine) as session:
        row = PrincipalRow(
            name=name,
            agency=agency,
            role=role,
            key_prefix=prefix,
            key_hash=_hash(key),
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        principal = Principal(row.id, row.name, row.agency, row.role)
    return principal, key


def authenticate(engine: Engine, key: str) -> Principal | None:
    prefix = _split(key)
    if prefix is None:
        return None
    table = PrincipalRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:  # without the ORM: every request reads it
        row = connection.execute(
            sa_select(
                table.c.id,
                table.c.name,
                table.c.agency,
                table.c.role,
                table.c.key_hash,
                table.c.revoked_at,
            ).where(table.c.key_prefix == bindparam("prefix")),
            {"prefix": prefix},
        ).first()
    if row is None or row.revoked_at is not None or row.id is None:
        return None
    if not hmac.compare_digest(row.key_hash, _hash(key)):
        return None
    return Principal(row.id, row.name, row.agency, row.role)


def list_keys(engine: Engine) -> list[PrincipalRow]:
    with Session(engine) as session:
        return list(session.exec(select(PrincipalRow).order_by(PrincipalRow.id)))  # type: ignore[arg-type]


def revoke(engine: Engine, prefix: str) -> bool:
    with session_scope(engine) as session:
        row = session.exec(select(PrincipalRow).where(PrincipalRow.key_prefix == prefix)).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        return True
