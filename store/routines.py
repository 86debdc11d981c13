"""The read model of a mechanism's routines: what their activities read (a region's cases, the
decisions of earlier meetings) and write (meetings, bulletins and their papers, the procuratorate's
list), and what the API reads of them. Every write is idempotent: a retried activity writes the
same thing again, and a meeting's older write never replaces a newer one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_
from sqlmodel import Session, col, select

from cases.meetings import MeetingState, OpenDecision
from cases.referral_watch import Cleared, WatchEntry, rescan
from cases.routine_effects import (
    BulletinDelivered,
    BulletinPublish,
    ScanRequest,
    ScanResult,
    WatchMark,
)
from cases.routines import RiskReason, referral_risk
from cases.vocabulary import Classification
from store.db import session_scope
from store.queries import Scope
from store.tables import (
    BulletinRow,
    CaseRow,
    MeetingDecisionRow,
    MeetingRow,
    ReferralScanRow,
    ReferralWatchRow,
    RoutinePaperRow,
)

# The lists of the API and the dashboard show at most this many, the newest first.
LISTED = 200


@dataclass
class Rendered:
    """One format of a paper, rendered."""

    format: str
    media_type: str
    content: bytes
    sha256: str


# --- What the routines read ------------------------------------------------------------------------


def region_cases(
    engine: Engine, mechanism: str, region: str, since: datetime | None = None
) -> list[CaseRow]:
    """A region's cases of one mechanism that are open, or (with ``since``) were opened or closed
    since: what an agenda or a bulletin's figures are made from."""
    recent: list[ColumnElement[bool]] = [col(CaseRow.closed_at).is_(None)]
    if since is not None:
        recent += [col(CaseRow.closed_at) >= since, col(CaseRow.opened_at) >= since]
    with Session(engine) as session:
        return list(
            session.exec(
                select(CaseRow).where(
                    col(CaseRow.mechanism) == mechanism,
                    col(CaseRow.region) == region,
                    or_(*recent),
                )
            )
        )


def open_decisions(
    engine: Engine, mechanism: str, region: str, meeting_id: str
) -> list[OpenDecision]:
    """The decisions of the region's other meetings not yet done, the earliest due first."""
    with Session(engine) as session:
        rows = session.exec(
            select(MeetingDecisionRow)
            .where(
                col(MeetingDecisionRow.mechanism) == mechanism,
                col(MeetingDecisionRow.region) == region,
                col(MeetingDecisionRow.done_at).is_(None),
                col(MeetingDecisionRow.meeting_id) != meeting_id,
            )
            .order_by(col(MeetingDecisionRow.due_at), col(MeetingDecisionRow.meeting_id))
            .limit(LISTED)
        )
        return [OpenDecision(r.meeting_id, r.decision_id, r.title, r.owner, r.due_at) for r in rows]


# --- What the routines write -----------------------------------------------------------------------


