"""Adopting a read model made before migrations (by ``store.db.create_tables`` of earlier versions).

Such a read model healed itself at each start: missing tables and indexes created, new nullable
columns added and filled. Adoption does that once more, up to this version's models, and fills
what the migrations since then would have filled; ``store.db.migrate`` then stamps it at the head
revision. Nothing but a development folder (``make run``) should hold one; drop this module when
none is left.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text
from sqlmodel import Session, SQLModel

from store.textsearch import install_text_search

# Indexes earlier versions made that later ones replaced.
REPLACED_INDEXES = ("ix_clocks_open_due", "ix_cases_quiet")


def adopt(connection: Connection, before: set[str]) -> None:
    from store.figures import rebuild

    SQLModel.metadata.create_all(connection)
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
    if "stalled_at" in added.get("cases", ()):
        _fill_stalled_at(connection)
    for name in REPLACED_INDEXES:
        connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for table in SQLModel.metadata.sorted_tables:
        if table.name in before:
            for index in table.indexes:
                index.create(connection, checkfirst=True)
    install_text_search(connection, fresh=False)
    if "case_figures" not in before:
        with Session(bind=connection) as session:
            rebuild(session)
            session.flush()


def _fill_stalled_at(connection: Connection) -> None:
    """As migration 0002 fills it: the span each mechanism shipped with, from the last write."""
    from importlib import import_module

    shipped = import_module("store.migrations.versions.0002_stalled_at")
    shipped.fill_stalled_at(connection)


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
