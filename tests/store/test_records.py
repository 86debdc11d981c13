"""The read model: idempotent writes and an ordered timeline, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from cases.agencies import default_registry
from cases.clocks import Happening, on_events
from cases.context import Context
from cases.effects import CaseRecord
from cases.intake import CaseIntake
from cases.model import Actor, EvidenceItem, TimelineEntry
from cases.profiles import get_profile
from cases.projection import projection
from cases.vocabulary import Event, Role, Stage
from store.db import make_engine, migrate
from store.records import case_row, clocks, mark_ended, record_case_events, stored_intake, timeline
from store.tables import CaseRow, EvidenceRow, TimelineRow
from tests.domain.cases_at import case_at, walked_to

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
OFFICER = Actor("EPB-DEMO", Role.OFFICER, "王执法")


def entry(seq: int, stage: Stage = Stage.EVIDENCE) -> TimelineEntry:
    return TimelineEntry(seq, T0 + timedelta(minutes=seq), f"step-{seq}", OFFICER, stage, stage)


CASE = case_at(Stage.EVIDENCE).case_id


def record(
    seq: int,
    *,
    stage: Stage = Stage.EVIDENCE,
    evidence: list[EvidenceItem] | None = None,
    intake: CaseIntake | None = None,
) -> CaseRecord:
    state = replace(case_at(Stage.EVIDENCE), stage=stage)
    return CaseRecord(
        case_id=state.case_id,
        projection=projection(state, T0 + timedelta(minutes=seq)),
        entries=[entry(seq, stage)],
        agencies=[state.owner_agency],
        clocks=list(state.clocks),
        evidence=evidence or [],
        intake=intake,
    )


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_the_same_event_recorded_twice_leaves_one_row(engine: Engine) -> None:
    item = EvidenceItem(1, "monitoring_report", "监测报告", OFFICER, T0, sha256="b" * 64)
    first = record(1, evidence=[item])
    record_case_events(engine, first)
    record_case_events(engine, first)
    assert count(engine, TimelineRow) == 1
    assert count(engine, CaseRow) == 1
    assert count(engine, EvidenceRow) == 1
    row = case_row(engine, first.case_id)
    assert row is not None
    assert row.last_seq == 1
    assert row.opened_at.tzinfo is not None  # aware datetimes come back aware, on both databases


def test_the_timeline_is_in_order_whatever_order_it_arrives_in(engine: Engine) -> None:
    for seq in (3, 1, 2, 5, 4):
        record_case_events(engine, record(seq))
    rows = timeline(engine, CASE)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert [r.at for r in rows] == sorted(r.at for r in rows)
    assert rows[0].actor_agency == "EPB-DEMO"
    assert rows[0].actor_role == "officer"


def test_a_late_retry_does_not_take_the_projection_back(engine: Engine) -> None:
    record_case_events(engine, record(1, stage=Stage.EVIDENCE))
    record_case_events(engine, record(2, stage=Stage.REFERRAL_APPROVAL))
    record_case_events(engine, record(1, stage=Stage.EVIDENCE))  # the retry of an older write
    row = case_row(engine, CASE)
    assert row is not None
    assert row.stage is Stage.REFERRAL_APPROVAL
    assert row.last_seq == 2
    assert count(engine, TimelineRow) == 2


def test_clocks_are_kept_open_and_closed(engine: Engine) -> None:
    state = case_at(Stage.REFERRAL_APPROVAL)
    ctx = Context(get_profile("env-police"), default_registry(), T0)
    on_events(state, [Happening(Event.REFERRAL_REQUESTED)], ctx)
    rec = CaseRecord(state.case_id, projection(state, T0), [entry(1)], clocks=list(state.clocks))
    record_case_events(engine, rec)
    later = Context(ctx.profile, ctx.registry, T0 + timedelta(hours=3))
    on_events(state, [Happening(Event.REFERRAL_APPROVED)], later)
    state.clocks[0].escalated_to = {"JLO-DEMO": T0 + timedelta(hours=1)}
    rec = CaseRecord(
        state.case_id, projection(state, later.now), [entry(2)], clocks=list(state.clocks)
    )
    record_case_events(engine, rec)
    rows = clocks(engine, state.case_id)
    assert [(r.name, r.closed_by) for r in rows] == [
        ("approval", "referral_approved"),
        ("sending", None),
    ]
    assert rows[0].due_at == state.clocks[0].due_at
    assert rows[1].statutory
    # A clock's fields come back as the domain declares them: enums, and instants inside JSON too.
    assert rows[0].owner_party.value == "referring"
    assert rows[0].escalated_to == {"JLO-DEMO": T0 + timedelta(hours=1)}


def test_two_agencies_may_use_the_same_intake_ref(engine: Engine) -> None:
    """The case id (agency and ref) is the key; a ref is unique only within its agency."""
    first = record(1)
    other = replace(
        first,
        case_id="EPB-EAST.INTAKE-1",
        projection=first.projection.model_copy(
            update={"case_id": "EPB-EAST.INTAKE-1", "discovering_agency": "EPB-EAST"}
        ),
    )
    record_case_events(engine, first)
    record_case_events(engine, other)
    assert count(engine, CaseRow) == 2
    assert {
        r.intake_ref for r in (case_row(engine, CASE), case_row(engine, other.case_id)) if r
    } == {"INTAKE-1"}


def test_the_opening_intake_is_kept_as_it_came(engine: Engine) -> None:
    intake = CaseIntake(
        intake_ref="INTAKE-1",
        discovering_agency="EPB-DEMO",
        subject="某化工有限公司",
        discovered_at=T0,
    )
    record_case_events(engine, record(1, intake=intake))
    record_case_events(engine, record(2))  # later writes leave it as it was
    row = case_row(engine, CASE)
    assert row is not None
    assert stored_intake(row) == intake


def test_a_case_is_marked_ended_once(engine: Engine) -> None:
    record_case_events(engine, record(1))
    assert mark_ended(engine, CASE, "terminated", T0)
    assert not mark_ended(engine, CASE, "failed", T0 + timedelta(hours=1))
    row = case_row(engine, CASE)
    assert row is not None
    assert (row.workflow_status, row.workflow_ended_at) == ("terminated", T0)


def test_a_nul_character_sent_by_a_client_does_not_stop_the_read_model(engine: Engine) -> None:
    """JSON may carry U+0000, which PostgreSQL stores neither in text nor in JSON: the write goes
    through with U+FFFD in its place (the case itself keeps what was sent)."""
    intake = CaseIntake(
        intake_ref="INTAKE-NUL",
        discovering_agency="EPB-DEMO",
        subject="某化工\x00有限公司",
        discovered_at=T0,
    )
    item = EvidenceItem(1, "monitoring_report", "监测\x00报告", OFFICER, T0, sha256="b" * 64)
    written = record(1, intake=intake, evidence=[item])
    written.entries[0].details["reasons"] = "暗管\x00"
    written.projection.subject = "某化工\x00有限公司"
    record_case_events(engine, written)
    row = case_row(engine, CASE)
    assert row is not None
    assert row.subject == "某化工\ufffd有限公司"
    stored = stored_intake(row)
    assert stored is not None
    assert stored.subject == "某化工\ufffd有限公司"
    assert timeline(engine, CASE)[0].details["reasons"] == "暗管\ufffd"


def test_a_read_model_from_before_whose_move_is_filled_from_its_clocks(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    waiting = walked_to(Stage.FILING_DECISION)  # the police's move, on the bureau's case
    gathering = replace(walked_to(Stage.EVIDENCE), case_id=f"{waiting.case_id}-B")  # no clock
    for state in (waiting, gathering):
        record_case_events(
            engine,
            CaseRecord(
                case_id=state.case_id,
                projection=projection(state, T0),
                entries=[entry(1)],
                agencies=[state.owner_agency],
                clocks=list(state.clocks),
            ),
        )
    engine.dispose()
    with sqlite3.connect(path) as old:  # as a version before migrations left it
        old.execute("DROP TABLE alembic_version")
        old.execute("DROP INDEX ix_cases_move")
        old.execute("ALTER TABLE cases DROP COLUMN move_agency")
        old.execute("ALTER TABLE cases DROP COLUMN move_role")
        old.execute("DROP INDEX ix_cases_stalled")
        old.execute("ALTER TABLE cases DROP COLUMN stalled_at")
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    for state in (waiting, gathering):
        row = case_row(engine, state.case_id)
        assert row is not None
        expected = projection(state, T0)
        assert (row.move_agency, row.move_role) == (expected.move_agency, expected.move_role)
    moved = [case_row(engine, s.case_id) for s in (waiting, gathering)]
    assert [(r.move_agency, r.move_role) for r in moved if r is not None] == [
        ("PSB-DEMO", Role.OFFICER),
        ("EPB-DEMO", Role.OFFICER),
    ]
    # And when it stalls, as migration 0002 fills it: only the case with no clock running.
    assert [r.stalled_at for r in moved if r is not None] == [None, T0 + timedelta(days=15)]
    engine.dispose()
