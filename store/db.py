"""Engines, sessions and the one upsert the read model is written with."""

from __future__ import annotations

import fcntl
import functools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.url import make_url
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
            hide_parameters=True,  # an error's message (logs, traces) carries no case's data
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
        engine = create_engine(
            url, pool_pre_ping=True, json_serializer=_json_without_nul, hide_parameters=True
        )

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


MIGRATIONS = Path(__file__).parent / "migrations"
# Any 64-bit number the read model's database uses for nothing else: the migration lock.
MIGRATION_LOCK = 0x6C696E6B61676501


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the read model to this version's schema with its migrations (``store/migrations``).
    Every process runs it on start (the API replicas and workers at once, in production): one at a
    time, under a lock, so the others find the work done. A read model made before migrations is
    adopted first (``store.legacy``)."""
    with _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite opens a transaction only before a write, so DDL would be committed statement
            # by statement: a crash mid-migration would leave half of it. One transaction instead.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            # A table the previous build holds locked fails the start (and the restart tries again)
            # instead of hanging every replica.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
        found = set(inspect(connection).get_table_names())
        if "cases" in found and "alembic_version" not in found:
            from store.legacy import adopt

            adopt(connection, found)
            command.stamp(alembic_config(connection), "head")
            return
        command.upgrade(alembic_config(connection), revision)


def drop_everything(engine: Engine) -> None:
    """Empty a throw-away PostgreSQL database (a test's, a benchmark's) as a new one would be:
    tables, the migrations' version and the search's extension."""
    assert engine.dialect.name == "postgresql", "only for throw-away PostgreSQL databases"
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """PostgreSQL: a session advisory lock. SQLite: a lock file next to the database, waited for as
    long as a migration takes (the database's own lock, taken by BEGIN IMMEDIATE, gives up after
    its busy timeout)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrating", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
