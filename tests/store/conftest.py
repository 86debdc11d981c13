"""The read model's tests run on SQLite and on PostgreSQL (a throw-away cluster on a loopback port)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.db import create_tables, make_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'read.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    create_tables(engine)
    yield engine
    if request.param == "postgresql":
        from sqlmodel import SQLModel

        SQLModel.metadata.drop_all(engine)
    engine.dispose()
