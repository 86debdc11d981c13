"""Alembic's entry: migrations run on the connection ``store.db.migrate`` hands over (under its lock),
or, from the ``alembic`` command (``make migration``), on the database the settings name."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.textsearch import described_by_models


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying a table
        compare_type=True,
        include_name=described_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


handed: Connection | None = context.config.attributes.get("connection")
if handed is not None:
    run(handed)
else:
    from settings import Settings
    from store.db import make_engine

    engine = make_engine(Settings().database)
    with engine.begin() as connection:
        run(connection)
    engine.dispose()
