"""The read-model write: one call per transition, idempotent, run as a local activity."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from temporalio import activity

from cases.effects import RECORD_CASE_EVENTS, RECORD_CLUE, RECORD_REPORT, CaseRecord, ClueOutcome
from cases.reports import ReportState
from store.clues import record_clue as write_clue
from store.records import record_case_events
from store.reports import record_report as write_report


class RecordActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name=RECORD_CASE_EVENTS)
    def record(self, record: CaseRecord) -> None:
        """Synchronous on purpose: SQLAlchemy sessions run in the worker's thread pool."""
        record_case_events(self._engine, record)

    @activity.defn(name=RECORD_CLUE)
    def record_clue(self, outcome: ClueOutcome) -> None:
        write_clue(self._engine, outcome)

    @activity.defn(name=RECORD_REPORT)
    def record_report(self, state: ReportState) -> None:
        write_report(self._engine, state, datetime.now(UTC))
