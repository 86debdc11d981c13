"""Engines, sessions and the one upsert the read model is written with."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine

from store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

log = structlog.get_logger(__name__)


POOL_SIZE = 20


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get their folder, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_json_without_nul,
            # As many kept connections as the API's and the worker's threads use at once: past the
            # pool, each read opened a new connection and set its pragmas again.
            pool_size=POOL_SIZE,
            max_overflow=POOL_SIZE,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    else:
        engine = create_engine(url, pool_pre_ping=True, json_serializer=_json_without_nul)

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _no_nul(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        return statement, without_nul(parameters)

    return engine


# PostgreSQL stores no NUL character, in text or in JSON: a client may send one (JSON allows it), and
# the case keeps it, but its read model (on either database, to read the same) shows U+FFFD in its
# place; a write that failed on it would leave the case's entries waiting in its outbox for good.
NUL, SHOWN = "\x00", "\ufffd"


def without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, SHOWN) if NUL in value else value
    if isinstance(value, dict):
        return {k: without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(without_nul(v) for v in value)
    return value


def _json_without_nul(value: Any) -> str:
    return json.dumps(without_nul(value))


def create_tables(engine: Engine) -> None:
    """The read model's tables, indexes and text search, and what a read model written by an
    earlier version lacks (until the migrations of the production issue replace this)."""
    from store.figures import rebuild

    before = set(inspect(engine).get_table_names())
    SQLModel.metadata.create_all(engine)
    with engine.begin() as connection:
        if "clocks" in before and "region" not in {
            c["name"] for c in inspect(connection).get_columns("clocks")
        }:
            connection.execute(
                text("ALTER TABLE clocks ADD COLUMN region VARCHAR(40) NOT NULL DEFAULT ''")
            )
            connection.execute(
                text(
                    "UPDATE clocks SET region = "
                    "(SELECT region FROM cases WHERE cases.case_id = clocks.case_id)"
                )
            )
        added = _add_new_columns(connection, before)
        if "move_agency" in added.get("cases", ()):
            _fill_whose_move(connection)
        # Replaced by the partial indexes of open clocks (the planner took it, and read every row).
        connection.execute(text("DROP INDEX IF EXISTS ix_clocks_open_due"))
        for table in SQLModel.metadata.sorted_tables:
            if table.name in before:
                for index in table.indexes:
                    index.create(connection, checkfirst=True)
        _text_search(connection, fresh="cases" not in before)
    if "cases" in before and "case_figures" not in before:
        with session_scope(engine) as session:
            rebuild(session)


def _add_new_columns(connection: Connection, before: set[str]) -> dict[str, list[str]]:
    """Columns a later version added to a table that was there before: each is nullable, so that
    it can be added empty; what fills it is up to the caller."""
    found = inspect(connection)
    added: dict[str, list[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in before:
            continue
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            if not column.nullable:  # pragma: no cover - a guard for later versions
                raise RuntimeError(f"{table.name}.{column.name} is new and not nullable")
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
            added.setdefault(table.name, []).append(column.name)
    return added


def _fill_whose_move(connection: Connection) -> None:
    """Whose move, for cases written before it was kept: the holder of the next due running clock
    (as ``cases.clocks.whose_move`` decides it), else the owning agency's officers; until the
    case's next write writes it as the case decides."""
    first = (
        "(SELECT k.{column} FROM clocks k WHERE k.case_id = cases.case_id AND k.closed_at IS NULL"
        " AND k.paused_at IS NULL AND k.owner_agency <> '' ORDER BY k.due_at, k.ordinal LIMIT 1)"
    )
    connection.execute(
        text(
            f"UPDATE cases SET move_agency = COALESCE({first.format(column='owner_agency')}, "
            f"owner_agency), move_role = COALESCE({first.format(column='owner_role')}, 'officer') "
            "WHERE closed_at IS NULL"
        )
    )


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


def _text_search(connection: Connection, fresh: bool) -> None:
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


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def upsert(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, or update them in place on a primary-key clash: retries write nothing twice.
    The rows go as parameters of one statement, which SQLAlchemy compiles once and caches (values
    written into the statement made it compile again at every write)."""
    if not rows:
        return
    session.execute(_upsert(model, tuple(rows[0]), session.get_bind().dialect.name), list(rows))


@functools.cache
def _upsert(model: type[SQLModel], columns: tuple[str, ...], dialect: str) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    keys = [c.name for c in inspect(model).primary_key]
    if dialect == "sqlite":
        statement: Any = sqlite.insert(table)
    elif dialect == "postgresql":
        statement = postgresql.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"no upsert for dialect '{dialect}'")
    changed = {c: statement.excluded[c] for c in columns if c not in keys}
    if changed:
        return statement.on_conflict_do_update(index_elements=keys, set_=changed)
    return statement.on_conflict_do_nothing(index_elements=keys)
