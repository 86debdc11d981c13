"""The read model of the event-driven bulletins (``cases.event_bulletins``): kept in the bulletins'
own table (``BulletinRow``), so that they are listed, seen and fetched with the others.

An event bulletin has no figures (an empty set is kept) and no period of a calendar: its period is
the day it started; ``covers_from`` is when it started (a typical case named, an emergency issued)
and ``covers_to`` its time limit (a typical case's) or its issue; until a typical case's bulletin is
issued it is listed with no formats. Every write is idempotent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from cases.calendar import local_date
from cases.event_bulletin_effects import EventBulletinInput, EventPublish, EventRecord
from cases.routines import Figures
from store.db import session_scope
from store.routines import Rendered, _keep_papers
from store.tables import BulletinRow, CaseRow


def _row(input: EventBulletinInput, started: datetime, until: datetime) -> BulletinRow:
    return BulletinRow(
        bulletin_id=input.bulletin_id,
        mechanism=input.mechanism,
        region=input.region,
        routine=input.kind.value,
        kind=input.kind.value,
        period=local_date(started).isoformat(),
        title_zh=input.title_zh,
        title_en=input.title_en,
        source=input.source,
        covers_from=started,
        covers_to=until,
        published_at=started,
        delivered_at=None,
        figures=Figures(started, started, started),
        formats={},
        recipients=input.to,
    )


def record_named(engine: Engine, record: EventRecord) -> None:
    """A typical case named: listed, its bulletin not yet issued (a retry changes nothing)."""
    with session_scope(engine) as session:
        if session.get(BulletinRow, record.input.bulletin_id) is None:
            session.add(_row(record.input, record.named_at, record.due_at))


def write_issued(
    engine: Engine, publish: EventPublish, papers: Iterable[Rendered]
) -> dict[str, str]:
    """The issued bulletin and its formats (again, the same, on a retry)."""
    input = publish.input
    with session_scope(engine) as session:
        formats = _keep_papers(session, input.bulletin_id, papers)
        row = session.get(BulletinRow, input.bulletin_id) or _row(
            input, publish.started_at, publish.due_at or publish.issued_at
        )
        row.published_at, row.formats = publish.issued_at, formats
        session.add(row)
    return formats


def case_row(engine: Engine, case_id: str) -> CaseRow | None:
    with Session(engine) as session:
        return session.get(CaseRow, case_id)
