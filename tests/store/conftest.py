"""The read model's tests run on SQLite and on PostgreSQL (a throw-away cluster on a loopback port)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.db import drop_everything, make_engine, migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, on each: the session's PostgreSQL cluster is emptied again after."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'read.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    if request.param == "postgresql":
        drop_everything(engine)
    engine.dispose()


@pytest.fixture
def engine(empty: Engine) -> Engine:
    """The read model at this version's schema."""
    migrate(empty)
    return empty
