"""The read model's migrations, on SQLite and on a throw-away PostgreSQL cluster: they make exactly
the models' schema, carry the data of an older revision forward, adopt a read model made before
migrations, and run once when several processes start together."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel

from store.db import make_engine, migrate
from store.tables import CaseRow
from store.textsearch import described_by_models
from tests.store.test_figures import record

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HEAD = "0005"  # the newest revision (store/migrations/versions)


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": described_by_models}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(MigrationContext.configure(connection).get_current_revision())


def indexes(engine: Engine) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes("cases")}


def test_the_migrations_make_the_models_schema(empty: Engine) -> None:
    migrate(empty)
    assert revision(empty) == HEAD
    assert differences(empty) == []
    migrate(empty)  # again: nothing to do
    assert revision(empty) == HEAD


def test_a_read_model_at_the_first_revision_is_carried_forward_with_its_cases(
    empty: Engine,
) -> None:
    """0002 fills ``stalled_at`` of the quiet open cases written at 0001 from their mechanism's
    shipped span; a case with a clock running, or closed, gets none."""
    migrate(empty, "0001")
    assert "ix_cases_quiet" in indexes(empty)
    quiet = record("EPB-DEMO.M1", [(1, "open", None)]).projection
    timed = record("EPB-DEMO.M2", [(1, "open", None)]).projection
    timed.next_deadline = T0 + timedelta(days=3)
    fast = record("EPB-DEMO.M3", [(1, "open", None)]).projection
    fast.mechanism = "demo-fast"
    # Written as a case was at 0001: its projection and the row's own columns, no ``stalled_at``.
    table = CaseRow.__table__  # type: ignore[attr-defined]
    with empty.begin() as connection:
        for row in (quiet, timed, fast):
            values = row.model_dump(exclude={"stalled_at"})
            connection.execute(table.insert().values(**values, last_seq=1))
    migrate(empty)
    assert revision(empty) == HEAD
    assert "ix_cases_quiet" not in indexes(empty)
    assert "ix_cases_stalled" in indexes(empty)
    with Session(empty) as session:
        rows = {
            case_id: session.get(CaseRow, case_id)
            for case_id in ("EPB-DEMO.M1", "EPB-DEMO.M2", "EPB-DEMO.M3")
        }
    m1, m2, m3 = rows.values()
    assert m1 is not None
    assert m2 is not None
    assert m3 is not None
    assert m1.stalled_at == m1.updated_at + timedelta(days=15)
    assert m2.stalled_at is None
    assert m3.stalled_at == m3.updated_at + timedelta(minutes=3)
    assert differences(empty) == []


def test_a_read_model_made_before_migrations_is_adopted(empty: Engine) -> None:
    """As ``create_tables`` of the previous version left it: the models of that day, no version."""
    migrate(empty, "0001")
    with empty.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text("DROP TABLE case_figures"))
    migrate(empty)
    assert revision(empty) == HEAD
    assert differences(empty) == []
    assert "ix_cases_quiet" not in indexes(empty)


def test_processes_starting_together_migrate_once(empty: Engine) -> None:
    """Two API replicas and two workers start at once: each waits for the first, none fails."""
    failures: list[BaseException] = []

    def start() -> None:
        engine = make_engine(empty.url.render_as_string(hide_password=False))
        try:
            migrate(engine)
        except BaseException as exc:
            failures.append(exc)
        finally:
            engine.dispose()

    starting = [threading.Thread(target=start) for _ in range(4)]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in starting)  # none left waiting on a lock
    assert failures == []
    assert revision(empty) == HEAD
