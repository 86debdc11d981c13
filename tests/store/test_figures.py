"""The dashboard's reads at scale: each agency's figures kept as cases are written, the open clocks'
counts and bounded lists, and lists with a capped count, a cursor and text search; on SQLite and on
PostgreSQL."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import store.dashboard
import store.queries
from cases.effects import CaseRecord
from cases.model import Actor, ClockState, TimelineEntry
from cases.projection import projection
from cases.vocabulary import Role, Stage
from store.dashboard import inbox, overview
from store.db import make_engine, migrate, session_scope
from store.figures import rebuild
from store.queries import After, CaseFilter, Scope, list_cases
from store.records import mark_ended, record_case_events
from store.tables import AgencyFigureRow, CaseFigureRow
from tests.domain.cases_at import case_at
from tests.domain.test_figures import clock

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
POLICE = Actor("PSB-DEMO", Role.OFFICER, "李警官")
COUNTY = Scope(region="demo-county")


def record(
    case_id: str,
    entries: list[tuple[int, str, Actor | None]],
    clocks: list[ClockState] = (),  # type: ignore[assignment]
    *,
    region: str = "demo-county",
    subject: str = "某化工有限公司",
    opened: datetime = T0,
    stage: Stage = Stage.EVIDENCE,
) -> CaseRecord:
    state = replace(
        case_at(Stage.EVIDENCE),
        case_id=case_id,
        region=region,
        subject=subject,
        opened_at=opened,
        stage=stage,
    )
    return CaseRecord(
        case_id=case_id,
        projection=projection(state, T0),
        entries=[
            TimelineEntry(
                seq, T0 + timedelta(hours=seq), action, actor, Stage.EVIDENCE, Stage.EVIDENCE
            )
            for seq, action, actor in entries
        ],
        agencies=[state.owner_agency, "PSB-DEMO"],
        clocks=list(clocks),
    )


def sums(engine: Engine) -> set[tuple[str, str, int, int, int, int, int, int]]:
    with Session(engine) as session:
        return {
            (r.region, r.agency, r.closed, r.on_time, r.decided, r.filed, r.fed_back, r.accepted)
            for r in session.exec(select(AgencyFigureRow))
            if any((r.closed, r.on_time, r.decided, r.filed, r.fed_back, r.accepted))
        }


def figures(engine: Engine, scope: Scope = COUNTY) -> dict[str, tuple[object, ...]]:
    now = T0 + timedelta(days=30)
    found = overview(engine, scope, now, now + timedelta(hours=8)).agencies
    return {
        f.agency: (f.decided, f.filed, f.fed_back, f.closed, f.on_time, f.accept_hours, f.overdue)
        for f in found
    }


def write_two_cases(engine: Engine) -> None:
    # Case A, in three writes (the second one twice, as a retried activity would).
    a = "EPB-DEMO.A"
    record_case_events(engine, record(a, [(1, "referral_delivered", None)]))
    second = record(a, [(2, "accept", POLICE)], [clock(1, "PSB-DEMO", 24, 10)])
    record_case_events(engine, second)
    record_case_events(engine, second)
    record_case_events(
        engine,
        record(
            a, [(3, "file_case", POLICE), (4, "feed_back", POLICE)], [clock(2, "PSB-DEMO", 2, 5)]
        ),
    )
    # Case B: accepted 4 hours after delivery, declined.
    b = "EPB-DEMO.B"
    record_case_events(
        engine,
        record(
            b,
            [(1, "referral_delivered", None), (5, "accept", POLICE), (6, "decline_filing", POLICE)],
            [clock(1, "EPB-DEMO", 24, 3)],
        ),
    )


def test_the_sums_follow_every_write_and_a_repeat_moves_nothing(engine: Engine) -> None:
    write_two_cases(engine)
    assert figures(engine) == {
        # decided, filed, fed back, closed, on time, median wait (1 h and 4 h), overdue
        "PSB-DEMO": (2, 1, 1, 2, 1, 2.5, 0),
        "EPB-DEMO": (0, 0, 0, 1, 1, None, 0),
    }
    kept = sums(engine)
    with session_scope(engine) as session:
        rebuild(session)  # the parts recomputed from the rows, and every sum from the parts
    assert sums(engine) == kept


def test_a_case_moved_to_another_region_takes_its_part_with_it(engine: Engine) -> None:
    write_two_cases(engine)
    record_case_events(engine, record("EPB-DEMO.B", [(7, "transfer", None)], region="other-county"))
    assert figures(engine)["PSB-DEMO"][:3] == (1, 1, 1)
    assert figures(engine, Scope(region="other-county"))["PSB-DEMO"][:3] == (1, 0, 0)
    assert figures(engine, Scope(everything=True))["PSB-DEMO"][:3] == (2, 1, 1)
    with Session(engine) as session:
        regions = {r.region for r in session.exec(select(CaseFigureRow))}
    assert regions == {"demo-county", "other-county"}


def test_an_agency_reads_the_figures_of_the_cases_it_has_a_part_in(engine: Engine) -> None:
    write_two_cases(engine)
    record_case_events(
        engine, record("EPB-OTHER.C", [(1, "file_case", POLICE)], region="other-county")
    )
    as_police = figures(engine, Scope(agency="PSB-DEMO"))
    assert as_police["PSB-DEMO"][:3] == (3, 2, 1)


def open_clock(ordinal: int, agency: str, due: datetime) -> ClockState:
    c = clock(ordinal, agency, 1, None)
    return c.model_copy(update={"due_at": due})


def test_open_clocks_are_counted_in_full_and_listed_to_a_bound(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.dashboard, "SHOWN", 2)
    now = T0 + timedelta(days=1)
    for n in range(5):  # five cases with an overdue clock, two with one due later today
        late = open_clock(1, "PSB-DEMO", now - timedelta(hours=n + 1))
        late = late.model_copy(update={"escalation_level": 1, "escalated_to": {"JLO-DEMO": now}})
        clocks = [late] if n < 3 else [late, open_clock(2, "EPB-DEMO", now + timedelta(hours=n))]
        record_case_events(engine, record(f"EPB-DEMO.L{n}", [(1, "open", None)], clocks))
    paused = open_clock(1, "PSB-DEMO", now - timedelta(hours=9))
    paused = paused.model_copy(update={"paused_at": now - timedelta(hours=10)})
    record_case_events(engine, record("EPB-DEMO.P", [(1, "open", None)], [paused]))
    record_case_events(
        engine, record("EPB-DEMO.E", [(1, "open", None)], [open_clock(1, "PSB-DEMO", T0)])
    )
    assert mark_ended(engine, "EPB-DEMO.E", "TERMINATED", now)  # its clocks no longer run
    seen = overview(engine, COUNTY, now, now + timedelta(hours=8))
    assert seen.overdue_count == 5
    assert [line.case_id for line in seen.overdue] == [
        "EPB-DEMO.L4",
        "EPB-DEMO.L3",
    ]
    assert seen.due_today_count == 2
    assert len(seen.due_today) == 2
    assert seen.escalation_counts == {1: 5}
    assert len(seen.escalations[1]) == 2
    assert {f.agency: f.overdue for f in seen.agencies} == {"PSB-DEMO": 5}
    # The inbox lists every clock whose escalation reached the office, however many.
    assert len(inbox(engine, "JLO-DEMO", COUNTY)) == 5
    assert overview(engine, Scope(region="other-county"), now, now).overdue_count == 0


def test_the_overview_lists_referable_cases_handled_without_a_referral(engine: Engine) -> None:
    """A suspected crime penalised or archived without its referral sent (O310 Art. 11)."""
    record_case_events(
        engine, record("EPB-DEMO.R1", [(1, "open", None)], stage=Stage.ADMIN_PENALTY)
    )
    record_case_events(engine, record("EPB-DEMO.R2", [(1, "open", None)], stage=Stage.EVIDENCE))
    assert case_at(Stage.EVIDENCE).triage.suggested.referable
    seen = overview(engine, COUNTY, T0, T0)
    assert [row.case_id for row in seen.not_referred] == ["EPB-DEMO.R1"]


def test_a_list_pages_by_cursor_without_skipping_or_repeating_as_cases_arrive(
    engine: Engine,
) -> None:
    for n in range(7):
        record_case_events(
            engine,
            record(f"EPB-DEMO.K{n}", [(1, "open", None)], opened=T0 + timedelta(minutes=n // 2)),
        )
    seen: list[str] = []
    after: After | None = None
    for page_number in range(10):
        page = list_cases(engine, COUNTY, CaseFilter(), T0, 3, after=after)
        seen += [row.case_id for row in page.rows]
        if page_number == 0:  # a newer case opened meanwhile: it is not on the next page
            record_case_events(
                engine, record("EPB-DEMO.NEW", [(1, "open", None)], opened=T0 + timedelta(hours=1))
            )
        if page.last is None:
            break
        after = page.last
    assert seen == [f"EPB-DEMO.K{n}" for n in (6, 5, 4, 3, 2, 1, 0)]
    by_offset = list_cases(engine, COUNTY, CaseFilter(), T0, 3, offset=3)
    assert [r.case_id for r in by_offset.rows] == ["EPB-DEMO.K4", "EPB-DEMO.K3", "EPB-DEMO.K2"]


def test_the_count_stops_at_its_cap_and_says_so(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.queries, "COUNTED", 4)
    for n in range(6):
        record_case_events(engine, record(f"EPB-DEMO.C{n}", [(1, "open", None)]))
    page = list_cases(engine, COUNTY, CaseFilter(), T0, 2)
    assert (page.total, page.exact, len(page.rows)) == (4, False, 2)
    exact = list_cases(engine, COUNTY, CaseFilter(text="C5"), T0, 2)
    assert (exact.total, exact.exact, exact.last) == (1, True, None)


@pytest.mark.parametrize("in_order", [False, True])
def test_search_finds_text_anywhere_in_subject_or_ids_ignoring_case(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, in_order: bool
) -> None:
    # ``in_order``: as if every search matched many, so the newest-first walk answers it.
    monkeypatch.setattr(store.queries, "IN_ORDER", 0 if in_order else 10**9)
    subjects = {
        "EPB-DEMO.X1": "某化工有限公司偷排含铬废水",
        "EPB-DEMO.X2": "Acme Plating Co. 电镀",
        "EPB-DEMO.X3": '名称带"引号"的企业 100%_合格',
    }
    for case_id, subject in subjects.items():
        record_case_events(engine, record(case_id, [(1, "open", None)], subject=subject))

    def found(text: str) -> set[str]:
        return {r.case_id for r in list_cases(engine, COUNTY, CaseFilter(text=text), T0, 10).rows}

    assert found("含铬废") == {"EPB-DEMO.X1"}
    assert found("acme plat") == {"EPB-DEMO.X2"}
    assert found("电镀") == {"EPB-DEMO.X2"}  # shorter than a trigram: looked for row by row
    assert found('"引号"') == {"EPB-DEMO.X3"}
    assert found("100%_") == {"EPB-DEMO.X3"}
    assert found("0%x") == set()
    assert found("demo.x") == set(subjects)
    assert found("有限公司偷排") == {"EPB-DEMO.X1"}
    assert found("不存在的企业") == set()
    # A renamed subject is found by its new name only.
    record_case_events(engine, record("EPB-DEMO.X1", [(2, "amend", None)], subject="另一家公司"))
    assert found("含铬废") == set()
    assert found("另一家") == {"EPB-DEMO.X1"}


def test_a_read_model_from_before_the_figures_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    write_two_cases(engine)
    with_everything = figures(engine)
    engine.dispose()
    # As the previous version left it: no region on clocks, no figures, no search index.
    with sqlite3.connect(path) as old:
        old.execute("DROP TABLE alembic_version")  # made before migrations
        for index in ("ix_clocks_open_region", "ix_clocks_open_all"):
            old.execute(f"DROP INDEX {index}")
        old.execute("ALTER TABLE clocks DROP COLUMN region")
        for name in ("case_figures", "agency_figures", "cases_text"):
            old.execute(f"DROP TABLE {name}")
        for trigger in ("cases_text_ai", "cases_text_ad", "cases_text_au"):
            old.execute(f"DROP TRIGGER {trigger}")
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    assert figures(engine) == with_everything
    assert {
        r.case_id for r in list_cases(engine, COUNTY, CaseFilter(text="化工有限"), T0, 5).rows
    } == {
        "EPB-DEMO.A",
        "EPB-DEMO.B",
    }
    engine.dispose()


def test_the_overview_lists_the_cases_stalled_by_their_own_measure(engine: Engine) -> None:
    """Stalled (issue 13): each case says when it stalls (``stalled_at``, from its own copy of its
    mechanism); the longest stalled first. A case that has not yet reached it is not listed, nor
    one whose workflow ended (the sweep reports those)."""

    def written(case_id: str, stalls: datetime | None, **changes: object) -> None:
        rec = record(case_id, [(1, "open", None)])
        rec.projection.stalled_at = stalls
        for name, value in changes.items():
            setattr(rec.projection, name, value)
        record_case_events(engine, rec)

    written("EPB-DEMO.Q1", T0 - timedelta(days=5))
    written("EPB-DEMO.Q2", T0 - timedelta(days=15))
    written("EPB-DEMO.Q3", T0 + timedelta(days=2))  # quiet, but not for long
    written("EPB-DEMO.Q4", None, next_deadline=T0 + timedelta(days=1))  # a clock runs
    written("EPB-DEMO.Q5", T0 - timedelta(minutes=1), mechanism="demo-fast")
    seen = overview(engine, COUNTY, T0, T0)
    assert [row.case_id for row in seen.stalled] == ["EPB-DEMO.Q2", "EPB-DEMO.Q1", "EPB-DEMO.Q5"]
    assert seen.stalled_count == 3
    mark_ended(engine, "EPB-DEMO.Q1", "terminated", T0)
    assert [row.case_id for row in overview(engine, COUNTY, T0, T0).stalled] == [
        "EPB-DEMO.Q2",
        "EPB-DEMO.Q5",
    ]
    assert overview(engine, Scope(region="east-county"), T0, T0).stalled == []


def test_open_escalations_are_counted_by_region_and_rung_for_metrics(engine: Engine) -> None:
    """``linkage_escalations_open``: running escalated clocks of live cases; closed, paused or
    ended ones are not waiting on anyone."""
    late = clock(1, "PSB-DEMO", due_hours=-5, closed_hours=None)
    late.escalation_level = 2
    done = clock(2, "PSB-DEMO", due_hours=-5, closed_hours=1)
    done.escalation_level = 1
    record_case_events(engine, record("EPB-DEMO.E1", [(1, "open", None)], [late, done]))
    east = clock(1, "PSB-EAST", due_hours=-5, closed_hours=None)
    east.escalation_level = 1
    record_case_events(
        engine, record("EPB-EAST.E2", [(1, "open", None)], [east], region="east-county")
    )
    assert store.dashboard.open_escalations(engine) == {
        ("demo-county", 2): 1,
        ("east-county", 1): 1,
    }
    mark_ended(engine, "EPB-EAST.E2", "terminated", T0)
    assert store.dashboard.open_escalations(engine) == {("demo-county", 2): 1}
