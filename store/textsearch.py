"""The case search's text index: FTS5 trigrams on SQLite, trigram GIN indexes on PostgreSQL.

Installed by the first migration, and by the adoption of a read model made before migrations."""

from __future__ import annotations

import structlog
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

log = structlog.get_logger(__name__)

# SQLite: an FTS5 table of trigrams over the case's searchable text, kept by triggers. Its rows are
# the cases' rowids (a VACUUM may renumber them: ``INSERT INTO cases_text(cases_text) VALUES
# ('rebuild')`` renews it; the search confirms every candidate against the case row either way).
FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_text USING fts5(case_id, subject, intake_ref, "
    "content='cases', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS cases_text_ai AFTER INSERT ON cases BEGIN "
    "INSERT INTO cases_text(rowid, case_id, subject, intake_ref) "
    "VALUES (new.rowid, new.case_id, new.subject, new.intake_ref); END",
    "CREATE TRIGGER IF NOT EXISTS cases_text_ad AFTER DELETE ON cases BEGIN "
    "INSERT INTO cases_text(cases_text, rowid, case_id, subject, intake_ref) "
    "VALUES ('delete', old.rowid, old.case_id, old.subject, old.intake_ref); END",
    "CREATE TRIGGER IF NOT EXISTS cases_text_au AFTER UPDATE OF case_id, subject, intake_ref "
    "ON cases BEGIN "
    "INSERT INTO cases_text(cases_text, rowid, case_id, subject, intake_ref) "
    "VALUES ('delete', old.rowid, old.case_id, old.subject, old.intake_ref); "
    "INSERT INTO cases_text(rowid, case_id, subject, intake_ref) "
    "VALUES (new.rowid, new.case_id, new.subject, new.intake_ref); END",
)
# PostgreSQL: trigram indexes that serve the search's LIKE on each searched column.
TRIGRAMS = tuple(
    f"CREATE INDEX IF NOT EXISTS ix_cases_trgm_{column} ON cases "
    f"USING gin (lower({column}) gin_trgm_ops)"
    for column in ("subject", "case_id", "intake_ref")
)


def install_text_search(connection: Connection, fresh: bool) -> None:
    """The search's index on either database; ``fresh``: no case was written before it."""
    if connection.dialect.name == "sqlite":
        had = bool(
            connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'cases_text'")
            ).first()
        )
        for statement in FTS:
            connection.execute(text(statement))
        if not had and not fresh:  # cases written before the index: take them in
            connection.execute(text("INSERT INTO cases_text(cases_text) VALUES ('rebuild')"))
    elif connection.dialect.name == "postgresql":
        try:
            with connection.begin_nested():
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                for statement in TRIGRAMS:
                    connection.execute(text(statement))
        except DBAPIError as exc:  # no right to add the extension: search still works, slower
            log.warning("text search without trigram indexes", error=str(exc.orig)[:200])


def described_by_models(name: str | None, type_: str, _parents: object) -> bool:
    """For Alembic's comparisons: the search's own tables and indexes are not the models'."""
    if type_ == "table":
        return not (name or "").startswith("cases_text")
    if type_ == "index":
        return not (name or "").startswith("ix_cases_trgm_")
    return True