def _keep_papers(session: Session, paper_id: str, papers: Iterable[Rendered]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for paper in papers:
        row = session.get(RoutinePaperRow, (paper_id, paper.format)) or RoutinePaperRow(
            paper_id=paper_id, format=paper.format, media_type="", sha256="", size=0, content=b""
        )
        row.media_type, row.sha256 = paper.media_type, paper.sha256
        row.size, row.content = len(paper.content), paper.content
        session.add(row)
        kept[paper.format] = paper.sha256
    return kept


def write_meeting(engine: Engine, state: MeetingState, minutes: Iterable[Rendered] = ()) -> None:
    """The meeting as its workflow holds it, unless a newer change of it is already here."""
    with session_scope(engine) as session:
        row = session.get(MeetingRow, state.meeting_id)
        if row is not None and row.seq > state.seq:
            return
        values: dict[str, Any] = {
            "mechanism": state.mechanism,
            "region": state.region,
            "routine": state.routine,
            "period": state.period,
            "status": state.status.value,
            "opens_at": state.opens_at,
            "opened_at": state.opened_at,
            "closed_at": state.closed_at,
            "done_at": state.done_at,
            "agenda_size": len(state.agenda.items) + state.agenda.more,
            "decisions_open": sum(d.done_at is None for d in state.decisions),
            "seq": state.seq,
            "state": state,
        }
        if row is None:
            row = MeetingRow(meeting_id=state.meeting_id, **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        session.add(row)
        for d in state.decisions:
            decision = session.get(MeetingDecisionRow, (state.meeting_id, d.decision_id))
            session.add(
                MeetingDecisionRow(
                    meeting_id=state.meeting_id,
                    decision_id=d.decision_id,
                    mechanism=state.mechanism,
                    region=state.region,
                    title=d.title,
                    owner=d.owner,
                    due_at=d.due_at,
                    done_at=d.done_at,
                )
                if decision is None
                else _done(decision, d.done_at)
            )
        _keep_papers(session, state.meeting_id, minutes)


def _done(row: MeetingDecisionRow, done_at: datetime | None) -> MeetingDecisionRow:
    row.done_at = done_at
    return row


def write_bulletin(
    engine: Engine, publish: BulletinPublish, papers: Iterable[Rendered]
) -> dict[str, str]:
    """The bulletin and its formats (again, the same, on a retry); its formats' fingerprints."""
    bulletin = publish.bulletin
    with session_scope(engine) as session:
        formats = _keep_papers(session, bulletin.bulletin_id, papers)
        row = session.get(BulletinRow, bulletin.bulletin_id)
        delivered = row.delivered_at if row is not None else None
        session.merge(
            BulletinRow(
                bulletin_id=bulletin.bulletin_id,
                mechanism=bulletin.mechanism,
                region=bulletin.region,
                routine=bulletin.routine,
                kind=bulletin.kind.value,
                period=bulletin.period,
                title_zh=bulletin.title_zh,
                title_en=bulletin.title_en,
                source=bulletin.source,
                covers_from=bulletin.covers_from,
                covers_to=bulletin.covers_to,
                published_at=publish.published_at,
                delivered_at=delivered,
                figures=publish.figures,
                formats=formats,
                recipients=bulletin.to,
            )
        )
    return formats


def bulletin_delivered(engine: Engine, delivered: BulletinDelivered) -> None:
    with session_scope(engine) as session:
        row = session.get(BulletinRow, delivered.bulletin_id)
        if row is not None and row.delivered_at is None:
            row.delivered_at = delivered.delivered_at
            session.add(row)


def _risks(session: Session, mechanism: str, region: str) -> dict[str, RiskReason]:
    """The cases ``cases.routines.referral_risk`` finds: only those never referred that triage or
    an officer called a crime are read (the rule decides among them)."""
    crime = Classification.CRIME
    rows = session.exec(
        select(CaseRow).where(
            col(CaseRow.mechanism) == mechanism,
            col(CaseRow.region) == region,
            col(CaseRow.referred).is_(False),
            or_(col(CaseRow.suggested) == crime, col(CaseRow.classification) == crime),
        )
    )
    found = {}
    for row in rows:
        reason = referral_risk(row)
        if reason is not None:
            found[row.case_id] = reason
    return found


def scan_referrals(engine: Engine, request: ScanRequest) -> ScanResult:
    """One day's scan of the procuratorate's list (``cases.referral_watch.rescan``), kept with its
    result: a retried scan answers the same."""
    with session_scope(engine) as session:
        done = session.get(ReferralScanRow, request.scan_id)
        if done is not None:
            return ScanResult(request.scan_id, done.result, done.previous)
        previous = session.exec(
            select(ReferralScanRow.scan_id)
            .where(
                col(ReferralScanRow.mechanism) == request.mechanism,
                col(ReferralScanRow.region) == request.region,
            )
            .order_by(col(ReferralScanRow.at).desc())
            .limit(1)
        ).first()
        listed_rows = {
            r.case_id: r
            for r in session.exec(
                select(ReferralWatchRow).where(
                    col(ReferralWatchRow.mechanism) == request.mechanism,
                    col(ReferralWatchRow.region) == request.region,
                    col(ReferralWatchRow.cleared_at).is_(None),
                )
            )
        }
        watch = {
            case_id: WatchEntry(case_id, RiskReason(r.reason), r.listed_at, r.named_at)
            for case_id, r in listed_rows.items()
        }
        referred = set(
            session.exec(
                select(CaseRow.case_id).where(
                    col(CaseRow.case_id).in_(list(watch)), col(CaseRow.referred).is_(True)
                )
            )
        )
        risks = _risks(session, request.mechanism, request.region)
        # A case cleared before (referred, or marked) is not listed again by the rule.
        cleared = set(
            session.exec(
                select(ReferralWatchRow.case_id).where(
                    col(ReferralWatchRow.case_id).in_(list(risks)),
                    col(ReferralWatchRow.cleared_at).is_not(None),
                )
            )
        )
        risks = {c: r for c, r in risks.items() if c not in cleared}
        result = rescan(watch, risks, referred, request.at, request.follow_up)
        for case_id, entry in watch.items():
            row = listed_rows.get(case_id) or ReferralWatchRow(
                case_id=case_id,
                mechanism=request.mechanism,
                region=request.region,
                reason=entry.reason.value,
                listed_at=entry.listed_at,
                named_at=entry.named_at,
                scan_id=request.scan_id,
            )
            row.named_at, row.scan_id = entry.named_at, request.scan_id
            if entry.cleared is not None:
                row.cleared, row.cleared_at = entry.cleared.value, entry.cleared_at
            session.add(row)
        session.add(
            ReferralScanRow(
                scan_id=request.scan_id,
                mechanism=request.mechanism,
                region=request.region,
                at=request.at,
                listed=len(result.listed),
                named_again=len(result.named_again),
                standing=len(result.standing),
                previous=previous,
                result=result,
            )
        )
        return ScanResult(request.scan_id, result, previous)


def mark_watched(engine: Engine, mark: WatchMark) -> None:
    """The procuratorate's mark: the case leaves the list (again, the same, on a retry)."""
    with session_scope(engine) as session:
        row = session.get(ReferralWatchRow, mark.case_id)
        if row is None or row.cleared == Cleared.REFERRED.value:
            return
        row.cleared, row.cleared_at = Cleared.MARKED.value, row.cleared_at or mark.at
        row.outcome, row.note = mark.outcome.value, mark.note
        row.marked_by_agency = mark.actor.agency
        row.marked_by_role = mark.actor.role.value
        row.marked_by_person = mark.actor.person
        session.add(row)


# --- What the API reads ----------------------------------------------------------------------------


def _in_scope(scope: Scope, region: object) -> object:
    if scope.everything:
        return True
    return region == scope.region


def meetings(engine: Engine, scope: Scope, region: str | None = None) -> list[MeetingRow]:
    """Meetings the scope sees (everything, or a region's), the latest first."""
    with Session(engine) as session:
        query = select(MeetingRow).order_by(
            col(MeetingRow.opens_at).desc(), col(MeetingRow.meeting_id)
        )
        where = region if region is not None else scope.region
        if not scope.everything or region is not None:
            query = query.where(col(MeetingRow.region) == where)
        return list(session.exec(query.limit(LISTED)))


def meeting(engine: Engine, meeting_id: str) -> MeetingRow | None:
    with Session(engine) as session:
        return session.get(MeetingRow, meeting_id)


def bulletins(engine: Engine, scope: Scope, region: str | None = None) -> list[BulletinRow]:
    with Session(engine) as session:
        query = select(BulletinRow).order_by(
            col(BulletinRow.published_at).desc(), col(BulletinRow.bulletin_id)
        )
        where = region if region is not None else scope.region
        if not scope.everything or region is not None:
            query = query.where(col(BulletinRow.region) == where)
        return list(session.exec(query.limit(LISTED)))


def bulletin(engine: Engine, bulletin_id: str) -> BulletinRow | None:
    with Session(engine) as session:
        return session.get(BulletinRow, bulletin_id)


def paper(engine: Engine, paper_id: str, format: str) -> RoutinePaperRow | None:
    with Session(engine) as session:
        return session.get(RoutinePaperRow, (paper_id, format))


def watch_list(
    engine: Engine, scope: Scope, *, standing_only: bool = True
) -> list[ReferralWatchRow]:
    """The procuratorate's list: the cases on it (or also those taken off), the longest listed
    first."""
    with Session(engine) as session:
        query = select(ReferralWatchRow).order_by(
            col(ReferralWatchRow.listed_at), col(ReferralWatchRow.case_id)
        )
        if not scope.everything:
            query = query.where(col(ReferralWatchRow.region) == scope.region)
        if standing_only:
            query = query.where(col(ReferralWatchRow.cleared_at).is_(None))
        return list(session.exec(query.limit(LISTED)))


def latest_scan(engine: Engine, mechanism: str, region: str) -> str | None:
    """The scan that takes the procuratorate's marks now: the region's latest."""
    with Session(engine) as session:
        return session.exec(
            select(ReferralScanRow.scan_id)
            .where(
                and_(
                    col(ReferralScanRow.mechanism) == mechanism,
                    col(ReferralScanRow.region) == region,
                )
            )
            .order_by(col(ReferralScanRow.at).desc())
            .limit(1)
        ).first()
