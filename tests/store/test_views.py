"""A case's stored state for its page (``store.views``), on SQLite and on PostgreSQL: written only by
the case's newest write, never by a retry of an older one; marked stale until the next write."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Engine

from cases.stored import CLOCK_SKEW, ContextKeys, StoredCase
from cases.vocabulary import Stage
from store.records import case_row, record_case_events
from store.views import mark_stale, stored_case
from tests.domain.cases_at import case_at
from tests.store.test_records import T0, record

KEYS = ContextKeys("p" * 32, "c" * 32, "r" * 32)


def with_state(seq: int, stage: Stage, *, calls: int = 0) -> tuple[StoredCase, object]:
    state = replace(case_at(Stage.FILING_DECISION), stage=stage, last_seq=seq)
    stored = StoredCase(
        state,
        KEYS,
        calls_in_flight=calls,
        answering_calls=calls,
        wake=T0 + timedelta(days=3),  # a clock's deadline
    )
    return stored, replace(record(seq, stage=stage), stored=stored)


def test_the_newest_write_stores_the_state_and_an_older_retry_changes_nothing(
    engine: Engine,
) -> None:
    _, first = with_state(1, Stage.EVIDENCE)
    stored, second = with_state(2, Stage.FILING_DECISION, calls=1)
    record_case_events(engine, first)  # type: ignore[arg-type]
    record_case_events(engine, second)  # type: ignore[arg-type]
    record_case_events(engine, first)  # type: ignore[arg-type]  # a retry of the older write
    found = stored_case(engine, first.case_id)  # type: ignore[attr-defined]
    assert found == stored
    assert found is not None
    assert found.wake is not None
    assert found.wake.tzinfo is not None  # read back as an instant
    assert not found.holds_at(T0, 2)  # a call under way, whose answer the case takes in
    idle = replace(found, answering_calls=0)
    assert idle.holds_at(T0, 2)
    assert not idle.holds_at(T0, 3)  # the case wrote later, without its state
    assert not idle.holds_at(found.wake, 2)  # the clock came due
    # The engine's clock may be ahead of the reader's: a clock about to come due is due.
    assert not idle.holds_at(found.wake - CLOCK_SKEW, 2)
    assert idle.holds_at(found.wake - CLOCK_SKEW - timedelta(seconds=1), 2)


def test_a_stale_mark_lasts_until_the_next_write(engine: Engine) -> None:
    _, first = with_state(1, Stage.EVIDENCE)
    record_case_events(engine, first)  # type: ignore[arg-type]
    case_id = first.case_id  # type: ignore[attr-defined]
    mark_stale(engine, case_id)
    assert stored_case(engine, case_id) is None
    record_case_events(engine, first)  # type: ignore[arg-type]  # the same write again
    assert stored_case(engine, case_id) is None  # it does not show the case wrote what it had
    stored, second = with_state(2, Stage.EVIDENCE)
    record_case_events(engine, second)  # type: ignore[arg-type]
    assert stored_case(engine, case_id) == stored


def test_a_write_without_a_state_leaves_the_stored_one_behind_the_case(engine: Engine) -> None:
    """The API's own write of an opening carries no state (the case's first write brings it); nor
    would a write of a worker from before stored states: the stored one stays at its sequence, and
    a reader sees it is behind the case's row (``StoredCase.holds_at``)."""
    stored, first = with_state(1, Stage.EVIDENCE)
    record_case_events(engine, first)  # type: ignore[arg-type]
    record_case_events(engine, record(2))
    found = stored_case(engine, record(2).case_id)
    assert found == stored
    row = case_row(engine, record(2).case_id)
    assert row is not None
    assert not found.holds_at(T0, row.last_seq)
